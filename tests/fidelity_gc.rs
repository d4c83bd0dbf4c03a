//! The heap and GC model against the measured Go 1.19 runs (tests/data/measured/gc_*):
//! one goroutine on GOMAXPROCS=2 retains 64 MiB in 4 KiB chunks, then allocates 8 GiB of
//! 4 KiB garbage, under GOGC=100 and under GOGC=off with GOMEMLIMIT=128MiB.

mod common;

use common::{col, read_csv, run};
use gomemsim::model::gc::GcCycle;
use gomemsim::scenario;

const MIB: u64 = 1 << 20;

/// The measured workload under the given runtime settings.
fn workload(runtime: &str) -> gomemsim::Outcome {
    let text = format!(
        r#"
name = "measured"
[runtime]
gomaxprocs = 2
{runtime}
[[goroutines]]
name = "main"
program = [
  {{ op = "retain", bytes = "64MiB", size = "4KiB" }},
  {{ op = "alloc", bytes = "8GiB", size = "4KiB" }},
]
"#
    );
    run(&scenario::parse_str(&text, "measured.toml", &[]).unwrap())
}

/// A measured run's summary row, as (header, row).
fn measured(run: &str) -> (Vec<String>, Vec<String>) {
    let (h, rows) = read_csv("gc_summary.csv");
    let row = rows.into_iter().find(|r| col(&h, r, "run") == run).unwrap();
    (h, row)
}

fn num(h: &[String], r: &[String], c: &str) -> f64 {
    col(h, r, c).parse().unwrap()
}

/// Cycles that started once the whole live heap was retained: the steady phase.
fn steady(o: &gomemsim::Outcome) -> Vec<GcCycle> {
    o.gc.iter()
        .filter(|c| c.heap_marked_bytes >= 64 * MIB)
        .copied()
        .collect()
}

/// Cycles per GiB allocated in the steady phase: bytes allocated from one cycle's start to
/// the next are (heap_end − heap_start) during the mark plus (next heap_start − marked)
/// after it.
fn cycles_per_gib(s: &[GcCycle]) -> f64 {
    let bytes: u64 = s
        .windows(2)
        .map(|w| {
            (w[0].heap_end_bytes - w[0].heap_start_bytes)
                + (w[1].heap_start_bytes - w[0].heap_marked_bytes)
        })
        .sum();
    (s.len() - 1) as f64 / (bytes as f64 / (1u64 << 30) as f64)
}

/// Mean over consecutive steady cycles of goal(n+1) ÷ marked(n).
fn goal_over_marked(s: &[GcCycle]) -> f64 {
    let v: Vec<f64> = s
        .windows(2)
        .map(|w| w[1].heap_goal_bytes as f64 / w[0].heap_marked_bytes as f64)
        .collect();
    v.iter().sum::<f64>() / v.len() as f64
}

fn gc_cpu_fraction(o: &gomemsim::Outcome) -> f64 {
    o.total_gc_cpu_ns as f64 / (o.sim_time_ns as f64 * f64::from(o.procs))
}

fn within(what: &str, sim: f64, go: f64, tol: f64) {
    let err = sim / go - 1.0;
    assert!(
        err.abs() <= tol,
        "{what}: simulated {sim:.4}, Go {go:.4} ({:+.1}%)",
        err * 100.0
    );
}

fn check_run(run_name: &str, runtime: &str) {
    let (h, r) = measured(run_name);
    let o = workload(runtime);
    let s = steady(&o);
    assert!(s.len() > 100, "{} steady cycles", s.len());
    within(
        "cycles per GiB",
        cycles_per_gib(&s),
        num(&h, &r, "steady_cycles_per_gib"),
        0.05,
    );
    within(
        "goal / marked",
        goal_over_marked(&s),
        num(&h, &r, "mean_goal_over_live"),
        0.02,
    );
    within(
        "GC CPU fraction",
        gc_cpu_fraction(&o),
        num(&h, &r, "gc_cpu_fraction") / 100.0,
        0.25,
    );
    // Not required of the model, but it holds: where the trigger fires, total STW, wall time.
    let start_over_goal = s
        .iter()
        .map(|c| c.heap_start_bytes as f64 / c.heap_goal_bytes as f64)
        .sum::<f64>()
        / s.len() as f64;
    within(
        "heap start / goal",
        start_over_goal,
        num(&h, &r, "mean_heap_start_over_goal"),
        0.03,
    );
    let stw_ms = o.pauses_ns.iter().sum::<u64>() as f64 / 1e6;
    within("total STW", stw_ms, num(&h, &r, "total_stw_ms"), 0.10);
    within(
        "run time",
        o.sim_time_ns as f64 / 1e9,
        num(&h, &r, "wall_s"),
        0.05,
    );
}

#[test]
fn gogc_100_matches_the_measured_run() {
    check_run("L64_gogc100_c4k", "gogc = 100");
}

#[test]
fn memory_limit_128mib_matches_the_measured_run() {
    check_run(
        "L64_gogcoff_mem128MiB_c4k",
        "gogc = \"off\"\ngomemlimit = \"128MiB\"",
    );
}

#[test]
fn more_gogc_means_fewer_cycles_and_a_higher_peak() {
    let mut last: Option<(usize, u64)> = None;
    for gogc in [25, 50, 100, 200, 400] {
        let o = workload(&format!("gogc = {gogc}"));
        let now = (o.gc.len(), o.peak_heap_bytes);
        if let Some((cycles, peak)) = last {
            assert!(
                now.0 < cycles,
                "GOGC {gogc}: {} cycles, not fewer than {cycles}",
                now.0
            );
            assert!(now.1 > peak, "GOGC {gogc}: peak {} not above {peak}", now.1);
        }
        last = Some(now);
    }
}

#[test]
fn gogc_off_without_a_limit_never_collects() {
    let o = workload("gogc = \"off\"");
    assert!(o.gc.is_empty());
    assert_eq!(o.peak_heap_bytes, o.total_alloc_bytes);
}

#[test]
fn a_growing_map_alone_causes_gc_cycles_through_its_bucket_arrays() {
    // 300000 int64 inserts allocate about 18 MiB of bucket arrays (and leave the old ones as
    // garbage): past the 4 MiB minimum heap, the GC starts, and the bucket arrays it marks
    // are the map's live bytes.
    let o = run(&common::insert_scenario("int64", 0, 300_000, 1));
    assert!(o.gc.len() >= 2, "{} cycles", o.gc.len());
    let first = o.gc[0];
    assert_eq!(
        first.trigger_bytes, 3_997_696,
        "the first trigger of GOGC=100"
    );
    // What the GC marks is the map: its current array, plus the old one while a growth is
    // in progress, plus what was allocated during the mark.
    let live = o.maps[0].live_bytes;
    let last = o.gc.last().unwrap();
    assert!(
        last.heap_marked_bytes >= live / 2,
        "marked {} live {live}",
        last.heap_marked_bytes
    );
    assert!(last.heap_marked_bytes <= o.total_alloc_bytes);
    // Without GC pacing no cycle runs.
    let mut off = common::insert_scenario("int64", 0, 300_000, 1);
    off.runtime.gogc = gomemsim::scenario::Gogc::Off;
    assert!(run(&off).gc.is_empty());
}
