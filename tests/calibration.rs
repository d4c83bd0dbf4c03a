//! The default `[costs]` reproduce real Go 1.19's time per map operation across map sizes,
//! 1e3 to 1e7 keys, as benches/go/calibrate measured it (benches/go/results/calibrate.json,
//! thread CPU time, median of 5 reps, GOGC=off): in cache through `map_op` and the
//! evacuation costs, beyond the caches through the `cache_l2*`/`cache_l3*` terms.

mod common;

use gomemsim::scenario::units::Dur;

const SIZES: [u64; 5] = [1_000, 10_000, 100_000, 1_000_000, 10_000_000];

/// One measured ns-per-op figure for map[int64]int64 of `n` keys.
fn measured(n: u64, field: &str) -> f64 {
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/go/results/calibrate.json");
    let json: serde_json::Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    let row = json["mapop"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["n"].as_u64() == Some(n))
        .unwrap_or_else(|| panic!("no measurement for n = {n}"));
    row[field]["thread_cpu"]["median"].as_f64().unwrap()
}

/// Simulated ns per insert of `n` keys into `make(map[int64]int64, hint)` with the default
/// costs and the collector off, as the Go program runs.
fn simulated(n: u64, hint: u64) -> f64 {
    let mut sc = common::insert_scenario_in("int64", hint, n, 1, "gogc = \"off\"");
    // The benchmark primes the heap and warms up before its timed reps, which time the loop
    // alone: no never-used page, no first growth, no wait of main's in them.
    sc.costs.page_fault_fresh = Dur::ZERO;
    sc.costs.map_grow_first = Dur::ZERO;
    sc.costs.main_wait = Dur::ZERO;
    let o = common::run(&sc);
    assert!(o.gc.is_empty(), "the collector is off");
    o.sim_time_ns as f64 / n as f64
}

/// Presized inserts are what map_op and the cache terms were fitted to: every size within 5%.
#[test]
fn presized_inserts_cost_what_go_measured_at_every_size() {
    for n in SIZES {
        let go = measured(n, "insert_presized_ns_per_op");
        let sim = simulated(n, n);
        assert!(
            (sim / go - 1.0).abs() <= 0.05,
            "n = {n}: simulated {sim:.1} ns/insert, Go {go:.1}"
        );
    }
}

/// Growing from empty adds evacuation and allocation, fitted at 1e5 keys only: the other
/// sizes are a check of the cache model on evacuation (worst: 1e6, 16% low).
#[test]
fn growing_inserts_cost_what_go_measured_at_every_size() {
    for n in SIZES {
        let go = measured(n, "insert_growing_ns_per_op");
        let sim = simulated(n, 0);
        assert!(
            (sim / go - 1.0).abs() <= 0.2,
            "n = {n}: simulated {sim:.1} ns/insert, Go {go:.1}"
        );
    }
}

/// Past the caches a map costs several times what it costs in cache, as on real Go: the
/// 1e7-key map's insert over the 1e3-key map's, measured 4.6x, simulated within 10%.
#[test]
fn large_maps_cost_more_per_insert_as_go_measured() {
    let go = measured(10_000_000, "insert_presized_ns_per_op")
        / measured(1_000, "insert_presized_ns_per_op");
    let sim = simulated(10_000_000, 10_000_000) / simulated(1_000, 1_000);
    assert!(
        (sim / go - 1.0).abs() <= 0.1,
        "1e7 over 1e3: simulated {sim:.2}x, Go {go:.2}x"
    );
}
