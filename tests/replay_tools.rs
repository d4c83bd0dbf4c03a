//! `gomemsim replay --trace --profile --metrics`: a replayed schedule opens in the same
//! tools as a run — go tool trace and go tool pprof of Go 1.19, promtool (skipped, with a
//! note, where they are missing; CI requires them).

mod common;
mod go_toolchain;

use std::path::Path;
use std::process::Command;

use go_toolchain::Go;

/// The race scenarios whose default exploration finds a failing schedule to replay.
const RACES: [&str; 4] = [
    "race_minimal.toml",
    "race_gc_yield.toml",
    "race_read_write.toml",
    "race_iterate_write.toml",
];

/// The first failing schedule's token of `gomemsim race FILE`, explored into `dir`.
fn failing_token(file: &Path, dir: &Path) -> String {
    common::cli_into(&["race", "-q", "--schedules", "20"], file, dir, &[]);
    let json = std::fs::read_to_string(dir.join("race.json")).unwrap();
    let at = json.find("\"token\": \"").expect("a failing schedule") + 10;
    json[at..at + json[at..].find('"').unwrap()].to_string()
}

/// `gomemsim replay FILE --schedule TOKEN` with `flags`, into `dir`.
fn replay_into(file: &Path, token: &str, dir: &Path, flags: &[&str]) {
    common::cli_into(&["replay", "-q", "--schedule", token], file, dir, flags);
}

/// Every failing schedule of the race scenarios converts to a trace the go1.19 parser's
/// state machine accepts whole.
#[test]
fn replayed_schedules_trace_without_an_inconsistent_event() {
    for name in RACES {
        let file = common::bundled(name);
        let dir = tempfile::tempdir().unwrap();
        let token: gomemsim::explore::Token = failing_token(&file, dir.path()).parse().unwrap();
        let sc = gomemsim::scenario::load(&file, &[]).unwrap();
        let t = gomemsim::explore::replay(&sc, &token).unwrap();
        let exec = gomemsim::report::gotrace::from_schedule(&t);
        let enc = gomemsim::report::gotrace::encode(&exec, &t.gc_cycles);
        assert_eq!(enc.left_out, 0, "{name}");
    }
}

/// `go tool trace -d` parses a replay's trace.out, with one GCStart per cycle the schedule
/// finished, and go tool pprof's alloc_space sums to the replay's total_alloc_bytes.
#[test]
fn go_tools_read_a_replays_trace_and_profile() {
    let Some(go) = Go::find("go_tools_read_a_replays_trace_and_profile") else {
        return;
    };
    if go.minor() != Some(19) {
        go_toolchain::skip(
            "go_tools_read_a_replays_trace_and_profile",
            "go tool trace of Go 1.19 reads this format; this Go is not 1.19",
        );
        return;
    }
    for name in RACES {
        let file = common::bundled(name);
        let dir = tempfile::tempdir().unwrap();
        let token = failing_token(&file, dir.path());
        let out = dir.path().join("replay");
        replay_into(&file, &token, &out, &["--trace", "--profile"]);
        let d = go.ok(&out, &["tool", "trace", "-d", "trace.out"]);
        let text = String::from_utf8_lossy(&d.stdout);
        let gc_starts = text.lines().filter(|l| l.contains(" GCStart ")).count();
        let summary: serde_json::Value =
            serde_json::from_slice(&std::fs::read(out.join("summary.json")).unwrap()).unwrap();
        assert_eq!(
            gc_starts as u64,
            summary["gc_cycles"].as_u64().unwrap(),
            "{name}"
        );
        assert!(text.lines().any(|l| l.contains(" GoStart ")), "{name}");
        // One goroutine per scenario goroutine that took a step, as the replay lists them.
        let sc = gomemsim::scenario::load(&file, &[]).unwrap();
        let t = gomemsim::explore::replay(&sc, &token.parse().unwrap()).unwrap();
        let stepped: std::collections::BTreeSet<u32> =
            t.steps.iter().map(|s| s.goroutine).collect();
        let created = text.lines().filter(|l| l.contains(" GoCreate ")).count();
        assert_eq!(created, stepped.len(), "{name}");
        let raw = go.ok(&out, &["tool", "pprof", "-raw", "allocs.pb.gz"]);
        let raw = String::from_utf8_lossy(&raw.stdout);
        let total: u64 = raw
            .lines()
            .skip_while(|l| !l.starts_with("alloc_objects/count"))
            .skip(1)
            .take_while(|l| l.contains(':'))
            .map(|l| l.split_whitespace().nth(1).unwrap().parse::<u64>().unwrap())
            .sum();
        assert_eq!(
            total,
            summary["total_alloc_bytes"].as_u64().unwrap(),
            "{name}"
        );
    }
}

/// promtool backfills a replay's metrics.om.
#[test]
fn promtool_backfills_a_replays_metrics() {
    let Some(promtool) = common::promtool("promtool_backfills_a_replays_metrics") else {
        return;
    };
    let file = common::bundled("race_gc_yield.toml");
    let dir = tempfile::tempdir().unwrap();
    let token = failing_token(&file, dir.path());
    let out = dir.path().join("replay");
    replay_into(
        &file,
        &token,
        &out,
        &["--metrics", "--scrape-interval", "1ms"],
    );
    let om = std::fs::read_to_string(out.join("metrics.om")).unwrap();
    assert!(om.ends_with("# EOF\n"));
    assert!(om.contains("go_memstats_alloc_bytes_total"));
    let o = Command::new(promtool)
        .args(["tsdb", "create-blocks-from", "openmetrics"])
        .arg(out.join("metrics.om"))
        .arg(dir.path().join("tsdb"))
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
}
