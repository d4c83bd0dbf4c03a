//! Command-line definitions (clap derive) and one handler per subcommand.

/// `println!` that stops quietly when stdout is closed (`gomemsim ... | head`) instead of
/// panicking: the rest of the output has nowhere to go, and the results are already written.
macro_rules! say {
    ($($t:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout(), $($t)*);
    }};
}

/// `print!` likewise.
macro_rules! say_raw {
    ($($t:tt)*) => {{
        use std::io::Write as _;
        let _ = write!(std::io::stdout(), $($t)*);
    }};
}

mod calibrate;
mod check;
mod export_go;
mod race;
mod replay;
mod report;
mod run;
mod sweep;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
use gomemsim::Override;

/// A deterministic simulator of the Go runtime's memory behaviour: map growth, GC pacing,
/// map races. Same scenario and seed, same bytes out.
#[derive(Debug, Parser)]
#[command(name = "gomemsim", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run a scenario and write its results (summary.json, map_events.csv).
    Run(run::RunArgs),
    /// Validate a scenario file without running it.
    Check(check::CheckArgs),
    /// Explore how the goroutines interleave at the runtime's own steps: concurrent map
    /// writes, data races, corrupted maps, each with a replay token.
    Race(race::RaceArgs),
    /// Run one schedule again, exactly, from its token.
    Replay(replay::ReplayArgs),
    /// Run the scenario over a grid of settings and seeds, in parallel: sweep.csv, points.csv.
    Sweep(sweep::SweepArgs),
    /// Join the shards of a sweep (`sweep --shard`) into one sweep.csv and points.csv.
    Merge(sweep::MergeArgs),
    /// Redraw the plots of `run` or `sweep` output directories from their CSVs alone.
    Plot(sweep::PlotArgs),
    /// Write the scenario's workload as a Go program (main.go) to run on a real toolchain.
    #[command(name = "export-go")]
    ExportGo(export_go::ExportGoArgs),
    /// Fit a scenario to a real GODEBUG=gctrace=1 log and project it under other GOGC /
    /// GOMEMLIMIT settings: fitted.toml, fit.json, projection.csv.
    Calibrate(calibrate::CalibrateArgs),
    /// Write report.html, one self-contained page, for result directories written before.
    Report(report::ReportArgs),
}

/// Options that change the scenario as loaded.
#[derive(Debug, Args)]
struct ScenarioArgs {
    /// The scenario file (TOML).
    file: PathBuf,
    /// Override the scenario's seed.
    #[arg(long)]
    seed: Option<u64>,
    /// Override any scenario field, e.g. `--set runtime.gogc=50` or `--set maps[0].hint=1000`.
    #[arg(long = "set", value_name = "FIELD=VALUE")]
    set: Vec<Override>,
}

impl ScenarioArgs {
    /// The scenario file's name, without its directory (a profile's main binary name).
    fn file_name(&self) -> String {
        self.file
            .file_name()
            .map_or_else(String::new, |n| n.to_string_lossy().into_owned())
    }

    /// Loads the scenario with `--seed` and every `--set` applied, in order.
    fn load(&self) -> Result<gomemsim::Scenario, gomemsim::Error> {
        gomemsim::load(&self.file, &self.overrides())
    }

    /// Every `--set`, then `--seed`, as overrides.
    fn overrides(&self) -> Vec<Override> {
        let mut overrides = self.set.clone();
        if let Some(seed) = self.seed {
            overrides.push(Override {
                key: "seed".into(),
                value: seed.to_string(),
            });
        }
        overrides
    }
}

/// A count written as an integer (`10000000000`, `10_000_000_000`) or in exponent form
/// (`1e10`): a limit a user types.
fn parse_count(s: &str) -> Result<u64, String> {
    let t = s.trim().replace('_', "");
    if let Ok(n) = t.parse::<u64>()
        && n >= 1
    {
        return Ok(n);
    }
    match t.parse::<f64>() {
        Ok(x) if x >= 1.0 && x.fract() == 0.0 && x < u64::MAX as f64 => Ok(x as u64),
        _ => Err(format!(
            "expected a whole number of at least 1, such as 1e12 or 1000000000000, got `{s}`"
        )),
    }
}

/// Parses arguments, runs the subcommand, prints errors, returns the exit code.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match &cli.command {
        Command::Run(args) => run::run(args),
        Command::Check(args) => check::check(args),
        Command::Race(args) => race::race(args),
        Command::Replay(args) => replay::replay(args),
        Command::Sweep(args) => sweep::sweep(args),
        Command::Merge(args) => sweep::merge(args),
        Command::Plot(args) => sweep::plot(args),
        Command::ExportGo(args) => export_go::export_go(args),
        Command::Calibrate(args) => calibrate::calibrate(args),
        Command::Report(args) => report::report(args),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            // Usage, input and output errors all exit 2; 1 is kept for a simulated
            // program that died, so scripts can tell the two apart.
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
    }
}

/// A progress bar on stderr (done / total, rate, ETA) counting `unit`, hidden with --quiet or
/// when stderr is not a terminal, so logs and pipes stay clean.
fn progress_bar(total: u64, unit: &str, quiet: bool) -> indicatif::ProgressBar {
    use std::io::IsTerminal;
    if quiet || !std::io::stderr().is_terminal() {
        return indicatif::ProgressBar::hidden();
    }
    let bar = indicatif::ProgressBar::new(total);
    let template = format!("{{bar:40}} {{pos}}/{{len}} {unit}  {{per_sec}}  ETA {{eta}}");
    bar.set_style(indicatif::ProgressStyle::with_template(&template).expect("a valid template"));
    bar
}

/// A spinner on stderr naming the stage a long command is in (its elapsed time beside),
/// hidden with --quiet or when stderr is not a terminal.
fn stage_spinner(quiet: bool) -> indicatif::ProgressBar {
    use std::io::IsTerminal;
    if quiet || !std::io::stderr().is_terminal() {
        return indicatif::ProgressBar::hidden();
    }
    let bar = indicatif::ProgressBar::new_spinner();
    bar.set_style(
        indicatif::ProgressStyle::with_template("{spinner} {msg} ({elapsed})")
            .expect("a valid template"),
    );
    bar.enable_steady_tick(std::time::Duration::from_millis(120));
    bar
}

/// A spinner on a terminal showing the virtual time a run has reached, for a run that
/// takes more than a moment (none with --quiet or when stderr is not a terminal).
pub struct VirtualClock {
    /// Where the run writes the virtual time it reached (ns).
    pub reached: std::sync::Arc<std::sync::atomic::AtomicU64>,
    done: std::sync::Arc<std::sync::atomic::AtomicBool>,
    drawer: std::thread::JoinHandle<()>,
}

impl VirtualClock {
    /// Starts the spinner's thread; it shows nothing during the first half second.
    pub fn start(quiet: bool) -> Option<VirtualClock> {
        use std::io::IsTerminal;
        use std::sync::atomic::Ordering;
        if quiet || !std::io::stderr().is_terminal() {
            return None;
        }
        let reached = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
        let done = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let (r, d) = (reached.clone(), done.clone());
        let drawer = std::thread::spawn(move || {
            let start = std::time::Instant::now();
            let mut bar: Option<indicatif::ProgressBar> = None;
            while !d.load(Ordering::Relaxed) {
                std::thread::sleep(std::time::Duration::from_millis(100));
                if start.elapsed() < std::time::Duration::from_millis(500) {
                    continue;
                }
                let b = bar.get_or_insert_with(|| {
                    let b = indicatif::ProgressBar::new_spinner();
                    b.set_style(
                        indicatif::ProgressStyle::with_template(
                            "{spinner} simulating: {msg} of virtual time ({elapsed})",
                        )
                        .expect("a valid template"),
                    );
                    b
                });
                b.set_message(format!("{:.3} s", r.load(Ordering::Relaxed) as f64 / 1e9));
                b.tick();
            }
            if let Some(b) = bar {
                b.finish_and_clear();
            }
        });
        Some(VirtualClock {
            reached,
            done,
            drawer,
        })
    }

    /// Stops and clears the spinner.
    pub fn finish(self) {
        self.done.store(true, std::sync::atomic::Ordering::Relaxed);
        let _ = self.drawer.join();
    }
}

/// A `--time-limit` as the messages about it show it (empty without one).
pub fn limit_text(limit: Option<gomemsim::scenario::units::Dur>) -> String {
    limit.map(|d| d.to_string()).unwrap_or_default()
}

/// A flag another thread sets once `limit` of wall-clock time has passed (none without a
/// limit): what `--time-limit` hands to the engine, which stops where it is.
pub fn time_limit(
    limit: Option<gomemsim::scenario::units::Dur>,
) -> Option<std::sync::Arc<std::sync::atomic::AtomicBool>> {
    let limit = limit?;
    let flag = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let set = std::sync::Arc::clone(&flag);
    let wall = std::time::Duration::from_nanos(limit.as_ps() / 1000);
    std::thread::spawn(move || {
        std::thread::sleep(wall);
        set.store(true, std::sync::atomic::Ordering::Relaxed);
    });
    Some(flag)
}

/// A `--time-limit` or `--scrape-interval`: a duration of at least 1 ms (metrics.om's
/// timestamps are in ms; a shorter time limit would stop before anything ran).
pub fn parse_at_least_1ms(s: &str) -> Result<gomemsim::scenario::units::Dur, String> {
    let d: gomemsim::scenario::units::Dur = s.parse()?;
    if d.as_ps() < 1_000_000_000 {
        return Err(format!(
            "{s} is shorter than 1ms, the least this option takes"
        ));
    }
    Ok(d)
}

/// A `--trace-window FROM..TO` of virtual time, either end optional (`2s..3s`, `..500ms`,
/// `1s..`), as ns.
pub fn parse_window(s: &str) -> Result<(u64, u64), String> {
    let Some((from, to)) = s.split_once("..") else {
        return Err(format!(
            "{s} is not a window: write FROM..TO, as 2s..3s, 1s.. or ..500ms"
        ));
    };
    let end = |v: &str, default: u64| -> Result<u64, String> {
        if v.trim().is_empty() {
            return Ok(default);
        }
        let d: gomemsim::scenario::units::Dur = v.trim().parse()?;
        Ok(d.as_ps() / 1000)
    };
    let (from, to) = (end(from, 0)?, end(to, u64::MAX)?);
    if from >= to {
        return Err(format!("{s}: the window ends before it starts"));
    }
    Ok((from, to))
}

/// `--out` must be a directory or not exist yet: said before anything runs.
pub fn check_out_dir(out: &std::path::Path) -> Result<(), gomemsim::Error> {
    if out.exists() && !out.is_dir() {
        return Err(gomemsim::Error::Usage(format!(
            "{}: --out is a file, not a directory",
            out.display()
        )));
    }
    Ok(())
}
