//! Request latencies against real Go, through `gomemsim export-go`: the closed-loop service
//! of benches/go/service_latency (64 MiB live, each request 64 KiB in 4 KiB objects and
//! 20 us of CPU, GOMAXPROCS=2, GOGC=100), shortened to 1.5 s of which 300 ms warm-up, with
//! 1 and 4 workers started together. The program runs three times on real Go; the median of
//! each metric is compared with `gomemsim run`. Skipped, with a note, without a Go toolchain
//! (`GO` or `go` on PATH) or with fewer than 2 CPUs.
//!
//! The targets ([`TARGET`]): throughput within 15%, p50 within 25%, p99 and p99.9 within a
//! factor 1.5. The model meets the p50 with four workers, but not reliably the others: its
//! throughput runs 4-19% above real Go's with four workers and 3-18% below with one (a
//! request's p50 is 33 us simulated, 25-30 us real), and its tails are short everywhere.
//! So the tests check what the model reaches today, and
//! `cargo test --release --test differential_latency -- --ignored` checks the targets and
//! lists every miss. benches/go/service_latency/README.md has the whole grid.

mod common;
mod go_toolchain;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use common::{assert_ok, bin};
use go_toolchain::{GO_RUNS, Go, run_with_limit};
use serde_json::Value;

/// Runs of the real program; the median of each metric is compared.
const RUNS: usize = 3;

fn service() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("benches/go/service_latency/service.toml")
}

/// The overrides of a test configuration: `workers` workers, 1.5 s with a 300 ms warm-up.
fn overrides(workers: u32) -> Vec<String> {
    [
        format!("goroutines[0].count={workers}"),
        "goroutines[0].program[0].duration=1500ms".to_string(),
        "warmup=300ms".to_string(),
        "runtime.gogc=100".to_string(),
    ]
    .into_iter()
    .flat_map(|s| ["--set".to_string(), s])
    .collect()
}

/// The `key=value` fields of the line that starts with `prefix`.
fn fields(stdout: &str, prefix: &str) -> HashMap<String, f64> {
    let line = stdout
        .lines()
        .find(|l| l.starts_with(prefix))
        .unwrap_or_else(|| panic!("no line {prefix:?} in\n{stdout}"));
    go_toolchain::key_values(line)
}

/// Throughput, p50, p99, p99.9 (ns) and GC cycles of one run.
#[derive(Debug, Clone, Copy)]
struct Metrics {
    rps: f64,
    p50: f64,
    p99: f64,
    p999: f64,
    gc: f64,
}

/// The real program's result lines.
fn real_metrics(stdout: &str) -> Metrics {
    let req = fields(stdout, "request req ");
    let run = fields(stdout, "run ");
    Metrics {
        rps: req["throughput_rps"],
        p50: req["p50_ns"],
        p99: req["p99_ns"],
        p999: req["p999_ns"],
        gc: run["gc_cycles"],
    }
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// Each metric's median over the runs.
fn medians(runs: &[Metrics]) -> Metrics {
    let m = |f: fn(&Metrics) -> f64| median(runs.iter().map(f).collect());
    Metrics {
        rps: m(|r| r.rps),
        p50: m(|r| r.p50),
        p99: m(|r| r.p99),
        p999: m(|r| r.p999),
        gc: m(|r| r.gc),
    }
}

fn simulated(dir: &Path, set: &[String]) -> Metrics {
    let out = dir.join("sim");
    let o = Command::new(bin())
        .args(["run", "--no-plots", "-q", "--out"])
        .arg(&out)
        .arg(service())
        .args(set)
        .output()
        .unwrap();
    assert_ok(&o);
    let s: Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap()).unwrap();
    let req = &s["requests"]["req"];
    let f = |v: &Value| v.as_f64().unwrap_or_else(|| panic!("{s}"));
    Metrics {
        rps: f(&req["throughput_rps"]),
        p50: f(&req["p50_ns"]),
        p99: f(&req["p99_ns"]),
        p999: f(&req["p999_ns"]),
        gc: f(&s["gc_cycles"]),
    }
}

/// The real medians and the simulation of `workers` workers; `None` when skipped.
fn real_and_simulated(name: &str, workers: u32) -> Option<(Metrics, Metrics)> {
    let go = Go::find(name)?;
    let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
    if cpus < 2 {
        go_toolchain::skip(
            name,
            &format!("the scenario runs GOMAXPROCS=2 on {cpus} CPU"),
        );
        return None;
    }
    let _serial = GO_RUNS.lock().unwrap_or_else(|e| e.into_inner());
    let dir = tempfile::tempdir().unwrap();
    let set = overrides(workers);
    let extra: Vec<&str> = set.iter().map(String::as_str).collect();
    let prog = go.export_and_build(&service(), dir.path(), &extra);
    let runs: Vec<Metrics> = (0..RUNS)
        .map(|_| {
            let o = run_with_limit(Command::new(&prog), Duration::from_secs(60));
            assert_eq!(
                o.status.code(),
                Some(0),
                "{}",
                String::from_utf8_lossy(&o.stderr)
            );
            real_metrics(&String::from_utf8_lossy(&o.stdout))
        })
        .collect();
    let real = medians(&runs);
    let sim = simulated(dir.path(), &set);
    eprintln!("{name}: real Go runs {runs:?}\n  median {real:?}\n  simulated {sim:?}");
    Some((real, sim))
}

/// How close the simulation must come: relative errors for throughput, p50 and GC cycles,
/// factors (either way) for the tails.
#[derive(Debug, Clone, Copy)]
struct Bounds {
    rps: f64,
    p50: f64,
    p99: f64,
    p999: f64,
    gc: f64,
}

/// Where the model should be.
const TARGET: Bounds = Bounds {
    rps: 0.15,
    p50: 0.25,
    p99: 1.5,
    p999: 1.5,
    gc: 0.25,
};

/// What the model reaches with one worker, over ten runs of this test and two grids of
/// README.md (medians of three real runs each), with some margin: throughput -3..-18%, p50
/// +14..+30%, p99 x0.48..0.63, p99.9 x0.31..0.54, GC cycles -8..-19%. The machine's speed
/// moved by ~12% between sessions (VM neighbours); within one, by ~3%.
const ONE_WORKER: Bounds = Bounds {
    rps: 0.25,
    p50: 0.40,
    p99: 3.0,
    p999: 5.0,
    gc: 0.30,
};

/// What the model reaches with four workers, over ten runs: throughput +4..+19% (the
/// simulated 59.6k req/s against 50.3k..57.6k real), p50 +0..+10%, p99 x0.29..0.46 (real
/// Go's requests meet the GC far more often), p99.9 x0.62..0.69 (the real scheduler's time
/// slices last 10-20 ms, the model's 10 ms), GC cycles +12..+30%.
const FOUR_WORKERS: Bounds = Bounds {
    rps: 0.25,
    p50: 0.25,
    p99: 5.0,
    p999: 2.0,
    gc: 0.40,
};

/// Every bound that `sim` misses against `real`, described.
fn misses(real: &Metrics, sim: &Metrics, b: &Bounds) -> Vec<String> {
    let mut out = Vec::new();
    let mut rel = |what: &str, r: f64, s: f64, tol: f64| {
        let err = (s - r) / r;
        if err.abs() > tol {
            out.push(format!(
                "{what}: simulated {s:.0}, real {r:.0}: {:+.1}%, outside ±{:.0}%",
                100.0 * err,
                100.0 * tol
            ));
        }
    };
    rel("throughput (req/s)", real.rps, sim.rps, b.rps);
    rel("p50 (ns)", real.p50, sim.p50, b.p50);
    rel("GC cycles", real.gc, sim.gc, b.gc);
    for (what, r, s, factor) in [
        ("p99 (ns)", real.p99, sim.p99, b.p99),
        ("p99.9 (ns)", real.p999, sim.p999, b.p999),
    ] {
        let ratio = s / r;
        if !(1.0 / factor..=factor).contains(&ratio) {
            out.push(format!(
                "{what}: simulated {s:.0}, real {r:.0}: x{ratio:.2}, outside x{factor}"
            ));
        }
    }
    out
}

fn latency_matches_real_go(name: &str, workers: u32, bounds: &Bounds) {
    let Some((real, sim)) = real_and_simulated(name, workers) else {
        return;
    };
    let missed = misses(&real, &sim, bounds);
    assert!(missed.is_empty(), "{name}:\n  {}", missed.join("\n  "));
}

/// One worker on two Ps: real Go sweeps and marks on the idle one, off the request path.
#[test]
fn one_worker_latency_matches_real_go() {
    latency_matches_real_go("one_worker_latency_matches_real_go", 1, &ONE_WORKER);
}

/// Four workers on two Ps: the scheduler's time slices make the p99.9.
#[test]
fn four_workers_latency_matches_real_go() {
    latency_matches_real_go("four_workers_latency_matches_real_go", 4, &FOUR_WORKERS);
}

/// The targets, for both configurations; fails listing every bound the model misses.
#[test]
#[ignore = "the model does not reach these yet: the tails everywhere, throughput and p50 \
            with one worker"]
fn latency_reaches_the_targets() {
    let mut missed = Vec::new();
    for workers in [1, 4] {
        let name = format!("latency_reaches_the_targets, {workers} worker(s)");
        if let Some((real, sim)) = real_and_simulated(&name, workers) {
            missed.extend(
                misses(&real, &sim, &TARGET)
                    .into_iter()
                    .map(|m| format!("{workers} worker(s): {m}")),
            );
        }
    }
    assert!(
        missed.is_empty(),
        "missed targets:\n  {}",
        missed.join("\n  ")
    );
}
