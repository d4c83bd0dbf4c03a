//! `gomemsim sweep` and `merge`: the same bytes at any --jobs, shards that merge into the
//! whole, a resumed sweep equal to an uninterrupted one, and clear errors.

mod common;

use std::path::Path;
use std::process::Command;

use common::{assert_ok, bin, bundled};

const GRID: [&str; 6] = [
    "--grid",
    "runtime.gogc=50..200*2",
    "--grid",
    "runtime.gomemlimit=off,256MiB",
    "--seeds",
    "1..2",
];

fn sweep(out: &Path, extra: &[&str]) -> std::process::Output {
    let scenario = bundled("gc_service.toml");
    let mut args = vec![
        "sweep",
        scenario.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "-q",
    ];
    args.extend(GRID);
    // A shorter service keeps the test quick.
    args.extend(["--set", "goroutines[0].program[1].bytes=1200MiB"]);
    args.extend(extra);
    Command::new(bin()).args(&args).output().unwrap()
}

fn read(dir: &Path, file: &str) -> Vec<u8> {
    std::fs::read(dir.join(file)).unwrap_or_else(|e| panic!("{}: {e}", dir.join(file).display()))
}

#[test]
fn the_same_bytes_at_any_thread_count() {
    let t = tempfile::tempdir().unwrap();
    for jobs in ["1", "2", "8"] {
        let o = sweep(&t.path().join(jobs), &["--jobs", jobs]);
        assert_ok(&o);
    }
    for file in ["sweep.csv", "points.csv"] {
        let one = read(&t.path().join("1"), file);
        assert_eq!(one, read(&t.path().join("2"), file), "{file}");
        assert_eq!(one, read(&t.path().join("8"), file), "{file}");
    }
    let csv = String::from_utf8(read(&t.path().join("1"), "sweep.csv")).unwrap();
    // 3 GOGC values x 2 limits x 2 seeds, and a header.
    assert_eq!(csv.lines().count(), 13);
    assert!(csv.starts_with("run,runtime.gogc,runtime.gomemlimit,seed,sim_time_ns,gc_cycles,"));
    let points = String::from_utf8(read(&t.path().join("1"), "points.csv")).unwrap();
    assert_eq!(points.lines().count(), 7);
    // Fewer cycles with more GOGC (no memory limit): the rows of 50, 100 and 200, off.
    let cycles: Vec<u64> = csv
        .lines()
        .skip(1)
        .filter(|l| l.contains(",off,1,"))
        .map(|l| l.split(',').nth(5).unwrap().parse().unwrap())
        .collect();
    assert!(cycles.windows(2).all(|w| w[1] < w[0]), "{cycles:?}");
}

#[test]
fn shards_merge_into_the_whole_sweep() {
    let t = tempfile::tempdir().unwrap();
    assert_eq!(sweep(&t.path().join("all"), &[]).status.code(), Some(0));
    let mut shards = Vec::new();
    for s in ["1/3", "2/3", "3/3"] {
        let dir = t.path().join(s.replace('/', "of"));
        assert_eq!(sweep(&dir, &["--shard", s]).status.code(), Some(0));
        shards.push(dir);
    }
    let merged = t.path().join("merged");
    let mut args = vec!["merge".to_string()];
    args.extend(shards.iter().map(|d| d.display().to_string()));
    args.extend(["--out".to_string(), merged.display().to_string()]);
    let o = Command::new(bin()).args(&args).output().unwrap();
    assert_ok(&o);
    for file in ["sweep.csv", "points.csv"] {
        assert_eq!(
            read(&merged, file),
            read(&t.path().join("all"), file),
            "{file}"
        );
    }
    // A missing shard is refused, naming the missing run.
    let o = Command::new(bin())
        .args([
            "merge",
            &shards[0].display().to_string(),
            "--out",
            &t.path().join("x").display().to_string(),
        ])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("missing"));
    // Shards from the environment: Kubernetes' completion index.
    let k8s = t.path().join("k8s");
    let scenario = bundled("gc_service.toml");
    let mut args = vec![
        "sweep",
        scenario.to_str().unwrap(),
        "--out",
        k8s.to_str().unwrap(),
        "-q",
        "--shard",
        "auto/3",
    ];
    args.extend(GRID);
    args.extend(["--set", "goroutines[0].program[1].bytes=1200MiB"]);
    let o = Command::new(bin())
        .args(&args)
        .env("JOB_COMPLETION_INDEX", "1")
        .output()
        .unwrap();
    assert_ok(&o);
    assert_eq!(read(&k8s, "sweep.csv"), read(&shards[1], "sweep.csv"));
}

#[test]
fn a_resumed_sweep_equals_an_uninterrupted_one() {
    let t = tempfile::tempdir().unwrap();
    let whole = t.path().join("whole");
    assert_eq!(sweep(&whole, &[]).status.code(), Some(0));
    // An interrupted sweep: some runs journaled, no final files. Shard 1/2's runs stand in
    // for the runs that finished before the kill.
    let cut = t.path().join("cut");
    assert_eq!(sweep(&cut, &["--shard", "1/2"]).status.code(), Some(0));
    let (axes, rows) = gomemsim::sweep::rows_from_csv(&read(&cut, "sweep.csv")).unwrap();
    std::fs::remove_file(cut.join("sweep.csv")).unwrap();
    for row in &rows {
        gomemsim::sweep::journal::record(&cut, &axes, row).unwrap();
    }
    // A half-written journal file (killed mid-write) is ignored: that run runs again.
    std::fs::write(cut.join(".runs").join("1.csv"), b"run,runtime.g").unwrap();
    let o = sweep(&cut, &["--resume"]);
    assert_ok(&o);
    for file in ["sweep.csv", "points.csv"] {
        assert_eq!(read(&cut, file), read(&whole, file), "{file}");
    }
    assert!(
        !cut.join(".runs").exists(),
        "the journal is removed at the end"
    );
}

#[test]
fn bad_grids_exit_2_with_what_is_allowed() {
    let t = tempfile::tempdir().unwrap();
    let scenario = bundled("gc_service.toml");
    for (grid, want) in [
        ("runtime.gogc=1..9", "a range needs a step"),
        ("runtime.gocg=50,100", "runtime.gocg"),
        ("runtime.gogc=50,abc", "GOGC"),
    ] {
        let o = Command::new(bin())
            .args([
                "sweep",
                scenario.to_str().unwrap(),
                "--grid",
                grid,
                "--out",
                t.path().to_str().unwrap(),
            ])
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{grid}: {stderr}");
        assert!(stderr.contains(want), "{grid}: {stderr}");
        assert!(!t.path().join("sweep.csv").exists());
    }
}

#[test]
fn the_terminal_table_gives_each_points_means() {
    // Without -q, sweep ends with a line per grid point: its axis values and the means over
    // its seeds of the points.csv columns it shows.
    let dir = tempfile::tempdir().unwrap();
    let scenario = bundled("gc_service.toml");
    let mut args = vec![
        "sweep",
        scenario.to_str().unwrap(),
        "--out",
        dir.path().to_str().unwrap(),
        "--no-plots",
    ];
    args.extend(GRID);
    args.extend(["--set", "goroutines[0].program[1].bytes=1200MiB"]);
    let o = Command::new(bin()).args(&args).output().unwrap();
    assert_ok(&o);
    let stdout = String::from_utf8(o.stdout).unwrap();
    let lines: Vec<&str> = stdout.lines().collect();
    let head = lines
        .iter()
        .position(|l| l.contains("GC cycles"))
        .expect("a table");
    assert!(lines[head].contains("runtime.gogc") && lines[head].contains("peak heap"));
    let points = String::from_utf8(read(dir.path(), "points.csv")).unwrap();
    let mut rdr = csv::Reader::from_reader(points.as_bytes());
    let h = rdr.headers().unwrap().clone();
    let at = |name: &str| h.iter().position(|c| c == name).unwrap();
    let recs: Vec<csv::StringRecord> = rdr.records().map(|r| r.unwrap()).collect();
    assert_eq!(recs.len(), 6, "3 GOGC values x 2 limits");
    for (k, rec) in recs.iter().enumerate() {
        let cells: Vec<&str> = lines[head + 1 + k].split_whitespace().collect();
        assert_eq!(cells[0], &rec[at("runtime.gogc")]);
        assert_eq!(cells[1], &rec[at("runtime.gomemlimit")]);
        let cycles: f64 = rec[at("gc_cycles_mean")].parse().unwrap();
        assert_eq!(cells[2], format!("{cycles:.0}"));
    }
}

/// Shards of two different sweeps (another grid) are refused, naming the stranger; a
/// directory with nothing to plot, or only a shard's runs, is an error too.
#[test]
fn merge_refuses_another_sweeps_shard_and_plot_an_empty_directory() {
    let tmp = tempfile::tempdir().unwrap();
    let (a, b) = (tmp.path().join("a"), tmp.path().join("b"));
    let o = Command::new(bin())
        .args(["sweep", bundled("map_growth.toml").to_str().unwrap()])
        .args([
            "--grid",
            "maps[0].hint=0,100",
            "--shard",
            "1/2",
            "-q",
            "--out",
        ])
        .arg(&a)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0));
    let o = Command::new(bin())
        .args(["sweep", bundled("map_growth.toml").to_str().unwrap()])
        .args([
            "--grid",
            "maps[0].hint=0,1000",
            "--shard",
            "2/2",
            "-q",
            "--out",
        ])
        .arg(&b)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0));
    let merged = tmp.path().join("m");
    let o = Command::new(bin())
        .arg("merge")
        .arg(&a)
        .arg(&b)
        .arg("--out")
        .arg(&merged)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(
        err.contains("another sweep") && err.contains(b.to_str().unwrap()),
        "{err}"
    );
    assert!(!merged.exists());
    for dir in [&a, &tmp.path().to_path_buf()] {
        let o = Command::new(bin()).arg("plot").arg(dir).output().unwrap();
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{err}");
        assert!(err.contains(dir.to_str().unwrap()), "{err}");
    }
}

/// A scenario that draws on no seed (gc_service: no maps, no arrivals, one goroutine) says
/// once that its seeds give identical runs, and they do; map_growth, whose hash seeds differ,
/// says nothing.
#[test]
fn seeds_that_change_nothing_are_said_once() {
    let sweep = |file: &str, dir: &std::path::Path| {
        std::process::Command::new(env!("CARGO_BIN_EXE_gomemsim"))
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .args([
                "sweep",
                file,
                "--grid",
                "runtime.gogc=50,100",
                "--seeds",
                "1..2",
            ])
            .args([
                "--set",
                "goroutines[0].program[1].bytes=300MiB",
                "-q",
                "--out",
            ])
            .arg(dir)
            .output()
            .unwrap()
    };
    let dir = tempfile::tempdir().unwrap();
    let o = sweep("scenarios/gc_service.toml", dir.path());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{err}");
    assert_eq!(
        err.matches("nothing in this scenario draws on the seed")
            .count(),
        1,
        "{err}"
    );
    let mut r = csv::Reader::from_path(dir.path().join("sweep.csv")).unwrap();
    let header = r.headers().unwrap().clone();
    let seed = header.iter().position(|h| h == "seed").unwrap();
    let run = header.iter().position(|h| h == "run");
    let rows: Vec<Vec<String>> = r
        .records()
        .map(|rec| {
            rec.unwrap()
                .iter()
                .enumerate()
                .filter(|(i, _)| *i != seed && Some(*i) != run)
                .map(|(_, v)| v.to_string())
                .collect()
        })
        .collect();
    assert_eq!(rows.len(), 4);
    // Per GOGC, the two seeds' rows are the same.
    let mut distinct = rows.clone();
    distinct.sort();
    distinct.dedup();
    assert_eq!(distinct.len(), 2, "{rows:?}");

    let dir = tempfile::tempdir().unwrap();
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_gomemsim"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args([
            "sweep",
            "scenarios/map_growth.toml",
            "--grid",
            "runtime.gogc=50,100",
        ])
        .args(["--seeds", "1..2", "-q", "--out"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(o.status.success());
    assert!(!String::from_utf8_lossy(&o.stderr).contains("draws on the seed"));

    // One goroutine, no map, but a memory limit that holds the goal at the marked heap:
    // where each mark termination finds the program is drawn, and the seeds' runs differ.
    let dir = tempfile::tempdir().unwrap();
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_gomemsim"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args([
            "sweep",
            "tests/data/death_spiral.toml",
            "--grid",
            "runtime.gogc=off",
        ])
        .args(["--set", "goroutines[0].program[1].bytes=64MiB"])
        .args(["--seeds", "1..2", "-q", "--out"])
        .arg(dir.path())
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{err}");
    assert!(!err.contains("draws on the seed"), "{err}");
    let mut r = csv::Reader::from_path(dir.path().join("sweep.csv")).unwrap();
    let cycles = r
        .headers()
        .unwrap()
        .iter()
        .position(|h| h == "gc_cycles")
        .unwrap();
    let counts: Vec<String> = r
        .records()
        .map(|rec| rec.unwrap()[cycles].to_string())
        .collect();
    assert_eq!(counts.len(), 2);
    assert_ne!(counts[0], counts[1], "the seeds' runs: {counts:?}");
}

/// `--time-limit` stops a sweep between and inside runs: nothing final is written, the
/// finished runs stay in the journal, and `--resume` then writes what an uninterrupted sweep
/// writes, byte for byte.
#[test]
fn a_time_limited_sweep_resumes_to_the_same_result() {
    let sweep = |dir: &std::path::Path, extra: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_gomemsim"))
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .args([
                "sweep",
                "scenarios/service_arrivals.toml",
                "--grid",
                "runtime.gogc=50,100",
            ])
            .args(["--no-plots", "-q", "--out"])
            .arg(dir)
            .args(extra)
            .output()
            .unwrap()
    };
    let whole = tempfile::tempdir().unwrap();
    assert!(sweep(whole.path(), &[]).status.success());
    let cut = tempfile::tempdir().unwrap();
    // A run takes most of a second: 1 ms stops the sweep before any finishes.
    let o = sweep(cut.path(), &["--time-limit", "1ms"]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(0), "{err}");
    assert!(
        err.contains("stopped by --time-limit 1ms after 0 of 2 runs"),
        "{err}"
    );
    assert!(!cut.path().join("sweep.csv").exists());
    assert!(sweep(cut.path(), &["--resume"]).status.success());
    for f in ["sweep.csv", "points.csv"] {
        assert!(
            std::fs::read(whole.path().join(f)).unwrap()
                == std::fs::read(cut.path().join(f)).unwrap(),
            "{f} differs after --resume"
        );
    }
}

/// Without --seeds a sweep runs each point with the scenario's own seed, as `run` would
/// (after --seed or --set seed=), not always seed 1.
#[test]
fn without_seeds_a_sweep_runs_the_scenarios_seed() {
    let scenario = bundled("race_gc_yield.toml");
    for (flag, seed) in [(["--seed", "7"], "7"), (["--set", "seed=9"], "9")] {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("s");
        let o = Command::new(bin())
            .args([
                "sweep",
                scenario.to_str().unwrap(),
                "--grid",
                "runtime.gogc=100,200",
            ])
            .args(flag)
            .args(["--out", out.to_str().unwrap(), "-q"])
            .output()
            .unwrap();
        assert_ok(&o);
        let csv = String::from_utf8(read(&out, "sweep.csv")).unwrap();
        let header: Vec<&str> = csv.lines().next().unwrap().split(',').collect();
        let col = header.iter().position(|h| *h == "seed").unwrap();
        let seeds: Vec<&str> = csv
            .lines()
            .skip(1)
            .map(|l| l.split(',').nth(col).unwrap())
            .collect();
        assert_eq!(seeds, [seed, seed]);
    }
}
