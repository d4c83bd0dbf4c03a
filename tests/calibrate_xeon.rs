//! `gomemsim calibrate` on go1.19.8 logs of a second CPU, a 2-vCPU Intel Xeon
//! (tests/data/gctrace_xeon: the exported gc_gogc at GOGC 25, 50, 100, 200, 400 and under
//! GOMEMLIMIT=128MiB, three runs each). The `[costs]` defaults come from an AMD EPYC; here
//! calibrate must find this CPU's speeds in one log and carry them to the others. Fixed files,
//! so unlike tests/differential_gc.rs these checks do not move with a live run.
//!
//! With the default costs every log but GOGC=25 fits its own cycle count within 5%, and fits
//! of the GOGC=100 logs project GOGC=50, 200, 400 and the 128 MiB limit within 5%; GOGC=25
//! misses (its own fit 8-10% high, the projection 13%): its program allocated 3.9 MiB in a
//! 0.68 ms mark, the fit 1.7 MiB. Given this CPU's allocation costs (`calibrate --set`: clearing
//! reused memory that has left a 14 MiB cache, and sweeping priced per page), GOGC=25 fits and
//! is projected within 5% too.

mod common;

use std::path::{Path, PathBuf};

use common::{assert_ok, calibrate, col, fit_json, read_csv_at, rel, warnings};

fn log(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/gctrace_xeon")
        .join(name)
}

/// The cycle lines of a log: the cycles real Go ran.
fn real_cycles(name: &str) -> f64 {
    std::fs::read_to_string(log(name))
        .unwrap()
        .lines()
        .filter(|l| l.starts_with("gc "))
        .count() as f64
}

/// The three runs' logs of one setting, by its file-name part (`gogc25`, ...).
fn runs(setting: &str) -> Vec<String> {
    (1..=3)
        .map(|r| format!("gc_gogc_{setting}_run{r}.txt"))
        .collect()
}

/// calibrate on `name` with `extra` flags: fit.json and calibrate's warnings.
fn fit_log(name: &str, extra: &[&str]) -> (serde_json::Value, Vec<String>) {
    let dir = tempfile::tempdir().unwrap();
    let o = calibrate(&log(name), dir.path(), extra);
    assert_ok(&o);
    (fit_json(dir.path()), warnings(&o))
}

/// Asserts that the fit of `name` reproduces the log's cycle count within `tol`.
fn assert_cycles_within(name: &str, fit: &serde_json::Value, tol: f64) {
    assert!(
        rel(fit, "gc_cycles").abs() <= tol,
        "{name}: {}",
        fit["gc_cycles"]
    );
}

/// The median over the three GOGC=100 logs of the cycles their fits project under
/// `projection` (calibrate's `--project` values, one setting each).
fn projected_from_gogc_100(projection: &[&str]) -> f64 {
    projected_from_gogc_100_with(&[], projection)
}

/// [`projected_from_gogc_100`], the fits given `known` flags too.
fn projected_from_gogc_100_with(known: &[&str], projection: &[&str]) -> f64 {
    let mut cycles: Vec<f64> = runs("gogc100")
        .iter()
        .map(|name| {
            let dir = tempfile::tempdir().unwrap();
            let mut extra = known.to_vec();
            for p in projection {
                extra.extend(["--project", p]);
            }
            let o = calibrate(&log(name), dir.path(), &extra);
            assert_ok(&o);
            let (header, rows) = read_csv_at(&dir.path().join("projection.csv"));
            col(&header, &rows[0], "gc_cycles").parse().unwrap()
        })
        .collect();
    cycles.sort_by(f64::total_cmp);
    cycles[1]
}

/// Mean cycle count of a setting's three runs.
fn real_mean(setting: &str) -> f64 {
    runs(setting).iter().map(|n| real_cycles(n)).sum::<f64>() / 3.0
}

#[test]
fn each_log_but_gogc_25_fits_its_own_cycles_within_five_percent() {
    for (setting, gogc) in [
        ("gogc50", 50),
        ("gogc100", 100),
        ("gogc200", 200),
        ("gogc400", 400),
    ] {
        for name in runs(setting) {
            let (fit, _) = fit_log(&name, &[]);
            assert_eq!(fit["settings"]["gogc"]["value"], gogc, "{name}");
            assert_eq!(fit["gc_cycles"]["observed"], real_cycles(&name), "{name}");
            assert_cycles_within(&name, &fit, 0.05);
        }
    }
}

/// Under the limit the heap goals alone cannot tell GOMEMLIMIT=128MiB from GOGC=70 (they stay
/// at 113 MiB): calibrate says so and fits either reading; given the settings, within 5%.
#[test]
fn memory_limit_logs_fit_and_say_what_the_goals_cannot_tell() {
    for name in runs("gogcoff_mem128MiB") {
        let (fit, warned) = fit_log(&name, &[]);
        assert!(
            warned
                .iter()
                .any(|w| w.starts_with("GOGC or GOMEMLIMIT?") && w.contains("GOMEMLIMIT=128MiB")),
            "{name}: {warned:?}"
        );
        assert_cycles_within(&name, &fit, 0.05);
        let (fit, _) = fit_log(&name, &["--gogc", "off", "--gomemlimit", "128MiB"]);
        assert_eq!(fit["settings"]["gomemlimit"]["value"], 128 << 20, "{name}");
        assert_cycles_within(&name, &fit, 0.05);
    }
}

/// GOGC=100 under GOMEMLIMIT=96MiB with 64 MiB live: the goals double while the heap is
/// built, then the limit's goal (82 MiB) holds them all. Read as one setting the flat top
/// said GOGC=20 (fitted 21% over the log's cycles, with a warning that the goals fit GOGC or
/// a limit); read as both, calibrate finds the program's settings, and with them the goal.
#[test]
fn goals_that_follow_gogc_until_a_limit_holds_them_give_both_settings() {
    let name = "gc_gogc_gogc100_mem96MiB.txt";
    let (fit, warned) = fit_log(name, &[]);
    let settings = &fit["settings"];
    assert_eq!(settings["gogc"]["value"], 100, "{settings}");
    assert_eq!(settings["gogc"]["source"], "inferred");
    assert_eq!(settings["gomemlimit"]["value"], 96 << 20, "{settings}");
    assert_eq!(settings["gomemlimit"]["source"], "inferred");
    assert!(
        !warned.iter().any(|w| w.starts_with("GOGC or GOMEMLIMIT?")),
        "{warned:?}"
    );
    assert!(
        rel(&fit, "mean_heap_goal_bytes").abs() <= 0.02,
        "{}",
        fit["mean_heap_goal_bytes"]
    );
    // What is left is the program's allocation during marks (the fit's 1.9 MiB against
    // 3.5 MiB), which calibrate names; the cycles stay within the 10% it warns beyond.
    assert_cycles_within(name, &fit, 0.10);
}

#[test]
fn gogc_100_fits_project_gogc_50_200_400_and_the_limit_within_five_percent() {
    for (projection, setting) in [
        (&["gogc=50"][..], "gogc50"),
        (&["gogc=200"][..], "gogc200"),
        (&["gogc=400"][..], "gogc400"),
        (&["gogc=off", "gomemlimit=128MiB"][..], "gogcoff_mem128MiB"),
    ] {
        let projected = projected_from_gogc_100(projection);
        let real = real_mean(setting);
        assert!(
            (projected / real - 1.0).abs() <= 0.05,
            "{setting}: projected {projected}, go1.19.8 ran {real} (mean of three)"
        );
    }
}

/// GOGC=25 today: its own fit 8.0-10.4% high (567-583 against 519-533), the projection from
/// GOGC=100 593 against a mean of 526 (+12.8%), with the default costs. Held to 12% and 15%,
/// so a change that moves them further fails; given this CPU's costs, the 5% holds
/// (the last test).
#[test]
fn gogc_25_stays_where_it_is() {
    gogc_25_within(0.12, 0.15);
}

fn gogc_25_within(own: f64, projection: f64) {
    gogc_25_within_with(&[], own, projection);
}

fn gogc_25_within_with(known: &[&str], own: f64, projection: f64) {
    for name in runs("gogc25") {
        let (fit, _) = fit_log(&name, known);
        assert_eq!(fit["settings"]["gogc"]["value"], 25, "{name}");
        assert_cycles_within(&name, &fit, own);
    }
    let projected = projected_from_gogc_100_with(known, &["gogc=25"]);
    let real = real_mean("gogc25");
    assert!(
        (projected / real - 1.0).abs() <= projection,
        "GOGC=25: projected {projected}, go1.19.8 ran {real} (mean of three)"
    );
}

/// A fit whose cycle count misses while its settings are right says what else moves it: the
/// allocation during marks, and by how much that is off.
#[test]
fn a_cycle_count_miss_names_the_allocation_during_marks() {
    let name = &runs("gogc25")[0];
    let (fit, warned) = fit_log(name, &[]);
    let in_mark = rel(&fit, "mean_mark_alloc_bytes");
    assert!(in_mark < -0.10, "{}", fit["mean_mark_alloc_bytes"]);
    let cycles = warned
        .iter()
        .find(|w| w.starts_with("GC cycles (gc_cycles) is off by"))
        .unwrap_or_else(|| panic!("{warned:?}"));
    assert!(
        cycles.contains(&format!(
            "allocation during each mark, here off by {:+.1}% (mean_mark_alloc_bytes)",
            in_mark * 100.0
        )),
        "{cycles}"
    );
}

/// This CPU's allocation costs, measured apart from these logs (runtime/trace of the exported
/// gc_gogc with 2 GiB of garbage at GOGC 25, 50, 100, 400; README, the Xeon's own speed by
/// GOGC): the program clears a 4 KiB object in 0.47, 0.67, 0.79, 0.82 us at 16, 32, 64,
/// 256 MiB of garbage a cycle, 115 ns a KiB more beyond a 14 MiB cache; and its own sweeping,
/// which grows with the pages in use, not with what it allocates (66% of its time between
/// marks at GOGC=25, 30% at 100; at most 263 ns a page, tracing included), priced per page
/// with nothing per KiB.
const XEON_COSTS: [&str; 8] = [
    "--set",
    "costs.alloc_miss_per_kib=115ns",
    "--set",
    "costs.cache_l3=14MiB",
    "--set",
    "costs.sweep_per_kib=0ns",
    "--set",
    "costs.sweep_per_page=250ns",
];

/// Given this CPU's costs, every log fits its own cycle count within 5%, GOGC=25 too (its
/// program's allocation during marks within 2%), and the GOGC=100 logs' fits project every
/// other setting within 5%: the target. Without them GOGC=25 misses by 8-13%
/// ([`gogc_25_stays_where_it_is`]).
#[test]
fn with_this_cpus_allocation_costs_gogc_25_fits_and_is_projected_within_five_percent() {
    for setting in ["gogc25", "gogc50", "gogc100", "gogc200", "gogc400"] {
        for name in runs(setting) {
            let (fit, _) = fit_log(&name, &XEON_COSTS);
            assert_cycles_within(&name, &fit, 0.05);
            if setting == "gogc25" {
                assert!(
                    rel(&fit, "mean_mark_alloc_bytes").abs() <= 0.02,
                    "{name}: {}",
                    fit["mean_mark_alloc_bytes"]
                );
            }
        }
    }
    for name in runs("gogcoff_mem128MiB") {
        let mut given = XEON_COSTS.to_vec();
        given.extend(["--gogc", "off", "--gomemlimit", "128MiB"]);
        let (fit, _) = fit_log(&name, &given);
        assert_cycles_within(&name, &fit, 0.05);
    }
    gogc_25_within_with(&XEON_COSTS, 0.05, 0.05);
    for (projection, setting) in [
        (&["gogc=50"][..], "gogc50"),
        (&["gogc=200"][..], "gogc200"),
        (&["gogc=400"][..], "gogc400"),
        (&["gogc=off", "gomemlimit=128MiB"][..], "gogcoff_mem128MiB"),
    ] {
        let projected = projected_from_gogc_100_with(&XEON_COSTS, projection);
        let real = real_mean(setting);
        assert!(
            (projected / real - 1.0).abs() <= 0.05,
            "{setting}: projected {projected}, go1.19.8 ran {real} (mean of three)"
        );
    }
}
