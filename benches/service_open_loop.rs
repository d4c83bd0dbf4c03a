//! `service_open_loop`: 60 s of an open-loop service on GOMAXPROCS=8 — 100000 requests/s
//! (Poisson), each a goroutine allocating 16 KiB in 1 KiB objects and computing 50 us, with
//! 512 MiB live (scenarios/service_arrivals.toml run for 60 s): about 6M goroutines and
//! requests, and 250 GC cycles with their stop-the-world pauses and dedicated workers.

use std::hint::black_box;
use std::path::Path;
use std::time::Instant;

use criterion::{Criterion, criterion_group, criterion_main};
use gomemsim::Override;

fn service_open_loop(c: &mut Criterion) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/service_arrivals.toml");
    let sixty = Override::parse("arrivals[0].duration=60s").expect("valid override");
    let sc = gomemsim::load(&path, &[sixty]).expect("bundled scenario");
    let t = Instant::now();
    let o = gomemsim::run(&sc).expect("runs");
    let wall = t.elapsed().as_secs_f64();
    let requests: u64 = o.requests.iter().map(|r| r.latency.count()).sum();
    assert!(
        requests > 5_000_000,
        "{requests} requests after the warm-up"
    );
    println!(
        "service_open_loop: {} events, {requests} requests, {} GC cycles in {wall:.2} s: {:.1} M events/s",
        o.events,
        o.gc.len(),
        o.events as f64 / wall / 1e6
    );
    let mut g = c.benchmark_group("service_open_loop");
    g.sample_size(10);
    g.bench_function("60s_100k_rps_8P_512MiB_live", |b| {
        b.iter(|| black_box(gomemsim::run(black_box(&sc)).expect("runs").gc.len()))
    });
    g.finish();
}

criterion_group! {
    name = benches;
    // No plots: criterion draws them with system fonts, which a bare machine lacks.
    config = Criterion::default().without_plots();
    targets = service_open_loop
}
criterion_main!(benches);
