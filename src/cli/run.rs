//! `gomemsim run FILE`: simulate a scenario, print a short summary, write the results.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;

use super::ScenarioArgs;

#[derive(Debug, Args)]
pub struct RunArgs {
    #[command(flatten)]
    scenario: ScenarioArgs,
    /// Output directory [default: results/<scenario name>/].
    #[arg(long)]
    out: Option<PathBuf>,
    /// Print nothing but errors.
    #[arg(long, short)]
    quiet: bool,
    /// Do not draw the plots (heap_timeline, map_growth as SVG and PNG).
    #[arg(long)]
    no_plots: bool,
}

pub fn run(args: &RunArgs) -> Result<ExitCode, gomemsim::Error> {
    let sc = args.scenario.load()?;
    let file = args.scenario.file.display().to_string();
    gomemsim::check_memory(&sc).map_err(|e| e.in_file(file))?;
    let outcome = gomemsim::run(&sc)?;
    let dir = args
        .out
        .clone()
        .unwrap_or_else(|| PathBuf::from("results").join(&sc.name));
    let mut written = gomemsim::report::write_run(&dir, &outcome, &sc.to_toml_string())?;
    if !args.no_plots {
        written.extend(gomemsim::report::plots::draw_run_plots(&dir)?);
    }
    if !args.quiet {
        say_raw!("{}", gomemsim::report::human_summary(&outcome));
        let names: Vec<_> = written
            .iter()
            .filter_map(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
            .collect();
        say!("wrote {}/{{{}}}", dir.display(), names.join(","));
    }
    if let Some(fatal) = &outcome.fatal {
        eprintln!("fatal error: {fatal}");
        return Ok(ExitCode::from(1));
    }
    Ok(ExitCode::SUCCESS)
}
