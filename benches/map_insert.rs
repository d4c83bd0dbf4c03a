//! `map_insert`: 10M fresh int64 keys into map[int64]int64 with no hint, so the map grows
//! from B = 0 to B = 21 with incremental evacuation — the model's hot path. The Go
//! counterpart is benches/go/map_insert (same keys, same map type, real Go 1.19).

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use gomemsim::engine::Stream;
use gomemsim::model::gomap::{ClassicMap, MapLayout, Work};

const N: u64 = 10_000_000;

fn insert_n(n: u64, hint: u64) -> u64 {
    let mut w = Work::default();
    let mut m = ClassicMap::new(
        MapLayout::INT64_INT64,
        hint,
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
    g.bench_function("10M_int64_grow", |b| b.iter(|| insert_n(N, 0)));
    g.bench_function("10M_int64_presized", |b| b.iter(|| insert_n(N, N)));
    g.finish();
}

criterion_group!(benches, map_insert);
criterion_main!(benches);
