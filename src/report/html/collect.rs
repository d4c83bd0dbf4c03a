//! What the page shows, gathered from the files of a result directory.

use std::path::Path;

use serde::Serialize;
use serde_json::Value;

use super::HtmlError;
use super::figures::{Plot, plots};
use super::format::{Unit, format, label, unit_of};
use super::race::{RaceView, StepsView, race_view, steps_view};
use super::table::{Table, json_rows_table, json_rows_table_ordered, sweep_table, table};
use crate::report::plots::Table as Csv;

#[derive(Serialize, Default)]
pub(super) struct Page {
    title: String,
    kind: &'static str,
    /// The fatal error the run died of, and what the runtime would say of it.
    fatal: Option<Field>,
    /// The page this one is part of (calibrate's, for its simulated run and projection).
    parent: Option<Link>,
    summary: Vec<Field>,
    notes: Vec<String>,
    requests: Option<Table>,
    maps: Option<Table>,
    plots: Vec<Plot>,
    map_events: Option<Table>,
    /// summary.json's `slices`, a row per slice.
    slices: Option<Table>,
    /// slice_events.csv: each slice's growths.
    slice_events: Option<Table>,
    /// slice_growth.svg is among the plots.
    slice_plot: bool,
    gc_cycles: Option<Table>,
    race: Option<RaceView>,
    steps: Option<StepsView>,
    schedule_txt: Option<String>,
    sweep: Option<Table>,
    calibrate: Option<CalibrateView>,
    projection: Option<Table>,
    children: Vec<Link>,
    files: Vec<String>,
}

#[derive(Serialize)]
struct Field {
    label: String,
    value: String,
    raw: String,
}

#[derive(Serialize)]
struct Link {
    href: String,
    text: String,
}

#[derive(Serialize)]
struct CalibrateView {
    log: String,
    settings: Vec<Field>,
    rows: Vec<FitRow>,
    warnings: Vec<String>,
}

#[derive(Serialize)]
struct FitRow {
    quantity: String,
    observed: String,
    simulated: String,
    error: String,
    bad: bool,
}

pub(super) fn unreadable(path: &Path, why: impl std::fmt::Display) -> HtmlError {
    HtmlError::Unreadable {
        path: path.to_path_buf(),
        why: why.to_string(),
    }
}

pub(super) fn read_json(path: &Path) -> Result<Option<Value>, HtmlError> {
    match std::fs::read(path) {
        Ok(bytes) => serde_json::from_slice(&bytes)
            .map(Some)
            .map_err(|e| unreadable(path, format_args!("not the JSON gomemsim writes: {e}"))),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(unreadable(path, e)),
    }
}

pub(super) fn read_csv(path: &Path) -> Result<Option<Csv>, HtmlError> {
    if !path.is_file() {
        return Ok(None);
    }
    Csv::read(path).map_err(|e| unreadable(path, e))
}

/// The rows of `path` a page shows (the first [`MAX_ROWS`](super::table::MAX_ROWS)), the
/// others only counted: a run's gc_cycles.csv can hold millions.
fn read_csv_head(path: &Path) -> Result<Option<Csv>, HtmlError> {
    if !path.is_file() {
        return Ok(None);
    }
    Csv::read_head(path, super::table::MAX_ROWS).map_err(|e| unreadable(path, e))
}

/// A JSON value as the text a table shows, in the unit its field name implies.
pub(super) fn json_text(name: &str, v: &Value) -> String {
    match v {
        Value::Null => "none".to_string(),
        Value::String(s) => s.clone(),
        Value::Number(n) => format(&n.to_string(), unit_of(name)),
        Value::Bool(b) => if *b { "yes" } else { "no" }.to_string(),
        other => other.to_string(),
    }
}

pub(super) fn raw_text(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// What a field of a result file must be (`Value::is_string`...).
type KindCheck = fn(&Value) -> bool;

/// `file` in `dir` read as JSON, refused unless it is an object with each of `keys` (the
/// fields gomemsim writes first) of the kind `is` accepts.
pub(super) fn read_result(
    dir: &Path,
    file: &str,
    keys: &[(&str, KindCheck)],
) -> Result<Option<Value>, HtmlError> {
    let path = dir.join(file);
    let Some(v) = read_json(&path)? else {
        return Ok(None);
    };
    for (key, is) in keys {
        if !v.get(*key).is_some_and(is) {
            return Err(unreadable(
                &path,
                format_args!("not the {file} gomemsim writes: no `{key}` of the right kind"),
            ));
        }
    }
    Ok(Some(v))
}

pub(super) fn page(dir: &Path) -> Result<Page, HtmlError> {
    let mut page = Page::default();
    let summary = read_result(dir, "summary.json", &[("scenario", Value::is_string)])?;
    let race = read_result(
        dir,
        "race.json",
        &[
            ("scenario", Value::is_string),
            ("schedules", Value::is_u64),
            ("outcomes", Value::is_object),
        ],
    )?;
    let fit = read_result(dir, "fit.json", &[("settings", Value::is_object)])?;
    let points = read_csv(&dir.join("points.csv"))?;
    // Titles come from the files, never from the directory's path: the same result makes
    // the same page wherever it was written. read_result checked the scenario's name.
    fn name(v: &Value) -> &str {
        v.get("scenario")
            .and_then(Value::as_str)
            .unwrap_or_default()
    }
    if let Some(s) = &summary {
        let replay = s.get("token").is_some();
        page.kind = if replay { "replay" } else { "run" };
        page.title = format!("{} of {}", page.kind, name(s));
        run_summary(&mut page, s);
    }
    if let Some(r) = &race {
        page.kind = "race";
        page.title = format!("race of {}", name(r));
        page.race = Some(race_view(r));
    }
    if let Some(t) = &points {
        if page.kind.is_empty() {
            page.kind = "sweep";
            let axes: Vec<&str> = t
                .header
                .iter()
                .take_while(|h| *h != "seeds")
                .map(String::as_str)
                .collect();
            page.title = format!("sweep over {}", axes.join(" × "));
        }
        page.sweep = Some(sweep_table(t, &mut page.notes)?);
    }
    if let Some(f) = &fit {
        page.kind = "calibrate";
        let log = f.get("log").and_then(Value::as_str).unwrap_or("");
        let log = log.rsplit(['/', '\\']).next().unwrap_or(log);
        page.title = format!("calibrate on {log}");
        page.calibrate = Some(calibrate_view(f));
        if let Some(t) = read_csv(&dir.join("projection.csv"))? {
            page.projection = Some(table(&t, "projection", |_| ""));
        }
    }
    if page.kind.is_empty() {
        if let Some(shard) = read_json(&dir.join("shard.json"))? {
            let n = |k: &str| shard.get(k).map(raw_text).unwrap_or_default();
            return Err(unreadable(
                dir,
                format_args!(
                    "a shard of a sweep (shard {} of {}): merge the shards with `gomemsim merge \
                     DIR... --out DIR`, which writes the sweep's report.html",
                    n("shard"),
                    n("of")
                ),
            ));
        }
        return Err(HtmlError::NotAResult(dir.to_path_buf()));
    }
    if dir.join("../fit.json").is_file() {
        page.parent = Some(Link {
            href: format!("../{}", super::REPORT_HTML),
            text: "the calibration this is part of".into(),
        });
    }
    if let Some(steps) = read_result(
        dir,
        "steps.json",
        &[("steps", Value::is_array), ("goroutines", Value::is_array)],
    )? {
        page.steps = Some(steps_view(&steps));
    } else if let Ok(text) = std::fs::read_to_string(dir.join("schedule.txt")) {
        page.schedule_txt = Some(text);
        page.notes.push(
            "This result was written before steps.json existed: run the race or replay again \
             for the step-through."
                .into(),
        );
    }
    if let Some(t) = read_csv_head(&dir.join("map_events.csv"))?.filter(|t| !t.rows.is_empty()) {
        page.map_events = Some(table(&t, "map_events", |_| ""));
    }
    if page.slices.is_some() {
        if let Some(t) =
            read_csv_head(&dir.join("slice_events.csv"))?.filter(|t| !t.rows.is_empty())
        {
            page.slice_events = Some(text_columns_left(table(&t, "slice_events", |_| "")));
        }
    }
    if let Some(t) = read_csv_head(&dir.join("gc_cycles.csv"))?.filter(|t| !t.rows.is_empty()) {
        page.gc_cycles = Some(table(&t, "gc_cycles", |_| ""));
    }
    page.plots = plots(dir)?;
    page.slice_plot = page.slices.is_some() && page.plots.iter().any(|p| p.name == "slice_growth");
    if page.plots.is_empty() && (page.kind == "run" || page.kind == "sweep") {
        page.notes.push(
            "No plots here (--no-plots): `gomemsim plot` on this directory draws them, and \
             `gomemsim report` puts them on this page."
                .into(),
        );
    }
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .map_err(|e| unreadable(dir, e))?
        .filter_map(Result::ok)
        .collect();
    entries.sort_by_key(|e| e.file_name());
    for e in entries {
        let n = e.file_name().to_string_lossy().into_owned();
        if e.path().is_dir() {
            // calibrate's parts (the simulated run, the projection) are its own outputs; a
            // directory another command wrote inside a result is not part of its page.
            if page.kind == "calibrate" && e.path().join(super::REPORT_HTML).is_file() {
                page.children.push(Link {
                    href: format!("{n}/{}", super::REPORT_HTML),
                    text: n,
                });
            }
        } else if n != super::REPORT_HTML {
            page.files.push(n);
        }
    }
    Ok(page)
}

pub(super) fn run_summary(page: &mut Page, s: &Value) {
    let Some(obj) = s.as_object() else { return };
    let mut fields: Vec<(&String, &Value)> = obj.iter().collect();
    fields.sort_by_key(|(k, _)| super::format::order_of(k));
    for (k, v) in fields {
        match k.as_str() {
            "maps" | "requests" | "slices" | "scenario" | "fatal" | "fatal_detail" => {}
            _ if v.is_object() || v.is_array() => {}
            _ => page.summary.push(Field {
                label: label(k),
                value: json_text(k, v),
                raw: raw_text(v),
            }),
        }
    }
    if let Some(f) = obj.get("fatal").and_then(Value::as_str) {
        page.fatal = Some(Field {
            label: format!("fatal error: {f}"),
            value: obj.get("fatal_detail").map(raw_text).unwrap_or_default(),
            raw: String::new(),
        });
    }
    if obj.get("stopped_by_time_limit") == Some(&Value::Bool(true)) {
        page.notes.push(
            "The run was stopped by --time-limit: what it shows is what it simulated by then."
                .into(),
        );
    }
    if let Some(maps) = obj
        .get("maps")
        .and_then(Value::as_array)
        .filter(|m| !m.is_empty())
    {
        page.maps = Some(json_rows_table("maps", maps.iter().map(|m| ("", m))));
    }
    if let Some(slices) = obj
        .get("slices")
        .and_then(Value::as_object)
        .filter(|s| !s.is_empty())
    {
        page.slices = Some(text_columns_left(json_rows_table_ordered(
            "slices",
            SLICE_COLUMNS,
            slices.iter().map(|(name, v)| (name.as_str(), v)),
        )));
    }
    if let Some(req) = obj
        .get("requests")
        .and_then(Value::as_object)
        .filter(|r| !r.is_empty())
    {
        page.requests = Some(json_rows_table(
            "requests",
            req.iter().map(|(name, v)| (name.as_str(), v)),
        ));
    }
}

/// `t` with its columns of text (no number in any row: a slice's name, its element type)
/// aligned as text rather than as numbers.
fn text_columns_left(mut t: Table) -> Table {
    for (c, h) in t.headers.iter_mut().enumerate() {
        let number = |r: &super::table::Row| {
            r.cells
                .get(c)
                .is_some_and(|cell| cell.sort.trim().parse::<f64>().is_ok())
        };
        if h.numeric && !t.rows.iter().any(number) {
            h.numeric = false;
        }
    }
    t
}

/// The columns of the slices' table, in this order (a field summary.json may add later
/// comes after them).
const SLICE_COLUMNS: &[&str] = &[
    "elem",
    "len",
    "cap",
    "appends",
    "allocs",
    "alloc_bytes",
    "garbage_bytes",
];

fn calibrate_view(f: &Value) -> CalibrateView {
    let mut rows = Vec::new();
    if let Some(obj) = f.as_object() {
        for (k, v) in obj {
            let (Some(o), Some(s)) = (
                v.get("observed").and_then(Value::as_f64),
                v.get("simulated").and_then(Value::as_f64),
            ) else {
                continue;
            };
            let err = v
                .get("relative_error")
                .and_then(Value::as_f64)
                .unwrap_or(0.0);
            let unit = unit_of(k);
            rows.push(FitRow {
                quantity: label(k),
                observed: format(&o.to_string(), unit),
                simulated: format(&s.to_string(), unit),
                error: format!("{:+.1}%", err * 100.0),
                bad: err.abs() > crate::calibrate::warnings::ERROR_LIMIT,
            });
        }
    }
    let mut settings = Vec::new();
    if let Some(s) = f.get("settings").and_then(Value::as_object) {
        for (k, v) in s {
            let (value, source) = match v {
                Value::Object(o) => (
                    o.get("value").map(raw_text).unwrap_or_default(),
                    o.get("source").map(raw_text).unwrap_or_default(),
                ),
                other => (raw_text(other), String::new()),
            };
            // fit.json gives the limit in bytes; the page, as the terminal, in MiB.
            let value = match k.as_str() {
                "gomemlimit" => format(&value, Unit::Bytes),
                _ => value,
            };
            settings.push(Field {
                label: k.clone(),
                value,
                raw: source,
            });
        }
    }
    CalibrateView {
        log: f.get("log").map(raw_text).unwrap_or_default(),
        settings,
        rows,
        warnings: f
            .get("warnings")
            .and_then(Value::as_array)
            .map(|a| a.iter().map(raw_text).collect())
            .unwrap_or_default(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fitted_limit_reads_in_mib_and_off_stays_off() {
        let fit = serde_json::json!({
            "log": "gctrace.txt",
            "settings": {
                "gogc": { "value": 100, "source": "inferred" },
                "gomemlimit": { "value": 100663296u64, "source": "inferred" },
            }
        });
        let view = calibrate_view(&fit);
        let limit = view
            .settings
            .iter()
            .find(|f| f.label == "gomemlimit")
            .unwrap();
        assert_eq!(
            (limit.value.as_str(), limit.raw.as_str()),
            ("96.0 MiB", "inferred")
        );
        let gogc = view.settings.iter().find(|f| f.label == "gogc").unwrap();
        assert_eq!(gogc.value, "100");
        let off = serde_json::json!({ "settings": { "gomemlimit": { "value": "off" } } });
        assert_eq!(calibrate_view(&off).settings[0].value, "off");
    }
}
