//! What the page shows, gathered from the files of a result directory.

use std::path::Path;

use serde::Serialize;
use serde_json::Value;

use super::HtmlError;
use super::format::{Unit, format, label, unit_of};
use crate::report::plots::Table as Csv;

/// Rows a table shows before it says how many more its file has.
const MAX_ROWS: usize = 2000;
/// An SVG larger than this is shown as its PNG, so the page stays small.
const MAX_INLINE_SVG: u64 = 2 << 20;

#[derive(Serialize, Default)]
pub(super) struct Page {
    title: String,
    kind: &'static str,
    summary: Vec<Field>,
    notes: Vec<String>,
    requests: Option<Table>,
    maps: Option<Table>,
    plots: Vec<Plot>,
    map_events: Option<Table>,
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
pub(super) struct Table {
    id: String,
    file: String,
    headers: Vec<Header>,
    rows: Vec<Row>,
    /// Rows in the file, of which `rows` shows the first.
    total: usize,
}

#[derive(Serialize)]
pub(super) struct Header {
    text: String,
    title: String,
    numeric: bool,
}

#[derive(Serialize)]
struct Row {
    cells: Vec<Cell>,
    class: &'static str,
}

#[derive(Serialize)]
struct Cell {
    text: String,
    /// The raw value, for sorting.
    sort: String,
    class: &'static str,
}

#[derive(Serialize)]
struct Plot {
    name: String,
    caption: &'static str,
    svg: Option<String>,
    png: Option<String>,
}

#[derive(Serialize)]
struct Link {
    href: String,
    text: String,
}

#[derive(Serialize)]
struct RaceView {
    strategy: String,
    schedules: String,
    outcomes: Vec<Outcome>,
    data_races: String,
    corrupted: String,
    failures: Vec<Failure>,
}

#[derive(Serialize)]
struct Outcome {
    outcome: String,
    count: String,
    share: String,
    fatal: bool,
}

#[derive(Serialize)]
struct Failure {
    what: &'static str,
    token: String,
    fatal: String,
    goroutine: String,
    steps: String,
    preemptions: String,
}

#[derive(Serialize)]
struct StepsView {
    /// steps.json, made safe to sit inside a script element.
    json: String,
    replay: String,
    fatal: Option<String>,
    race: Option<String>,
    corruption: Vec<String>,
    total_steps: u64,
    rows: Vec<StepRow>,
}

#[derive(Serialize)]
struct StepRow {
    i: u64,
    t: String,
    goroutine: String,
    p: u64,
    map: String,
    step: String,
    flag: String,
    home: String,
    source: String,
    code: String,
    marks: String,
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

fn unreadable(path: &Path, why: impl std::fmt::Display) -> HtmlError {
    HtmlError::Unreadable {
        path: path.to_path_buf(),
        why: why.to_string(),
    }
}

fn read_json(path: &Path) -> Result<Option<Value>, HtmlError> {
    match std::fs::read(path) {
        Ok(bytes) => serde_json::from_slice(&bytes)
            .map(Some)
            .map_err(|e| unreadable(path, format_args!("not the JSON gomemsim writes: {e}"))),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(unreadable(path, e)),
    }
}

fn read_csv(path: &Path) -> Result<Option<Csv>, HtmlError> {
    if !path.is_file() {
        return Ok(None);
    }
    Csv::read(path).map_err(|e| unreadable(path, e))
}

/// A JSON value as the text a table shows, in the unit its field name implies.
fn json_text(name: &str, v: &Value) -> String {
    match v {
        Value::Null => "none".to_string(),
        Value::String(s) => s.clone(),
        Value::Number(n) => format(&n.to_string(), unit_of(name)),
        Value::Bool(b) => if *b { "yes" } else { "no" }.to_string(),
        other => other.to_string(),
    }
}

fn raw_text(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

pub(super) fn page(dir: &Path) -> Result<Page, HtmlError> {
    let mut page = Page::default();
    let summary = read_json(&dir.join("summary.json"))?;
    let race = read_json(&dir.join("race.json"))?;
    let fit = read_json(&dir.join("fit.json"))?;
    let points = read_csv(&dir.join("points.csv"))?;
    let name = |v: &Option<Value>| {
        v.as_ref()
            .and_then(|v| v.get("scenario"))
            .and_then(Value::as_str)
            .map(str::to_string)
    };
    // Titles come from the files, never from the directory's path: the same result makes
    // the same page wherever it was written.
    let dir_name = "this directory".to_string();
    if let Some(s) = &summary {
        let replay = s.get("token").is_some();
        page.kind = if replay { "replay" } else { "run" };
        page.title = format!(
            "{} of {}",
            page.kind,
            name(&summary).unwrap_or_else(|| dir_name.clone())
        );
        run_summary(&mut page, s);
    }
    if let Some(r) = &race {
        page.kind = "race";
        page.title = format!(
            "race of {}",
            name(&race).unwrap_or_else(|| dir_name.clone())
        );
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
        page.sweep = Some(sweep_table(t));
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
        return Err(HtmlError::NotAResult(dir.to_path_buf()));
    }
    if let Some(steps) = read_json(&dir.join("steps.json"))? {
        let text = std::fs::read_to_string(dir.join("steps.json"))
            .map_err(|e| unreadable(&dir.join("steps.json"), e))?;
        page.steps = Some(steps_view(&steps, &text));
    } else if let Ok(text) = std::fs::read_to_string(dir.join("schedule.txt")) {
        page.schedule_txt = Some(text);
    }
    if let Some(t) = read_csv(&dir.join("map_events.csv"))?.filter(|t| !t.rows.is_empty()) {
        page.map_events = Some(table(&t, "map_events", |_| ""));
    }
    if let Some(t) = read_csv(&dir.join("gc_cycles.csv"))?.filter(|t| !t.rows.is_empty()) {
        page.gc_cycles = Some(table(&t, "gc_cycles", |_| ""));
    }
    page.plots = plots(dir)?;
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

fn run_summary(page: &mut Page, s: &Value) {
    let Some(obj) = s.as_object() else { return };
    let mut fields: Vec<(String, &Value)> = obj.iter().map(|(k, v)| (k.clone(), v)).collect();
    super::format::in_order(&mut fields);
    for (k, v) in fields {
        match k.as_str() {
            "maps" | "requests" | "scenario" => {}
            "fatal" if v.is_null() => {}
            _ if v.is_object() || v.is_array() => {}
            _ => page.summary.push(Field {
                label: label(&k),
                value: json_text(&k, v),
                raw: raw_text(v),
            }),
        }
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

/// A table of JSON objects, one row each (with a leading `name` column when given).
fn json_rows_table<'a>(id: &str, rows: impl Iterator<Item = (&'a str, &'a Value)>) -> Table {
    let rows: Vec<(&str, &Value)> = rows.collect();
    let mut keys: Vec<(String, ())> = Vec::new();
    for (_, v) in &rows {
        for k in v.as_object().into_iter().flat_map(|o| o.keys()) {
            if !keys.iter().any(|(have, _)| have == k) {
                keys.push((k.clone(), ()));
            }
        }
    }
    super::format::in_order(&mut keys);
    let keys: Vec<String> = keys.into_iter().map(|(k, _)| k).collect();
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
        title: k.clone(),
        numeric: !matches!(unit_of(k), Unit::Plain),
    }));
    let body = rows
        .iter()
        .map(|(n, v)| {
            let mut cells = Vec::new();
            if named {
                cells.push(Cell {
                    text: n.to_string(),
                    sort: n.to_string(),
                    class: "",
                });
            }
            for k in &keys {
                let x = v.get(k).unwrap_or(&Value::Null);
                cells.push(Cell {
                    text: json_text(k, x),
                    sort: raw_text(x),
                    class: "",
                });
            }
            Row { cells, class: "" }
        })
        .collect::<Vec<_>>();
    Table {
        id: id.into(),
        file: String::new(),
        total: body.len(),
        headers,
        rows: body,
    }
}

/// A CSV file as a table, each column in the unit its name implies; `class` marks rows.
fn table(t: &Csv, id: &str, class: impl Fn(usize) -> &'static str) -> Table {
    let units: Vec<Unit> = t.header.iter().map(|h| unit_of(h)).collect();
    let rows = t
        .rows
        .iter()
        .take(MAX_ROWS)
        .enumerate()
        .map(|(r, row)| Row {
            cells: row
                .iter()
                .enumerate()
                .map(|(c, v)| Cell {
                    text: format(v, units.get(c).copied().unwrap_or(Unit::Plain)),
                    sort: v.clone(),
                    class: "",
                })
                .collect(),
            class: class(r),
        })
        .collect();
    Table {
        id: id.into(),
        file: t
            .path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default(),
        headers: t
            .header
            .iter()
            .zip(&units)
            .map(|(h, u)| Header {
                text: h.clone(),
                title: String::new(),
                numeric: *u != Unit::Plain,
            })
            .collect(),
        rows,
        total: t.rows.len(),
    }
}

/// points.csv with its Pareto points marked: those no other point beats on throughput and
/// total stop-the-world time, as stw_vs_throughput draws them.
fn sweep_table(t: &Csv) -> Table {
    let num = |r: usize, name: &str| {
        t.col(name)
            .ok()
            .and_then(|c| t.num(r, c).ok())
            .filter(|v| v.is_finite())
    };
    let thr = |r| {
        num(r, "request_throughput_rps_mean")
            .or_else(|| num(r, "alloc_throughput_bytes_per_s_mean"))
    };
    let pts: Vec<Option<(f64, f64)>> = (0..t.rows.len())
        .map(|r| Some((thr(r)?, num(r, "stw_total_ns_mean")?)))
        .collect();
    let all: Vec<(f64, f64)> = pts.iter().flatten().copied().collect();
    let front = crate::report::plots::pareto_front(&all);
    let mut out = table(t, "points", |r| match pts[r] {
        Some(p) if front.contains(&p) => "pareto",
        _ => "",
    });
    // The axes, the seeds and each quantity's mean over them; points.csv also has the
    // median, p99 and max of each.
    let keep: Vec<usize> = t
        .header
        .iter()
        .enumerate()
        .filter(|&(i, h)| {
            let stat = ["_p50", "_p99", "_max"].iter().any(|s| h.ends_with(s));
            let filled = t
                .rows
                .iter()
                .any(|r| r.get(i).is_some_and(|v| !v.is_empty()));
            !stat && filled
        })
        .map(|(i, _)| i)
        .collect();
    out.headers = keep
        .iter()
        .map(|&i| {
            let h = &t.header[i];
            let (text, title) = match h.strip_suffix("_mean") {
                Some(base) => (format!("{} (mean)", label(base)), h.clone()),
                None => (h.clone(), String::new()),
            };
            Header {
                text,
                title,
                numeric: unit_of(h) != Unit::Plain,
            }
        })
        .collect();
    for row in &mut out.rows {
        let cells = std::mem::take(&mut row.cells);
        row.cells = cells
            .into_iter()
            .enumerate()
            .filter(|(i, _)| keep.contains(i))
            .map(|(_, c)| c)
            .collect();
    }
    out
}

fn race_view(r: &Value) -> RaceView {
    let n = |k: &str| r.get(k).and_then(Value::as_u64).unwrap_or(0);
    let schedules = n("schedules");
    let outcomes = r
        .get("outcomes")
        .and_then(Value::as_object)
        .map(|o| {
            o.iter()
                .map(|(k, v)| {
                    let c = v.as_u64().unwrap_or(0);
                    Outcome {
                        outcome: k.clone(),
                        count: format(&c.to_string(), Unit::Count),
                        share: format!("{:.1}%", c as f64 * 100.0 / schedules.max(1) as f64),
                        fatal: k != "ok",
                    }
                })
                .collect()
        })
        .unwrap_or_default();
    let failures = [
        ("shrunk failure", "shrunk_failure"),
        ("first failure", "first_failure"),
        ("first data race Go's check missed", "first_silent_race"),
    ]
    .into_iter()
    .filter_map(|(what, key)| {
        let f = r.get(key).filter(|f| f.is_object())?;
        let s = |k: &str| f.get(k).map(raw_text).unwrap_or_default();
        Some(Failure {
            what,
            token: s("token"),
            fatal: s("fatal"),
            goroutine: s("goroutine"),
            steps: s("steps"),
            preemptions: s("preemptions"),
        })
    })
    .collect();
    RaceView {
        strategy: r.get("strategy").map(raw_text).unwrap_or_default(),
        schedules: format(&schedules.to_string(), Unit::Count),
        outcomes,
        data_races: format(&n("data_races").to_string(), Unit::Count),
        corrupted: format(&n("corrupted").to_string(), Unit::Count),
        failures,
    }
}

fn steps_view(s: &Value, text: &str) -> StepsView {
    let names: Vec<String> = s
        .get("goroutines")
        .and_then(Value::as_array)
        .map(|a| a.iter().map(raw_text).collect())
        .unwrap_or_default();
    let maps: Vec<&Value> = s
        .get("maps")
        .and_then(Value::as_array)
        .map(|a| a.iter().collect())
        .unwrap_or_default();
    let str_of = |v: &Value, k: &str| v.get(k).and_then(Value::as_str).unwrap_or("").to_string();
    let rows = s
        .get("steps")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .map(|st| {
                    let u = |k: &str| st.get(k).and_then(Value::as_u64);
                    let map = u("map").and_then(|m| maps.get(m as usize).copied());
                    let flag = match (
                        st.get("flag_before").and_then(Value::as_bool),
                        st.get("flag_after").and_then(Value::as_bool),
                        map,
                    ) {
                        (Some(b), Some(a), Some(m)) => {
                            format!("{} {}→{}", str_of(m, "flag"), b as u8, a as u8)
                        }
                        _ => String::new(),
                    };
                    let home = match (u("home"), map) {
                        (Some(h), Some(m)) => format!("{} {h}", str_of(m, "home")),
                        _ => String::new(),
                    };
                    let file = str_of(st, "file");
                    StepRow {
                        i: u("i").unwrap_or(0),
                        t: format(&u("t_ns").unwrap_or(0).to_string(), Unit::Nanoseconds),
                        goroutine: u("goroutine")
                            .and_then(|g| names.get(g as usize).cloned())
                            .unwrap_or_default(),
                        p: u("p").unwrap_or(0),
                        map: map.map(|m| str_of(m, "name")).unwrap_or_default(),
                        step: str_of(st, "step"),
                        flag,
                        home,
                        source: if file.is_empty() {
                            String::new()
                        } else {
                            format!("{file}: {}", str_of(st, "function"))
                        },
                        code: str_of(st, "code"),
                        marks: st
                            .get("marks")
                            .and_then(Value::as_array)
                            .map(|m| m.iter().map(raw_text).collect::<Vec<_>>().join("; "))
                            .unwrap_or_default(),
                    }
                })
                .collect()
        })
        .unwrap_or_default();
    StepsView {
        // Inside <script>, only "</" can end the element early; JSON allows "<\/".
        json: text.replace("</", "<\\/"),
        replay: str_of(s, "replay"),
        fatal: s.get("fatal").and_then(Value::as_str).map(str::to_string),
        race: s.get("race").and_then(Value::as_str).map(str::to_string),
        corruption: s
            .get("corruption")
            .and_then(Value::as_array)
            .map(|a| a.iter().map(raw_text).collect())
            .unwrap_or_default(),
        total_steps: s.get("total_steps").and_then(Value::as_u64).unwrap_or(0),
        rows,
    }
}

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
                bad: err.abs() > 0.10,
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

/// What each plot shows, in a sentence.
fn caption(name: &str) -> &'static str {
    match name {
        "heap_timeline" => "Heap in use, the heap goal and the GC's mark phases over virtual time.",
        "map_growth" => {
            "Each map's buckets (or Swiss tables) against the keys inserted: where it grows."
        }
        "map_compare" => "The classic and the Swiss-table map side by side.",
        "swimlane" => "The schedule: one lane per goroutine that took a step, its steps in order.",
        "stw_vs_throughput" => {
            "Stop-the-world time against throughput, one numbered point per grid point; the Pareto points are joined."
        }
        "gc_cost_vs_gogc" => "GC cost (CPU share and cycles) against GOGC.",
        "pause_heatmap" => {
            "Longest stop-the-world pause per grid point, one panel per memory limit."
        }
        "latency_vs_gogc" => "Request latency percentiles against GOGC.",
        _ => "",
    }
}

fn plots(dir: &Path) -> Result<Vec<Plot>, HtmlError> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .map_err(|e| unreadable(dir, e))?
        .filter_map(Result::ok)
        .filter_map(|e| {
            let n = e.file_name().to_string_lossy().into_owned();
            n.strip_suffix(".svg").map(str::to_string)
        })
        .collect();
    names.sort();
    let mut out = Vec::new();
    for name in names {
        let svg_path = dir.join(format!("{name}.svg"));
        let png_path = dir.join(format!("{name}.png"));
        let size = std::fs::metadata(&svg_path).map(|m| m.len()).unwrap_or(0);
        let (svg, png) = if size <= MAX_INLINE_SVG {
            let text = std::fs::read_to_string(&svg_path).map_err(|e| unreadable(&svg_path, e))?;
            (Some(strip_prolog(&text).to_string()), None)
        } else if png_path.is_file() {
            use base64::Engine as _;
            let bytes = std::fs::read(&png_path).map_err(|e| unreadable(&png_path, e))?;
            let b64 = base64::engine::general_purpose::STANDARD.encode(bytes);
            (None, Some(format!("data:image/png;base64,{b64}")))
        } else {
            (None, None)
        };
        out.push(Plot {
            caption: caption(&name),
            name,
            svg,
            png,
        });
    }
    Ok(out)
}

/// An SVG file's markup without its XML declaration, to sit inside HTML.
fn strip_prolog(svg: &str) -> &str {
    match svg.find("<svg") {
        Some(i) => &svg[i..],
        None => svg,
    }
}
