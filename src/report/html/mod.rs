//! report.html: one self-contained page per result directory — the summary as a readable
//! table, every plot inline, the request latency, the map growth and GC cycle tables; for
//! `race` and `replay` Go's fatal message and a step-through of the schedule; for `sweep`
//! points.csv as a sortable table with its Pareto points; for `calibrate` the fit with its
//! errors. It is built from the files the commands wrote, so `gomemsim report DIR` makes
//! the same page for a result written before. Inline CSS, JS and SVG: no network, and the
//! tables and plots are there without JS.

mod collect;
mod figures;
mod format;
mod race;
mod table;

use std::path::{Path, PathBuf};

use minijinja::{Environment, context};

use super::ReportError;

/// Bytes as the page shows them (`24.6 KiB`), for the plots' keys to say the same.
pub(crate) use format::bytes as bytes_text;

/// The file name of the page.
pub const REPORT_HTML: &str = "report.html";

/// What a directory held that the page could not be made of.
#[derive(Debug, thiserror::Error)]
pub enum HtmlError {
    /// The directory holds none of the outputs a report shows.
    #[error(
        "{}: no gomemsim result here (summary.json, race.json, points.csv or fit.json)",
        .0.display()
    )]
    NotAResult(PathBuf),
    /// A file of the result could not be read or parsed.
    #[error("{}: {why}", path.display())]
    Unreadable {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        why: String,
    },
    /// The page could not be written.
    #[error(transparent)]
    Write(#[from] ReportError),
}

/// Writes `dir`/report.html from the result files in `dir`; returns its path.
pub fn write_report(dir: &Path) -> Result<PathBuf, HtmlError> {
    let html = render(dir)?;
    let path = dir.join(REPORT_HTML);
    super::write_atomic(&path, html.as_bytes()).map_err(|source| ReportError {
        path: path.clone(),
        source,
    })?;
    Ok(path)
}

/// The page of the result in `dir`.
pub fn render(dir: &Path) -> Result<String, HtmlError> {
    let page = collect::page(dir)?;
    let mut env = Environment::new();
    env.add_template("page.html", include_str!("page.html"))
        .expect("the page template parses");
    let tmpl = env.get_template("page.html").expect("added above");
    tmpl.render(context! {
        page => page,
        css => include_str!("page.css"),
        js => include_str!("page.js"),
    })
    .map_err(|e| HtmlError::Unreadable {
        path: dir.to_path_buf(),
        why: format!("the page could not be rendered: {e}"),
    })
}
