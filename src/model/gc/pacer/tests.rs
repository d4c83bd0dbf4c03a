//! Goal, trigger, workers and the PI controller, against values computed by hand from
//! go1.19 runtime/mgcpacer.go.

use super::*;

const MIB: u64 = 1 << 20;

/// Memory below any limit: 14 MiB of non-heap memory beside `heap` bytes of objects.
fn mem(heap: u64) -> MemSnapshot {
    MemSnapshot {
        heap_alloc: heap,
        heap_free: 0,
        mapped_ready: heap + 14 * MIB,
    }
}

#[test]
fn first_cycle_at_the_4mib_minimum() {
    // heapMarked = 0: goal = heapMinimum = 4 MiB; runway 0 so trigger = goal, clamped to
    // maxTrigger = 4 MiB / 64 * 61 = 3997696 (goal is not above defaultHeapMinimum).
    let p = Pacer::new(100, None);
    assert_eq!(p.trigger(&mem(0)), (3_997_696, 4 * MIB));
}

#[test]
fn heap_minimum_scales_with_gogc() {
    // GOGC=50: heapMinimum = 4 MiB * 50 / 100 = 2 MiB; trigger 2 MiB / 64 * 61.
    let p = Pacer::new(50, None);
    assert_eq!(p.heap_minimum, 2 * MIB);
    assert_eq!(p.trigger(&mem(0)), (1_998_848, 2 * MIB));
    // GOGC=0: heapMinimum 0 and a goal of heapMarked: a GC at every opportunity.
    let p = Pacer::new(0, None);
    assert_eq!(p.trigger(&mem(0)), (0, 0));
}

#[test]
fn steady_goal_is_marked_plus_gogc_percent_of_marked_stacks_and_globals() {
    let mut p = Pacer::new(100, None);
    p.last_stack_scan = 64 << 10;
    p.globals_scan = 192 << 10;
    p.reset_live(68 * MIB, 0, 64 << 10);
    p.commit(true);
    // 68 MiB + (68 MiB + 64 KiB + 192 KiB) * 100 / 100.
    assert_eq!(p.heap_goal(&mem(0)), 136 * MIB + (256 << 10));
    // GOGC=200 triples the marked heap (and roots).
    p.set_gc_percent(200);
    p.commit(true);
    assert_eq!(
        p.heap_goal(&mem(0)),
        68 * MIB + 2 * (68 * MIB + (256 << 10))
    );
}

#[test]
fn trigger_stays_between_45_and_61_sixty_fourths() {
    let mut p = Pacer::new(100, None);
    p.reset_live(68 * MIB, 0, 0);
    p.commit(true);
    let goal = 136 * MIB;
    // No runway yet (cons/mark 0): trigger = goal, clamped to the upper bound
    // max(68 + 68/64*61, goal - 4 MiB) = max(132.8125, 132) MiB.
    assert_eq!(p.trigger(&mem(0)), (68 * MIB + 68 * MIB / 64 * 61, goal));
    // A huge runway: the lower bound 68 + 68/64*45 MiB.
    p.cons_mark = 1000.0;
    p.last_heap_scan = 68 * MIB;
    p.commit(true);
    assert_eq!(p.trigger(&mem(0)).0, 68 * MIB + 68 * MIB / 64 * 45);
    // A runway of 4/3 MiB worth: cons/mark 1 gives runway = 1 * 0.75/0.25 * scan = 3 * scan.
    p.cons_mark = 1.0;
    p.last_heap_scan = 2 * MIB;
    p.commit(true);
    assert_eq!(p.trigger(&mem(0)).0, goal - 6 * MIB);
}

#[test]
fn gogc_off_never_triggers_without_a_limit() {
    let p = Pacer::new(-1, None);
    let (trigger, goal) = p.trigger(&mem(1 << 40));
    assert!(trigger > 1 << 60 && goal > 1 << 60, "{trigger} {goal}");
}

#[test]
fn binding_memory_limit_sets_the_goal() {
    // GOGC=off, GOMEMLIMIT=128 MiB, 14 MiB non-heap: goal = 128 - 14 - 1 (headroom) MiB.
    let mut p = Pacer::new(-1, Some(128 * MIB));
    p.reset_live(68 * MIB, 0, 0);
    p.commit(false);
    let m = mem(100 * MIB);
    assert_eq!(p.heap_goal(&m), 113 * MIB);
    // Trigger: runway 0, so the upper bound 68 MiB + (45 MiB / 64) * 61.
    assert_eq!(p.trigger(&m), (68 * MIB + 45 * MIB / 64 * 61, 113 * MIB));
    // The limit goal wins over a larger GOGC goal.
    let mut q = Pacer::new(100, Some(128 * MIB));
    q.reset_live(68 * MIB, 0, 0);
    q.commit(true);
    assert_eq!(q.heap_goal(&m), 113 * MIB);
}

#[test]
fn memory_limit_goal_never_drops_below_the_marked_heap() {
    // Death spiral: 120 MiB marked under a 128 MiB limit with 14 MiB non-heap: the
    // limit goal (113 MiB) is below heapMarked, so goal = heapMarked and the trigger is
    // the goal itself — the next GC starts at once.
    let mut p = Pacer::new(-1, Some(128 * MIB));
    p.reset_live(120 * MIB, 0, 0);
    p.commit(false);
    let m = mem(120 * MIB);
    assert_eq!(p.heap_goal(&m), 120 * MIB);
    assert_eq!(p.trigger(&m), (120 * MIB, 120 * MIB));
    // Over the limit: overage counts too; non-heap + overage >= limit gives heapMarked.
    let over = MemSnapshot {
        heap_alloc: 200 * MIB,
        heap_free: 0,
        mapped_ready: 264 * MIB,
    };
    assert_eq!(p.memory_limit_heap_goal(&over), 120 * MIB);
}

#[test]
fn worker_rounding_follows_start_cycle() {
    // (procs, dedicated workers, fractional goal per P, background Ps in all). 25% of
    // GOMAXPROCS rounded to whole workers, unless rounding is off by more than 30%: then
    // round down and make up the rest with a fractional worker.
    let cases = [
        (1, 0, 0.25, 0.25),
        (2, 0, 0.25, 0.5),
        (3, 0, 0.25, 0.75),
        (4, 1, 0.0, 1.0),
        // 1.25 rounds to 1: 20% off, within tolerance.
        (5, 1, 0.0, 1.0),
        (6, 1, 0.5 / 6.0, 1.5),
        // 1.75 rounds to 2: 14% off.
        (7, 2, 0.0, 2.0),
        (8, 2, 0.0, 2.0),
        // 2.5 rounds to 3: 20% off, within tolerance, so 3 dedicated workers.
        (10, 3, 0.0, 3.0),
    ];
    for (procs, dedicated, fractional, background) in cases {
        let mut p = Pacer::new(100, None);
        p.start_cycle(procs, &mem(0));
        assert_eq!(p.dedicated_mark_workers_needed, dedicated, "procs {procs}");
        assert!(
            (p.fractional_utilization_goal - fractional).abs() < 1e-12,
            "procs {procs}"
        );
        assert!(
            (p.background_procs(procs) - background).abs() < 1e-12,
            "procs {procs}"
        );
    }
}

#[test]
fn pi_controller_steps() {
    // kp 0.9, ti 4: first step from 0 towards 1 gives 0.9 and integral 0.225; the second,
    // from 0.9, gives 0.09 + 0.225.
    let mut c = PiController::cons_mark();
    let (a, ok) = c.next(0.0, 1.0, 1.0);
    assert!(ok);
    assert!((a - 0.9).abs() < 1e-12);
    let (b, _) = c.next(0.9, 1.0, 1.0);
    assert!((b - 0.315).abs() < 1e-12);
    // Non-finite input resets.
    assert_eq!(c.next(f64::NAN, 1.0, 1.0), (-1000.0, false));
}

#[test]
fn revise_spreads_remaining_work_over_remaining_heap() {
    let mut p = Pacer::new(100, None);
    p.reset_live(68 * MIB, 68 * MIB, 0);
    p.commit(true);
    p.start_cycle(2, &mem(0));
    p.heap_live = 130 * MIB;
    p.heap_scan = 68 * MIB;
    // 34 MiB of the expected 68 MiB scanned; 6 MiB left before the 136 MiB goal.
    p.revise(34 * MIB, &mem(0));
    assert!((p.assist_work_per_byte - 34.0 / 6.0).abs() < 1e-9);
}

/// A pacer with the rules of release `go`.
fn pacer_of(go: &str, gogc: i32, limit: Option<u64>) -> Pacer {
    let mut p = Pacer::new(gogc, limit);
    p.rules = PacerRules::for_minor(crate::scenario::types::go_minor(go).expect("a 1.N release"));
    p
}

#[test]
fn memory_limit_headroom_is_three_percent_from_go1_21() {
    // GOGC=off, 1 GiB limit, 14 MiB non-heap: the raw goal is 1010 MiB = 1059061760 B.
    // go1.19 and go1.20 keep 1 MiB under it; go1.21 (CL 460375) keeps 1059061760 / 100 * 3
    // = 31771851 B (integer division first).
    let m = mem(500 * MIB);
    for (go, headroom) in [
        ("1.19", MIB),
        ("1.20", MIB),
        ("1.21", 31_771_851),
        ("1.23", 31_771_851),
    ] {
        let mut p = pacer_of(go, -1, Some(1 << 30));
        p.reset_live(300 * MIB, 0, 0);
        p.commit(false);
        assert_eq!(p.heap_goal(&m), 1010 * MIB - headroom, "go{go}");
    }
    // Under about 33 MiB of raw goal, 3% is below the 1 MiB floor: the headroom stays 1 MiB.
    let mut p = pacer_of("1.21", -1, Some(40 * MIB));
    p.reset_live(10 * MIB, 0, 0);
    p.commit(false);
    assert_eq!(p.heap_goal(&mem(20 * MIB)), 25 * MIB);
}

/// Runs endCycle with a cycle that grew the heap by `grown` bytes past `triggered` with
/// `scan` bytes of scan work, no assists and no idle marking: the measured cons/mark is then
/// grown × 0.25 / (scan × 0.75) (runtime/mgcpacer.go: endCycle).
fn end_cycle_with(p: &mut Pacer, grown: u64, scan: u64) -> f64 {
    p.triggered = 100 * MIB;
    p.heap_live = 100 * MIB + grown;
    p.end_cycle(1_000_000, 4, 0, 0, scan, &mem(p.heap_live));
    grown as f64 * 0.25 / (scan as f64 * 0.75)
}

#[test]
fn cons_mark_is_the_mean_of_two_in_go1_20() {
    // CL 417558: consMark = (current + last) / 2, with last starting at 0.
    let mut p = pacer_of("1.20", 100, None);
    let a = end_cycle_with(&mut p, 30 * MIB, 10 * MIB);
    assert_eq!(p.cons_mark, a / 2.0);
    let b = end_cycle_with(&mut p, 6 * MIB, 10 * MIB);
    assert_eq!(p.cons_mark, (a + b) / 2.0);
}

#[test]
fn cons_mark_is_the_max_of_five_from_go1_21() {
    // CL 467875: the largest of the current measurement and the four before it.
    let mut p = pacer_of("1.21", 100, None);
    let big = end_cycle_with(&mut p, 30 * MIB, 10 * MIB);
    assert_eq!(p.cons_mark, big);
    for i in 0..4 {
        end_cycle_with(&mut p, 3 * MIB, 10 * MIB);
        assert_eq!(
            p.cons_mark,
            big,
            "{} cycles later it is still in the window",
            i + 1
        );
    }
    let small = end_cycle_with(&mut p, 3 * MIB, 10 * MIB);
    assert_eq!(
        p.cons_mark, small,
        "five cycles later it has left the window"
    );
}

#[test]
fn triggered_is_the_live_heap_at_the_start_from_go1_20() {
    // CL 417558: startCycle records heapLive, not the computed trigger.
    for (go, actual) in [("1.19", false), ("1.20", true), ("1.23", true)] {
        let mut p = pacer_of(go, 100, None);
        p.reset_live(64 * MIB, 0, 0);
        p.commit(true);
        p.heap_live = 130 * MIB;
        let m = mem(p.heap_live);
        let (trigger, _) = p.trigger(&m);
        p.start_cycle(2, &m);
        let expect = if actual { 130 * MIB } else { trigger };
        assert_eq!(p.triggered, expect, "go{go}");
    }
}
