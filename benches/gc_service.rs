//! `gc_service`: simulated seconds per wall-clock second for a 60 s service — 64 MiB live,
//! 200 MiB/s of 4 KiB garbage, GOMAXPROCS=2 (scenarios/gc_service.toml). Allocation advances
//! analytically between the moments that matter (trigger, mark end, forced GC), so 12000 MiB
//! of allocation is a few hundred steps, not three million.

use std::hint::black_box;
use std::path::Path;

use criterion::{Criterion, criterion_group, criterion_main};

fn gc_service(c: &mut Criterion) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/gc_service.toml");
    let sc = gomemsim::load(&path, &[]).expect("bundled scenario");
    let o = gomemsim::run(&sc).expect("runs");
    assert!(
        o.sim_time_ns >= 59_000_000_000,
        "a 60 s service: {} ns",
        o.sim_time_ns
    );
    let mut g = c.benchmark_group("gc_service");
    g.bench_function("60s_200MiBps_64MiB_live_2P", |b| {
        b.iter(|| black_box(gomemsim::run(black_box(&sc)).expect("runs").gc.len()))
    });
    g.finish();
}

criterion_group! {
    name = benches;
    // No plots: criterion draws them with system fonts, which a bare machine lacks.
    config = Criterion::default().without_plots();
    targets = gc_service
}
criterion_main!(benches);
