//! The table `sweep` prints when it is done: one line per grid point, the means over its
//! seeds of what a planner compares first. Everything else is in points.csv.

use std::fmt::Write as _;

use super::table::Row;

/// Grid points listed at most; the rest are counted.
pub const MAX_LINES: usize = 40;

/// A column: its metric, its heading, how a mean is shown.
type Column = (&'static str, &'static str, fn(f64) -> String);

/// The columns.
const COLUMNS: [Column; 6] = [
    ("gc_cycles", "GC cycles", |v| format!("{v:.0}")),
    ("gc_cpu_fraction", "GC CPU", |v| {
        format!("{:.2}%", v * 100.0)
    }),
    ("stw_max_ns", "max pause", |v| format!("{:.1} us", v / 1e3)),
    ("peak_heap_bytes", "peak heap", |v| {
        format!("{:.1} MiB", v / f64::from(1 << 20))
    }),
    ("request_throughput_rps", "requests/s", |v| {
        format!("{v:.0}")
    }),
    ("request_p99_ns", "p99", |v| format!("{:.1} us", v / 1e3)),
];

/// The table of `rows` (a sweep's runs, seeds of a point consecutive) with the grid's
/// `axes` as its first columns; request columns only when the runs have requests.
pub fn summary_table(axes: &[String], rows: &[Row]) -> String {
    let mut points: Vec<&[Row]> = Vec::new();
    let mut i = 0;
    while i < rows.len() {
        let j = rows[i..]
            .iter()
            .position(|r| r.values != rows[i].values)
            .map_or(rows.len(), |k| i + k);
        points.push(&rows[i..j]);
        i = j;
    }
    let has_requests = rows
        .iter()
        .any(|r| r.metric("request_throughput_rps").is_some());
    let columns: Vec<_> = COLUMNS
        .iter()
        .filter(|(m, ..)| has_requests || !m.starts_with("request_"))
        .collect();
    let mut table: Vec<Vec<String>> = Vec::new();
    let mut head: Vec<String> = axes.to_vec();
    head.extend(columns.iter().map(|(_, h, _)| h.to_string()));
    table.push(head);
    for point in points.iter().take(MAX_LINES) {
        let mut line: Vec<String> = point[0].values.clone();
        for (metric, _, show) in &columns {
            let v: Vec<f64> = point.iter().filter_map(|r| r.metric(metric)).collect();
            line.push(if v.is_empty() {
                "-".to_string()
            } else {
                show(v.iter().sum::<f64>() / v.len() as f64)
            });
        }
        table.push(line);
    }
    let width: Vec<usize> = (0..table[0].len())
        .map(|c| {
            table
                .iter()
                .map(|l| l[c].chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut out = String::new();
    for line in &table {
        let cells: Vec<String> = line
            .iter()
            .zip(&width)
            .map(|(cell, &w)| format!("{cell:>w$}"))
            .collect();
        let _ = writeln!(out, "  {}", cells.join("  "));
    }
    if points.len() > MAX_LINES {
        let _ = writeln!(
            out,
            "  ... {} more points in points.csv",
            points.len() - MAX_LINES
        );
    }
    out
}
