//! The default `[costs]` reproduce real Go 1.19's time per insert, for the map sizes they are
//! calibrated for (benches/go/results/calibrate.json, thread CPU time, median of 5 reps).

mod common;

use common::{insert_scenario, run};

/// Measured ns per insert for map[int64]int64 of `n` keys: (presized, growing from empty).
fn measured(n: u64) -> (f64, f64) {
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/go/results/calibrate.json");
    let json: serde_json::Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    let row = json["mapop"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["n"].as_u64() == Some(n))
        .unwrap_or_else(|| panic!("no measurement for n = {n}"));
    let get = |k: &str| row[k]["thread_cpu"]["median"].as_f64().unwrap();
    (
        get("insert_presized_ns_per_op"),
        get("insert_growing_ns_per_op"),
    )
}

/// Simulated ns per insert with the default costs.
fn simulated(n: u64, hint: u64) -> f64 {
    let o = run(&insert_scenario("int64", hint, n, 1));
    o.sim_time_ns as f64 / n as f64
}

#[test]
fn growing_inserts_cost_what_go_measured() {
    for n in [1_000, 10_000, 100_000] {
        let (_, go) = measured(n);
        let sim = simulated(n, 0);
        assert!(
            (sim / go - 1.0).abs() <= 0.15,
            "n = {n}: simulated {sim:.1} ns/insert, Go {go:.1}"
        );
    }
}

#[test]
fn presized_inserts_cost_what_go_measured() {
    let (go, _) = measured(100_000);
    let sim = simulated(100_000, 100_000);
    assert!(
        (sim / go - 1.0).abs() <= 0.15,
        "simulated {sim:.1} ns/insert, Go {go:.1}"
    );
}
