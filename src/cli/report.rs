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
    // Every directory gets its try; the errors are said at the end, and make the exit 2.
    let mut failed = Vec::new();
    for d in &args.dirs {
        let done = if !d.exists() {
            Err(gomemsim::Error::Usage(format!(
                "{}: no such directory",
                d.display()
            )))
        } else if !d.is_dir() {
            Err(gomemsim::Error::Usage(format!(
                "{}: not a directory (give the directory a command wrote its results in)",
                d.display()
            )))
        } else {
            write_tree(d)
        };
        match done {
            Ok(paths) if !args.quiet => paths.iter().for_each(|p| say!("wrote {}", p.display())),
            Ok(_) => {}
            Err(e) => failed.push(e),
        }
    }
    match failed.len() {
        0 => Ok(ExitCode::SUCCESS),
        1 => Err(failed.remove(0)),
        _ => {
            let last = failed.pop().expect("two or more");
            for e in failed {
                eprintln!("error: {e}");
            }
            Err(last)
        }
    }
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
