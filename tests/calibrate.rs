//! `gomemsim calibrate` on the real go1.19 gctrace logs of tests/data/measured: the fit finds
//! the settings those runs used, reproduces their cycle count within 5%, and projects them
//! under other settings; and the parser takes what real logs hold around their cycle lines.

mod common;

use std::path::Path;
use std::process::Command;

use common::{assert_ok, bin, calibrate, fit_json, gctrace_log, rel, warnings};
use serde_json::Value;

/// The quantities fit.json must give (DESIGN.md), each within `tol` of the log.
fn assert_fits_within(fit: &Value, tol: f64) {
    for q in CONTRACT_QUANTITIES {
        assert!(rel(fit, q).abs() < tol, "{q}: {}", fit[q]);
    }
}

const CONTRACT_QUANTITIES: [&str; 4] = [
    "gc_cycles",
    "mean_heap_goal_bytes",
    "stw_total_ns",
    "gc_cpu_fraction",
];

#[test]
fn gogc_100_log_fits_within_five_percent() {
    let dir = tempfile::tempdir().unwrap();
    let o = calibrate(&gctrace_log("L64_gogc100_c4k.txt"), dir.path(), &[]);
    assert_ok(&o);
    let fit = fit_json(dir.path());
    // The run used GOGC=100, GOMAXPROCS=2 and no limit (tests/data/measured/gc_summary.csv).
    assert_eq!(fit["settings"]["gogc"]["value"], 100);
    assert_eq!(fit["settings"]["gogc"]["source"], "inferred");
    assert_eq!(fit["settings"]["gomemlimit"]["value"], "off");
    assert_eq!(fit["settings"]["gomaxprocs"]["value"], 2);
    // 132 cycle lines in the log.
    assert_eq!(fit["gc_cycles"]["observed"], 132.0);
    assert_fits_within(&fit, 0.05);
}

#[test]
fn memory_limit_log_finds_the_limit_and_fits_within_five_percent() {
    let dir = tempfile::tempdir().unwrap();
    let o = calibrate(
        &gctrace_log("L64_gogcoff_mem128MiB_c4k.txt"),
        dir.path(),
        &[],
    );
    assert_ok(&o);
    let fit = fit_json(dir.path());
    // The run used GOGC=off and GOMEMLIMIT=128MiB: a flat 113 MB goal over a moving marked
    // heap, and the limit whose simulated goals match.
    assert_eq!(fit["settings"]["gogc"]["value"], "off");
    assert_eq!(fit["settings"]["gomemlimit"]["value"], 128u64 << 20);
    assert_eq!(fit["settings"]["gomemlimit"]["source"], "inferred");
    assert_eq!(fit["gc_cycles"]["observed"], 194.0);
    assert_fits_within(&fit, 0.05);
    // The limit is found before the program's speed and mark are fitted, so they are fitted
    // with the cycles it causes (fitted without it, under GOGC=off and no cycles, the mark
    // came out 21% long and the run 9% long).
    for q in ["mean_mark_ns", "duration_ns"] {
        assert!(rel(&fit, q).abs() < 0.05, "{q}: {}", fit[q]);
    }
}

#[test]
fn an_excerpt_of_a_log_fits_too() {
    // From cycle 30 on, as a log rotated mid-run would hold it.
    let text = std::fs::read_to_string(gctrace_log("L64_gogc100_c4k.txt")).unwrap();
    let excerpt: String = text.lines().skip(29).map(|l| format!("{l}\n")).collect();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("excerpt.txt");
    std::fs::write(&path, excerpt).unwrap();
    let o = calibrate(&path, &dir.path().join("out"), &[]);
    assert_ok(&o);
    let fit = fit_json(&dir.path().join("out"));
    assert_eq!(fit["from_program_start"], false);
    // The excerpt's first cycle opens the span: 102 cycles follow it.
    assert_eq!(fit["gc_cycles"]["observed"], 102.0);
    assert!(fit["warmup_cycles_skipped"].as_u64().unwrap() > 0);
    assert!(rel(&fit, "gc_cycles").abs() < 0.05, "{}", fit["gc_cycles"]);
}

#[test]
fn outputs_follow_the_contract_and_the_fitted_scenario_runs() {
    let dir = tempfile::tempdir().unwrap();
    let o = calibrate(
        &gctrace_log("L64_gogc100_c4k.txt"),
        dir.path(),
        &[
            "--project",
            "gogc=50,100,200,400",
            "--project",
            "gomemlimit=off,256MiB",
        ],
    );
    assert_ok(&o);
    let fit = fit_json(dir.path());
    for q in CONTRACT_QUANTITIES {
        assert!(fit[q]["observed"].is_number(), "{q}");
        assert!(fit[q]["simulated"].is_number(), "{q}");
    }
    // fitted.toml is a scenario `check` accepts.
    let c = Command::new(bin())
        .arg("check")
        .arg(dir.path().join("fitted.toml"))
        .output()
        .unwrap();
    assert_ok(&c);

    let csv = std::fs::read_to_string(dir.path().join("projection.csv")).unwrap();
    let mut lines = csv.lines();
    assert_eq!(
        lines.next().unwrap(),
        "runtime.gogc,runtime.gomemlimit,gc_cycles,cycles_per_gib,gc_cpu_fraction,\
         peak_heap_bytes,stw_total_ns,stw_max_ns,stw_p99_ns,peak_total_bytes,\
         mutator_utilization,fatal"
    );
    let rows: Vec<Vec<String>> = lines
        .map(|l| l.split(',').map(String::from).collect())
        .collect();
    assert_eq!(rows.len(), 8);
    let num = |r: &[String], i: usize| r[i].parse::<f64>().unwrap();
    // Without a limit, each doubling of GOGC about halves the cycles and the GC CPU share
    // (the GC guide's cost model: cycles ∝ 1 / (GOGC/100 × live heap)) and raises the peak.
    let off: Vec<&Vec<String>> = rows.iter().filter(|r| r[1] == "off").collect();
    assert_eq!(off.len(), 4);
    for w in off.windows(2) {
        let ratio = num(w[0], 2) / num(w[1], 2);
        assert!((1.7..2.3).contains(&ratio), "cycles ratio {ratio}");
        assert!(num(w[1], 4) < num(w[0], 4));
        assert!(num(w[1], 5) > num(w[0], 5));
    }
    // A 256 MiB limit caps GOGC=400's peak heap below the limit; GOGC=50 never reaches it.
    let capped = rows
        .iter()
        .find(|r| r[0] == "400" && r[1] == "256MiB")
        .unwrap();
    assert!(num(capped, 5) < (256u64 << 20) as f64);
    let low = rows
        .iter()
        .find(|r| r[0] == "50" && r[1] == "256MiB")
        .unwrap();
    let low_off = rows.iter().find(|r| r[0] == "50" && r[1] == "off").unwrap();
    assert_eq!(low[2..], low_off[2..]);
    // The fitted run is written as `run` writes it, gctrace included.
    let trace = std::fs::read_to_string(dir.path().join("simulated/gctrace.txt")).unwrap();
    assert!(trace.lines().filter(|l| l.starts_with("gc ")).count() > 100);
}

#[test]
fn same_log_same_bytes_at_any_job_count() {
    let a = tempfile::tempdir().unwrap();
    let b = tempfile::tempdir().unwrap();
    let args = |jobs: &'static str| {
        vec![
            "--project",
            "gogc=50,100,200",
            "--project",
            "gomemlimit=off,200MiB",
            "--jobs",
            jobs,
        ]
    };
    assert_ok(&calibrate(
        &gctrace_log("L64_gogcoff_mem128MiB_c4k.txt"),
        a.path(),
        &args("1"),
    ));
    assert_ok(&calibrate(
        &gctrace_log("L64_gogcoff_mem128MiB_c4k.txt"),
        b.path(),
        &args("4"),
    ));
    for f in ["fitted.toml", "projection.csv", "simulated/gctrace.txt"] {
        assert_eq!(
            std::fs::read(a.path().join(f)).unwrap(),
            std::fs::read(b.path().join(f)).unwrap(),
            "{f}"
        );
    }
    // fit.json names the log it read, which is the same path in both.
    assert_eq!(fit_json(a.path()), fit_json(b.path()));
}

#[test]
fn tolerant_of_what_real_logs_hold() {
    // Program output, scavenger lines, a pacer line, CRLF endings, a timestamp prefix, an
    // unknown field, a forced cycle, and a restart: the fit uses the longest run.
    let mut text = String::from("starting service\r\nscvg: 0 MB released\r\n");
    text.push_str("gc 1 @0.001s 1%: 0.01+0.1+0.01 ms clock, 0.02+0/0.1/0+0.02 ms cpu, 4->4->1 MB, 4 MB goal, 0 MB stacks, 0 MB globals, 4 P\n");
    let real = std::fs::read_to_string(gctrace_log("L64_gogc100_c4k.txt")).unwrap();
    for (i, l) in real.lines().enumerate() {
        let l = if i == 10 {
            format!("{l}, 7 widgets")
        } else if i == 20 {
            format!("{l} (forced)")
        } else if i == 30 {
            format!("2026-01-01T00:00:00Z {l}")
        } else {
            l.to_string()
        };
        text.push_str(&l);
        text.push_str(if i % 2 == 0 { "\r\n" } else { "\n" });
        if i == 40 {
            text.push_str(
                "pacer: assist ratio=+1.0e+000 (scan 0 MB in 4->4 MB) workers=1++0.000000e+000\n",
            );
        }
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("service.log");
    std::fs::write(&path, text).unwrap();
    let o = calibrate(&path, &dir.path().join("out"), &[]);
    assert_ok(&o);
    let fit = fit_json(&dir.path().join("out"));
    assert_eq!(fit["runs_in_log"], 2);
    assert_eq!(fit["gc_cycles"]["observed"], 132.0);
    assert_eq!(fit["forced_cycles"], 1);
    assert_eq!(fit["unknown_fields"], serde_json::json!(["7 widgets"]));
    assert!(rel(&fit, "gc_cycles").abs() < 0.05, "{}", fit["gc_cycles"]);
    // Each thing set aside is said: the three lines that are not cycle lines (the first is
    // the program's own), the unknown field on real line 11 (line 14 of this log), the run
    // of one cycle that was dropped.
    let w = warnings(&o);
    assert_eq!(fit["warnings"], serde_json::json!(w));
    assert!(
        w.iter()
            .any(|w| w.starts_with("3 lines: not a GC cycle line")
                && w.contains("the first is line 1: `starting service`")),
        "{w:#?}"
    );
    assert!(
        w.iter().any(
            |w| w.starts_with("1 cycle line: fields calibrate does not know")
                && w.contains("line 14: `7 widgets`")
        ),
        "{w:#?}"
    );
    assert!(
        w.iter()
            .any(|w| w.contains("line 4 has gc 1 after gc 1 on line 3")
                && w.contains("drops the other runs' 1 cycle")),
        "{w:#?}"
    );
}

#[test]
fn bad_logs_and_flags_exit_2_with_a_message() {
    let dir = tempfile::tempdir().unwrap();
    let empty = dir.path().join("empty.log");
    std::fs::write(&empty, "hello\nscvg: nothing\n").unwrap();
    let cases: [(&Path, &[&str], &str); 4] = [
        (&empty, &[], "no GC cycle lines"),
        (&dir.path().join("missing.log"), &[], "cannot read the log"),
        (
            &gctrace_log("L64_gogc100_c4k.txt"),
            &["--gogc", "lots"],
            "--gogc lots",
        ),
        (
            &gctrace_log("L64_gogc100_c4k.txt"),
            &["--project", "gogc"],
            "--project",
        ),
    ];
    for (path, extra, message) in cases {
        let o = calibrate(path, &dir.path().join("out"), extra);
        assert_eq!(o.status.code(), Some(2), "{path:?} {extra:?}");
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(err.contains(message), "{err}");
        assert!(!err.contains("panicked"), "{err}");
    }
    assert!(!dir.path().join("out/fit.json").exists());
}

#[test]
fn committed_calibration_is_what_the_command_produces() {
    // results/calibrate is made by the README's command, from the crate's directory.
    let dir = tempfile::tempdir().unwrap();
    let o = Command::new(bin())
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args([
            "calibrate",
            "tests/data/measured/gctrace/L64_gogc100_c4k.txt",
            "--project",
            "gogc=50,100,200,400",
            "--project",
            "gomemlimit=off,160MiB",
            "-q",
            "--out",
        ])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_ok(&o);
    let committed = Path::new(env!("CARGO_MANIFEST_DIR")).join("results/calibrate");
    for f in [
        "fitted.toml",
        "fit.json",
        "projection.csv",
        "projection/points.csv",
        "simulated/gctrace.txt",
    ] {
        assert!(
            std::fs::read(dir.path().join(f)).unwrap() == std::fs::read(committed.join(f)).unwrap(),
            "results/calibrate/{f} is stale: rerun the README's calibrate command"
        );
    }
}

/// `--time-limit` stops a calibration where it is: exit 1, nothing written, and stderr says
/// so; without the limit the same command writes its files. The limited run is given a
/// projection of 1,576 runs (seconds of work), so it cannot finish before the limit's timer
/// thread is scheduled, however loaded the machine (a bare fit takes only ~30 ms).
#[test]
fn a_time_limited_calibration_writes_nothing() {
    let log = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/measured/gctrace/L64_gogc100_c4k.txt"
    );
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("cal");
    let gogc: Vec<String> = (20..=1000).step_by(5).map(|g| g.to_string()).collect();
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_gomemsim"))
        .args(["calibrate", log, "--time-limit", "1ms", "-q", "--no-plots"])
        .arg(format!("--project=gogc={}", gogc.join(",")))
        .arg("--project=gomemlimit=off,96MiB,128MiB,160MiB,192MiB,256MiB,512MiB,1GiB")
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(err.contains("stopped by --time-limit 1ms while"), "{err}");
    assert!(err.contains("nothing written"), "{err}");
    assert!(!out.exists(), "{err}");
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_gomemsim"))
        .args(["calibrate", log, "--time-limit", "10m", "-q", "--out"])
        .arg(&out)
        .output()
        .unwrap();
    assert!(o.status.success());
    assert!(out.join("fit.json").exists());
}

/// The fractional worker's share of the program's P is fitted to what the program allocated
/// during its marks: on a GOGC=100 log of the exported gc_gogc from another machine
/// (tests/data/gctrace_vm), with all of it on the program's P the fit left that allocation
/// 27% short, and projected GOGC=25 at 588 cycles. Fitted, the allocation comes within 2%
/// and the projection within 5% of that machine's GOGC=25 log of the same program.
#[test]
fn the_fractional_workers_share_follows_what_the_program_allocated_in_its_marks() {
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/gctrace_vm");
    let dir = tempfile::tempdir().unwrap();
    let o = calibrate(
        &data.join("gc_gogc_gogc100.txt"),
        dir.path(),
        &["--project", "gogc=25"],
    );
    assert_ok(&o);
    let fit = fit_json(dir.path());
    assert!(rel(&fit, "mean_mark_alloc_bytes").abs() < 0.02, "{fit}");
    let fitted = std::fs::read_to_string(dir.path().join("fitted.toml")).unwrap();
    let share: f64 = fitted
        .lines()
        .find_map(|l| l.strip_prefix("fractional_mutator_share = "))
        .unwrap()
        .parse()
        .unwrap();
    assert!(share < 1.0, "{share}");
    let projection = std::fs::read_to_string(dir.path().join("projection.csv")).unwrap();
    let row: Vec<&str> = projection.lines().nth(1).unwrap().split(',').collect();
    assert_eq!(row[0], "25");
    let projected: f64 = row[1].parse().unwrap();
    let real = std::fs::read_to_string(data.join("gc_gogc_gogc25.txt"))
        .unwrap()
        .lines()
        .filter(|l| l.starts_with("gc "))
        .count() as f64;
    assert!(
        (projected / real - 1.0).abs() < 0.05,
        "GOGC=25: projected {projected}, go1.19.8 ran {real}"
    );
}

/// `--set costs.FIELD=VALUE` gives calibrate what is known about the machine: the value is in
/// fitted.toml; anything but a `[costs]` field, or a value that field cannot take, is a usage
/// error (exit 2) that names it.
#[test]
fn known_costs_are_kept_and_bad_ones_named() {
    let log = gctrace_log("L64_gogc100_c4k.txt");
    let dir = tempfile::tempdir().unwrap();
    let o = calibrate(
        &log,
        dir.path(),
        &["--set", "costs.alloc_miss_per_kib=115ns"],
    );
    assert_ok(&o);
    let fitted = std::fs::read_to_string(dir.path().join("fitted.toml")).unwrap();
    assert!(
        fitted.contains("alloc_miss_per_kib = \"115ns\""),
        "{fitted}"
    );
    for (set, says) in [
        ("runtime.gogc=50", "--gogc"),
        ("costs.alloc_miss_per_kib=fast", "invalid duration"),
        ("costs.nope=1", "unknown field `nope`"),
        ("costs", "key=value"),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let o = calibrate(&log, dir.path(), &["--set", set]);
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "--set {set}: {err}");
        assert!(
            err.contains(set) && err.contains(says),
            "--set {set}: {err}"
        );
        assert!(!dir.path().join("fit.json").exists(), "--set {set}");
    }
}
