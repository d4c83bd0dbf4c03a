//! The hostile inputs a structure-aware fuzzer found (tests/data/hostile/cases.tsv): each must
//! end within 60 s under a 2 GiB address-space limit, with no panic and no abort, and do what
//! its expectation says.

mod common;
mod go_toolchain;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// One line of cases.tsv: name, expectation, gomemsim's arguments.
struct Case {
    name: String,
    expect: String,
    args: Vec<String>,
}

fn cases(dir: &Path) -> Vec<Case> {
    std::fs::read_to_string(dir.join("cases.tsv"))
        .unwrap()
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| {
            let mut f = l.split('\t');
            Case {
                name: f.next().unwrap().to_string(),
                expect: f.next().unwrap().to_string(),
                args: f
                    .next()
                    .unwrap()
                    .split_whitespace()
                    .map(String::from)
                    .collect(),
            }
        })
        .collect()
}

/// Runs gomemsim with `args` under a 2 GiB address-space limit and `limit`: its exit
/// code, what it printed and how long it took (`limit` when it had to be killed).
fn run_limited(args: &[String], limit: Duration) -> (Option<i32>, String, Duration) {
    let start = Instant::now();
    match common::run_within(common::gomemsim_in_2gib(args), limit) {
        Some((code, text)) => (code, text, start.elapsed()),
        None => (None, "killed: it ran past its limit".into(), limit),
    }
}

#[test]
fn every_hostile_input_ends_as_expected() {
    let data = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/hostile");
    let go = go_toolchain::Go::find("hostile export-go cases");
    for case in cases(&data) {
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("out");
        let args: Vec<String> = case
            .args
            .iter()
            .map(|a| {
                a.replace("$H", data.to_str().unwrap())
                    .replace("$OUT", out.to_str().unwrap())
            })
            .collect();
        let input = args
            .iter()
            .find(|a| a.starts_with(data.to_str().unwrap()))
            .cloned()
            .unwrap_or_default();
        let limit = if case.expect == "stopped" { 30 } else { 60 };
        let (code, err, took) = run_limited(&args, Duration::from_secs(limit));
        let what = format!(
            "{} ({}): exit {code:?} after {took:?}: {err}",
            case.name, case.expect
        );
        assert!(
            !err.contains("panicked") && !err.contains("memory allocation"),
            "{what}"
        );
        assert!(took < Duration::from_secs(limit), "{what}");
        match case.expect.as_str() {
            "ends" => {
                assert!(matches!(code, Some(0..=2)), "{what}");
                if code == Some(2) {
                    assert!(err.contains(&input), "the error names the input: {what}");
                }
            }
            refuse if refuse.starts_with("refuse") => {
                assert_eq!(code, Some(2), "{what}");
                assert!(err.contains(&input), "the error names the input: {what}");
                assert!(!out.exists(), "nothing written: {what}");
                if let Some(line) = refuse.strip_prefix("refuse@") {
                    assert!(
                        err.contains(&format!(":{line}:")) || err.contains(&format!("line {line}")),
                        "the error names line {line}: {what}"
                    );
                }
            }
            "stopped" => {
                assert!(matches!(code, Some(0..=1)), "{what}");
                assert!(
                    err.contains("time-limit") || err.contains("step limit"),
                    "says what stopped it: {what}"
                );
            }
            "go-builds" => {
                assert_eq!(code, Some(0), "{what}");
                if let Some(go) = &go {
                    go.ok(&out, &["mod", "init", "hostile"]);
                    go.ok(&out, &["vet", "."]);
                    go.ok(&out, &["build", "-o", "prog", "."]);
                }
            }
            other => panic!("unknown expectation {other} in cases.tsv"),
        }
    }
}

/// Endless inputs are read up to a limit and refused, saying the limit: a scenario (16 MiB)
/// and a gctrace log (512 MiB).
#[test]
fn endless_inputs_are_refused_at_their_size_limit() {
    if !std::path::Path::new("/dev/zero").exists() {
        return;
    }
    for (args, limit) in [
        (vec!["check", "/dev/zero"], "16 MiB"),
        (
            vec!["calibrate", "/dev/zero", "--out", "/nonexistent/out"],
            "512 MiB",
        ),
    ] {
        let args: Vec<String> = args.into_iter().map(String::from).collect();
        let (code, err, _) = run_limited(&args, Duration::from_secs(60));
        assert_eq!(code, Some(2), "{err}");
        assert!(err.contains("/dev/zero") && err.contains(limit), "{err}");
    }
}

/// `--time-limit` bounds shrinking too: a failure after 70,281 steps (with `--seed 13`),
/// found in about 30 ms and whose shrinking takes about 0.5 s, is shown as shrunk by then
/// when 150 ms are up (a limit about four times from either).
#[test]
fn the_time_limit_bounds_shrinking() {
    let out = tempfile::tempdir().unwrap();
    let h = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/hostile");
    let mut cmd = std::process::Command::new(common::bin());
    cmd.args([
        "race",
        "--schedules",
        "1",
        "--seed",
        "13",
        "--time-limit",
        "150ms",
        "--out",
    ])
    .arg(out.path().join("r"))
    .arg(h.join("fuzz-late-crash-shrink.toml"));
    let (code, text) = common::run_within(cmd, Duration::from_secs(8))
        .expect("ends within 8 s: the 0.7 s limit and one last candidate schedule");
    assert_eq!(code, Some(1), "{text}");
    assert!(
        text.contains("shrinking stopped by --time-limit 150ms"),
        "{text}"
    );
}

/// A run estimated at more operations than `--max-ops` (10^10 by default) is refused before
/// it starts, with the estimate and the flag that raises it; raised, it runs (here until its
/// time limit). A sweep refuses such a grid point the same way, naming it.
#[test]
fn a_run_estimated_past_max_ops_is_refused_up_front() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("long.toml");
    std::fs::write(
        &file,
        "name = \"long\"\n[[maps]]\nname = \"m\"\nkey = \"int64\"\nelem = \"int64\"\n\
         [[goroutines]]\nname = \"g\"\nprogram = [ { op = \"insert\", map = \"m\", n = 100 },\
         { op = \"loop\", times = 1000000, body = [ { op = \"read\", map = \"m\", n = 100000 } ] } ]\n",
    )
    .unwrap();
    let out = dir.path().join("out");
    let run = |extra: &[&str]| {
        std::process::Command::new(common::bin())
            .arg("run")
            .arg(&file)
            .arg("--out")
            .arg(&out)
            .args(extra)
            .output()
            .unwrap()
    };
    // 100 + 10^6 × (10^5 + 1) operations.
    let o = run(&[]);
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("long.toml: this run is estimated at up to 1.00e11 operations"),
        "{err}"
    );
    assert!(
        err.contains("over the limit of 1.00e10") && err.contains("--max-ops"),
        "{err}"
    );
    assert!(!out.exists(), "nothing written");
    // Raised, or bounded by the wall clock instead, it runs (here until its time limit).
    for extra in [vec!["--max-ops", "2e11"], vec![]] {
        let mut args = extra;
        args.extend(["--time-limit", "200ms", "--quiet"]);
        let o = run(&args);
        assert_eq!(
            o.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&o.stderr)
        );
        assert!(out.join("summary.json").is_file());
        std::fs::remove_dir_all(&out).unwrap();
    }
    let o = std::process::Command::new(common::bin())
        .arg("sweep")
        .arg(&file)
        .args(["--grid", "goroutines[0].count=1,2", "--out"])
        .arg(dir.path().join("sweep"))
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("at grid point goroutines[0].count=1: this run is estimated"),
        "{err}"
    );
}

/// A run of 1.54 million GC cycles (a 64 KiB memory limit, a cycle for every 4 KiB of the
/// 6000 MiB allocated) writes its 173 MB gc_cycles.csv and 216 MB gctrace.txt, its plot and
/// its page within the 2 GiB limit: the outputs are streamed, the plot draws the cycles in
/// at most 1025 groups and the page shows the first 2000 rows. (It took 3.1 GB and made a
/// 1 GB SVG before.)
#[test]
fn a_run_of_a_million_cycles_is_written_in_bounded_memory() {
    let tmp = tempfile::tempdir().unwrap();
    let scenario = tmp.path().join("cycles.toml");
    std::fs::write(
        &scenario,
        "name = \"cycles\"\n[runtime]\ngogc = \"off\"\ngomemlimit = \"64KiB\"\n\
         [[goroutines]]\nname = \"main\"\nprogram = [\n\
         { op = \"retain\", bytes = \"16KiB\", size = \"4KiB\" },\n\
         { op = \"alloc\", bytes = \"6000MiB\", size = \"4KiB\" },\n]\n",
    )
    .unwrap();
    let out = tmp.path().join("out");
    let args: Vec<String> = ["run", scenario.to_str().unwrap(), "--out"]
        .into_iter()
        .map(String::from)
        .chain([out.to_str().unwrap().to_string()])
        .collect();
    let (code, text, _) = run_limited(&args, Duration::from_secs(120));
    assert_eq!(code, Some(0), "{text}");
    let rows = std::fs::read_to_string(out.join("gc_cycles.csv"))
        .unwrap()
        .lines()
        .count()
        - 1;
    assert!(rows > 1_000_000, "{rows} cycles");
    let svg = std::fs::metadata(out.join("heap_timeline.svg"))
        .unwrap()
        .len();
    assert!(svg < 2 << 20, "heap_timeline.svg is {svg} bytes");
    let page = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(
        page.contains(&format!("first 2000 of {rows} rows")),
        "the page says how many rows it leaves out"
    );
}
