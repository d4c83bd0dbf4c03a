//! The simulator against real Go, through `gomemsim export-go`: where a map starts to grow,
//! and which fatal error a race ends in. Skipped, with a note, without a Go toolchain (`GO`
//! or `go` on PATH).
//!
//! Measured with go1.19.8 on a 2-core linux/amd64 machine, 40 processes per scenario, each
//! run with -repeat until it crashed: the number of runs it took (the crashing one counted).
//!
//! | scenario | median | mean | min | max | median time |
//! |---|---:|---:|---:|---:|---:|
//! | race_minimal | 7 | 6 | 1 | 17 | 22 ms |
//! | race_read_write | 14036 | 17394 | 119 | 70544 | 0.34 s |
//! | race_iterate_write | 6590 | 8887 | 567 | 32067 | 0.16 s |
//!
//! A run takes ~25 us. The repeat counts below leave a miss less likely than e^-40 even at a
//! quarter of these rates; the tests take about a second.

mod common;
mod go_toolchain;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use common::{assert_ok, bin, bundled};
use go_toolchain::{GO_RUNS, Go, run_with_limit};

/// map_events.csv rows as fields.
fn rows(csv: &str) -> Vec<Vec<String>> {
    csv.lines()
        .skip(1)
        .map(|l| l.split(',').map(String::from).collect())
        .collect()
}

/// `grow_start` rows as (map, op, event, b_before, b_after, count): everything but
/// noverflow.
///
/// Only these are deterministic. A doubling starts at the write whose new key makes
/// count > 6.5 × 2^B (runtime/map.go: overLoadFactor), when the last growth has ended —
/// which it always has by then here, evacuation finishing within ~1.1 × 2^B writes — so
/// its op, B and count follow from the write sequence alone. Everything else depends on
/// where keys hash, under a hash0 that Go draws at random for every map and the simulator
/// from the seed: the write that evacuates the last old bucket (grow_end), how many
/// overflow buckets there are (noverflow, and with it same-size growths).
fn grow_starts(csv: &str) -> Vec<Vec<String>> {
    rows(csv)
        .into_iter()
        .filter(|r| r.get(2).is_some_and(|e| e == "grow_start"))
        .map(|mut r| {
            r.truncate(6);
            r
        })
        .collect()
}

fn growth_points_match_real_go(scenario: &str, doublings: usize) {
    let Some(go) = Go::find(scenario) else {
        return;
    };
    match go.minor() {
        Some(m) if m <= 23 => {}
        v => {
            let why = format!("-mapevents needs Go 1.19..1.23, found {v:?}");
            go_toolchain::skip(scenario, &why);
            return;
        }
    }
    let _serial = GO_RUNS.lock().unwrap_or_else(|e| e.into_inner());
    let file = bundled(scenario);
    let dir = tempfile::tempdir().unwrap();
    let o = Command::new(bin())
        .args(["run", file.to_str().unwrap(), "--no-plots", "-q", "--out"])
        .arg(dir.path().join("sim"))
        .output()
        .unwrap();
    assert_ok(&o);
    let sim = std::fs::read_to_string(dir.path().join("sim/map_events.csv")).unwrap();

    let prog = go.export_and_build(&file, dir.path(), &[]);
    let events = dir.path().join("go_events.csv");
    let mut cmd = Command::new(&prog);
    cmd.arg("-mapevents").arg(&events);
    let o = run_with_limit(cmd, Duration::from_secs(120));
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let real = std::fs::read_to_string(&events).unwrap();
    assert_eq!(real.lines().next(), sim.lines().next(), "the same header");
    let (sim_starts, go_starts) = (grow_starts(&sim), grow_starts(&real));
    assert_eq!(sim_starts.len(), doublings, "{sim}");
    assert_eq!(go_starts, sim_starts, "real Go:\n{real}\nsimulator:\n{sim}");
    // A growth that started ends: Go's rows are whole growths too.
    let ends = rows(&real).iter().filter(|r| r[2] == "grow_end").count();
    let starts = rows(&real).iter().filter(|r| r[2] != "grow_end").count();
    assert!(ends == starts || ends + 1 == starts, "{real}");
}

#[test]
fn map_growth_starts_where_real_go_grows() {
    growth_points_match_real_go("map_growth.toml", 12);
}

#[test]
fn map_prealloc_never_grows_in_real_go_either() {
    growth_points_match_real_go("map_prealloc.toml", 0);
}

#[test]
fn map_churn_grows_where_real_go_grows() {
    growth_points_match_real_go("map_churn.toml", 11);
}

/// race.json's outcomes of `gomemsim race file args…` (outcome → schedules).
fn race_outcomes(
    file: &Path,
    dir: &Path,
    args: &[&str],
) -> serde_json::Map<String, serde_json::Value> {
    let out = dir.join("race");
    let o = Command::new(bin())
        .args(["race", file.to_str().unwrap()])
        .args(args)
        .args(["-q", "--out"])
        .arg(&out)
        .output()
        .unwrap();
    assert!(matches!(o.status.code(), Some(0 | 1)), "{o:?}");
    let race: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("race.json")).unwrap()).unwrap();
    race["outcomes"].as_object().expect("outcomes").clone()
}

/// The fatal errors of the simulator's race outcomes (PCT, 1000 schedules).
fn simulated_fatals(file: &Path, dir: &Path) -> Vec<String> {
    let outcomes = race_outcomes(file, dir, &["--strategy", "pct"]);
    outcomes.keys().filter(|k| *k != "ok").cloned().collect()
}

/// Runs the exported program up to `repeat` times in one process and checks that real Go
/// dies with the simulator's message (or, with none, finishes): exit status 2 and
/// `fatal error: <message>` on stderr. Go's check is best effort: writers that both pass it
/// can leave the map corrupted, and a later write then dereferences a nil bucket (a
/// SIGSEGV inside the map assignment; once in a CI run of race_minimal's 100 writers). That
/// is the race too, so the process is started again, up to three times in all.
fn race_matches_real_go(scenario: &str, repeat: u64, fatal: Option<&str>) {
    let Some(go) = Go::find(scenario) else {
        return;
    };
    let _serial = GO_RUNS.lock().unwrap_or_else(|e| e.into_inner());
    let file = bundled(scenario);
    let dir = tempfile::tempdir().unwrap();
    let simulated = simulated_fatals(&file, dir.path());
    assert_eq!(
        simulated,
        fatal.map(String::from).into_iter().collect::<Vec<_>>()
    );
    let prog = go.export_and_build(&file, dir.path(), &[]);
    let run = || {
        let mut cmd = Command::new(&prog);
        cmd.args(["-repeat", &repeat.to_string()]);
        run_with_limit(cmd, Duration::from_secs(300))
    };
    let corrupted = |o: &std::process::Output| {
        let stderr = String::from_utf8_lossy(&o.stderr);
        o.status.code() == Some(2)
            && stderr.contains("[signal SIGSEGV")
            && stderr.contains("main.newMap")
    };
    let mut o = run();
    for _ in 0..2 {
        if !corrupted(&o) {
            break;
        }
        eprintln!("{scenario}: a corrupted map's SIGSEGV before the check fired; again");
        o = run();
    }
    let stderr = String::from_utf8_lossy(&o.stderr);
    let head: String = stderr.lines().take(5).collect::<Vec<_>>().join("\n");
    match fatal {
        Some(message) => {
            assert_eq!(o.status.code(), Some(2), "{scenario}: {head}");
            assert!(
                stderr.contains(&format!("fatal error: {message}\n")),
                "{scenario}: {head}"
            );
        }
        None => {
            assert_eq!(o.status.code(), Some(0), "{scenario}: {head}");
            assert!(stderr.contains("no fatal error") && !stderr.contains("fatal error: "));
        }
    }
}

#[test]
fn race_minimal_dies_of_concurrent_map_writes() {
    // ~1 run in 6 crashes: a miss in 10^4 runs is below e^-1000.
    race_matches_real_go("race_minimal.toml", 10_000, Some("concurrent map writes"));
}

#[test]
fn race_read_write_dies_of_a_read_during_a_write() {
    // ~1 run in 17000 crashes: a miss in 3e6 runs is about e^-170.
    race_matches_real_go(
        "race_read_write.toml",
        3_000_000,
        Some("concurrent map read and map write"),
    );
}

#[test]
fn race_iterate_write_dies_of_a_range_during_a_write() {
    // ~1 run in 9000 crashes: a miss in 3e6 runs is about e^-330.
    race_matches_real_go(
        "race_iterate_write.toml",
        3_000_000,
        Some("concurrent map iteration and map write"),
    );
}

#[test]
fn race_fixed_mutex_never_dies() {
    race_matches_real_go("race_fixed_mutex.toml", 20_000, None);
}

/// 2 writers × `k` keys started together on GOMAXPROCS=2, as a scenario file in `dir`.
fn writers2_file(dir: &Path, k: u64) -> std::path::PathBuf {
    let path = dir.join(format!("writers2_{k}.toml"));
    let text = format!(
        "name = \"writers2\"\nseed = 1\n[runtime]\ngo = \"1.19\"\ngomaxprocs = 2\n[[maps]]\n\
         name = \"m\"\nkey = \"int64\"\nelem = \"int64\"\n[[goroutines]]\nname = \"writer\"\n\
         count = 2\nstart = \"together\"\nprogram = [ {{ op = \"insert\", map = \"m\", n = {k} }} ]\n"
    );
    std::fs::write(&path, text).unwrap();
    path
}

/// The share of `schedules` timing schedules of `file` that crash, as `race` reports it.
fn predicted_rate(file: &Path, dir: &Path, schedules: u64) -> f64 {
    let outcomes = race_outcomes(file, dir, &["--schedules", &schedules.to_string()]);
    let ok = outcomes.get("ok").and_then(|v| v.as_u64()).unwrap_or(0);
    1.0 - ok as f64 / schedules as f64
}

/// Whether one fresh process of the exported program dies with `fatal error:` (most with
/// "concurrent map writes", a few with the corruption a missed check leaves, "bad map
/// state", as the measured runs did), or of that corruption as a segmentation fault inside
/// the map assignment (a nil bucket pointer another writer's growth left: seen once in some
/// thousand processes of 2 × 1000 inserts).
fn go_dies(prog: &Path) -> bool {
    let o = run_with_limit(Command::new(prog), Duration::from_secs(60));
    let stderr = String::from_utf8_lossy(&o.stderr);
    match o.status.code() {
        Some(0) => false,
        Some(2) if stderr.contains("fatal error: ") => true,
        Some(2) if stderr.contains("[signal SIGSEGV") => true,
        other => panic!("{}: exit {other:?}: {stderr}", prog.display()),
    }
}

/// How far real Go's own crash rate at one K moves between batches of 100 fresh processes on
/// the 2-vCPU VM the tests run on, beyond their sampling error: at K = 10 from 0.03 to 0.65,
/// at K = 100 from 0.11 to 0.77, at K = 1000 from 0.77 to 1.0 (batches minutes apart, the
/// machine idle or running this test suite; warming the CPUs first changed nothing). The
/// second P's wake-up latency measured beside them stayed put (25th-75th percentile 21-27 to
/// 54-62 us), so it is the VM's scheduling of a fresh process, which the model does not see.
const VM_DRIFT: f64 = 0.25;

/// The crash rate `race` predicts for 2 writers × K keys, K = 10, 100, 1000, against their
/// exported programs run as separate processes (as tests/data/measured/concurrent_map_writers2.csv
/// was measured), the three interleaved process by process so that they share the machine's
/// state: three batches of 100 each. The median batch must come within 0.15 of the
/// prediction, give or take twice a batch's sampling error and [`VM_DRIFT`]; and real Go,
/// like `race`, must crash more often the longer the writers write.
#[test]
fn two_writers_crash_at_the_rate_race_predicts() {
    let test = "two_writers_crash_at_the_rate_race_predicts";
    let Some(go) = Go::find(test) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let ks = [10u64, 100, 1000];
    let cases: Vec<(f64, PathBuf)> = ks
        .iter()
        .map(|&k| {
            let file = writers2_file(dir.path(), k);
            let sub = dir.path().join(k.to_string());
            std::fs::create_dir_all(&sub).unwrap();
            let predicted = predicted_rate(&file, &sub, 400);
            (predicted, go.export_and_build(&file, &sub, &[]))
        })
        .collect();
    let _serial = GO_RUNS.lock().unwrap_or_else(|e| e.into_inner());
    let runs = 100;
    let mut batches = vec![Vec::new(); ks.len()];
    for _ in 0..3 {
        let mut died = vec![0u32; ks.len()];
        for _ in 0..runs {
            for (i, (_, prog)) in cases.iter().enumerate() {
                died[i] += u32::from(go_dies(prog));
            }
        }
        for (i, d) in died.iter().enumerate() {
            batches[i].push(f64::from(*d) / f64::from(runs));
        }
    }
    let mut real = Vec::new();
    for (i, &k) in ks.iter().enumerate() {
        let predicted = cases[i].0;
        let mut rates = batches[i].clone();
        rates.sort_by(f64::total_cmp);
        let median = rates[1];
        eprintln!("2 writers x {k}: race {predicted:.3}, go1.19 {median:.3} (batches {rates:?})");
        let sigma = (median * (1.0 - median) / f64::from(runs)).sqrt();
        assert!(
            (predicted - median).abs() <= 0.15 + 2.0 * sigma + VM_DRIFT,
            "2 writers x {k}: race predicts {predicted:.3}, go1.19 died in {median:.3} of {runs} \
             processes (batches {rates:?})"
        );
        real.push(median);
    }
    let rising = |r: &[f64]| r[0] < r[1] && r[1] <= r[2] + 0.05;
    assert!(rising(&real), "go1.19 {real:?}");
    let predicted: Vec<f64> = cases.iter().map(|c| c.0).collect();
    assert!(rising(&predicted), "race {predicted:?}");
}

/// A reader beside a writer: 1000 inserts and 1000 lookups of existing keys, started
/// together on GOMAXPROCS=2, exported and run as 3 batches of 100 fresh processes. Their
/// lookups pick keys from the exported program's key list (under a sync.Mutex, as `race`
/// prices them); go1.19.8 died with "concurrent map read and map write" in 12-19% of
/// processes on the 2-vCPU Xeon, `race` predicts 26%. Both must see the crash, and come
/// within 0.15 as [`two_writers_crash_at_the_rate_race_predicts`] allows. (Priced as free,
/// the lookups of the still empty map were over before the writer's P woke: `race`
/// predicted 0.)
#[test]
fn a_reader_beside_a_writer_crashes_at_the_rate_race_predicts() {
    let test = "a_reader_beside_a_writer_crashes_at_the_rate_race_predicts";
    let Some(go) = Go::find(test) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("reader_writer.toml");
    std::fs::write(
        &file,
        "name = \"reader_writer\"\nseed = 1\n[runtime]\ngo = \"1.19\"\ngomaxprocs = 2\n\
         [[maps]]\nname = \"m\"\nkey = \"int64\"\nelem = \"int64\"\n\
         [[goroutines]]\nname = \"writer\"\nstart = \"together\"\n\
         program = [ { op = \"insert\", map = \"m\", n = 1000 } ]\n\
         [[goroutines]]\nname = \"reader\"\nstart = \"together\"\n\
         program = [ { op = \"read\", map = \"m\", n = 1000 } ]\n",
    )
    .unwrap();
    let predicted = predicted_rate(&file, dir.path(), 400);
    let prog = go.export_and_build(&file, dir.path(), &[]);
    let _serial = GO_RUNS.lock().unwrap_or_else(|e| e.into_inner());
    let runs = 100;
    let mut rates: Vec<f64> = (0..3)
        .map(|_| (0..runs).filter(|_| go_dies(&prog)).count() as f64 / f64::from(runs))
        .collect();
    rates.sort_by(f64::total_cmp);
    let median = rates[1];
    eprintln!(
        "reader beside a writer: race {predicted:.3}, go1.19 {median:.3} (batches {rates:?})"
    );
    assert!(
        median > 0.0 && predicted > 0.05,
        "race {predicted:.3}, go1.19 {rates:?}"
    );
    let sigma = (median * (1.0 - median) / f64::from(runs)).sqrt();
    assert!(
        (predicted - median).abs() <= 0.15 + 2.0 * sigma + VM_DRIFT,
        "race predicts {predicted:.3}, go1.19 died in {median:.3} (batches {rates:?})"
    );
}
