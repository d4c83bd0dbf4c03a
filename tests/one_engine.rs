//! The one engine: goroutines on Ps (runtime/proc.go), sync.Mutex (sync/mutex.go), the GC's
//! first gcStart taking a writer off its P, requests and arrivals. Expected values are worked
//! out by hand from the runtime's rules and the scenario's [costs], or taken from the real
//! Go 1.19 runs in tests/data/measured.

mod common;

use common::{col, read_csv};
use gomemsim::scenario::parse_str;

/// Scheduler costs made round so the expected times are easy to work out: no spread of
/// wake-ups, no page faults of new stacks, main blocks at once.
const COSTS: &str = r#"
[costs]
goroutine_spawn = "1us"
sched_switch = "100ns"
p_wake = "2us"
p_wake_max = "2us"
p_rewake = "2us"
page_fault_fresh = "0s"
main_wait = "0s"
mutex_op = "0s"
"#;

/// Two Ps and one map[int64]int64 `m`: what the goroutines below race on.
const TWO_PS_ONE_MAP: &str = r#"name = "t"
[runtime]
gomaxprocs = 2
[[maps]]
name = "m"
key = "int64"
elem = "int64"
"#;

fn run(text: &str) -> gomemsim::Outcome {
    let sc = parse_str(text, "t.toml", &[]).expect("valid scenario");
    gomemsim::run(&sc).expect("runs")
}

/// Goroutines named a, b, c, ... on `procs` Ps, each computing the time given for it.
fn computing(procs: u32, times: &[&str]) -> String {
    let mut text = format!("name = \"t\"\n[runtime]\ngomaxprocs = {procs}\n{COSTS}");
    for (i, t) in times.iter().enumerate() {
        let name = char::from(b'a' + i as u8);
        text += &format!(
            "[[goroutines]]\nname = \"{name}\"\nprogram = [{{ op = \"compute\", time = \"{t}\" }}]\n"
        );
    }
    text
}

#[test]
fn newproc_puts_the_new_goroutine_in_runnext() {
    // runtime/proc.go: newproc → runqput(pp, newg, true): each `go` puts the new goroutine in
    // runnext and kicks the previous one to the local queue's tail. On one P, after main
    // blocks, the last spawned runs first, then the others in order.
    let o = run(&computing(1, &["10us", "10us", "10us"]));
    // Spawns at 0, 1 us, 2 us; main blocks at 2 us; c runs [2, 12] us, then each switch
    // costs 100 ns: a [12.1, 22.1], b [22.2, 32.2].
    assert_eq!(o.goroutine_ends_ns, vec![22_100, 32_200, 12_000]);
}

#[test]
fn every_other_new_stack_faults_a_page_and_main_waits_before_p0_runs() {
    // runtime/proc.go: newproc1 → malg → stackalloc: 2 KiB stacks carved two to a 4 KiB
    // page, so the 1st and 3rd `go` fault a page (1 us here); main's wg.Wait takes 500 ns.
    let text = computing(1, &["10us", "10us", "10us"])
        .replace("page_fault_fresh = \"0s\"", "page_fault_fresh = \"1us\"")
        .replace("main_wait = \"0s\"", "main_wait = \"500ns\"");
    let o = run(&text);
    // Spawns end at 1 us (fault), 2 us (spawn), 4 us (spawn + fault); main blocks until
    // 4.5 us; c runs [4.5, 14.5] us, a [14.6, 24.6], b [24.7, 34.7].
    assert_eq!(o.goroutine_ends_ns, vec![24_600, 34_700, 14_500]);
}

#[test]
fn wake_ups_take_a_seeded_time_between_p_wake_and_p_wake_max() {
    // Two goroutines on two Ps: P0 runs b (runnext) for 100 us; P1, woken at the first
    // spawn, steals a: a's end less its 10 us is when P1 woke, between 2 and 50 us, by the
    // scenario's seed.
    let mut woken = Vec::new();
    for seed in 1..=20 {
        let text = computing(2, &["10us", "100us"])
            .replace("p_wake_max = \"2us\"", "p_wake_max = \"50us\"")
            .replace("name = \"t\"\n", &format!("name = \"t\"\nseed = {seed}\n"));
        let o = run(&text);
        let again = run(&text);
        assert_eq!(o.goroutine_ends_ns, again.goroutine_ends_ns);
        woken.push(o.goroutine_ends_ns[0] - 10_000);
    }
    assert!(
        woken.iter().all(|&t| (2_000..=50_000).contains(&t)),
        "{woken:?}"
    );
    woken.sort_unstable();
    woken.dedup();
    assert!(woken.len() > 10, "{woken:?}");
}

#[test]
fn sysmon_preempts_after_ten_milliseconds() {
    // runtime/proc.go: forcePreemptNS = 10 ms; a preempted goroutine goes to the global
    // queue's tail (goschedImpl). b (runnext) runs 10 ms, a 10 ms, b 10 ms, a 10 ms, b its
    // last 5 ms, a its last 5 ms. Switches cost 100 ns.
    let o = run(&computing(1, &["25ms", "25ms"]));
    let start = 1_000; // main blocks after the second spawn
    let b_end = start + 50_000_000 - 5_000_000 + 4 * 100;
    let a_end = start + 50_000_000 + 5 * 100;
    assert_eq!(o.goroutine_ends_ns, vec![a_end, b_end]);
}

#[test]
fn every_p_runs_a_goroutine_after_the_idle_ps_are_woken() {
    // Two goroutines on two Ps: b runs on P0 after main; wakep woke P1 at the first spawn
    // (0 + 2 us wake-up), which steals a from P0's local queue.
    let o = run(&computing(2, &["10us", "10us"]));
    assert_eq!(o.goroutine_ends_ns, vec![12_000, 11_000]);
}

#[test]
fn sync_misuse_dies_with_gos_messages() {
    let prog = |p: &str| format!("name = \"t\"\n[[goroutines]]\nname = \"g\"\nprogram = [{p}]\n");
    let o = run(&prog(r#"{ op = "unlock" }"#));
    assert_eq!(o.fatal.as_deref(), Some("sync: unlock of unlocked mutex"));
    let o = run(&prog(r#"{ op = "rlock" }, { op = "unlock" }"#));
    assert_eq!(o.fatal.as_deref(), Some("sync: Unlock of unlocked RWMutex"));
    let o = run(&prog(r#"{ op = "runlock" }"#));
    assert_eq!(
        o.fatal.as_deref(),
        Some("sync: RUnlock of unlocked RWMutex")
    );
    // A second Lock by the holder waits forever: runtime/proc.go checkdead.
    let o = run(&prog(r#"{ op = "lock" }, { op = "lock" }"#));
    assert_eq!(
        o.fatal.as_deref(),
        Some("all goroutines are asleep - deadlock!")
    );
    // A lock in a loop that never runs leaves the unlock unmatched.
    let o = run(&prog(
        r#"{ op = "loop", times = 0, body = [{ op = "lock" }] }, { op = "unlock" }"#,
    ));
    assert_eq!(o.fatal.as_deref(), Some("sync: unlock of unlocked mutex"));
}

#[test]
fn a_mutex_serialises_writers_that_would_otherwise_crash() {
    // The same two writers as below at GOMAXPROCS=2: without the lock they overlap and die;
    // with it every insert is inside a critical section.
    let text = |body: &str| {
        format!(
            r#"{TWO_PS_ONE_MAP}[[goroutines]]
name = "w"
count = 2
start = "together"
program = [{{ op = "loop", times = 1000, body = [{body}] }}]
"#
        )
    };
    let bare = run(&text(r#"{ op = "insert", map = "m", n = 1 }"#));
    assert_eq!(bare.fatal.as_deref(), Some("concurrent map writes"));
    let locked = run(&text(
        r#"{ op = "lock" }, { op = "insert", map = "m", n = 1 }, { op = "unlock" }"#,
    ));
    assert_eq!(locked.fatal, None);
    assert_eq!(locked.maps[0].count, 2000);
}

/// The measured crash rates of two writers started together (real go1.19.8, 50 runs each):
/// where every run died or none did, `run`'s one schedule must agree, with Go's message.
#[test]
fn two_writers_die_where_go_always_dies_and_live_where_it_never_does() {
    let (h, rows) = read_csv("concurrent_map_writers2.csv");
    let mut checked = 0;
    for row in &rows {
        let rate: f64 = col(&h, row, "die_rate").parse().unwrap();
        if rate != 0.0 && rate != 1.0 {
            continue; // a distribution over schedules: the `race` strategies' business
        }
        let k = col(&h, row, "k");
        let procs = col(&h, row, "gomaxprocs");
        let text = format!(
            r#"name = "w2"
[runtime]
gomaxprocs = {procs}
[[maps]]
name = "m"
key = "int64"
elem = "int64"
[[goroutines]]
name = "writer"
count = 2
start = "together"
program = [{{ op = "insert", map = "m", n = {k} }}]
"#
        );
        let o = run(&text);
        let want = (rate == 1.0).then_some("concurrent map writes");
        assert_eq!(o.fatal.as_deref(), want, "k={k} GOMAXPROCS={procs}");
        checked += 1;
    }
    assert_eq!(checked, 5, "rows with a die rate of 0 or 1");
}

#[test]
fn the_first_gc_start_takes_a_writer_off_its_p_mid_write() {
    // Measured: at GOMAXPROCS=1 two writers of 100000 keys die every run, the writer that
    // grew the map having gone hashGrow → makeBucketArray → mallocgc → gcStart.
    let path = common::bundled("race_gc_yield.toml");
    let sc = gomemsim::load(&path, &[]).unwrap();
    let o = gomemsim::run(&sc).unwrap();
    assert_eq!(o.fatal.as_deref(), Some("concurrent map writes"));
    let detail = o.fatal_detail.unwrap();
    assert!(detail.contains("gcBgMarkStartWorkers"), "{detail}");
    assert!(
        o.gc.is_empty(),
        "it dies before the first cycle's mark starts"
    );
    // Without the GC, nothing takes the writer off its P within its 10 ms time slice.
    let mut off = sc.clone();
    off.runtime.gogc = gomemsim::scenario::Gogc::Off;
    assert_eq!(gomemsim::run(&off).unwrap().fatal, None);
}

#[test]
fn a_closed_loop_worker_counts_its_requests() {
    // One worker, 1 ms of 20 us requests: the loop checks its clock before each iteration,
    // so requests start at 0, 20, ..., 980 us: 50 of them, each exactly 20 us.
    let text = r#"name = "t"
[[goroutines]]
name = "w"
program = [{ op = "loop", duration = "1ms", body = [
  { op = "request", name = "req", body = [{ op = "compute", time = "20us" }] },
] }]
"#;
    let o = run(text);
    let r = &o.requests[0];
    assert_eq!(r.name, "req");
    assert_eq!(r.latency.count(), 50);
    assert_eq!(r.latency.quantile(0.5), 20_000);
    assert_eq!(r.latency.max(), 20_000);
    // Before the worker starts: its stack's first page (page_fault_fresh, 4.3 us by default)
    // and main's wg.Wait (main_wait, 3 us).
    assert_eq!(o.sim_time_ns, 4_300 + 3_000 + 1_000_000);
    // With a 500 us warm-up, the 25 that start at 500 us or later count.
    let o = run(&text.replace("name = \"t\"", "name = \"t\"\nwarmup = \"500us\""));
    assert_eq!(o.requests[0].latency.count(), 25);
    // 25 requests from the warm-up's end to the run's.
    let window_s = (4_300 + 3_000 + 1_000_000 - 500_000) as f64 / 1e9;
    assert_eq!(
        o.requests[0].throughput_rps(o.sim_time_ns, o.warmup_ns),
        25.0 / window_s
    );
}

#[test]
fn constant_arrivals_each_wake_an_idle_p() {
    // 1000/s for 10 ms: arrivals at 1, 2, ..., 9 ms (one every 1/rate, before the end). Each
    // finds the P idle and wakes it (2 us), which switches to it (100 ns; not the first time,
    // when the P has run nothing yet) and computes 100 us.
    let text = format!(
        r#"name = "t"
{COSTS}
[[arrivals]]
name = "req"
rate = "1000/s"
process = "constant"
duration = "10ms"
body = [{{ op = "compute", time = "100us" }}]
"#
    );
    let o = run(&text);
    let r = &o.requests[0];
    assert_eq!(r.latency.count(), 9);
    assert_eq!(r.latency.max(), 102_100);
    assert_eq!(r.latency.quantile(0.5), 102_100);
    assert_eq!(o.sim_time_ns, 9_102_100);
    assert_eq!(o.max_goroutines, 1);
    // The P has run before (it ran main): each wake-up finds its thread asleep, p_rewake.
    let o = run(&text.replace("p_rewake = \"2us\"", "p_rewake = \"50us\""));
    assert_eq!(o.requests[0].latency.max(), 150_100);
    assert_eq!(o.requests[0].latency.quantile(0.5), 150_100);
}

#[test]
fn poisson_arrivals_keep_their_rate() {
    // 20000/s for 1 s: the count is Poisson(20000), within 5 standard deviations.
    let text = r#"name = "t"
[runtime]
gomaxprocs = 4
[[arrivals]]
name = "req"
rate = "20000/s"
duration = "1s"
body = [{ op = "compute", time = "10us" }]
"#;
    let o = run(text);
    let n = o.requests[0].latency.count() as f64;
    assert!((n - 20_000.0).abs() < 5.0 * 20_000f64.sqrt(), "{n}");
}

#[test]
fn an_overloaded_open_loop_stops_as_out_of_memory() {
    // 1M arrivals/s of 100 us each on one P: the backlog grows by 990000 goroutines a second
    // until 2^21 are alive at once.
    let text = r#"name = "t"
[[arrivals]]
name = "req"
rate = "1000000/s"
duration = "10s"
body = [{ op = "compute", time = "100us" }]
"#;
    let o = run(text);
    assert_eq!(o.fatal.as_deref(), Some("runtime: out of memory"));
    assert_eq!(o.max_goroutines, 1 << 21);
    assert!(o.fatal_detail.unwrap().contains("outpace"));
}

#[test]
fn operations_on_an_empty_map_never_look_at_hash_writing() {
    // runtime/map.go: mapaccess1, mapdelete and mapiterinit return at once when h.count is
    // 0, before the hashWriting check (and mapdelete never sets the flag then): two
    // goroutines deleting from, reading and ranging over an empty map at once never die.
    let text = format!(
        r#"{TWO_PS_ONE_MAP}[[goroutines]]
name = "w"
count = 2
start = "together"
program = [{{ op = "loop", times = 1000, body = [
  {{ op = "delete", map = "m", n = 1 }}, {{ op = "read", map = "m", n = 1 }}, {{ op = "iterate", map = "m" }},
] }}]
"#
    );
    assert_eq!(run(&text).fatal, None);
    // With inserts the map is not empty and the goroutines die: mapassign always sets the
    // flag, and the others' reads, ranges and writes see it.
    let o = run(&text.replace("\"delete\"", "\"insert\""));
    let fatal = o.fatal.unwrap();
    assert!(fatal.starts_with("concurrent map "), "{fatal}");
}

#[test]
fn a_deadlock_over_the_memory_limit_is_still_a_deadlock() {
    // Over GOMEMLIMIT every mark end starts the next cycle at once; that GC work does not
    // keep a program whose only goroutine waits on itself alive (runtime/proc.go checkdead).
    let text = r#"name = "t"
[runtime]
gogc = "off"
gomemlimit = "16MiB"
[heap]
live = "64MiB"
[[goroutines]]
name = "g"
program = [{ op = "lock" }, { op = "lock" }]
"#;
    assert_eq!(
        run(text).fatal.as_deref(),
        Some("all goroutines are asleep - deadlock!")
    );
}

#[test]
fn arrivals_get_a_turn_beside_a_cpu_bound_goroutine() {
    // One P, a goroutine computing for 1 s and arrivals at 1000/s: sysmon preempts the
    // computation every 10 ms (forcePreemptNS) and polls the network, so no arrival waits
    // much more than a time slice.
    let text = format!(
        r#"name = "t"
{COSTS}
[[goroutines]]
name = "busy"
program = [{{ op = "compute", time = "1s" }}]
[[arrivals]]
name = "req"
rate = "1000/s"
process = "constant"
duration = "1s"
body = [{{ op = "compute", time = "10us" }}]
"#
    );
    let o = run(&text);
    let max = o.requests[0].latency.max();
    assert!(max <= 10_200_000, "an arrival waited {max} ns");
}

#[test]
fn a_range_loop_holds_a_stop_the_world_for_one_bucket_at_most() {
    // mapiternext is a function call per entry: a range loop is preempted between them, so
    // a GC started by another goroutine does not wait for the whole loop.
    let text = format!(
        r#"{TWO_PS_ONE_MAP}[[goroutines]]
name = "ranger"
program = [{{ op = "insert", map = "m", n = 200000 }}, {{ op = "loop", times = 20, body = [{{ op = "iterate", map = "m" }}] }}]
[[goroutines]]
name = "allocator"
program = [{{ op = "alloc", bytes = "1GiB", size = "4KiB" }}]
"#
    );
    let o = run(&text);
    let longest = o.pauses_ns.iter().max().copied().unwrap_or(0);
    // The fixed pauses are 27 us and 49 us; one bucket adds well under a microsecond.
    assert!(longest < 60_000, "longest pause {longest} ns");
}

/// A run reports the virtual time it reached as it goes (what `run`'s spinner shows): at the
/// end it lies within the run, and the outcome is the same as without the report.
#[test]
fn a_run_reports_how_far_it_got() {
    let sc = gomemsim::scenario::load(
        std::path::Path::new(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/scenarios/gc_memlimit.toml"
        )),
        &[],
    )
    .unwrap();
    let reached = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
    let options = gomemsim::RunOptions {
        progress: Some(reached.clone()),
        ..Default::default()
    };
    let o = gomemsim::run_with(&sc, &options).unwrap();
    let t = reached.load(std::sync::atomic::Ordering::Relaxed);
    assert!(t > 0 && t <= o.sim_time_ns, "{t} of {}", o.sim_time_ns);
    assert_eq!(o, gomemsim::run(&sc).unwrap());
}

#[test]
fn picking_existing_keys_costs_the_exported_programs_two_mutex_ops() {
    // export-go keeps the keys a goroutine may pick in a list under a sync.Mutex: a read,
    // delete or churn picks one (Lock, deferred Unlock) and an insert into such a map adds
    // its key (Lock, append, Unlock): 2 × mutex_op each. A map nobody picks from keeps no
    // list and pays nothing.
    let text = |ops: &str, mutex: &str| {
        format!(
            "name = \"t\"\n[runtime]\ngomaxprocs = 1\n{}[[maps]]\nname = \"m\"\nkey = \
             \"int64\"\nelem = \"int64\"\n[[goroutines]]\nname = \"g\"\nprogram = [{ops}]\n",
            COSTS.replace("mutex_op = \"0s\"", &format!("mutex_op = \"{mutex}\""))
        )
    };
    let time = |ops: &str, mutex: &str| run(&text(ops, mutex)).sim_time_ns;
    let picked = "{ op = \"insert\", map = \"m\", n = 100 }, { op = \"read\", map = \"m\", n = 50 }, \
                  { op = \"churn\", map = \"m\", n = 10 }";
    // 100 inserts and 50 reads, 10 churns (a pick and an insert each): 170 × 2 × 15 ns.
    assert_eq!(time(picked, "15ns") - time(picked, "0s"), 170 * 2 * 15);
    let inserts = "{ op = \"insert\", map = \"m\", n = 100 }";
    assert_eq!(time(inserts, "15ns"), time(inserts, "0s"));
}
