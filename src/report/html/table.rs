//! Tables of the page: CSV files and JSON objects as rows, in units; the sweep's grid
//! with its Pareto points and the points whose runs died.

use serde::Serialize;
use serde_json::Value;

use super::HtmlError;
use super::collect::{json_text, raw_text, unreadable};
use super::format::{Unit, format, label, order_of, unit_of};
use crate::report::plots::Table as Csv;

/// Rows a table shows before it says how many more its file has.
pub(super) const MAX_ROWS: usize = 2000;

#[derive(Serialize)]
pub(super) struct Table {
    pub(super) id: String,
    pub(super) file: String,
    pub(super) headers: Vec<Header>,
    pub(super) rows: Vec<Row>,
    /// Rows in the file, of which `rows` shows the first.
    pub(super) total: usize,
}

#[derive(Serialize)]
pub(super) struct Header {
    pub(super) text: String,
    pub(super) title: String,
    pub(super) numeric: bool,
}

#[derive(Serialize)]
pub(super) struct Row {
    pub(super) cells: Vec<Cell>,
    pub(super) class: &'static str,
}

#[derive(Serialize)]
pub(super) struct Cell {
    pub(super) text: String,
    /// The raw value, for sorting.
    pub(super) sort: String,
}

/// A table of JSON objects, one row each (with a leading `name` column when given).
pub(super) fn json_rows_table<'a>(
    id: &str,
    rows: impl Iterator<Item = (&'a str, &'a Value)>,
) -> Table {
    json_rows_table_ordered(id, &[], rows)
}

/// [`json_rows_table`] with the fields `first` names first, in that order; the others
/// follow in the page's order.
pub(super) fn json_rows_table_ordered<'a>(
    id: &str,
    first: &[&str],
    rows: impl Iterator<Item = (&'a str, &'a Value)>,
) -> Table {
    let rows: Vec<(&str, &Value)> = rows.collect();
    let mut keys: Vec<&String> = Vec::new();
    for (_, v) in &rows {
        for k in v.as_object().into_iter().flat_map(|o| o.keys()) {
            if !keys.contains(&k) {
                keys.push(k);
            }
        }
    }
    keys.sort_by_key(|k| match first.iter().position(|f| *f == k.as_str()) {
        Some(i) => i,
        None => first.len() + order_of(k),
    });
    let named = rows.iter().any(|(n, _)| !n.is_empty());
    let mut headers = Vec::new();
    if named {
        headers.push(Header {
            text: "name".into(),
            title: String::new(),
            numeric: false,
        });
    }
    headers.extend(keys.iter().map(|k| Header {
        text: label(k),
        title: k.to_string(),
        numeric: unit_of(k) != Unit::Plain,
    }));
    let body = rows
        .iter()
        .map(|(n, v)| {
            let mut cells = Vec::new();
            if named {
                cells.push(Cell {
                    text: n.to_string(),
                    sort: n.to_string(),
                });
            }
            for k in &keys {
                let x = v.get(k.as_str()).unwrap_or(&Value::Null);
                cells.push(Cell {
                    text: json_text(k, x),
                    sort: raw_text(x),
                });
            }
            Row { cells, class: "" }
        })
        .collect::<Vec<_>>();
    Table {
        id: format!("t-{id}"),
        file: String::new(),
        total: body.len(),
        headers,
        rows: body,
    }
}

/// A CSV file as a table: the columns `keep` says (in its order; every column with a
/// value when `None`), each in the unit its name implies, headed by its label with the
/// column's name as the tooltip; `class` marks rows.
pub(super) fn table_of(
    t: &Csv,
    id: &str,
    keep: Option<&[usize]>,
    class: impl Fn(usize) -> &'static str,
) -> Table {
    let every: Vec<usize>;
    let keep = match keep {
        Some(k) => k,
        None => {
            every = (0..t.header.len()).filter(|&c| filled(t, c)).collect();
            &every
        }
    };
    let units: Vec<Unit> = keep.iter().map(|&c| unit_of(&t.header[c])).collect();
    let rows = t
        .rows
        .iter()
        .take(MAX_ROWS)
        .enumerate()
        .map(|(r, row)| Row {
            cells: keep
                .iter()
                .zip(&units)
                .map(|(&c, &u)| {
                    let v = row.get(c).map_or("", String::as_str);
                    Cell {
                        text: format(v, u),
                        sort: v.to_string(),
                    }
                })
                .collect(),
            class: class(r),
        })
        .collect();
    Table {
        id: format!("t-{id}"),
        file: t
            .path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default(),
        headers: keep
            .iter()
            .zip(&units)
            .map(|(&c, u)| {
                let h = &t.header[c];
                let text = match h.strip_suffix("_mean") {
                    Some(base) => format!("{} (mean)", label(base)),
                    None => label(h),
                };
                Header {
                    title: if text == *h { String::new() } else { h.clone() },
                    text,
                    numeric: *u != Unit::Plain,
                }
            })
            .collect(),
        rows,
        total: t.total,
    }
}

/// Column `c` of `t` has a value in some row.
fn filled(t: &Csv, c: usize) -> bool {
    t.rows
        .iter()
        .any(|r| r.get(c).is_some_and(|v| !v.is_empty()))
}

/// [`table_of`] with every column that has a value.
pub(super) fn table(t: &Csv, id: &str, class: impl Fn(usize) -> &'static str) -> Table {
    table_of(t, id, None, class)
}

/// The columns a sweep's page shows first, after the axes and the seeds: its failures,
/// then what `sweep` prints for each point; the other means follow, and points.csv has the
/// median, p99 and max of each.
pub(super) const SWEEP_FIRST: &[&str] = &[
    "fatal_runs",
    "request_throughput_rps_mean",
    "request_p99_ns_mean",
    "gc_cycles_mean",
    "gc_cpu_fraction_mean",
    "stw_max_ns_mean",
    "stw_total_ns_mean",
    "peak_heap_bytes_mean",
    "alloc_throughput_bytes_per_s_mean",
];

/// points.csv with its Pareto points marked (those no other point beats on throughput and
/// total stop-the-world time, as stw_vs_throughput draws them) and the points where a run
/// died marked apart, never Pareto. Refuses a file without the `seeds` column.
pub(super) fn sweep_table(t: &Csv, notes: &mut Vec<String>) -> Result<Table, HtmlError> {
    let seeds = t.col("seeds").map_err(|_| {
        unreadable(
            &t.path,
            "not the points.csv gomemsim writes: no `seeds` column after the axes",
        )
    })?;
    let num = |r: usize, name: &str| {
        t.col(name)
            .ok()
            .and_then(|c| t.num(r, c).ok())
            .filter(|v| v.is_finite())
    };
    let died = |r: usize| num(r, "fatal_runs").is_some_and(|n| n > 0.0);
    // The throughput stw_vs_throughput plots: requests/s where every point has it.
    let thr = crate::report::plots::throughput_column(t).ok();
    let pts: Vec<Option<(f64, f64)>> = (0..t.rows.len())
        .map(|r| {
            if died(r) {
                return None;
            }
            let x = t.num(r, thr?).ok().filter(|v| v.is_finite())?;
            Some((x, num(r, "stw_total_ns_mean")?))
        })
        .collect();
    let all: Vec<(f64, f64)> = pts.iter().flatten().copied().collect();
    let front = crate::report::plots::pareto_front(&all);
    let dead = (0..t.rows.len()).filter(|&r| died(r)).count();
    if dead > 0 {
        notes.push(format!(
            "Runs died at {dead} of the {} grid points (fatal_runs; marked in red, never \
             Pareto): their numbers cover the runs up to the crash. Their runs are in sweep.csv; \
             `gomemsim run` of one of them shows the fatal error, `gomemsim race` its interleavings.",
            t.rows.len()
        ));
    }
    // The axes, the seeds, the columns above, the other means.
    let mut keep: Vec<usize> = (0..=seeds).collect();
    for name in SWEEP_FIRST {
        keep.extend(t.col(name).ok().filter(|&c| filled(t, c)));
    }
    for (c, h) in t.header.iter().enumerate().skip(seeds + 1) {
        if h.ends_with("_mean") && !keep.contains(&c) && filled(t, c) {
            keep.push(c);
        }
    }
    Ok(table_of(t, "points", Some(&keep), |r| {
        if died(r) {
            "died"
        } else if pts[r].is_some_and(|p| front.contains(&p)) {
            "pareto"
        } else {
            ""
        }
    }))
}
