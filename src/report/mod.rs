//! Outputs of a run, as DESIGN.md fixes them: summary.json, map_events.csv, and the short
//! human summary. Reports read outcomes; they never drive the simulation. Files are written
//! atomically, so an interrupted run never leaves half a file.

mod atomic;
mod gc_cycles;
mod gctrace;
pub mod gotrace;
pub mod html;
mod latency;
mod map_events;
mod metrics;
pub mod plots;
mod pprof;
mod race;
mod schedule;
mod slices;
mod steps;
mod summary;
mod swimlane;

pub use atomic::{write_atomic, write_atomic_with};
pub use gc_cycles::{gc_cycles_csv, write_gc_cycles_csv};
pub use gctrace::{gctrace_line, gctrace_text, write_gctrace};
pub use map_events::map_events_csv;
pub use metrics::{metrics_om, metrics_om_of};
pub use pprof::allocs_pb_gz;
pub use race::{race_json, replay_summary_json, trace_map_events_csv};
pub use schedule::schedule_txt;
pub use slices::{slice_events_csv, trace_slice_events_csv};
pub use steps::steps_json;
pub use summary::{human_summary, pause_stats, summary_json};
pub use swimlane::swimlane_svg;

use std::path::{Path, PathBuf};

use crate::engine::Outcome;

/// How Go prints the error a program died of: `panic: runtime error: …` for a runtime
/// panic (runtime/error.go: errorString), else `fatal error: …` (runtime/panic.go: throw).
pub fn fatal_line(message: &str) -> String {
    if message.starts_with("runtime error: ") {
        format!("panic: {message}")
    } else {
        format!("fatal error: {message}")
    }
}

/// `n` and `word`, with an `s` unless `n` is 1: "1 preemption", "2 preemptions".
pub fn plural(n: u64, word: &str) -> String {
    if n == 1 {
        format!("1 {word}")
    } else {
        format!("{n} {word}s")
    }
}

/// An output that could not be written.
#[derive(Debug, thiserror::Error)]
#[error("cannot write {}: {source}", path.display())]
pub struct ReportError {
    /// The file or directory that could not be written.
    pub path: PathBuf,
    /// The I/O error.
    #[source]
    pub source: std::io::Error,
}

/// Writes every output of `gomemsim run` into `dir` (created if needed): summary.json,
/// gc_cycles.csv, gctrace.txt, map_events.csv and scenario.toml (the scenario as run,
/// overrides applied). Returns the paths written, in order.
pub fn write_run(
    dir: &Path,
    outcome: &Outcome,
    scenario_toml: &str,
) -> Result<Vec<PathBuf>, ReportError> {
    std::fs::create_dir_all(dir).map_err(|source| ReportError {
        path: dir.to_path_buf(),
        source,
    })?;
    // One row or line per GC cycle, up to millions: streamed to their files.
    let stream = |name: &str, csv: bool| {
        let path = dir.join(name);
        write_atomic_with(&path, |w| {
            if csv {
                write_gc_cycles_csv(w, &outcome.gc)
            } else {
                write_gctrace(w, &outcome.gc)
            }
        })
        .map(|()| path.clone())
        .map_err(|source| ReportError { path, source })
    };
    let mut written = write_files(dir, &[("summary.json", summary_json(outcome).into_bytes())])?;
    written.push(stream("gc_cycles.csv", true)?);
    written.push(stream("gctrace.txt", false)?);
    let mut files: Vec<(&str, Vec<u8>)> = vec![
        ("map_events.csv", map_events_csv(outcome)),
        ("map_ops.csv", map_events::map_ops_csv(outcome)),
        ("scenario.toml", scenario_toml.as_bytes().to_vec()),
    ];
    if !outcome.requests.is_empty() {
        files.push(("latency.csv", latency::latency_csv(outcome)));
    }
    if !outcome.slices.is_empty() {
        files.push(("slice_events.csv", slice_events_csv(outcome)));
    }
    for (name, bytes) in files {
        let path = dir.join(name);
        write_atomic(&path, &bytes).map_err(|source| ReportError {
            path: path.clone(),
            source,
        })?;
        written.push(path);
    }
    Ok(written)
}

/// Data files `run` writes only for some scenarios or flags: a later run into the same
/// directory removes those it did not write before it draws, so that the directory, its
/// plots and its page are all of one run ...
pub const RUN_OPTIONAL_DATA: [&str; 5] = [
    "latency.csv",
    "slice_events.csv",
    "allocs.pb.gz",
    "trace.out",
    "metrics.om",
];

/// ... and the plots it draws only from some of its files, removed after it has drawn.
pub const RUN_OPTIONAL_PLOTS: [&str; 8] = [
    "heap_timeline.svg",
    "heap_timeline.png",
    "map_growth.svg",
    "map_growth.png",
    "map_compare.svg",
    "map_compare.png",
    "slice_growth.svg",
    "slice_growth.png",
];

/// Removes from `dir` each of `names` that is there but not among `written`: what an
/// earlier command left that this one did not write again.
pub fn remove_stale(dir: &Path, names: &[&str], written: &[PathBuf]) -> Result<(), ReportError> {
    for name in names {
        let path = dir.join(name);
        if path.exists() && !written.contains(&path) {
            std::fs::remove_file(&path).map_err(|source| ReportError {
                path: path.clone(),
                source,
            })?;
        }
    }
    Ok(())
}

/// Writes `files` (name, bytes) into `dir` (created if needed), each atomically.
pub fn write_files(dir: &Path, files: &[(&str, Vec<u8>)]) -> Result<Vec<PathBuf>, ReportError> {
    std::fs::create_dir_all(dir).map_err(|source| ReportError {
        path: dir.to_path_buf(),
        source,
    })?;
    let mut written = Vec::with_capacity(files.len());
    for (name, bytes) in files {
        let path = dir.join(name);
        write_atomic(&path, bytes).map_err(|source| ReportError {
            path: path.clone(),
            source,
        })?;
        written.push(path);
    }
    Ok(written)
}
