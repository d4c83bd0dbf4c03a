//! End-to-end tests of the `gomemsim` binary: the README's first command, outputs, exit codes.

mod common;

use std::process::Command;

use common::{assert_ok, bin, bundled};

fn gomemsim(args: &[&str]) -> std::process::Output {
    Command::new(bin())
        .args(args)
        .output()
        .expect("binary runs")
}

#[test]
fn run_writes_summary_and_events_and_prints_a_summary() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("growth");
    let o = gomemsim(&[
        "run",
        bundled("map_growth.toml").to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_ok(&o);
    let stdout = String::from_utf8(o.stdout).unwrap();
    assert!(stdout.contains("B=12"), "{stdout}");
    assert!(stdout.contains("12 doubling"), "{stdout}");
    assert!(stdout.contains("simulated time"), "{stdout}");

    let summary: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("summary.json")).unwrap()).unwrap();
    for field in [
        "scenario",
        "seed",
        "sim_time_ns",
        "gc_cycles",
        "total_alloc_bytes",
        "peak_heap_bytes",
        "stw_total_ns",
        "stw_max_ns",
        "gc_cpu_fraction",
        "fatal",
    ] {
        assert!(summary.get(field).is_some(), "summary.json lacks {field}");
    }
    assert_eq!(summary["scenario"], "map_growth");
    assert_eq!(summary["fatal"], serde_json::Value::Null);
    assert_eq!(summary["maps"][0]["b"], 12);
    assert_eq!(summary["maps"][0]["count"], 20000);

    let csv = std::fs::read_to_string(out.join("map_events.csv")).unwrap();
    let mut lines = csv.lines();
    assert_eq!(
        lines.next(),
        Some(
            "map,op,event,b_before,b_after,count,noverflow,slots_before,slots_after,global_depth,tables"
        )
    );
    // The first growth starts and ends in insert 9 (runtime/map.go: overLoadFactor); the
    // Swiss map's columns stay empty on a classic map's rows.
    assert_eq!(lines.next(), Some("m,9,grow_start,0,1,9,0,,,,"));
    assert_eq!(lines.next(), Some("m,9,grow_end,0,1,9,0,,,,"));
    assert_eq!(
        csv.lines().filter(|l| l.contains(",grow_start,")).count(),
        12
    );
}

#[test]
fn prealloc_scenario_never_grows() {
    let dir = tempfile::tempdir().unwrap();
    let o = gomemsim(&[
        "run",
        bundled("map_prealloc.toml").to_str().unwrap(),
        "--out",
        dir.path().to_str().unwrap(),
        "--quiet",
    ]);
    assert_eq!(o.status.code(), Some(0));
    assert!(o.stdout.is_empty(), "--quiet prints nothing");
    let csv = std::fs::read_to_string(dir.path().join("map_events.csv")).unwrap();
    assert_eq!(
        csv,
        "map,op,event,b_before,b_after,count,noverflow,slots_before,slots_after,global_depth,tables\n"
    );
}

#[test]
fn churn_scenario_grows_at_the_same_size() {
    let dir = tempfile::tempdir().unwrap();
    let o = gomemsim(&[
        "run",
        bundled("map_churn.toml").to_str().unwrap(),
        "--out",
        dir.path().to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0));
    let csv = std::fs::read_to_string(dir.path().join("map_events.csv")).unwrap();
    let same: Vec<_> = csv
        .lines()
        .filter(|l| l.contains(",same_size_grow_start,"))
        .collect();
    assert!(!same.is_empty(), "{csv}");
    // A same-size growth keeps B (its b_before equals its b_after), at the final B of 11
    // for 10000 live keys (13 * 2^11 / 2 = 13312 >= 10000 > 6656).
    for row in same {
        let f: Vec<_> = row.split(',').collect();
        assert_eq!((f[3], f[4]), ("11", "11"), "{row}");
    }
}

#[test]
fn seed_and_set_override_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let o = gomemsim(&[
        "run",
        bundled("map_growth.toml").to_str().unwrap(),
        "--out",
        dir.path().to_str().unwrap(),
        "--seed",
        "7",
        "--set",
        "maps[0].hint=20000",
    ]);
    assert_ok(&o);
    let summary: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("summary.json")).unwrap()).unwrap();
    assert_eq!(summary["seed"], 7);
    assert_eq!(summary["maps"][0]["growths"], 0);
    // The scenario as run is written beside the results, overrides applied.
    let resolved = std::fs::read_to_string(dir.path().join("scenario.toml")).unwrap();
    assert!(resolved.contains("seed = 7"), "{resolved}");
    assert!(resolved.contains("hint = 20000"), "{resolved}");
}

#[test]
fn check_accepts_every_bundled_scenario() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    let mut n = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "toml") {
            let o = gomemsim(&["check", path.to_str().unwrap()]);
            assert_eq!(
                o.status.code(),
                Some(0),
                "{}: {}",
                path.display(),
                String::from_utf8_lossy(&o.stderr)
            );
            n += 1;
        }
    }
    assert!(n >= 3);
}

/// A malformed scenario: exit 2, a message naming file, line and field, no panic, no results.
fn assert_refused(text: &str, line: usize, field: &str, extra: &[&str]) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("bad.toml");
    std::fs::write(&file, text).unwrap();
    let out = dir.path().join("out");
    for cmd in ["check", "run"] {
        let mut args = vec![cmd, file.to_str().unwrap()];
        if cmd == "run" {
            args.extend(["--out", out.to_str().unwrap()]);
        }
        args.extend(extra);
        let o = gomemsim(&args);
        let stderr = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{cmd}: {stderr}");
        assert!(
            stderr.contains(&format!("bad.toml:{line}:")),
            "{cmd}: no line {line} in: {stderr}"
        );
        assert!(
            stderr.contains(field),
            "{cmd}: no field {field} in: {stderr}"
        );
        assert!(!stderr.contains("panicked"), "{stderr}");
        assert!(!stderr.contains("RUST_BACKTRACE"), "{stderr}");
        assert!(!out.exists(), "{cmd}: results written despite the error");
    }
}

const GOOD_HEAD: &str =
    "name = \"bad\"\n[[maps]]\nname = \"m\"\nkey = \"int64\"\nelem = \"int64\"\n";

#[test]
fn malformed_scenarios_exit_2_naming_line_and_field() {
    // Unknown map key type: the Go compiler's wording.
    assert_refused(
        "name = \"bad\"\n[[maps]]\nname = \"m\"\nkey = \"[]int\"\nelem = \"int64\"\n",
        4,
        "maps[0].key",
        &[],
    );
    // A typo in an op.
    assert_refused(
        &format!(
            "{GOOD_HEAD}[[goroutines]]\nname = \"w\"\nprogram = [\n  {{ op = \"insert\", map = \"m\", nn = 5 }},\n]\n"
        ),
        9,
        "nn",
        &[],
    );
    // An undeclared map.
    assert_refused(
        &format!(
            "{GOOD_HEAD}[[goroutines]]\nname = \"w\"\nprogram = [\n  {{ op = \"insert\", map = \"q\", n = 5 }},\n]\n"
        ),
        9,
        "goroutines[0].program[0].map",
        &[],
    );
    // A bad unit.
    assert_refused(
        "name = \"bad\"\n[heap]\nlive = \"64MB/s\"\n",
        3,
        "heap.live",
        &[],
    );
    // TOML syntax.
    assert_refused("name = \"bad\"\n[runtime\ngogc = 1\n", 2, "", &[]);
    // A release not modelled.
    assert_refused(
        "name = \"bad\"\n[runtime]\ngo = \"1.25\"\n",
        3,
        "not modelled yet",
        &[],
    );
}

#[test]
fn bad_overrides_exit_2() {
    for (set, want) in [
        ("runtime.gocg=50", "runtime.gocg"),
        ("runtime.gogc=-5", "runtime.gogc"),
        ("noequals", "noequals"),
    ] {
        let o = gomemsim(&[
            "check",
            bundled("map_growth.toml").to_str().unwrap(),
            "--set",
            set,
        ]);
        let stderr = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{set}: {stderr}");
        assert!(stderr.contains(want), "{set}: {stderr}");
    }
}

#[test]
fn missing_file_and_bad_usage_exit_2() {
    let o = gomemsim(&["run", "no/such/file.toml"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("no/such/file.toml"));
    let o = gomemsim(&["frobnicate"]);
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn a_scenario_too_big_for_memory_is_refused_up_front() {
    // 1e14 fresh keys cannot fit: refused before running, by `check` and by `run`, naming
    // the file and the map. (A huge hint alone is not: makemap resets a hint whose buckets
    // would exceed maxAlloc to 0, as Go does.)
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("huge.toml");
    std::fs::write(
        &file,
        format!("{GOOD_HEAD}[[goroutines]]\nname = \"w\"\nprogram = [ {{ op = \"insert\", map = \"m\", n = 100000000000000 }} ]\n"),
    )
    .unwrap();
    for cmd in ["check", "run"] {
        let out = dir.path().join("o");
        let mut args = vec![cmd, file.to_str().unwrap()];
        if cmd == "run" {
            args.extend(["--out", out.to_str().unwrap()]);
        }
        let o = gomemsim(&args);
        let stderr = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{cmd}: {stderr}");
        assert!(
            stderr.contains("huge.toml") && stderr.contains("map `m`"),
            "{cmd}: {stderr}"
        );
        assert!(!dir.path().join("o").exists());
    }
}

#[test]
fn a_heap_past_the_address_space_dies_like_go() {
    // 4 PiB of retained memory: Go's mallocgc fails with "fatal error: runtime: out of
    // memory" (the heap lives in a 48-bit address space); the simulated program exits 1.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("oom.toml");
    std::fs::write(
        &file,
        "name = \"oom\"\n[[goroutines]]\nname = \"w\"\nprogram = [ { op = \"retain\", bytes = \"4096TiB\", size = \"1GiB\" } ]\n",
    )
    .unwrap();
    let out = dir.path().join("o");
    let o = gomemsim(&[
        "run",
        file.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "-q",
    ]);
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("fatal error: runtime: out of memory"),
        "{stderr}"
    );
    let summary: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("summary.json")).unwrap()).unwrap();
    assert_eq!(summary["fatal"], "runtime: out of memory");
}

#[test]
fn run_takes_many_goroutines_locks_and_requests() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("two.toml");
    std::fs::write(
        &file,
        format!(
            "{GOOD_HEAD}[[goroutines]]\nname = \"w\"\ncount = 3\nprogram = [ {{ op = \"request\", \
             name = \"put\", body = [{{ op = \"lock\" }}, {{ op = \"insert\", map = \"m\", n = 1 }}, \
             {{ op = \"unlock\" }}] }} ]\n"
        ),
    )
    .unwrap();
    let out = dir.path().join("o");
    let o = gomemsim(&[
        "run",
        file.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(0), "{stderr}");
    let summary: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("summary.json")).unwrap()).unwrap();
    assert_eq!(summary["requests"]["put"]["count"], 3);
    assert_eq!(summary["max_goroutines"], 3);
    let csv = std::fs::read_to_string(out.join("latency.csv")).unwrap();
    assert!(
        csv.starts_with("request,bucket_low_ns,bucket_high_ns,count,cumulative_fraction\nput,"),
        "{csv}"
    );
    assert!(csv.trim_end().ends_with(",1.000000"), "{csv}");
}

#[test]
fn race_finds_the_crash_and_replay_reproduces_it() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = bundled("race_minimal.toml");
    let o = gomemsim(&[
        "race",
        scenario.to_str().unwrap(),
        "--strategy",
        "pct",
        "--schedules",
        "50",
        "--out",
        dir.path().to_str().unwrap(),
    ]);
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert_eq!(o.status.code(), Some(1), "a crash was found: {stdout}");
    let race: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("race.json")).unwrap()).unwrap();
    assert_eq!(race["strategy"], "pct");
    assert_eq!(race["schedules"], 50);
    let total: u64 = race["outcomes"]
        .as_object()
        .unwrap()
        .values()
        .map(|v| v.as_u64().unwrap())
        .sum();
    assert_eq!(total, 50, "outcome counts add up to the schedules");
    assert_eq!(race["first_failure"]["fatal"], "concurrent map writes");
    let first = race["first_failure"]["token"].as_str().unwrap().to_string();
    assert!(stdout.contains(&format!("--schedule {first}")), "{stdout}");
    // The failure shrunk to its minimum (four steps of one writer, then another's entry
    // check), printed first, and shown in schedule.txt.
    let token = race["shrunk_failure"]["token"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(race["shrunk_failure"]["steps"], 5);
    assert_eq!(race["shrunk_failure"]["preemptions"], 1);
    let minimal = stdout.find("minimal failing schedule").expect("printed");
    assert!(minimal < stdout.find("first failure").unwrap(), "{stdout}");
    assert!(stdout.contains(&format!("--schedule {token}")), "{stdout}");
    let schedule = std::fs::read_to_string(dir.path().join("schedule.txt")).unwrap();
    assert!(schedule.contains("fatal error: concurrent map writes"));
    assert!(
        std::fs::read_to_string(dir.path().join("swimlane.svg"))
            .unwrap()
            .starts_with("<svg")
    );

    // Replay writes the same schedule, byte for byte, twice; exits 1 and prints Go's crash.
    for out in ["r1", "r2"] {
        let out = dir.path().join(out);
        let o = gomemsim(&[
            "replay",
            scenario.to_str().unwrap(),
            "--schedule",
            &token,
            "--out",
            out.to_str().unwrap(),
        ]);
        assert_eq!(o.status.code(), Some(1));
        assert!(
            String::from_utf8_lossy(&o.stderr).starts_with("fatal error: concurrent map writes\n")
        );
        assert_eq!(
            std::fs::read_to_string(out.join("schedule.txt")).unwrap(),
            schedule
        );
        let summary: serde_json::Value =
            serde_json::from_slice(&std::fs::read(out.join("summary.json")).unwrap()).unwrap();
        assert_eq!(summary["fatal"], "concurrent map writes");
    }
    // A bad token: exit 2 with what a token looks like.
    let o = gomemsim(&[
        "replay",
        scenario.to_str().unwrap(),
        "--schedule",
        "nonsense",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("s<seed>-t<hex>"));
}

#[test]
fn a_closed_stdout_ends_quietly_not_in_a_panic() {
    // `gomemsim ... | head -1`: the reader goes away before the summary is printed.
    let dir = tempfile::tempdir().unwrap();
    let mut child = std::process::Command::new(common::bin())
        .args(["run", "--no-plots", "--out"])
        .arg(dir.path())
        .arg(common::bundled("gc_gogc.toml"))
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let o = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(0), "{err}");
    assert!(!err.contains("panicked"), "{err}");
    assert!(dir.path().join("summary.json").exists());
}

#[test]
fn the_readme_scenario_example_is_a_valid_scenario() {
    // The annotated example under "Scenario files" is what newcomers copy.
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let section = &readme[readme.find("## Scenario files").expect("section")..];
    let start = section.find("```toml\n").expect("a toml block") + "```toml\n".len();
    let text = &section[start..start + section[start..].find("```").unwrap()];
    let sc = gomemsim::scenario::parse_str(text, "README.md", &[]).unwrap();
    assert_eq!(sc.name, "service");
    assert_eq!(sc.warmup.as_ps(), 500_000_000_000);
}

#[test]
fn a_token_that_does_not_fit_the_scenario_is_refused() {
    // race_read_write has two goroutines: a decision is 0 or 1, and a token holds as many
    // decisions as its schedule has choices.
    let file = bundled("race_read_write.toml");
    let dir = tempfile::tempdir().unwrap();
    let replay = |token: &str| {
        Command::new(bin())
            .args([
                "replay",
                file.to_str().unwrap(),
                "--schedule",
                token,
                "--out",
            ])
            .arg(dir.path())
            .output()
            .unwrap()
    };
    let o = replay("s1-d9");
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("decision 0 is 9, but only 2 goroutines could run"),
        "{err}"
    );
    // Every choice of one order, then one more than the schedule has.
    let o = replay("s1-d(0*200)");
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("of the token's 200 decisions"), "{err}");
    // The token race printed for it replays.
    let race = Command::new(bin())
        .args(["race", file.to_str().unwrap(), "--strategy", "exhaustive"])
        .args(["--preemption-bound", "1", "-q", "--out"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(race.status.code(), Some(1));
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("race.json")).unwrap())
            .unwrap();
    let token = json["first_failure"]["token"].as_str().unwrap();
    assert_eq!(replay(token).status.code(), Some(1), "{token}");
}

/// A run into a directory an earlier run used removes the files that run wrote and this one
/// does not (a slice scenario's slice_events.csv and slice_growth plot, latency.csv): the
/// page and the plots are of this run only.
#[test]
fn a_run_into_a_used_directory_leaves_nothing_of_the_earlier_run() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let run = |scenario: &str| {
        let o = Command::new(bin())
            .args(["run", "-q", scenario, "--out", out.to_str().unwrap()])
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .output()
            .unwrap();
        common::assert_ok(&o);
    };
    run("scenarios/slice_prealloc.toml");
    for f in ["slice_events.csv", "slice_growth.svg", "latency.csv"] {
        assert!(out.join(f).exists(), "{f}");
    }
    run("scenarios/map_growth.toml");
    for f in [
        "slice_events.csv",
        "slice_growth.svg",
        "slice_growth.png",
        "latency.csv",
    ] {
        assert!(!out.join(f).exists(), "{f} is left from the earlier run");
    }
    let page = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(!page.contains("slice_events.csv") && !page.contains("latency.csv"));
    assert!(out.join("map_growth.svg").exists());
}
