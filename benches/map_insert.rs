//! `map_insert`: 10M fresh int64 keys into map[int64]int64 with no hint, so the map grows
//! from nothing — the model's hot path — for the classic map (B = 0 to B = 21 with
//! incremental evacuation) and the Swiss map (small group, table grows to 1024 slots, then
//! splits to 16384 tables under a directory of depth 14). Also presized. The Go counterpart
//! of the classic runs is benches/go/map_insert (same keys, same map type, real Go 1.19).

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use gomemsim::engine::Stream;
use gomemsim::model::gomap::{GoMap, MapLayout, Work};

const N: u64 = 10_000_000;

/// `n` fresh keys into a new map[int64]int64 made with `hint`, classic or `swiss`, through
/// the enum the engine itself calls.
fn insert_n(swiss: bool, n: u64, hint: u64) -> u64 {
    let mut w = Work::default();
    let mut m = GoMap::new(
        MapLayout::INT64_INT64,
        hint,
        swiss,
        Stream::MapHash(0).rng(1),
        &mut w,
    );
    for k in 0..n {
        m.assign(black_box(k), &mut w);
    }
    black_box(m.len() + w.alloc_bytes)
}

fn map_insert(c: &mut Criterion) {
    let mut g = c.benchmark_group("map_insert");
    g.sample_size(10);
    g.throughput(Throughput::Elements(N));
    g.bench_function("10M_int64_grow", |b| b.iter(|| insert_n(false, N, 0)));
    g.bench_function("10M_int64_presized", |b| b.iter(|| insert_n(false, N, N)));
    g.bench_function("swiss_10M_int64_grow", |b| b.iter(|| insert_n(true, N, 0)));
    g.bench_function("swiss_10M_int64_presized", |b| {
        b.iter(|| insert_n(true, N, N))
    });
    g.finish();
}

criterion_group! {
    name = benches;
    // No plots: criterion draws them with system fonts, which a bare machine lacks.
    config = Criterion::default().without_plots();
    targets = map_insert
}
criterion_main!(benches);
