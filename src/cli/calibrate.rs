//! `gomemsim calibrate LOG --out DIR [--project gogc=50,100,200 ...]`: fit a scenario to a
//! real gctrace log, say how well it fits, and project it under other settings.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Args;
use gomemsim::calibrate::report::{LogNotes, fit_json, projection_csv};
use gomemsim::calibrate::{self, Options, runs, warnings};
use gomemsim::gctrace::read_gctrace;
use gomemsim::report;
use gomemsim::scenario::{Gogc, MemLimit, Override};
use gomemsim::sweep::{self, Axis, Grid, Sweep};

#[derive(Debug, Args)]
pub struct CalibrateArgs {
    /// What the program printed with GODEBUG=gctrace=1 (Go 1.19 or later); other lines are
    /// skipped.
    log: PathBuf,
    /// GOMAXPROCS of the logged program, 1 to 1024 [default: the log's `N P`].
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=1024))]
    gomaxprocs: Option<u32>,
    /// GOGC it ran with, a number or `off` [default: inferred from the heap goals].
    #[arg(long)]
    gogc: Option<String>,
    /// GOMEMLIMIT it ran with, `off` or a size such as `1GiB` [default: inferred: a limit
    /// when the goals stay flat while the marked heap moves].
    #[arg(long)]
    gomemlimit: Option<String>,
    /// The runtime release whose pacer models it (`runtime.go`).
    #[arg(long, default_value = "1.19")]
    go: String,
    /// A `[costs]` value known for the machine that ran the program, kept while calibrate
    /// fits the others (it still fits the pauses, the mark and, scaled from what is given,
    /// the allocation speed): `costs.alloc_miss_per_kib=115ns`; repeat for more.
    #[arg(long = "set", value_name = "costs.FIELD=VALUE")]
    set: Vec<String>,
    /// Settings to project the fitted program under: `gogc=50,100,200,400`,
    /// `gomemlimit=off,1GiB`, `gomaxprocs=4,8` or any scenario field; repeat for more (their
    /// cartesian product).
    #[arg(long = "project", value_name = "FIELD=VALUES")]
    project: Vec<String>,
    /// Output directory [default: results/calibrate-<log file name>/].
    #[arg(long)]
    out: Option<PathBuf>,
    /// Parallel projection runs [default: the number of CPUs]; the output does not depend
    /// on it.
    #[arg(long)]
    jobs: Option<usize>,
    /// Stop after this much wall-clock time (e.g. 5m): a calibration cut short writes
    /// nothing, and says how far it got.
    #[arg(long, value_parser = super::parse_at_least_1ms)]
    time_limit: Option<gomemsim::scenario::units::Dur>,
    /// Print nothing but warnings and errors (on stderr).
    #[arg(long, short)]
    quiet: bool,
    /// Do not draw the plots.
    #[arg(long)]
    no_plots: bool,
}

fn usage(message: String) -> gomemsim::Error {
    gomemsim::Error::Usage(message)
}

/// `--set costs.FIELD=VALUE`s, checked on a scenario of their own so that a bad one is
/// named as given (the log has nothing to do with it).
fn known_costs(set: &[String]) -> Result<Vec<Override>, gomemsim::Error> {
    let mut known = Vec::with_capacity(set.len());
    for text in set {
        let o = Override::parse(text)?;
        if !o.key.starts_with("costs.") {
            return Err(usage(format!(
                "--set {text}: calibrate takes `[costs]` values known for the machine \
                 (costs.FIELD=VALUE, e.g. costs.alloc_miss_per_kib=115ns); the settings are \
                 --gogc, --gomemlimit and --gomaxprocs, and the program is fitted from the log"
            )));
        }
        known.push(o);
    }
    const CHECK: &str = "name = \"calibrate\"\n[[goroutines]]\nname = \"program\"\nprogram = \
                         [{ op = \"alloc\", bytes = \"1MiB\", size = \"4KiB\" }]\n";
    gomemsim::scenario::parse_str(CHECK, "calibrate", &known)?;
    Ok(known)
}

/// `gogc`, `gomemlimit` and `gomaxprocs` stand for their `runtime.` fields.
fn projection_axis(text: &str) -> Result<Axis, gomemsim::Error> {
    let text = match text.split_once('=') {
        Some((f @ ("gogc" | "gomemlimit" | "gomaxprocs" | "go"), v)) => {
            format!("runtime.{f}={v}")
        }
        _ => text.to_string(),
    };
    Axis::parse(&text).map_err(|e| usage(format!("--project: {e}")))
}

fn parse_gogc(v: &str) -> Result<Gogc, gomemsim::Error> {
    if v.eq_ignore_ascii_case("off") {
        return Ok(Gogc::Off);
    }
    v.parse()
        .map(Gogc::Percent)
        .map_err(|_| usage(format!("--gogc {v}: expected a whole number or off")))
}

fn parse_limit(v: &str) -> Result<MemLimit, gomemsim::Error> {
    if v.eq_ignore_ascii_case("off") {
        return Ok(MemLimit::Off);
    }
    v.parse()
        .map(MemLimit::Limit)
        .map_err(|e| usage(format!("--gomemlimit: {e}")))
}

/// Prints each warning on stderr, after whatever stdout holds so far.
fn print_warnings(warnings: &[String]) {
    use std::io::Write as _;
    let _ = std::io::stdout().flush();
    for w in warnings {
        eprintln!("warning: {w}");
    }
}

fn stem(path: &Path) -> String {
    path.file_stem()
        .map_or("log".into(), |s| s.to_string_lossy().into_owned())
}

pub fn calibrate(args: &CalibrateArgs) -> Result<ExitCode, gomemsim::Error> {
    let label = args.log.display().to_string();
    let text = gomemsim::resources::read_limited(&args.log, gomemsim::resources::MAX_LOG_BYTES)
        .map_err(|e| usage(format!("{label}: cannot read the log: {e}")))?;
    let text = String::from_utf8_lossy(&text);
    let axes = args
        .project
        .iter()
        .map(|p| projection_axis(p))
        .collect::<Result<Vec<_>, _>>()?;
    let known_costs = known_costs(&args.set)?;
    let opts = Options {
        name: format!("fit-{}", stem(&args.log)),
        go: args.go.clone(),
        gomaxprocs: args.gomaxprocs,
        gogc: args.gogc.as_deref().map(parse_gogc).transpose()?,
        gomemlimit: args.gomemlimit.as_deref().map(parse_limit).transpose()?,
        stop: super::time_limit(args.time_limit),
        known_costs,
    };
    let limit = super::limit_text(args.time_limit);
    let stopped = |stage: &str| {
        eprintln!(
            "stopped by --time-limit {limit} while {stage}: nothing written (a larger limit, or \
             fewer --project values, lets it finish)"
        );
        Ok(ExitCode::from(1))
    };

    let log = read_gctrace(&text);
    let cycle_lines = log.cycles.len() + log.duplicates.count;
    let mut unknown: Vec<String> = Vec::new();
    for f in log.cycles.iter().flat_map(|c| c.cycle.unknown.iter()) {
        if unknown.len() < 20 && !unknown.contains(f) {
            unknown.push(f.clone());
        }
    }
    let (cycles, split) = runs::split_runs(&log.cycles);
    let spinner = super::stage_spinner(args.quiet);
    spinner.set_message(format!(
        "fitting a scenario to {} cycles (simulating it under each candidate setting)",
        cycles.len()
    ));
    let fit = calibrate::fit(&cycles, &opts);
    spinner.finish_and_clear();
    let fit = match fit {
        Ok(fit) => fit,
        Err(calibrate::CalibrateError::Stopped) => return stopped("fitting"),
        Err(e) => {
            // What the reader set aside may explain why too little was left.
            print_warnings(&warnings::log_warnings(&log, &split));
            return Err(usage(format!("{label}: {e}")));
        }
    };
    let notes = LogNotes {
        log: label.clone(),
        other_lines: log.lines.saturating_sub(cycle_lines),
        runs: split.runs.len(),
        unknown_fields: unknown,
        warnings: warnings::all(&fit, &log, &split),
    };

    let out = args
        .out
        .clone()
        .unwrap_or_else(|| PathBuf::from("results").join(format!("calibrate-{}", stem(&args.log))));
    let toml = format!(
        "# Fitted by `gomemsim calibrate` to {} cycles of {}.\n# fit.json says how close it \
         comes; run it with `gomemsim run fitted.toml`.\n{}",
        fit.observed.gc_cycles,
        stem(&args.log),
        fit.scenario.to_toml_string()
    );
    let mut files = vec![
        ("fitted.toml", toml.into_bytes()),
        ("fit.json", fit_json(&fit, &notes).into_bytes()),
    ];
    let mut projected = None;
    if !axes.is_empty() {
        let job = Sweep {
            text: fit.scenario.to_toml_string(),
            label: "fitted.toml".into(),
            base: Vec::new(),
            grid: Grid {
                axes,
                seeds: vec![1],
            },
        };
        job.validate(gomemsim::resources::DEFAULT_MAX_OPS)?;
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(args.jobs.unwrap_or(0))
            .build()
            .map_err(|e| usage(format!("--jobs: {e}")))?;
        let runs: Vec<usize> = (0..job.grid.runs()).collect();
        let bar = super::progress_bar(runs.len() as u64, "projected settings", args.quiet);
        let done = |_: &gomemsim::sweep::Row| -> Result<(), gomemsim::Error> {
            bar.inc(1);
            Ok(())
        };
        let rows = pool.install(|| job.run_all_until(&runs, &done, opts.stop.as_ref()));
        bar.finish_and_clear();
        let rows = rows?;
        if rows.len() < runs.len() {
            return stopped(&format!(
                "projecting ({} of {} settings done)",
                rows.len(),
                runs.len()
            ));
        }
        let names: Vec<String> = job.grid.axes.iter().map(|a| a.field.clone()).collect();
        files.push(("projection.csv", projection_csv(&names, &rows)));
        projected = Some((names, rows));
    }
    // The fitted run itself, as `run` writes it, to compare with the log line by line.
    let options = gomemsim::RunOptions {
        stop: opts.stop.clone(),
        ..Default::default()
    };
    let spinner = super::stage_spinner(args.quiet);
    spinner.set_message("simulating the fitted scenario, to compare with the log");
    let outcome = gomemsim::run_with(&fit.scenario, &options);
    spinner.finish_and_clear();
    let outcome = outcome?;
    if outcome.stopped {
        return stopped("running the fitted scenario");
    }
    let mut written = report::write_files(&out, &files)?;
    let sim_dir = out.join("simulated");
    written.extend(report::write_run(
        &sim_dir,
        &outcome,
        &fit.scenario.to_toml_string(),
    )?);
    if !args.no_plots {
        written.extend(report::plots::draw_run_plots(&sim_dir)?);
    }
    if let Some((names, rows)) = &projected {
        let dir = out.join("projection");
        let files = [
            ("sweep.csv", sweep::sweep_csv(names, rows)),
            ("points.csv", sweep::points_csv(names, rows)),
        ];
        written.extend(report::write_files(&dir, &files)?);
        if !args.no_plots {
            written.extend(report::plots::draw_sweep_plots(&dir)?);
        }
    }
    // The fit's page, and the pages of the simulated run and the projection it links to.
    written.extend(super::report::write_tree(&out)?);

    if !args.quiet {
        say_raw!("{}", summary(&fit, &notes));
        if let Some((names, rows)) = &projected {
            say_raw!("{}", projection_table(names, rows));
        }
    }
    print_warnings(&notes.warnings);
    if !args.quiet {
        for p in written {
            say!("wrote {}", p.display());
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// The fit in a few lines: settings, then each quantity observed against simulated.
fn summary(fit: &calibrate::Fit, notes: &LogNotes) -> String {
    use std::fmt::Write as _;
    let rt = &fit.scenario.runtime;
    let mut s = String::new();
    let _ = writeln!(
        s,
        "calibrate {}: {} cycles{}; GOMAXPROCS={} ({}), GOGC={} ({}), GOMEMLIMIT={} ({})",
        notes.log,
        fit.observed.gc_cycles,
        if notes.runs > 1 {
            format!(" (the longest of {} runs in the log)", notes.runs)
        } else {
            String::new()
        },
        rt.gomaxprocs,
        fit.gomaxprocs_source.as_str(),
        match rt.gogc {
            Gogc::Off => "off".to_string(),
            Gogc::Percent(p) => p.to_string(),
        },
        fit.gogc_source.as_str(),
        match rt.gomemlimit {
            MemLimit::Off => "off".to_string(),
            MemLimit::Limit(b) => b.to_string(),
        },
        fit.gomemlimit_source.as_str(),
    );
    let _ = writeln!(
        s,
        "  {:<18} {:>13} {:>13} {:>8}",
        "", "observed", "simulated", "error"
    );
    for (name, c) in calibrate::compare(&fit.observed, &fit.simulated) {
        let (label, unit) = calibrate::observed::describe(name);
        let error = if c.relative_error.is_finite() {
            format!("{:+.1}%", c.relative_error * 100.0)
        } else {
            "n/a".to_string()
        };
        let _ = writeln!(
            s,
            "  {:<18} {:>13} {:>13} {:>8}",
            label,
            unit.show(c.observed),
            unit.show(c.simulated),
            error
        );
    }
    s
}

/// projection.csv as a readable table.
fn projection_table(names: &[String], rows: &[sweep::Row]) -> String {
    use std::fmt::Write as _;
    let mut s = String::from("projection:\n");
    let short: Vec<&str> = names
        .iter()
        .map(|n| n.strip_prefix("runtime.").unwrap_or(n))
        .collect();
    let _ = writeln!(
        s,
        "  {:<28} {:>7} {:>9} {:>12} {:>11} {:>10}",
        short.join(" "),
        "cycles",
        "GC CPU %",
        "peak heap",
        "STW total",
        "STW max"
    );
    for r in rows {
        let get = |m: &str| r.metric(m).unwrap_or(f64::NAN);
        let setting: Vec<String> = short
            .iter()
            .zip(&r.values)
            .map(|(n, v)| format!("{n}={v}"))
            .collect();
        let _ = writeln!(
            s,
            "  {:<28} {:>7} {:>9.2} {:>8.1} MiB {:>8.2} ms {:>7.3} ms{}",
            setting.join(" "),
            get("gc_cycles"),
            get("gc_cpu_fraction") * 100.0,
            get("peak_heap_bytes") / 1_048_576.0,
            get("stw_total_ns") / 1e6,
            get("stw_max_ns") / 1e6,
            if r.fatal.is_empty() {
                String::new()
            } else {
                format!("  fatal: {}", r.fatal)
            }
        );
    }
    s
}
