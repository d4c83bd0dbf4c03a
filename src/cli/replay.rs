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
    /// Also write trace.out: the schedule as a Go 1.19 execution trace, for `go tool trace`
    /// (each step on the P it ran on, switches as preemptions, the GC's cycles).
    #[arg(long)]
    trace: bool,
    /// Also write allocs.pb.gz: the schedule's allocations as a Go heap profile, by
    /// goroutine, op and runtime path, for `go tool pprof`.
    #[arg(long)]
    profile: bool,
    /// Also write metrics.om: the process's metrics as client_golang's Go collector exports
    /// them, scraped every --scrape-interval of the steps' clock (OpenMetrics text).
    #[arg(long)]
    metrics: bool,
    /// Time between two scrapes, at least 1ms.
    #[arg(long, default_value = "15s", value_parser = super::parse_at_least_1ms)]
    scrape_interval: gomemsim::scenario::units::Dur,
    /// Unix time (seconds) the schedule starts at in metrics.om.
    #[arg(long, default_value_t = 1_767_225_600)]
    metrics_start: u64,
}

pub fn replay(args: &ReplayArgs) -> Result<ExitCode, gomemsim::Error> {
    let mut sc = args.scenario.load()?;
    let file = args.scenario.file.display().to_string();
    gomemsim::check_memory(&sc).map_err(|e| e.in_file(file))?;
    sc.seed = args.schedule.scenario_seed();
    let record = (args.profile || args.metrics).then(|| explore::RecordOptions {
        profile: args.profile,
        scrape_interval_ns: args.metrics.then(|| args.scrape_interval.as_ps() / 1000),
    });
    let trace = explore::replay_recording(&sc, &args.schedule, record)?;
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
        (
            "steps.json",
            report::steps_json(
                &trace,
                &token,
                &sc.name,
                &args.scenario.file.display().to_string(),
                "the replayed schedule",
            )
            .into_bytes(),
        ),
        ("gc_cycles.csv", report::gc_cycles_csv(&trace.gc_cycles)),
        (
            "gctrace.txt",
            report::gctrace_text(&trace.gc_cycles).into_bytes(),
        ),
        ("map_events.csv", report::trace_map_events_csv(&trace)),
        ("scenario.toml", sc.to_toml_string().into_bytes()),
    ];
    let mut written = report::write_files(&dir, &files)?;
    if !trace.slices.is_empty() {
        let csv = report::trace_slice_events_csv(&trace);
        written.extend(report::write_files(&dir, &[("slice_events.csv", csv)])?);
    }
    if args.profile {
        let name = args.scenario.file_name();
        let end_ns = trace.steps.last().map_or(0, |s| s.t_ns);
        let gz = report::allocs_pb_gz(&trace.alloc_profile, end_ns, &name);
        written.extend(report::write_files(&dir, &[("allocs.pb.gz", gz)])?);
    }
    if args.metrics {
        let om = report::metrics_om_of(
            &trace.metrics,
            &trace.gc_cycles,
            trace.procs,
            &sc.runtime.go,
            args.metrics_start,
        );
        written.extend(report::write_files(
            &dir,
            &[("metrics.om", om.into_bytes())],
        )?);
    }
    if args.trace {
        let exec = report::gotrace::from_schedule(&trace);
        let bytes = report::gotrace::encode(&exec, &trace.gc_cycles).bytes;
        written.extend(report::write_files(&dir, &[("trace.out", bytes)])?);
        if let Some(t) = exec.cut_at_ns {
            eprintln!(
                "trace.out stops at {:.3} ms of virtual time: it reached {} events",
                t as f64 / 1e6,
                exec.events.len()
            );
        }
    }
    written.push(report::html::write_report(&dir)?);
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
                "  outcome: {} ({})",
                gomemsim::report::fatal_line(f.message),
                trace.goroutines[f.goroutine as usize]
            ),
            None if trace.cut => say!(
                "  outcome: stopped at the step limit ({} steps) before the program ended",
                trace.steps.len()
            ),
            None => say!("  outcome: ok"),
        }
        if let Some(r) = &trace.race {
            let (kind, name) = trace.variable_name(r.map);
            say!("  data race (happens-before) on {kind} {name}");
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
            eprintln!("{}", gomemsim::report::fatal_line(f.message));
            eprintln!();
            eprintln!("goroutine {} [running]:", f.goroutine + 1);
        }
        return Ok(ExitCode::from(1));
    }
    Ok(ExitCode::SUCCESS)
}
