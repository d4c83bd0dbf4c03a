//! The on-disk side of a sweep: each finished run is written atomically to its own file
//! under `<out>/.runs/`, so a killed sweep leaves only whole runs behind and `--resume`
//! skips them; the final CSVs are assembled, written atomically, and the journal removed.

use std::path::{Path, PathBuf};

use super::table::{Row, rows_from_csv, sweep_csv};
use crate::report::{ReportError, write_atomic};

/// The journal directory of a sweep writing into `out`.
pub fn dir(out: &Path) -> PathBuf {
    out.join(".runs")
}

fn io(path: &Path, source: std::io::Error) -> ReportError {
    ReportError {
        path: path.to_path_buf(),
        source,
    }
}

/// Records a finished run.
pub fn record(out: &Path, axes: &[String], row: &Row) -> Result<(), ReportError> {
    let d = dir(out);
    std::fs::create_dir_all(&d).map_err(|e| io(&d, e))?;
    let path = d.join(format!("{}.csv", row.run));
    write_atomic(&path, &sweep_csv(axes, std::slice::from_ref(row))).map_err(|e| io(&path, e))
}

/// The runs already recorded for the same axes (unreadable or foreign files are ignored:
/// those runs simply run again).
pub fn load(out: &Path, axes: &[String]) -> Vec<Row> {
    let Ok(entries) = std::fs::read_dir(dir(out)) else {
        return Vec::new();
    };
    let mut rows = Vec::new();
    for e in entries.flatten() {
        let p = e.path();
        if p.extension().is_none_or(|x| x != "csv") {
            continue;
        }
        if let Ok(bytes) = std::fs::read(&p)
            && let Ok((a, mut r)) = rows_from_csv(&bytes)
            && a == axes
            && r.len() == 1
        {
            rows.push(r.remove(0));
        }
    }
    rows.sort_by_key(|r| r.run);
    rows.dedup_by_key(|r| r.run);
    rows
}

/// Removes the journal of a finished sweep.
pub fn clear(out: &Path) {
    let _ = std::fs::remove_dir_all(dir(out));
}
