//! `calibrate`'s outputs: fit.json (the fitted settings and, per quantity, the observed and
//! the simulated value) and projection.csv (the fitted scenario under other settings).

use serde_json::{Map, Value, json};

use super::{Fit, compare};
use crate::scenario::{Gogc, MemLimit};
use crate::sweep::Row;

/// What the log held besides the cycles the fit used.
#[derive(Debug, Clone, Default)]
pub struct LogNotes {
    /// The log file as given.
    pub log: String,
    /// Lines that were not GC cycle lines (scavenger, program output, ...).
    pub other_lines: usize,
    /// Program runs in the log (a `gc 1` after other cycles starts a new one); the fit uses
    /// the longest.
    pub runs: usize,
    /// Distinct fields the parser did not know, carried verbatim.
    pub unknown_fields: Vec<String>,
    /// What the fit does not know, in words ([`super::warnings`]).
    pub warnings: Vec<String>,
}

fn gogc_value(g: Gogc) -> Value {
    match g {
        Gogc::Off => json!("off"),
        Gogc::Percent(p) => json!(p),
    }
}

fn limit_value(l: MemLimit) -> Value {
    match l {
        MemLimit::Off => json!("off"),
        MemLimit::Limit(b) => json!(b.0),
    }
}

/// fit.json: the log, the settings with their source, the warnings, then one object per
/// quantity (`gc_cycles`, `mean_heap_goal_bytes`, `stw_total_ns`, `gc_cpu_fraction`, ...)
/// holding `observed`, `simulated` and `relative_error`.
pub fn fit_json(fit: &Fit, notes: &LogNotes) -> String {
    let rt = &fit.scenario.runtime;
    let mut m = Map::new();
    m.insert("log".into(), json!(notes.log));
    m.insert("cycles_used".into(), json!(fit.observed.gc_cycles));
    m.insert("from_program_start".into(), json!(fit.from_start));
    m.insert("warmup_cycles_skipped".into(), json!(fit.warmup_cycles));
    m.insert("forced_cycles".into(), json!(fit.forced_cycles));
    m.insert("runs_in_log".into(), json!(notes.runs));
    m.insert("other_lines".into(), json!(notes.other_lines));
    m.insert("unknown_fields".into(), json!(notes.unknown_fields));
    m.insert("warnings".into(), json!(notes.warnings));
    m.insert(
        "settings".into(),
        json!({
            "go": rt.go,
            "gomaxprocs": { "value": rt.gomaxprocs, "source": fit.gomaxprocs_source.as_str() },
            "gogc": { "value": gogc_value(rt.gogc), "source": fit.gogc_source.as_str() },
            "gomemlimit": {
                "value": limit_value(rt.gomemlimit),
                "source": fit.gomemlimit_source.as_str()
            },
        }),
    );
    for (name, c) in compare(&fit.observed, &fit.simulated) {
        let err = if c.relative_error.is_finite() {
            json!(c.relative_error)
        } else {
            Value::Null
        };
        m.insert(
            name.into(),
            json!({ "observed": c.observed, "simulated": c.simulated, "relative_error": err }),
        );
    }
    let mut s = serde_json::to_string_pretty(&Value::Object(m)).unwrap_or_default();
    s.push('\n');
    s
}

/// projection.csv's metric columns, after the settings' own.
pub const PROJECTION_COLUMNS: [&str; 10] = [
    "gc_cycles",
    "cycles_per_gib",
    "gc_cpu_fraction",
    "peak_heap_bytes",
    "stw_total_ns",
    "stw_max_ns",
    "stw_p99_ns",
    "peak_total_bytes",
    "mutator_utilization",
    "fatal",
];

/// projection.csv: one row per projected setting, in grid order: the settings' fields, then
/// [`PROJECTION_COLUMNS`].
pub fn projection_csv(axes: &[String], rows: &[Row]) -> Vec<u8> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let mut header: Vec<&str> = axes.iter().map(String::as_str).collect();
    header.extend(PROJECTION_COLUMNS);
    let _ = w.write_record(&header);
    for r in rows {
        let mut rec: Vec<String> = r.values.clone();
        for col in PROJECTION_COLUMNS {
            let v = match col {
                "fatal" => r.fatal.clone(),
                "cycles_per_gib" => match (r.metric("gc_cycles"), r.metric("total_alloc_bytes")) {
                    (Some(n), Some(b)) if b > 0.0 => {
                        format!("{:.4}", n / (b / (1u64 << 30) as f64))
                    }
                    _ => String::new(),
                },
                _ => {
                    let i = crate::sweep::table::METRICS.iter().position(|m| *m == col);
                    i.map_or(String::new(), |i| r.metrics[i].clone())
                }
            };
            rec.push(v);
        }
        let _ = w.write_record(&rec);
    }
    w.into_inner().unwrap_or_default()
}
