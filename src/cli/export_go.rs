//! `gomemsim export-go FILE [--out PATH]`: the scenario's workload as a Go program (main.go),
//! to run on a real toolchain; on stdout, or written atomically to PATH.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;
use gomemsim::ScenarioError;
use gomemsim::report::{ReportError, write_atomic};

use super::ScenarioArgs;

#[derive(Debug, Args)]
pub struct ExportGoArgs {
    #[command(flatten)]
    scenario: ScenarioArgs,
    /// Write the program to PATH (atomically; its directory is created) instead of stdout.
    #[arg(long, value_name = "PATH")]
    out: Option<PathBuf>,
}

pub fn export_go(args: &ExportGoArgs) -> Result<ExitCode, gomemsim::Error> {
    let sc = args.scenario.load()?;
    let program = gomemsim::export::go_program(&sc).map_err(|p| ScenarioError {
        file: args.scenario.file.display().to_string(),
        line: None,
        column: None,
        field: p.field,
        message: p.message,
        allowed: None,
    })?;
    match &args.out {
        Some(path) => {
            let io = |source| ReportError {
                path: path.clone(),
                source,
            };
            if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                std::fs::create_dir_all(dir).map_err(io)?;
            }
            write_atomic(path, program.as_bytes()).map_err(io)?;
        }
        None => {
            let mut stdout = std::io::stdout().lock();
            stdout
                .write_all(program.as_bytes())
                .and_then(|()| stdout.flush())
                .map_err(|source| ReportError {
                    path: PathBuf::from("<stdout>"),
                    source,
                })?;
        }
    }
    Ok(ExitCode::SUCCESS)
}
