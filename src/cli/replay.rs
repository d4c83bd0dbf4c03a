//! `gomemsim replay FILE --schedule TOKEN`: run one schedule again, exactly.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;
use gomemsim::explore::{self, Token};
use gomemsim::report;

use super::ScenarioArgs;

#[derive(Debug, Args)]
pub struct ReplayArgs {
    #[command(flatten)]
    scenario: ScenarioArgs,
    /// The schedule's token, as `gomemsim race` prints it (e.g. s1-t3f2a9c).
    #[arg(long)]
    schedule: Token,
    /// Output directory [default: results/<scenario name>/replay/].
    #[arg(long)]
    out: Option<PathBuf>,
    /// Print nothing but errors.
    #[arg(long, short)]
    quiet: bool,
}

pub fn replay(args: &ReplayArgs) -> Result<ExitCode, gomemsim::Error> {
    let mut sc = args.scenario.load()?;
    let file = args.scenario.file.display().to_string();
    gomemsim::check_memory(&sc).map_err(|e| e.in_file(file))?;
    sc.seed = args.schedule.scenario_seed();
    let trace = explore::replay(&sc, &args.schedule)?;
    let token = args.schedule.to_string();
    let dir = args
        .out
        .clone()
        .unwrap_or_else(|| PathBuf::from("results").join(&sc.name).join("replay"));
    let files = [
        (
            "summary.json",
            report::replay_summary_json(&sc.name, sc.seed, &token, &trace).into_bytes(),
        ),
        (
            "schedule.txt",
            report::schedule_txt(&trace, &token).into_bytes(),
        ),
        ("swimlane.svg", report::swimlane_svg(&trace).into_bytes()),
        ("map_events.csv", report::trace_map_events_csv(&trace)),
        ("scenario.toml", sc.to_toml_string().into_bytes()),
    ];
    let written = report::write_files(&dir, &files)?;
    if !args.quiet {
        say!(
            "replay {} --schedule {}: {} steps, {} preemption{}",
            sc.name,
            gomemsim::explore::shell_word(&token),
            trace.steps.len(),
            trace.preemptions,
            if trace.preemptions == 1 { "" } else { "s" }
        );
        match &trace.fatal {
            Some(f) => say!(
                "  outcome: fatal error: {} ({})",
                f.message,
                trace.goroutines[f.goroutine as usize]
            ),
            None if trace.cut => say!(
                "  outcome: stopped at the step limit ({} steps) before the program ended",
                trace.steps.len()
            ),
            None => say!("  outcome: ok"),
        }
        if trace.race.is_some() {
            say!("  data race (happens-before) on the map");
        }
        for c in &trace.corruption {
            say!("  {c}");
        }
        let names: Vec<_> = written
            .iter()
            .filter_map(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
            .collect();
        say!("wrote {}/{{{}}}", dir.display(), names.join(","));
    }
    if let Some(f) = &trace.fatal {
        if gomemsim::model::sched::steps::is_hang(f.message) {
            // Go prints nothing: it never returns.
            eprintln!("{} (goroutine {})", f.message, f.goroutine + 1);
        } else {
            // As the Go runtime prints it, on stderr.
            eprintln!("fatal error: {}", f.message);
            eprintln!();
            eprintln!("goroutine {} [running]:", f.goroutine + 1);
        }
        return Ok(ExitCode::from(1));
    }
    Ok(ExitCode::SUCCESS)
}
