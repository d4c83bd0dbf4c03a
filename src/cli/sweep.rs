//! `gomemsim sweep FILE --grid field=values ... --seeds 1..N`: the scenario over a grid of
//! settings and seeds, in parallel; and `gomemsim merge DIR...`: shards back into one sweep.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Mutex;

use clap::Args;
use gomemsim::report::{self, ReportError};
use gomemsim::sweep::{self, Axis, Grid, Row, Shard, Sweep, journal};

use super::ScenarioArgs;

#[derive(Debug, Args)]
pub struct SweepArgs {
    #[command(flatten)]
    scenario: ScenarioArgs,
    /// An axis: `field=v1,v2`, `field=a..b*k` (geometric) or `field=a..b+k` (arithmetic),
    /// e.g. `runtime.gogc=25..400*2`; repeat for more axes (their cartesian product).
    #[arg(long = "grid", value_name = "FIELD=VALUES", required = true)]
    grid: Vec<String>,
    /// Seeds of each grid point: `N` (1..N), `a..b` or a list [default: the scenario's
    /// seed, after --seed and --set].
    #[arg(long)]
    seeds: Option<String>,
    /// Parallel runs [default: the number of CPUs]; the output does not depend on it.
    #[arg(long)]
    jobs: Option<usize>,
    /// Run one slice: `I/N` (1-based), `auto` (Slurm array), or `auto/N` (Kubernetes
    /// Indexed Job with N completions). Join the shards with `gomemsim merge`.
    #[arg(long)]
    shard: Option<String>,
    /// Skip the runs an interrupted sweep into the same --out already finished.
    #[arg(long)]
    resume: bool,
    /// Output directory [default: results/<scenario name>/sweep/].
    #[arg(long)]
    out: Option<PathBuf>,
    /// Print nothing but errors (and no progress bar).
    #[arg(long, short)]
    quiet: bool,
    /// Do not draw the plots (stw_vs_throughput, gc_cost_vs_gogc as SVG and PNG).
    #[arg(long)]
    no_plots: bool,
    /// Stop after this much wall-clock time (e.g. 10m): the finished runs stay in the
    /// journal, and `--resume` goes on from there; sweep.csv is written only when every run
    /// is done.
    #[arg(long, value_parser = super::parse_at_least_1ms)]
    time_limit: Option<gomemsim::scenario::units::Dur>,
    /// Refuse up front a grid point whose run is estimated at more operations than this (map operations,
    /// range-loop entries, locks, computes, loop iterations, through loops and goroutines):
    /// `check` prints the estimate. 1e10 by default (about a quarter of an hour); not
    /// applied with --time-limit, which bounds the sweep itself.
    #[arg(long, value_name = "N", default_value = "1e10", value_parser = super::parse_count)]
    max_ops: u64,
}

#[derive(Debug, Args)]
pub struct MergeArgs {
    /// The shards' output directories.
    #[arg(required = true)]
    dirs: Vec<PathBuf>,
    /// Where to write the merged sweep.csv and points.csv.
    #[arg(long)]
    out: PathBuf,
}

fn usage(message: String) -> gomemsim::Error {
    gomemsim::Error::Usage(message)
}

pub fn sweep(args: &SweepArgs) -> Result<ExitCode, gomemsim::Error> {
    let path = &args.scenario.file;
    let label = path.display().to_string();
    let bytes = gomemsim::resources::read_limited(path, gomemsim::resources::MAX_SCENARIO_BYTES)
        .map_err(|e| usage(format!("{label}: cannot read the scenario: {e}")))?;
    let text = String::from_utf8(bytes).map_err(|_| {
        usage(format!(
            "{label}: not valid UTF-8: a scenario file is UTF-8 text"
        ))
    })?;
    let base = args.scenario.overrides();
    let sc = gomemsim::scenario::parse_str(&text, &label, &base)?;
    let axes = args
        .grid
        .iter()
        .map(|g| Axis::parse(g))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| usage(e.to_string()))?;
    let seeds = match &args.seeds {
        Some(text) => sweep::grid::parse_seeds(text).map_err(|e| usage(e.to_string()))?,
        None => vec![sc.seed],
    };
    let grid = Grid { axes, seeds };
    if grid.runs() as u64 > sweep::grid::MAX_RUNS {
        return Err(usage(format!(
            "{} runs is more than {}",
            grid.runs(),
            sweep::grid::MAX_RUNS
        )));
    }
    let shard = match &args.shard {
        Some(s) => {
            Some(Shard::parse(s, &|k| std::env::var(k).ok()).map_err(|e| usage(e.to_string()))?)
        }
        None => None,
    };
    let job = Sweep {
        text,
        label,
        base,
        grid,
    };
    // A sweep bounded by the wall clock is not refused for its estimate.
    job.validate(if args.time_limit.is_some() {
        u64::MAX
    } else {
        args.max_ops
    })?;
    // Seeds that cannot change anything, said once: no grid point's scenario draws on the
    // seed.
    if job.grid.seeds.len() > 1 && !job.draws_on_seed() {
        eprintln!(
            "note: {}: nothing in this scenario draws on the seed (no maps, no arrivals, one \
             goroutine, no memory limit), so its {} seeds give {} identical runs per grid \
             point; --seeds 1 gives the same results",
            job.label,
            job.grid.seeds.len(),
            job.grid.seeds.len()
        );
    }
    let axis_names: Vec<String> = job.grid.axes.iter().map(|a| a.field.clone()).collect();
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| PathBuf::from("results").join(&sc.name).join("sweep"));

    let all: Vec<usize> = match shard {
        Some(s) => s.runs(job.grid.runs()),
        None => (0..job.grid.runs()).collect(),
    };
    let mut done: Vec<Row> = if args.resume {
        journal::load(&out, &axis_names)
            .into_iter()
            .filter(|r| all.contains(&r.run))
            .collect()
    } else {
        journal::clear(&out);
        Vec::new()
    };
    let todo: Vec<usize> = all
        .iter()
        .copied()
        .filter(|r| done.binary_search_by_key(r, |row| row.run).is_err())
        .collect();

    let bar = super::progress_bar(all.len() as u64, "runs", args.quiet);
    bar.set_position(done.len() as u64);
    let journal_error: Mutex<Option<ReportError>> = Mutex::new(None);
    let record = |row: &Row| -> Result<(), gomemsim::Error> {
        if let Err(e) = journal::record(&out, &axis_names, row) {
            *journal_error.lock().expect("not poisoned") = Some(e);
        }
        bar.inc(1);
        Ok(())
    };
    let start = std::time::Instant::now();
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(args.jobs.unwrap_or(0))
        .build()
        .map_err(|e| usage(format!("--jobs: {e}")))?;
    let stop = super::time_limit(args.time_limit);
    let rows = pool.install(|| job.run_all_until(&todo, &record, stop.as_ref()))?;
    bar.finish_and_clear();
    if let Some(e) = journal_error.into_inner().expect("not poisoned") {
        return Err(e.into());
    }
    done.extend(rows);
    done.sort_by_key(|r| r.run);
    if done.len() < all.len() {
        // Stopped by the time limit: nothing is written that the missing runs would change.
        eprintln!(
            "stopped by --time-limit {} after {} of {} runs: the finished ones are kept in {}; run the same \
             command with --resume to finish (sweep.csv and the plots come then)",
            super::limit_text(args.time_limit),
            done.len(),
            all.len(),
            journal::dir(&out).display()
        );
        return Ok(ExitCode::SUCCESS);
    }

    let mut files = vec![("sweep.csv", sweep::sweep_csv(&axis_names, &done))];
    match shard {
        None => files.push(("points.csv", sweep::points_csv(&axis_names, &done))),
        // What `merge` checks: that the shards are of one sweep, and none is missing.
        Some(s) => files.push((
            "shard.json",
            format!(
                "{{\n  \"sweep\": \"{}\",\n  \"shard\": {},\n  \"of\": {},\n  \"runs\": {}\n}}\n",
                job.identity(),
                s.index + 1,
                s.count,
                job.grid.runs()
            )
            .into_bytes(),
        )),
    }
    let mut written = report::write_files(&out, &files)?;
    journal::clear(&out);
    if shard.is_none() && !args.no_plots {
        written.extend(report::plots::draw_sweep_plots(&out)?);
    }
    // A shard holds runs without points.csv: its page comes with the merge.
    if shard.is_none() {
        written.push(report::html::write_report(&out)?);
    }
    if !args.quiet {
        say!(
            "sweep {}: {} points x {} seeds = {} runs{}, {:.2} s",
            sc.name,
            job.grid.points(),
            job.grid.seeds.len(),
            job.grid.runs(),
            shard.map_or(String::new(), |s| format!(
                " (shard {} of {}: {} runs)",
                s.index + 1,
                s.count,
                all.len()
            )),
            start.elapsed().as_secs_f64()
        );
        // Means over each point's seeds; a shard's rows are part of points it may not hold
        // whole, so it prints none.
        if shard.is_none() {
            say_raw!("{}", sweep::summary_table(&axis_names, &done));
        }
        for p in written {
            say!("wrote {}", p.display());
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// A shard's shard.json: its sweep's identity, which shard (1-based) of how many.
fn shard_of(dir: &std::path::Path) -> Result<Option<(String, u64, u64)>, gomemsim::Error> {
    let p = dir.join("shard.json");
    let Ok(bytes) = std::fs::read(&p) else {
        return Ok(None);
    };
    let bad = |what: &str| usage(format!("{}: {what}", p.display()));
    let v: serde_json::Value =
        serde_json::from_slice(&bytes).map_err(|e| bad(&format!("not JSON: {e}")))?;
    let sweep = v["sweep"]
        .as_str()
        .ok_or_else(|| bad("no `sweep` identity"))?;
    let shard = v["shard"]
        .as_u64()
        .ok_or_else(|| bad("no `shard` number"))?;
    let of = v["of"].as_u64().ok_or_else(|| bad("no `of` count"))?;
    Ok(Some((sweep.to_string(), shard, of)))
}

pub fn merge(args: &MergeArgs) -> Result<ExitCode, gomemsim::Error> {
    // Shards of one sweep only: the same identity and shard count, each shard once.
    let shards = args
        .dirs
        .iter()
        .map(|d| shard_of(d))
        .collect::<Result<Vec<_>, _>>()?;
    if let Some(Some((id, _, of))) = shards.first() {
        let mut seen = std::collections::BTreeSet::new();
        for (d, s) in args.dirs.iter().zip(&shards) {
            match s {
                Some((i, n, o)) if i == id && o == of => {
                    if !seen.insert(*n) {
                        return Err(usage(format!("{}: shard {n} of {of} again", d.display())));
                    }
                }
                Some((_, n, o)) => {
                    return Err(usage(format!(
                        "{}: shard {n} of {o} of another sweep (other scenario, overrides, grid \
                         or seeds than {}'s)",
                        d.display(),
                        args.dirs[0].display()
                    )));
                }
                None => {
                    return Err(usage(format!(
                        "{}: not a shard (no shard.json) while {} is one",
                        d.display(),
                        args.dirs[0].display()
                    )));
                }
            }
        }
    }
    let mut axes: Option<Vec<String>> = None;
    let mut rows = Vec::new();
    for d in &args.dirs {
        let p = d.join("sweep.csv");
        let bytes =
            std::fs::read(&p).map_err(|e| usage(format!("{}: cannot read: {e}", p.display())))?;
        let (a, r) =
            sweep::rows_from_csv(&bytes).map_err(|e| usage(format!("{}: {e}", p.display())))?;
        if axes.as_ref().is_some_and(|x| *x != a) {
            return Err(usage(format!("{}: another sweep's axes", p.display())));
        }
        axes = Some(a);
        rows.extend(r);
    }
    let axes = axes.unwrap_or_default();
    rows.sort_by_key(|r| r.run);
    for (i, r) in rows.iter().enumerate() {
        if r.run != i {
            return Err(usage(format!(
                "the shards do not make a whole sweep: run {i} is {}",
                if r.run < i { "there twice" } else { "missing" }
            )));
        }
    }
    let files = [
        ("sweep.csv", sweep::sweep_csv(&axes, &rows)),
        ("points.csv", sweep::points_csv(&axes, &rows)),
    ];
    let mut written = report::write_files(&args.out, &files)?;
    written.extend(report::plots::draw_sweep_plots(&args.out)?);
    written.push(report::html::write_report(&args.out)?);
    for p in written {
        say!("wrote {}", p.display());
    }
    Ok(ExitCode::SUCCESS)
}

#[derive(Debug, Args)]
pub struct PlotArgs {
    /// Directories written by `run`, `sweep` or `merge`.
    #[arg(required = true)]
    dirs: Vec<PathBuf>,
}

/// `gomemsim plot DIR...`: redraw every plot from the CSVs alone.
pub fn plot(args: &PlotArgs) -> Result<ExitCode, gomemsim::Error> {
    for d in &args.dirs {
        if !d.is_dir() {
            return Err(usage(format!("{}: not a directory", d.display())));
        }
        let mut written = Vec::new();
        if d.join("gc_cycles.csv").exists() || d.join("map_events.csv").exists() {
            written.extend(report::plots::draw_run_plots(d)?);
        }
        if d.join("points.csv").exists() {
            written.extend(report::plots::draw_sweep_plots(d)?);
        }
        // The page shows the plots: it is made again with them.
        if !written.is_empty() && d.join(report::html::REPORT_HTML).exists() {
            written.push(report::html::write_report(d)?);
        }
        if written.is_empty() {
            let sweep_csv = d.join("sweep.csv");
            if let Ok(bytes) = std::fs::read(&sweep_csv) {
                sweep::rows_from_csv(&bytes)
                    .map_err(|e| usage(format!("{}: {e}", sweep_csv.display())))?;
                return Err(usage(format!(
                    "{}: a shard's runs without points.csv; merge the shards with `gomemsim \
                     merge`, then plot the merged directory",
                    d.display()
                )));
            }
            return Err(usage(format!(
                "{}: nothing to plot: no gc_cycles.csv, map_events.csv or points.csv",
                d.display()
            )));
        }
        for p in written {
            say!("wrote {}", p.display());
        }
    }
    Ok(ExitCode::SUCCESS)
}
