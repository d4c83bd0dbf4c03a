//! `gomemsim run --trace`: trace.out, a Go 1.19 execution trace of the run, read by Go
//! 1.19's `go tool trace` (the Go tests are skipped, with a note, without a Go 1.19
//! toolchain; `GOMEMSIM_REQUIRE_GO=1` makes that a failure).

mod common;
mod go_toolchain;

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use common::bundled_scenarios;
use go_toolchain::Go;

/// Go 1.19's toolchain, whose `go tool trace` reads the 1.19 format.
fn go119(test: &str) -> Option<Go> {
    let go = Go::find(test)?;
    if go.minor() != Some(19) {
        go_toolchain::skip(
            test,
            "go tool trace of Go 1.19 reads this format; this Go is not 1.19",
        );
        return None;
    }
    Some(go)
}

fn trace_options() -> gomemsim::RunOptions {
    gomemsim::RunOptions {
        trace: Some(gomemsim::TraceOptions::default()),
        ..Default::default()
    }
}

/// Every bundled scenario's trace is consistent as recorded: the encoder, which walks the
/// go1.19 parser's state machine, has nothing to leave out; and it is byte-identical from
/// one run to the next.
#[test]
fn every_bundled_scenario_traces_without_an_inconsistent_event() {
    let contended = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/trace_mutex_service.toml");
    for file in bundled_scenarios().into_iter().chain([contended]) {
        let sc = gomemsim::scenario::load(&file, &[]).unwrap();
        let o = gomemsim::run_with(&sc, &trace_options()).unwrap();
        let tr = o.exec_trace.as_ref().expect("a trace was asked for");
        let enc = gomemsim::report::gotrace::encode(tr, &o.gc);
        assert_eq!(enc.left_out, 0, "{}", file.display());
        assert_eq!(&enc.bytes[..16], b"go 1.19 trace\0\0\0");
        let again = gomemsim::run_with(&sc, &trace_options()).unwrap();
        let enc2 = gomemsim::report::gotrace::encode(again.exec_trace.as_ref().unwrap(), &again.gc);
        assert!(
            enc.bytes == enc2.bytes,
            "{}: not deterministic",
            file.display()
        );
    }
}

/// The events `go tool trace -d` lists, by name.
fn event_counts(go: &Go, dir: &Path) -> std::collections::HashMap<String, u64> {
    let o = go.ok(dir, &["tool", "trace", "-d", "trace.out"]);
    let mut n = std::collections::HashMap::new();
    for line in String::from_utf8_lossy(&o.stdout).lines() {
        if let Some(name) = line.split_whitespace().nth(1) {
            *n.entry(name.to_string()).or_insert(0) += 1;
        }
    }
    n
}

/// GC cycles of the run whose start falls in `[from_ns, to_ns)`, from gc_cycles.csv.
fn cycles_started_in(dir: &Path, from_ns: u64, to_ns: u64) -> u64 {
    let mut r = csv::Reader::from_path(dir.join("gc_cycles.csv")).unwrap();
    let start = r
        .headers()
        .unwrap()
        .iter()
        .position(|h| h == "start_ns")
        .unwrap();
    r.records()
        .map(|rec| rec.unwrap()[start].parse::<u64>().unwrap())
        .filter(|&t| t >= from_ns && t < to_ns)
        .count() as u64
}

/// Go 1.19's `go tool trace -d` parses the trace of every bundled scenario (its parser
/// checks every goroutine, P and GC transition), and it has one GCStart per GC cycle of the
/// run. service_arrivals, whose whole run is over the event cap, is traced in a window.
#[test]
fn go_tool_trace_parses_every_bundled_scenario_with_one_gc_start_per_cycle() {
    let Some(go) = go119("go_tool_trace_parses_every_bundled_scenario") else {
        return;
    };
    for file in bundled_scenarios() {
        let dir = tempfile::tempdir().unwrap();
        let windowed = file.ends_with("service_arrivals.toml");
        let flags: &[&str] = if windowed {
            &["--trace-window", "0s..1s"]
        } else {
            &["--trace"]
        };
        common::run_cli_into(&file, dir.path(), flags);
        let n = event_counts(&go, dir.path());
        let to = if windowed { 1_000_000_000 } else { u64::MAX };
        let cycles = cycles_started_in(dir.path(), 0, to);
        assert_eq!(
            n.get("GCStart").copied().unwrap_or(0),
            cycles,
            "{}",
            file.display()
        );
        assert_eq!(n.get("GCStart"), n.get("GCDone"), "{}", file.display());
        assert!(
            n.get("GoStart").copied().unwrap_or(0) > 0,
            "{}",
            file.display()
        );
    }
}

/// Requests are user tasks with one region each, as trace.NewTask and trace.StartRegion
/// make them: every request of a run that ends is created and ended once. Map growth shows
/// as user log messages, one per growth event.
#[test]
fn requests_are_tasks_and_map_growth_is_logged() {
    let Some(go) = go119("requests_are_tasks_and_map_growth_is_logged") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let file = common::bundled("service_latency.toml");
    common::run_cli_into(&file, dir.path(), &["--trace"]);
    let n = event_counts(&go, dir.path());
    let tasks = n["UserTaskCreate"];
    assert!(tasks > 0);
    assert_eq!(n["UserTaskEnd"], tasks);
    assert_eq!(n["UserRegion"], 2 * tasks, "a start and an end per request");

    let dir = tempfile::tempdir().unwrap();
    let file = common::bundled("map_growth.toml");
    common::run_cli_into(&file, dir.path(), &["--trace"]);
    let n = event_counts(&go, dir.path());
    let events = std::fs::read_to_string(dir.path().join("map_events.csv")).unwrap();
    assert_eq!(n["UserLog"], events.lines().count() as u64 - 1);
}

/// `go tool trace -pprof=sched` (time from a goroutine's wake-up or creation to its start)
/// has samples for a service whose goroutines wait for a P.
#[test]
fn the_scheduler_latency_profile_is_not_empty() {
    let Some(go) = go119("the_scheduler_latency_profile_is_not_empty") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let file = common::bundled("service_latency.toml");
    common::run_cli_into(&file, dir.path(), &["--trace"]);
    let o = go.ok(dir.path(), &["tool", "trace", "-pprof=sched", "trace.out"]);
    std::fs::write(dir.path().join("sched.pb"), &o.stdout).unwrap();
    let raw = go.ok(dir.path(), &["tool", "pprof", "-raw", "sched.pb"]);
    let text = String::from_utf8_lossy(&raw.stdout);
    let samples: Vec<&str> = text
        .lines()
        .skip_while(|l| !l.starts_with("Samples:"))
        .skip(2)
        .take_while(|l| l.contains(':'))
        .collect();
    assert!(!samples.is_empty(), "{text}");
    assert!(
        text.contains("main.main"),
        "main's goroutines wait to start: {text}"
    );
}

/// A window keeps the GC cycles that start in it, and the goroutines already running when
/// it opens are created where they first appear (cmd/trace needs their entry stacks).
#[test]
fn a_window_keeps_its_stretch_of_the_run() {
    let Some(go) = go119("a_window_keeps_its_stretch_of_the_run") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let file = common::bundled("gc_service.toml");
    common::run_cli_into(&file, dir.path(), &["--trace-window", "1s..2s"]);
    let n = event_counts(&go, dir.path());
    let cycles = cycles_started_in(dir.path(), 1_000_000_000, 2_000_000_000);
    assert!(cycles > 0);
    assert_eq!(n["GCStart"], cycles);
}

/// The trace viewer's server (`go tool trace -http`) splits and serves the trace of a run
/// that died, of a window and of a whole run: it needs every goroutine's slice to end.
#[test]
fn the_trace_viewer_serves_the_trace() {
    let Some(go) = go119("the_trace_viewer_serves_the_trace") else {
        return;
    };
    for (scenario, flags) in [
        ("race_gc_yield.toml", &["--trace"][..]),
        ("service_latency.toml", &["--trace-window", "1s..1.01s"][..]),
        ("gc_gogc.toml", &["--trace"][..]),
    ] {
        let dir = tempfile::tempdir().unwrap();
        common::run_cli_into(&common::bundled(scenario), dir.path(), flags);
        // The trace tool itself, not `go tool trace`: killing the `go` wrapper would leave
        // the server running.
        let tooldir = go.ok(dir.path(), &["env", "GOTOOLDIR"]);
        let tool =
            std::path::PathBuf::from(String::from_utf8_lossy(&tooldir.stdout).trim()).join("trace");
        let mut child = std::process::Command::new(tool)
            .args(["-http=127.0.0.1:0", "trace.out"])
            .current_dir(dir.path())
            .env("BROWSER", "true")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stderr = child.stderr.take().unwrap();
        // Lines arrive on a channel, so a server that stalls without a word fails the test
        // at the deadline instead of hanging it.
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let deadline = Instant::now() + Duration::from_secs(120);
        let mut log = String::new();
        let mut listening = false;
        while let Some(left) = deadline.checked_duration_since(Instant::now()) {
            let Ok(line) = rx.recv_timeout(left) else {
                break;
            };
            log.push_str(&line);
            log.push('\n');
            if line.contains("listening on") {
                listening = true;
                break;
            }
        }
        let _ = child.kill();
        let _ = child.wait();
        assert!(
            listening,
            "{scenario}: go tool trace did not serve it:\n{log}"
        );
    }
}

/// A window that ends before it starts, or is not a window, is refused with exit 2.
#[test]
fn a_bad_window_is_refused() {
    for bad in ["3s..1s", "2s", "1s..x"] {
        let o = std::process::Command::new(common::bin())
            .args(["run", "--trace-window", bad, "--out"])
            .arg(tempfile::tempdir().unwrap().path())
            .arg(common::bundled("map_growth.toml"))
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(2), "{bad}");
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(err.contains("--trace-window"), "{bad}: {err}");
    }
}

/// Mark workers as Go labels them (runtime/mgc.go: gcMarkWorkerModeStrings). gc_gogc runs one
/// goroutine on GOMAXPROCS=2: the pacer wants 0.5 P of background marking, which rounds to
/// one dedicated worker, 100% off the goal, so it takes none and runs a fractional worker
/// instead (runtime/mgcpacer.go: startCycle, maxUtilError 0.3); the other P, idle, runs its
/// idle worker through every mark. With GOMAXPROCS=4 the pacer takes exactly one dedicated
/// worker per cycle (4 × 25% = 1).
#[test]
fn mark_workers_carry_their_labels() {
    let Some(go) = go119("mark_workers_carry_their_labels") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    common::run_cli_into(&common::bundled("gc_gogc.toml"), dir.path(), &["--trace"]);
    let d = go.ok(dir.path(), &["tool", "trace", "-d", "trace.out"]);
    let text = String::from_utf8_lossy(&d.stdout);
    let cycles = cycles_started_in(dir.path(), 0, u64::MAX);
    let idle = text
        .lines()
        .filter(|l| l.ends_with("label=GC (idle)"))
        .count() as u64;
    let dedicated = text
        .lines()
        .filter(|l| l.ends_with("label=GC (dedicated)"))
        .count();
    assert!(cycles > 0);
    assert_eq!(idle, cycles);
    assert_eq!(dedicated, 0);

    let dir = tempfile::tempdir().unwrap();
    common::run_cli_into(
        &common::bundled("gc_gogc.toml"),
        dir.path(),
        &["--trace", "--set", "runtime.gomaxprocs=4"],
    );
    let d = go.ok(dir.path(), &["tool", "trace", "-d", "trace.out"]);
    let text = String::from_utf8_lossy(&d.stdout);
    let cycles = cycles_started_in(dir.path(), 0, u64::MAX);
    let dedicated = text
        .lines()
        .filter(|l| l.ends_with("label=GC (dedicated)"))
        .count() as u64;
    assert_eq!(dedicated, cycles);
}
