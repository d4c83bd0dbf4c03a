//! `gomemsim race FILE`: explore how the scenario's goroutines interleave, step by step, and
//! report Go's fatal errors, data races and corrupted maps, with replay tokens.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, ValueEnum};
use gomemsim::explore::{self, Strategy};
use gomemsim::report;

use super::ScenarioArgs;

#[derive(Debug, Clone, Copy, ValueEnum)]
enum StrategyArg {
    /// Steps take time with seeded jitter; GOMAXPROCS Ps run in parallel.
    Timing,
    /// A uniform choice among runnable goroutines at every step.
    Random,
    /// Probabilistic concurrency testing of depth --depth.
    Pct,
    /// Every interleaving within --preemption-bound, with partial-order reduction.
    Exhaustive,
}

#[derive(Debug, Args)]
pub struct RaceArgs {
    #[command(flatten)]
    scenario: ScenarioArgs,
    /// How schedules are chosen.
    #[arg(long, value_enum, default_value = "timing")]
    strategy: StrategyArg,
    /// How many schedules to run (exhaustive: at most this many).
    #[arg(long, default_value_t = 1000, value_parser = clap::value_parser!(u64).range(1..))]
    schedules: u64,
    /// PCT's depth d: bugs needing d − 1 ordering constraints are found with probability at
    /// least 1/(n·k^(d−1)).
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u32).range(1..))]
    depth: u32,
    /// Exhaustive: the most preemptions a schedule may have, or `none` for every
    /// interleaving (then with partial-order reduction by sleep sets).
    #[arg(long, default_value = "2", value_parser = parse_bound)]
    preemption_bound: u32,
    /// Output directory [default: results/<scenario name>/].
    #[arg(long)]
    out: Option<PathBuf>,
    /// Print nothing but errors.
    #[arg(long, short)]
    quiet: bool,
    /// Stop exploring after this much wall-clock time (e.g. 30s): the schedules run by then
    /// are reported, and the first failure is shown unshrunk.
    #[arg(long, value_parser = super::parse_at_least_1ms)]
    time_limit: Option<gomemsim::scenario::units::Dur>,
}

fn parse_bound(s: &str) -> Result<u32, String> {
    if s == "none" {
        return Ok(explore::UNBOUNDED);
    }
    s.parse()
        .map_err(|_| format!("expected a number of preemptions or `none`, got `{s}`"))
}

pub fn race(args: &RaceArgs) -> Result<ExitCode, gomemsim::Error> {
    let sc = args.scenario.load()?;
    let file = args.scenario.file.display().to_string();
    gomemsim::check_memory(&sc).map_err(|e| e.in_file(file))?;
    if let Some(out) = &args.out {
        super::check_out_dir(out)?;
    }
    let strategy = match args.strategy {
        StrategyArg::Timing => Strategy::Timing,
        StrategyArg::Random => Strategy::Random,
        StrategyArg::Pct => Strategy::Pct { depth: args.depth },
        StrategyArg::Exhaustive => Strategy::Exhaustive {
            preemption_bound: args.preemption_bound,
        },
    };
    // Exhaustive search may end before --schedules: the bar's total is then an upper bound.
    let bar = super::progress_bar(args.schedules, "schedules", args.quiet);
    let stop = super::time_limit(args.time_limit)
        .unwrap_or_else(|| std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false)));
    let ex = explore::explore_until(
        &sc,
        strategy,
        args.schedules,
        sc.seed,
        &mut |n| {
            // Redraw every 256 schedules: at ~10^5 schedules/s the bar must cost nothing.
            if n % 256 == 0 {
                bar.set_position(n);
            }
        },
        &stop,
    );
    bar.finish_and_clear();
    // What `race` cannot explore is said with the file it is in.
    let ex =
        ex.map_err(|e| gomemsim::Error::Usage(format!("{}: {e}", args.scenario.file.display())))?;
    let dir = args
        .out
        .clone()
        .unwrap_or_else(|| PathBuf::from("results").join(&sc.name));
    // The first failure, shrunk: what schedule.txt and the picture show.
    // A failure shrinking cannot improve keeps its own token (a timing token is short,
    // its decisions may be many).
    let mut improved = false;
    let shrunk = match &ex.first_failure {
        // Out of time: no shrinking.
        Some((token, trace)) if ex.stopped => Some((token.clone(), trace.clone())),
        Some((token, trace)) => {
            // The time limit bounds shrinking too: it keeps the best schedule found by then.
            let (t, s) = explore::shrink_until(&sc, trace, &stop)?;
            if stop.load(std::sync::atomic::Ordering::Relaxed) {
                eprintln!(
                    "shrinking stopped by --time-limit {}: the failing schedule shown is the \
                     shortest found by then ({} steps, from {})",
                    super::limit_text(args.time_limit),
                    s.steps.len().min(trace.steps.len()),
                    trace.steps.len()
                );
            }
            improved = s.steps.len() < trace.steps.len() || s.preemptions < trace.preemptions;
            if improved {
                Some((t, s))
            } else {
                Some((token.clone(), trace.clone()))
            }
        }
        None => None,
    };
    let shown = shrunk.as_ref().or(ex.first_silent_race.as_ref());
    let which = match &shrunk {
        Some(_) if ex.stopped => "the first failure (not shrunk: stopped by --time-limit)",
        Some(_) if improved => "the first failure, shrunk",
        Some(_) => "the first failure (shrinking found none shorter)",
        None => "the first data race Go's check missed",
    };
    let shrunk_token = shrunk.as_ref().map(|(tok, _)| tok.to_string());
    let shrunk_ref = shrunk_token.as_deref().zip(shrunk.as_ref().map(|(_, t)| t));
    let mut files = vec![(
        "race.json",
        report::race_json(
            &sc.name,
            &ex,
            shrunk_ref,
            !sc.maps.is_empty(),
            !sc.slices.is_empty(),
        )
        .into_bytes(),
    )];
    if let Some((token, trace)) = shown {
        let token = token.to_string();
        files.push((
            "schedule.txt",
            report::schedule_txt(trace, &token).into_bytes(),
        ));
        files.push(("swimlane.svg", report::swimlane_svg(trace).into_bytes()));
        let file = args.scenario.file.display().to_string();
        files.push((
            "steps.json",
            report::steps_json(trace, &token, &sc.name, &file, which).into_bytes(),
        ));
    }
    let mut written = report::write_files(&dir, &files)?;
    written.push(report::html::write_report(&dir)?);
    if !args.quiet {
        let file = args.scenario.file.display();
        say!(
            "race {}: strategy {}, {}{}",
            sc.name,
            strategy.name(),
            report::plural(ex.schedules, "schedule"),
            match ex.complete {
                Some(true) if args.preemption_bound == explore::UNBOUNDED => " (every schedule)",
                Some(true) => " (every schedule within the bound)",
                Some(false) if ex.stopped => "",
                Some(false) => " (stopped at --schedules before the bound was exhausted)",
                None => "",
            }
        );
        // How far an unfinished search got: an estimate from its position in the tree.
        let behind = match ex.progress {
            Some(p) if ex.complete == Some(false) => format!(
                "; about {} of the search tree behind it (estimated from its position)",
                if p >= 0.001 {
                    format!("{:.1}%", p * 100.0)
                } else {
                    format!("{p:.1e}")
                }
            ),
            _ => String::new(),
        };
        if ex.stopped {
            say!(
                "  stopped by --time-limit {} after {} schedules{behind}",
                super::limit_text(args.time_limit),
                ex.schedules
            );
        } else if !behind.is_empty() {
            say!("  stopped at --schedules{behind}");
        }
        for (outcome, n) in &ex.outcomes {
            let pct = *n as f64 * 100.0 / ex.schedules.max(1) as f64;
            say!("  {outcome:<45} {n:>8} {pct:6.1}%");
        }
        let harm = if sc.slices.is_empty() {
            "corrupted maps"
        } else if sc.maps.is_empty() {
            "lost appends"
        } else {
            "corrupted maps or lost appends"
        };
        say!(
            "  data races (happens-before) in {}; {harm} after {} finished ones",
            report::plural(ex.races, "schedule"),
            ex.corrupted
        );
        if ex.first_failure.is_none() && ex.races > 0 && !ex.stopped {
            // Races without a crash: the strategy may not have interleaved inside a write
            // (timing follows the costs; the exported program crashed where it did not).
            let try_next = match args.strategy {
                StrategyArg::Exhaustive => "a higher --preemption-bound",
                StrategyArg::Pct => "a higher --depth, more --schedules or --strategy exhaustive",
                _ => "--strategy exhaustive (small programs) or --strategy pct",
            };
            let races = if ex.races == 1 {
                "one".to_string()
            } else {
                format!("{}", ex.races)
            };
            if sc.maps.is_empty() {
                // runtime/slice.go has no concurrent-use check: a racing append is lost
                // silently, never fatal.
                let lost = match ex.corrupted {
                    0 => format!(
                        "none lost an append: the races were on steps whose order did not \
                         matter here; try {try_next} for an interleaving that loses one"
                    ),
                    n => format!("{} lost appends", report::plural(n, "schedule")),
                };
                say!(
                    "  no schedule crashed, and none can: Go does not check slices for \
                     concurrent use; {races} raced, and {lost}"
                );
            } else {
                let on = if sc.slices.is_empty() {
                    "a map"
                } else {
                    "a map or slice"
                };
                say!(
                    "  no schedule crashed, yet {races} raced on {on}: Go may still crash \
                     here; try {try_next} to look for the fatal interleaving"
                );
            }
        }
        if let Some(g) = ex.pct_guarantee {
            say!(
                "  PCT guarantee per schedule for a depth-{} bug: {g:.3e}",
                args.depth
            );
        }
        if let Some((token, trace)) = shrunk.as_ref().filter(|_| improved) {
            let f = trace.fatal.as_ref().expect("a failure");
            say!(
                "  minimal failing schedule: {} steps, {}: {}",
                trace.steps.len(),
                report::plural(u64::from(trace.preemptions), "preemption"),
                report::fatal_line(f.message)
            );
            say!(
                "  replay: gomemsim replay {file} --schedule {}",
                explore::shell_word(&token.to_string())
            );
        }
        if let Some((token, trace)) = &ex.first_failure {
            let f = trace.fatal.as_ref().expect("a failure");
            say!(
                "  first failure: {} (goroutine {}) after {} steps, {}",
                report::fatal_line(f.message),
                trace.goroutines[f.goroutine as usize],
                trace.steps.len(),
                report::plural(u64::from(trace.preemptions), "preemption")
            );
            say!(
                "  replay: gomemsim replay {file} --schedule {}",
                explore::shell_word(&token.to_string())
            );
        }
        if let Some((token, trace)) = &ex.first_silent_race {
            let what = if trace.corruption.is_empty() {
                "no fatal error".to_string()
            } else {
                format!("no fatal error, but {}", trace.corruption.join("; "))
            };
            if sc.maps.is_empty() {
                say!("  first data race: {what}");
            } else {
                say!("  first data race Go's check missed: {what}");
            }
            say!(
                "  replay: gomemsim replay {file} --schedule {}",
                explore::shell_word(&token.to_string())
            );
        }
        let names: Vec<_> = written
            .iter()
            .filter_map(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
            .collect();
        say!("wrote {}/{{{}}}", dir.display(), names.join(","));
    }
    Ok(if ex.first_failure.is_some() {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}
