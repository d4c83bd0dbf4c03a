//! `gomemsim report DIR...`: report.html for result directories written before (by `run`,
//! `replay`, `race`, `sweep`, `merge` or `calibrate`), from their files alone.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;
use gomemsim::report::html;

#[derive(Debug, Args)]
pub struct ReportArgs {
    /// Result directories; each gets its report.html (and so does each directory inside it
    /// that holds a result, so a calibrate or sweep directory links to its parts).
    #[arg(required = true)]
    dirs: Vec<PathBuf>,
    /// Print nothing but errors.
    #[arg(long, short)]
    quiet: bool,
}

pub fn report(args: &ReportArgs) -> Result<ExitCode, gomemsim::Error> {
    for d in &args.dirs {
        if !d.is_dir() {
            return Err(gomemsim::Error::Usage(format!(
                "{}: not a directory (give the directory a command wrote its results in)",
                d.display()
            )));
        }
        for path in write_tree(d)? {
            if !args.quiet {
                say!("wrote {}", path.display());
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// report.html for `dir` and for each result directory inside it, the inner ones first so
/// that the outer page links to them. `dir` itself must hold a result.
pub(super) fn write_tree(dir: &std::path::Path) -> Result<Vec<PathBuf>, gomemsim::Error> {
    let mut written = Vec::new();
    let mut inner: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|r| {
            r.filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| p.is_dir())
                .collect()
        })
        .unwrap_or_default();
    inner.sort();
    for d in inner {
        match html::write_report(&d) {
            Ok(p) => written.push(p),
            Err(html::HtmlError::NotAResult(_)) => {}
            Err(e) => return Err(e.into()),
        }
    }
    written.push(html::write_report(dir)?);
    Ok(written)
}
