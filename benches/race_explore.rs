//! `race_explore`: schedules per second of exhaustive exploration, gomemsim against
//! tokio-rs/loom, on the same program — 2 goroutines × 3 inserts each into one map with no
//! lock, at the step granularity of go1.19's mapassign around `hashWriting`
//! (src/model/sched/steps.rs).
//!
//! - `gomemsim`: `explore::explore` with `Strategy::Exhaustive { preemption_bound: B }` on the
//!   scenario below (the whole map model, the happens-before detector, traces and tokens).
//! - `loom`: the flag protocol alone as loom atomics, one atomic access per step, under
//!   `loom::model::Builder` with `preemption_bound = Some(B)`, `SeqCst` (see
//!   [`LoomOrdering`]). A fatal check returns from the thread (loom cannot model the process
//!   exiting), so the other thread runs on.
//!
//! The two counts differ (different partial-order reductions; gomemsim stops a schedule at
//! the first fatal error): both are printed before the measurements. Throughput is a
//! complete exploration's schedules (executions) per second.
//!
//! Knobs (environment):
//! - `RACE_EXPLORE_BOUND=B`: the preemption bound (default 2);
//! - `RACE_EXPLORE_COUNTS=1`: print the counts and times of one exploration for each bound
//!   0..=B and exit without measuring;
//! - `RACE_EXPLORE_RELAXED=1`: also run loom with `Relaxed` accesses (slow: loom then
//!   explores which store each load reads, not only interleavings).

use std::hint::black_box;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64 as StdU64, Ordering as StdOrdering};
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput};
use gomemsim::explore::{Exploration, Strategy, explore};
use gomemsim::scenario::{Scenario, parse_str};

const DEFAULT_BOUND: u32 = 2;
/// A cap far above any count here: exploration must end on its own (`complete`).
const MAX_SCHEDULES: u64 = 100_000_000;

const SCENARIO: &str = r#"
name = "race_explore"
seed = 1

[runtime]
go = "1.19"
gomaxprocs = 2

[[maps]]
name = "m"
key = "int64"
elem = "int64"

[[goroutines]]
name = "writer"
count = 2
program = [
  { op = "insert", map = "m", n = 3 },
]
"#;

fn scenario() -> Scenario {
    parse_str(SCENARIO, "race_explore.toml", &[]).expect("the bench scenario parses")
}

fn gomemsim_explore(sc: &Scenario, bound: u32) -> Exploration {
    let ex = explore(
        sc,
        Strategy::Exhaustive {
            preemption_bound: bound,
        },
        MAX_SCHEDULES,
        1,
    )
    .expect("the scenario is supported");
    assert_eq!(ex.complete, Some(true), "exploration ended on its cap");
    ex
}

/// The flag protocol of Go's mapassign (go1.19 runtime/map.go) as loom atomics, one access
/// per step of gomemsim's model:
///
/// | step                | access                                 |
/// |---------------------|----------------------------------------|
/// | entry check         | `flags` load; writing → fatal          |
/// | hash                | none                                   |
/// | `flags ^=` load     | `flags` load                           |
/// | `flags ^=` store    | `flags` store                          |
/// | find slot           | `slots` load (the bucket's tophash)    |
/// | write slot          | `slots` store (the slot found)         |
/// | count load / store  | `count` load, `count` store            |
/// | exit check          | `flags` load; not writing → fatal      |
/// | `flags &^=` load    | `flags` load                           |
/// | `flags &^=` store   | `flags` store                          |
mod flag {
    use loom::sync::Arc;
    use loom::sync::atomic::{AtomicU8, AtomicU64, Ordering};

    /// runtime/map.go: `hashWriting = 4`.
    pub const HASH_WRITING: u8 = 4;

    pub struct Map {
        pub flags: AtomicU8,
        /// Occupied cells of the one bucket, a bit each.
        pub slots: AtomicU64,
        pub count: AtomicU64,
    }

    impl Map {
        pub fn new() -> Map {
            Map {
                flags: AtomicU8::new(0),
                slots: AtomicU64::new(0),
                count: AtomicU64::new(0),
            }
        }
    }

    /// One mapassign of a fresh key; `Err` is Go's `fatal error: concurrent map writes`.
    pub fn assign(m: &Map, o: Ordering) -> Result<(), ()> {
        if m.flags.load(o) & HASH_WRITING != 0 {
            return Err(());
        }
        // hash: no shared access.
        let f = m.flags.load(o);
        m.flags.store(f ^ HASH_WRITING, o);
        let used = m.slots.load(o);
        let cell = used.trailing_ones();
        m.slots.store(used | 1 << cell, o);
        let c = m.count.load(o);
        m.count.store(c + 1, o);
        if m.flags.load(o) & HASH_WRITING == 0 {
            return Err(());
        }
        let f = m.flags.load(o);
        m.flags.store(f & !HASH_WRITING, o);
        Ok(())
    }

    /// A goroutine: `n` inserts, stopping at the first fatal check. Returns whether one
    /// fired.
    pub fn writer(m: &Map, n: u32, o: Ordering) -> bool {
        (0..n).any(|_| assign(m, o).is_err())
    }

    /// One execution: two threads of `n` inserts each on a fresh map.
    pub fn program(n: u32, o: Ordering) -> bool {
        let m = Arc::new(Map::new());
        // loom records an atomic's initial value as a `Release` store, which a later `SeqCst`
        // load may still read in a thread that has not seen it superseded. Storing the
        // initial values again with `o` before the spawns makes every load of a `SeqCst` run
        // read the latest store, as in gomemsim.
        m.flags.store(0, o);
        m.slots.store(0, o);
        m.count.store(0, o);
        let handles: Vec<_> = (0..2)
            .map(|_| {
                let m = m.clone();
                loom::thread::spawn(move || writer(&m, n, o))
            })
            .collect();
        let mut fatal = false;
        for h in handles {
            fatal |= h.join().expect("the writer does not panic");
        }
        fatal
    }
}

/// The memory ordering of every loom access. gomemsim's world is sequentially consistent
/// (each step sees the latest store), which is loom's `SeqCst`; with `Relaxed` loom also
/// explores which older store each load may read, far more executions than interleavings.
#[derive(Debug, Clone, Copy)]
enum LoomOrdering {
    SeqCst,
    Relaxed,
}

impl LoomOrdering {
    fn get(self) -> loom::sync::atomic::Ordering {
        match self {
            LoomOrdering::SeqCst => loom::sync::atomic::Ordering::SeqCst,
            LoomOrdering::Relaxed => loom::sync::atomic::Ordering::Relaxed,
        }
    }

    fn name(self) -> &'static str {
        match self {
            LoomOrdering::SeqCst => "seqcst",
            LoomOrdering::Relaxed => "relaxed",
        }
    }
}

/// What a complete loom exploration ran.
struct LoomCounts {
    executions: u64,
    fatal: u64,
}

fn loom_explore(bound: u32, o: LoomOrdering) -> LoomCounts {
    let executions = Arc::new(StdU64::new(0));
    let fatal = Arc::new(StdU64::new(0));
    let mut b = loom::model::Builder::new();
    b.preemption_bound = Some(bound as usize);
    // The defaults come from LOOM_* variables: pin the ones that could cut the search short
    // or slow it down.
    b.max_permutations = None;
    b.max_duration = None;
    b.checkpoint_file = None;
    b.location = false;
    b.log = false;
    let (e, f) = (executions.clone(), fatal.clone());
    let o = o.get();
    b.check(move || {
        e.fetch_add(1, StdOrdering::Relaxed);
        if flag::program(3, o) {
            f.fetch_add(1, StdOrdering::Relaxed);
        }
    });
    LoomCounts {
        executions: executions.load(StdOrdering::Relaxed),
        fatal: fatal.load(StdOrdering::Relaxed),
    }
}

fn env_u32(name: &str, default: u32) -> u32 {
    std::env::var(name)
        .ok()
        .map(|v| v.parse().unwrap_or_else(|_| panic!("{name} is a number")))
        .unwrap_or(default)
}

/// The loom orderings to run: `SeqCst`, and `Relaxed` too with `RACE_EXPLORE_RELAXED=1`.
fn orderings() -> Vec<LoomOrdering> {
    let mut v = vec![LoomOrdering::SeqCst];
    if std::env::var_os("RACE_EXPLORE_RELAXED").is_some() {
        v.push(LoomOrdering::Relaxed);
    }
    v
}

/// Runs each exploration once, timed, and prints its counts; returns gomemsim's schedules
/// and each ordering's loom executions.
fn print_counts(sc: &Scenario, bound: u32) -> (u64, Vec<(LoomOrdering, u64)>) {
    let t = Instant::now();
    let ex = gomemsim_explore(sc, bound);
    let gt = t.elapsed();
    let ok = ex.outcomes.get("ok").copied().unwrap_or(0);
    eprintln!(
        "bound {bound}: gomemsim {} schedules ({} fatal, {} ok, {} with a data race) in {:.3?}",
        ex.schedules,
        ex.schedules - ok,
        ok,
        ex.races,
        gt,
    );
    let mut loom = Vec::new();
    for o in orderings() {
        let t = Instant::now();
        let lc = loom_explore(bound, o);
        let lt = t.elapsed();
        eprintln!(
            "bound {bound}: loom ({}) {} executions ({} with a fatal check) in {:.3?}",
            o.name(),
            lc.executions,
            lc.fatal,
            lt,
        );
        loom.push((o, lc.executions));
    }
    (ex.schedules, loom)
}

fn race_explore(c: &mut Criterion) {
    let sc = scenario();
    let bound = env_u32("RACE_EXPLORE_BOUND", DEFAULT_BOUND);
    if std::env::var_os("RACE_EXPLORE_COUNTS").is_some() {
        for b in 0..=bound {
            print_counts(&sc, b);
        }
        return;
    }
    let (schedules, loom) = print_counts(&sc, bound);

    let mut g = c.benchmark_group("race_explore");
    g.sample_size(10);
    g.warm_up_time(Duration::from_secs(1));
    g.measurement_time(Duration::from_secs(5));
    g.throughput(Throughput::Elements(schedules));
    g.bench_function(format!("gomemsim_2x3_inserts_pb{bound}"), |b| {
        b.iter(|| black_box(gomemsim_explore(&sc, bound).schedules))
    });
    for (o, executions) in loom {
        g.throughput(Throughput::Elements(executions));
        g.bench_function(format!("loom_{}_2x3_inserts_pb{bound}", o.name()), |b| {
            b.iter(|| black_box(loom_explore(bound, o).executions))
        });
    }
    g.finish();
}

fn main() {
    let mut c = Criterion::default().configure_from_args();
    race_explore(&mut c);
    c.final_summary();
}
