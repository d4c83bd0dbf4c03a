//! The classic map model against map measurements of a real Go 1.19 runtime
//! (tests/data/measured/).

mod common;

use common::{col, insert_scenario, read_csv, run};
use gomemsim::model::gomap::MapEventKind;

/// Measured key-type labels and the Go types they stand for.
fn go_key(label: &str) -> &'static str {
    match label {
        "int64" => "int64",
        "string" => "string",
        "key32" => "[32]byte",
        other => panic!("unknown measured type {other}"),
    }
}

/// (b_before, start op, end op) of each doubling growth.
fn growths(o: &gomemsim::Outcome) -> Vec<(u8, u64, u64)> {
    let mut out = Vec::new();
    let mut start = None;
    for e in &o.maps[0].events {
        match e.kind {
            MapEventKind::GrowStart => start = Some(e.op),
            MapEventKind::GrowEnd => out.push((e.b_before, start.take().unwrap(), e.op)),
            MapEventKind::SameSizeGrowStart => panic!("no same-size growth with inserts alone"),
            swiss => panic!("a classic map reported {swiss:?}"),
        }
    }
    out
}

#[test]
fn growth_start_inserts_match_every_measured_row() {
    let (h, rows) = read_csv("map_growth_thresholds.csv");
    assert_eq!(rows.len(), 36);
    for label in ["int64", "string", "key32"] {
        let o = run(&insert_scenario(go_key(label), 0, 20000, 1));
        let g = growths(&o);
        let mine: Vec<_> = rows
            .iter()
            .filter(|r| col(&h, r, "type") == label)
            .collect();
        assert_eq!(g.len(), mine.len(), "{label}: number of growths");
        for (row, &(b, start, _)) in mine.iter().zip(&g) {
            let b_from: u8 = col(&h, row, "B_from").parse().unwrap();
            let min: u64 = col(&h, row, "start_insert_min").parse().unwrap();
            let max: u64 = col(&h, row, "start_insert_max").parse().unwrap();
            assert_eq!(min, max, "Go starts growth at a fixed insert");
            assert_eq!((b, start), (b_from, min), "{label}: growth from B={b_from}");
        }
    }
}

#[test]
fn growth_end_inserts_lie_in_the_measured_range() {
    // Over 200 seeds per type, every end insert falls inside what 200 real runs showed,
    // widened by 2% for the tails of two finite samples.
    let (h, rows) = read_csv("map_growth_thresholds.csv");
    for label in ["int64", "string", "key32"] {
        let mine: Vec<_> = rows
            .iter()
            .filter(|r| col(&h, r, "type") == label)
            .collect();
        for seed in 1..=200 {
            let o = run(&insert_scenario(go_key(label), 0, 20000, seed));
            for (row, &(b, _, end)) in mine.iter().zip(&growths(&o)) {
                let lo: f64 = col(&h, row, "end_insert_min").parse().unwrap();
                let hi: f64 = col(&h, row, "end_insert_max").parse().unwrap();
                let (lo, hi) = (lo - (lo * 0.02).ceil(), hi + (hi * 0.02).ceil());
                assert!(
                    (lo..=hi).contains(&(end as f64)),
                    "{label} seed {seed}: growth from B={b} ended at insert {end}, measured {lo}..{hi}"
                );
            }
        }
    }
}

#[test]
fn evacuation_writes_match_the_measured_distribution() {
    // Writes from growth start to growth end, both counted, over 200 seeds; mean and p90
    // within 5% of the measured ones for every step with at least 8 old buckets.
    let (h, rows) = read_csv("map_evac_writes_int64.csv");
    let mut per_b: Vec<Vec<u64>> = vec![Vec::new(); 12];
    for seed in 1..=200 {
        let o = run(&insert_scenario("int64", 0, 20000, seed));
        for (b, start, end) in growths(&o) {
            per_b[b as usize].push(end - start + 1);
        }
    }
    let mut checked = 0;
    for row in &rows {
        let b: usize = col(&h, row, "B_from").parse().unwrap();
        let old: u64 = col(&h, row, "old_buckets").parse().unwrap();
        let v = &mut per_b[b];
        assert_eq!(v.len(), 200);
        v.sort_unstable();
        let mean = v.iter().sum::<u64>() as f64 / v.len() as f64;
        // Nearest-rank p90.
        let p90 = v[(0.9 * v.len() as f64).ceil() as usize - 1] as f64;
        let go_mean: f64 = col(&h, row, "writes_mean").parse().unwrap();
        let go_p90: f64 = col(&h, row, "writes_p90").parse().unwrap();
        if old < 8 {
            continue;
        }
        checked += 1;
        assert!(
            (mean / go_mean - 1.0).abs() <= 0.05,
            "B {b}: mean {mean:.2} vs Go {go_mean:.2}"
        );
        assert!(
            (p90 / go_p90 - 1.0).abs() <= 0.05,
            "B {b}: p90 {p90} vs Go {go_p90}"
        );
    }
    assert_eq!(checked, 9, "steps B=3..11 have >= 8 old buckets");
}

#[test]
fn hint_to_b_and_first_growth_match_every_measured_row() {
    let (h, rows) = read_csv("map_hint_B.csv");
    assert!(rows.len() >= 150);
    for row in &rows {
        let label = col(&h, row, "type");
        let hint: u64 = col(&h, row, "hint").parse().unwrap();
        let want_b: u8 = col(&h, row, "initial_B").parse().unwrap();
        let want_buckets: u64 = col(&h, row, "initial_buckets").parse().unwrap();
        let want_first: u64 = col(&h, row, "first_growth_insert").parse().unwrap();
        let escapes = col(&h, row, "escapes_to_heap") == "1";
        let nil_initially = col(&h, row, "buckets_nil_initially") == "1";
        // Insert just past the first growth.
        let o = run(&insert_scenario(go_key(label), hint, want_first, 1));
        let first = o.maps[0].events.first().expect("a growth happens");
        assert_eq!(first.kind, MapEventKind::GrowStart);
        assert_eq!(first.b_before, want_b, "{label} hint {hint}: initial B");
        assert_eq!(1u64 << first.b_before, want_buckets);
        assert_eq!(
            first.op, want_first,
            "{label} hint {hint}: first growth insert"
        );
        if escapes {
            // A heap map with B = 0 allocates its first bucket lazily (mapassign).
            let made = run(&insert_scenario(go_key(label), hint, 0, 1));
            let gomemsim::engine::sim::MapShape::Classic { bucket_size, .. } = made.maps[0].shape
            else {
                panic!("a classic map");
            };
            let lazily = made.work.alloc_bytes < 48 + bucket_size;
            assert_eq!(
                lazily, nil_initially,
                "{label} hint {hint}: buckets nil at make"
            );
        }
    }
}
