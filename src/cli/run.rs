//! `gomemsim run FILE`: simulate a scenario, print a short summary, write the results.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;
use gomemsim::scenario::units::Dur;

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
    /// Do not draw the plots (heap_timeline, map_growth, map_compare, slice_growth: SVG and PNG).
    #[arg(long)]
    no_plots: bool,
    /// Also write allocs.pb.gz: the run's allocations as a Go heap profile, by goroutine,
    /// op and runtime path, for `go tool pprof`.
    #[arg(long)]
    profile: bool,
    /// Also write metrics.om: the process's metrics as client_golang's Go collector exports
    /// them, scraped every --scrape-interval of virtual time, as OpenMetrics text for
    /// `promtool tsdb create-blocks-from openmetrics`.
    #[arg(long)]
    metrics: bool,
    /// Also write trace.out: the run as a Go 1.19 execution trace, for `go tool trace`
    /// (goroutines on Ps, GC phases and pauses, heap counters, requests as tasks and
    /// regions, map growth as log messages).
    #[arg(long)]
    trace: bool,
    /// Trace only this window of virtual time (FROM..TO, as 2s..3s; implies --trace).
    #[arg(long, value_parser = super::parse_window, value_name = "FROM..TO")]
    trace_window: Option<(u64, u64)>,
    /// Events the trace keeps at most; it is cut there and says so (implies --trace).
    #[arg(long, value_name = "N")]
    trace_events: Option<u64>,
    /// Time between two scrapes, at least 1ms.
    #[arg(long, default_value = "15s", value_parser = super::parse_at_least_1ms)]
    scrape_interval: Dur,
    /// Unix time (seconds) the run starts at in metrics.om (1767225600 is
    /// 2026-01-01T00:00:00Z).
    #[arg(long, default_value_t = 1_767_225_600)]
    metrics_start: u64,
    /// Stop the simulation after this much wall-clock time (e.g. 30s); the results then
    /// cover the run up to where it stopped, and say so.
    #[arg(long, value_parser = super::parse_at_least_1ms)]
    time_limit: Option<Dur>,
    /// Refuse up front a run estimated at more operations than this (map operations,
    /// range-loop entries, locks, computes, loop iterations, through loops and goroutines):
    /// `check` prints the estimate. 1e10 by default (about a quarter of an hour); not
    /// applied with --time-limit, which bounds the run itself.
    #[arg(long, value_name = "N", default_value = "1e10", value_parser = super::parse_count)]
    max_ops: u64,
}

impl RunArgs {
    fn trace_options(&self) -> Option<gomemsim::TraceOptions> {
        if !(self.trace || self.trace_window.is_some() || self.trace_events.is_some()) {
            return None;
        }
        let mut t = gomemsim::TraceOptions::default();
        if let Some((from, to)) = self.trace_window {
            (t.from_ns, t.to_ns) = (from, to);
        }
        if let Some(n) = self.trace_events {
            t.max_events = n;
        }
        Some(t)
    }
}

pub fn run(args: &RunArgs) -> Result<ExitCode, gomemsim::Error> {
    let sc = args.scenario.load()?;
    let file = args.scenario.file.display().to_string();
    if let Some(out) = &args.out {
        super::check_out_dir(out)?;
    }
    gomemsim::check_memory(&sc).map_err(|e| e.in_file(&file))?;
    // A run bounded by the wall clock is not refused for its estimate.
    let max_ops = if args.time_limit.is_some() {
        u64::MAX
    } else {
        args.max_ops
    };
    gomemsim::check_work(&sc, max_ops).map_err(|e| e.in_file(&file))?;
    let progress = super::VirtualClock::start(args.quiet);
    let options = gomemsim::RunOptions {
        scrape_interval_ns: args.metrics.then(|| args.scrape_interval.as_ps() / 1000),
        stop: super::time_limit(args.time_limit),
        trace: args.trace_options(),
        progress: progress.as_ref().map(|p| p.reached.clone()),
    };
    let outcome = gomemsim::run_with(&sc, &options);
    if let Some(p) = progress {
        p.finish();
    }
    let outcome = outcome.map_err(|e| e.in_file(&file))?;
    let dir = args
        .out
        .clone()
        .unwrap_or_else(|| PathBuf::from("results").join(&sc.name));
    let mut written = gomemsim::report::write_run(&dir, &outcome, &sc.to_toml_string())?;
    if args.profile {
        let name = args.scenario.file_name();
        let gz = gomemsim::report::allocs_pb_gz(&outcome.alloc_profile, outcome.sim_time_ns, &name);
        written.extend(gomemsim::report::write_files(
            &dir,
            &[("allocs.pb.gz", gz)],
        )?);
    }
    if let Some(trace) = &outcome.exec_trace {
        let bytes = gomemsim::report::gotrace::trace_out(trace, &outcome);
        written.extend(gomemsim::report::write_files(
            &dir,
            &[("trace.out", bytes)],
        )?);
        if let Some(t) = trace.cut_at_ns {
            eprintln!(
                "trace.out stops at {:.3} s of virtual time: it reached {} events (--trace-events \
                 raises the cap, --trace-window FROM..TO picks a stretch)",
                t as f64 / 1e9,
                trace.events.len()
            );
        }
    }
    if args.metrics {
        let om = gomemsim::report::metrics_om(&outcome, &sc.runtime.go, args.metrics_start);
        written.extend(gomemsim::report::write_files(
            &dir,
            &[("metrics.om", om.into_bytes())],
        )?);
    }
    // What an earlier run left here and this one did not write goes first: the plots and
    // the page read the directory.
    gomemsim::report::remove_stale(&dir, &gomemsim::report::RUN_OPTIONAL_DATA, &written)?;
    if !args.no_plots {
        written.extend(gomemsim::report::plots::draw_run_plots(&dir)?);
    }
    gomemsim::report::remove_stale(&dir, &gomemsim::report::RUN_OPTIONAL_PLOTS, &written)?;
    written.push(gomemsim::report::html::write_report(&dir)?);
    if !args.quiet {
        say_raw!("{}", gomemsim::report::human_summary(&outcome));
        let names: Vec<_> = written
            .iter()
            .filter_map(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
            .collect();
        say!("wrote {}/{{{}}}", dir.display(), names.join(","));
    }
    if outcome.stopped {
        eprintln!(
            "stopped by --time-limit {} at {:.3} s of virtual time: the results cover the run up \
             to there (summary.json: stopped_by_time_limit)",
            super::limit_text(args.time_limit),
            outcome.sim_time_ns as f64 / 1e9
        );
    }
    if let Some(fatal) = &outcome.fatal {
        eprintln!("{}", gomemsim::report::fatal_line(fatal));
        return Ok(ExitCode::from(1));
    }
    Ok(ExitCode::SUCCESS)
}
