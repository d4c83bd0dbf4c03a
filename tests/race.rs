//! Goroutines racing on a map at the runtime's own steps: Go's fatal errors, the data races
//! its best-effort check misses, exploration counts, and replay. The tests that hold for both
//! maps run on go1.19's classic map and on go1.24's Swiss map, whose writes follow the same
//! protocol (tests/race_swiss.rs has what only the Swiss map does).

mod common;

use common::bundled;
use gomemsim::explore::{self, Strategy, Token};
use gomemsim::model::sched::steps::{FATAL_ITER_WRITE, FATAL_READ_WRITE, FATAL_WRITES};
use gomemsim::report;
use gomemsim::scenario::{self, Scenario};

fn load(name: &str) -> Scenario {
    gomemsim::load(&bundled(name), &[]).unwrap()
}

/// The classic map's release and the Swiss map's.
const BOTH_MAPS: [&str; 2] = ["1.19", "1.24"];

/// A bundled scenario on runtime release `go`.
fn load_on(name: &str, go: &str) -> Scenario {
    let mut sc = load(name);
    sc.runtime.go = go.to_string();
    sc
}

/// Two goroutines, each inserting one fresh key into one map.
fn two_writers() -> Scenario {
    let text = "name = \"two\"\n[runtime]\ngomaxprocs = 2\n[[maps]]\nname = \"m\"\nkey = \"int64\"\nelem = \"int64\"\n[[goroutines]]\nname = \"w\"\ncount = 2\nprogram = [ { op = \"insert\", map = \"m\", n = 1 } ]\n";
    scenario::parse_str(text, "two.toml", &[]).unwrap()
}

#[test]
fn the_minimal_case_crashes_about_as_often_as_go() {
    // 100 goroutines each writing one key, GOMAXPROCS=2: go1.19.8 dies in about one process
    // in 6.5, and the exported program died in 86 of 400 here (benches/go/README.md). Main's
    // spawns are slow enough (a fresh stack faults every other one in) that the second P
    // mostly keeps up; they race at the end, when main blocks and P0 runs the backlog.
    let sc = load("race_minimal.toml");
    let ex = explore::explore(&sc, Strategy::Timing, 400, 1).unwrap();
    let crashes = ex.outcomes.get(FATAL_WRITES).copied().unwrap_or(0);
    let rate = crashes as f64 / 400.0;
    assert!(
        (rate - 1.0 / 6.5).abs() <= 0.15 && crashes > 0,
        "{crashes} of 400 schedules crashed"
    );
}

#[test]
fn two_inserts_exhaustively_with_one_preemption() {
    // mapassign of a new key is 11 steps: entry check, hash, XOR load, XOR store, find,
    // store, count load, count store, exit check, clear load, clear store.
    // With no preemption: A then B, B then A: 2 schedules, both fine.
    // With one: the first goroutine runs k steps (1 <= k <= 10), the other runs to its end
    // (a second switch would be a second preemption), then the first finishes. After k
    // steps, hashWriting is set iff k >= 4 (the XOR store is step 4 and the clear store
    // step 11), so the other goroutine's entry check dies for k = 4..10 (7 schedules) and
    // passes for k = 1..3 (the first goroutine then XORs a value loaded before or after, and
    // both finish): 2 * 10 = 20 preempting schedules, 14 of them crashing.
    // In all: 2 + 20 = 22 schedules, 14 crashes, 8 fine.
    // go1.24's runtime_mapassign has the same 11 steps around `m.writing` (the find grows
    // the small group on the first insert): the same count.
    for go in BOTH_MAPS {
        let mut sc = two_writers();
        sc.runtime.go = go.to_string();
        let ex = explore::explore(
            &sc,
            Strategy::Exhaustive {
                preemption_bound: 1,
            },
            1_000,
            1,
        )
        .unwrap();
        assert_eq!(ex.complete, Some(true), "go{go}");
        assert_eq!(ex.schedules, 22, "go{go}");
        assert_eq!(ex.outcomes.get(FATAL_WRITES), Some(&14), "go{go}");
        assert_eq!(ex.outcomes.get("ok"), Some(&8), "go{go}");
        // Nothing orders the two writes: every schedule is a data race.
        assert_eq!(ex.races, 22, "go{go}");
    }
    // With no preemption, only the two serial orders.
    let ex = explore::explore(
        &two_writers(),
        Strategy::Exhaustive {
            preemption_bound: 0,
        },
        1_000,
        1,
    )
    .unwrap();
    assert_eq!((ex.schedules, ex.outcomes.get("ok")), (2, Some(&2)));
}

#[test]
fn the_unbounded_search_reduces_commuting_orders_and_misses_no_outcome() {
    // Every interleaving of 2 x 11 steps is C(22, 11) = 705432 sequences before fatal errors
    // cut some short; sleep sets explore one per class of commuting orders. The outcomes
    // must be those of the bounded, unreduced search.
    let ex = explore::explore(
        &two_writers(),
        Strategy::Exhaustive {
            preemption_bound: explore::UNBOUNDED,
        },
        1_000_000,
        1,
    )
    .unwrap();
    assert_eq!(ex.complete, Some(true));
    assert!(ex.schedules < 705_432, "{}", ex.schedules);
    let bounded = explore::explore(
        &two_writers(),
        Strategy::Exhaustive {
            preemption_bound: 3,
        },
        1_000_000,
        1,
    )
    .unwrap();
    assert_eq!(
        ex.outcomes.keys().collect::<Vec<_>>(),
        bounded.outcomes.keys().collect::<Vec<_>>()
    );
    assert!(
        ex.corrupted > 0 && bounded.corrupted > 0,
        "silent corruption is found by both"
    );
}

#[test]
fn a_bounded_search_finds_the_crash_of_a_forgotten_lock() {
    // One goroutine reads under the lock, the other writes without it: with one preemption
    // the reader can find hashWriting set. (Sleep sets under a preemption bound missed it.)
    let text = "name = \"forgot\"\n[[maps]]\nname = \"m\"\nkey = \"int64\"\nelem = \"int64\"\n[[goroutines]]\nname = \"reader\"\nprogram = [ { op = \"lock\" }, { op = \"read\", map = \"m\", n = 1 }, { op = \"unlock\" } ]\n[[goroutines]]\nname = \"writer\"\nprogram = [ { op = \"insert\", map = \"m\", n = 2 } ]\n";
    let sc = scenario::parse_str(text, "forgot.toml", &[]).unwrap();
    let ex = explore::explore(
        &sc,
        Strategy::Exhaustive {
            preemption_bound: 1,
        },
        100_000,
        1,
    )
    .unwrap();
    assert_eq!(ex.complete, Some(true));
    assert!(
        ex.outcomes.get(FATAL_READ_WRITE).copied().unwrap_or(0) > 0,
        "{:?}",
        ex.outcomes
    );
}

#[test]
fn a_recursive_read_lock_deadlocks_behind_a_waiting_writer() {
    // sync.RWMutex: a Lock waiting for readers blocks new RLocks, so a reader that takes
    // RLock twice deadlocks if a writer arrives in between (sync/rwmutex.go).
    let text = "name = \"rr\"\n[[goroutines]]\nname = \"reader\"\nprogram = [ { op = \"rlock\" }, { op = \"rlock\" }, { op = \"runlock\" }, { op = \"runlock\" } ]\n[[goroutines]]\nname = \"writer\"\nprogram = [ { op = \"lock\" }, { op = \"unlock\" } ]\n";
    let sc = scenario::parse_str(text, "rr.toml", &[]).unwrap();
    let ex = explore::explore(
        &sc,
        Strategy::Exhaustive {
            preemption_bound: 2,
        },
        10_000,
        1,
    )
    .unwrap();
    assert!(
        ex.outcomes
            .contains_key("all goroutines are asleep - deadlock!"),
        "{:?}",
        ex.outcomes
    );
    assert!(ex.outcomes.contains_key("ok"));
    // Shrinking a deadlock terminates (it must make strict progress).
    let (_, trace) = ex.first_failure.unwrap();
    let (_, shrunk) = explore::shrink(&sc, &trace).unwrap();
    assert_eq!(
        shrunk.fatal.unwrap().message,
        "all goroutines are asleep - deadlock!"
    );
}

#[test]
fn a_delete_racing_an_insert_is_not_reported_as_corruption() {
    // A delete picks among keys whose inserts have finished: a consistent map is never
    // reported corrupted because the delete raced the insert of the key it chose.
    let text = "name = \"id\"\n[[maps]]\nname = \"m\"\nkey = \"int64\"\nelem = \"int64\"\n[[goroutines]]\nname = \"a\"\nprogram = [ { op = \"insert\", map = \"m\", n = 1 } ]\n[[goroutines]]\nname = \"b\"\nprogram = [ { op = \"delete\", map = \"m\", n = 1 } ]\n";
    let sc = scenario::parse_str(text, "id.toml", &[]).unwrap();
    let ex = explore::explore(
        &sc,
        Strategy::Exhaustive {
            preemption_bound: 2,
        },
        100_000,
        1,
    )
    .unwrap();
    assert_eq!(ex.complete, Some(true));
    assert_eq!(
        ex.corrupted,
        0,
        "{:?}",
        ex.first_silent_race.map(|(_, t)| t.corruption)
    );
}

#[test]
fn a_mutex_removes_every_crash_and_every_race() {
    for go in BOTH_MAPS {
        let ex = explore::explore(
            &load_on("race_fixed_mutex.toml", go),
            Strategy::Exhaustive {
                preemption_bound: 4,
            },
            100_000,
            1,
        )
        .unwrap();
        assert_eq!(ex.complete, Some(true), "go{go}");
        assert!(ex.schedules >= 6, "go{go}: {} schedules", ex.schedules);
        assert_eq!(
            ex.outcomes.keys().collect::<Vec<_>>(),
            vec![&"ok"],
            "go{go}"
        );
        assert_eq!((ex.races, ex.corrupted), (0, 0), "go{go}");
    }
}

#[test]
fn read_and_iteration_against_a_write_give_go_s_messages() {
    for (file, message, go) in [
        ("race_read_write.toml", FATAL_READ_WRITE, BOTH_MAPS[0]),
        ("race_iterate_write.toml", FATAL_ITER_WRITE, BOTH_MAPS[0]),
        ("race_read_write.toml", FATAL_READ_WRITE, BOTH_MAPS[1]),
        ("race_iterate_write.toml", FATAL_ITER_WRITE, BOTH_MAPS[1]),
    ] {
        let ex = explore::explore(
            &load_on(file, go),
            Strategy::Exhaustive {
                preemption_bound: 1,
            },
            10_000,
            1,
        )
        .unwrap();
        assert!(
            ex.outcomes.get(message).copied().unwrap_or(0) > 0,
            "{file} go{go}: {:?}",
            ex.outcomes
        );
        // Only one goroutine writes: the writers' message never appears.
        assert!(
            !ex.outcomes.contains_key(FATAL_WRITES),
            "{file} go{go}: {:?}",
            ex.outcomes
        );
        let (_, trace) = ex.first_failure.unwrap();
        assert_eq!(trace.fatal.unwrap().message, message);
    }
}

/// Runs two_writers() on an explicit schedule: `order` names who runs each step while both
/// are alive ('a' or 'b'); the survivor then finishes alone.
fn run_order(order: &str) -> explore::Trace {
    let decisions = order.chars().map(|c| u32::from(c == 'b')).collect();
    let token = Token::Decisions {
        scenario_seed: 1,
        decisions,
    };
    explore::replay(&two_writers(), &token).unwrap()
}

#[test]
fn both_writers_pass_the_entry_check_and_go_says_nothing() {
    // Both check hashWriting before either sets it, both load the flags (0) before either
    // stores (0^4 = 4, twice: one XOR is lost); each then finds its own slot and counts,
    // both exit checks see the bit, a clears it, b clears it again. Go's check is best
    // effort (golang/go#31516): no fatal error. The happens-before detector reports the race.
    //      a: entry hash          xorL      xorS      find store cntL cntS          exit      clrL clrS
    //      b:            entry hash    xorL      xorS                     ...
    let t = run_order("aabbababaaaabbbbabaa");
    assert_eq!(t.fatal, None);
    let race = t.race.expect("-race reports it");
    assert!(race.current.write && race.previous.write);
    assert!(t.corruption.is_empty(), "{:?}", t.corruption);
}

#[test]
fn a_silent_race_can_lose_a_key() {
    // As above, but both find the same free slot before either stores into it: b's key
    // overwrites a's (the counts are loaded one after the other, so the count says 2 with one
    // live cell). No fatal error; the map lost a key.
    let t = run_order("aabbababababaabbaabb");
    assert_eq!(t.fatal, None);
    assert!(t.race.is_some());
    assert!(
        t.corruption
            .iter()
            .any(|c| c.contains("1 inserted keys lost")),
        "{:?}",
        t.corruption
    );
}

#[test]
fn replay_reproduces_a_schedule_byte_for_byte() {
    let sc = load("race_minimal.toml");
    for strategy in [
        Strategy::Timing,
        Strategy::Random,
        Strategy::Pct { depth: 3 },
    ] {
        let ex = explore::explore(&sc, strategy, 200, 7).unwrap();
        let (token, trace) = ex.first_failure.expect("a crash among 200 schedules");
        let text = token.to_string();
        let again = explore::replay(&sc, &text.parse().unwrap()).unwrap();
        assert_eq!(again, trace, "{text}");
        assert_eq!(
            report::schedule_txt(&again, &text),
            report::schedule_txt(&trace, &text)
        );
        assert_eq!(report::swimlane_svg(&again), report::swimlane_svg(&trace));
        // The decisions alone replay it too (the interleaving, without the timing clock).
        let by_decisions = Token::Decisions {
            scenario_seed: sc.seed,
            decisions: trace.decisions.clone(),
        };
        let d = explore::replay(&sc, &by_decisions).unwrap();
        assert_eq!(
            d.fatal.map(|f| (f.message, f.goroutine)),
            trace.fatal.map(|f| (f.message, f.goroutine))
        );
    }
}

#[test]
fn explorations_are_deterministic() {
    let sc = load("race_minimal.toml");
    let a = explore::explore(&sc, Strategy::Random, 30, 3).unwrap();
    let b = explore::explore(&sc, Strategy::Random, 30, 3).unwrap();
    assert_eq!(
        report::race_json(&sc.name, &a, None, true, false),
        report::race_json(&sc.name, &b, None, true, false)
    );
}

#[test]
fn a_failing_schedule_shrinks_and_still_fails() {
    for (file, strategy, message, minimal_steps) in [
        // Four steps of one writer (through the XOR store), then the other's entry check.
        ("race_minimal.toml", Strategy::Timing, FATAL_WRITES, 5),
        // The writer's first insert up to its count store (8 steps, so the reader finds a
        // non-empty map), then the reader's count check and entry check.
        (
            "race_read_write.toml",
            Strategy::Pct { depth: 3 },
            FATAL_READ_WRITE,
            10,
        ),
    ] {
        let sc = load(file);
        let ex = explore::explore(&sc, strategy, 200, 1).unwrap();
        let (_, trace) = ex.first_failure.expect("a failure");
        let (token, shrunk) = explore::shrink(&sc, &trace).unwrap();
        assert_eq!(shrunk.fatal.as_ref().unwrap().message, message, "{file}");
        assert!(shrunk.preemptions <= trace.preemptions, "{file}");
        assert_eq!(shrunk.preemptions, 1, "{file}");
        assert_eq!(shrunk.steps.len(), minimal_steps, "{file}");
        // The shrunk token replays the shrunk schedule.
        assert_eq!(explore::replay(&sc, &token).unwrap(), shrunk, "{file}");
    }
}

#[test]
fn the_progress_hook_counts_every_schedule_and_changes_nothing() {
    // The hook feeds `race`'s progress bar: it must see 1, 2, ..., n in order (22 schedules
    // for 2 x 1 insert at bound 1, derived above) and leave the result as without it.
    let sc = two_writers();
    for strategy in [
        Strategy::Exhaustive {
            preemption_bound: 1,
        },
        Strategy::Random,
    ] {
        let mut seen = Vec::new();
        let observed =
            explore::explore_observed(&sc, strategy, 30, 1, &mut |n| seen.push(n)).unwrap();
        let plain = explore::explore(&sc, strategy, 30, 1).unwrap();
        assert_eq!(observed, plain);
        let n = if matches!(strategy, Strategy::Random) {
            30
        } else {
            22
        };
        assert_eq!(seen, (1..=n).collect::<Vec<u64>>(), "{}", strategy.name());
    }
}

#[test]
fn a_race_can_leave_mapassign_growing_forever_and_the_run_says_so() {
    // Two writers of 5 keys each into one map at B = 0. In this schedule racing inserts put
    // 9 entries into the one bucket (an overflow bucket) while the count says 7: then every
    // mapassign of a new key finds too many overflow buckets for B = 0
    // (runtime/map.go: tooManyOverflowBuckets, noverflow >= 1), starts a same-size growth,
    // finishes it in the next growWork — which rebuilds the overflow bucket — and goes back
    // to `again`. Real Go never returns; the simulation ends the run with LIVELOCK.
    let text = "name = \"two\"\n[runtime]\ngomaxprocs = 2\n[[maps]]\nname = \"m\"\nkey = \"int64\"\nelem = \"int64\"\n[[goroutines]]\nname = \"w\"\ncount = 2\nprogram = [ { op = \"insert\", map = \"m\", n = 5 } ]\n";
    let sc = scenario::parse_str(text, "two.toml", &[]).unwrap();
    let token: Token = "s1-r654c044fc81ac506".parse().unwrap();
    let t = explore::replay(&sc, &token).unwrap();
    assert_eq!(
        t.fatal.map(|f| f.message),
        Some(gomemsim::model::gomap::classic::LIVELOCK)
    );
}

#[test]
fn race_steps_take_their_time_from_the_scenarios_costs() {
    // An allocation step of the explorer takes [costs] alloc_object per object plus
    // alloc_per_kib per KiB: 256 objects of 4 KiB at 20 ns + 200 ns, then at 1 us + 1 us.
    let text = |costs: &str| {
        format!(
            "name = \"t\"\n[costs]\n{costs}\n[[goroutines]]\nname = \"g\"\nprogram = [{{ op = \
             \"alloc\", bytes = \"1MiB\", size = \"4KiB\" }}]\n"
        )
    };
    for (costs, want) in [
        ("", 256 * (20 + 4 * 50)),
        (
            "alloc_object = \"1us\"\nalloc_per_kib = \"250ns\"",
            256 * (1000 + 4 * 250),
        ),
    ] {
        let sc = scenario::parse_str(&text(costs), "t.toml", &[]).unwrap();
        let mut w = explore::World::of(&sc).unwrap();
        w.step(0, 0, 0);
        assert_eq!(w.last_step_ns, want, "{costs}");
    }
}

/// Writers under `rlock` race without the timing strategy ever crashing: `race` says the
/// races mean Go may still crash and suggests the strategies that find it; exhaustive search
/// then finds `concurrent map writes`.
#[test]
fn races_without_a_crash_suggest_a_search_that_finds_one() {
    let file = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/race_rlock_writers.toml"
    );
    let dir = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_gomemsim"))
            .args(["race", file, "--out"])
            .arg(dir.path())
            .args(args)
            .output()
            .unwrap()
    };
    let o = run(&["--schedules", "50"]);
    let text = String::from_utf8_lossy(&o.stdout);
    assert_eq!(o.status.code(), Some(0), "{text}");
    assert!(
        text.contains("no schedule crashed, yet 50 raced on a map")
            && text.contains("try --strategy exhaustive"),
        "{text}"
    );
    let o = run(&["--strategy", "exhaustive", "--preemption-bound", "1"]);
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(text.contains("concurrent map writes"), "{text}");
    assert!(!text.contains("no schedule crashed"), "{text}");
}

/// An exhaustive search left unfinished says how far it got: race.json's `search_progress`
/// (an estimate from the search's position) grows with the schedules run and stays below 1;
/// a search that ends has none.
#[test]
fn an_unfinished_exhaustive_search_says_how_far_it_got() {
    let file = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/scenarios/race_read_write.toml"
    );
    let progress = |schedules: &str| -> Option<f64> {
        let dir = tempfile::tempdir().unwrap();
        let o = std::process::Command::new(env!("CARGO_BIN_EXE_gomemsim"))
            .args([
                "race",
                file,
                "--strategy",
                "exhaustive",
                "--preemption-bound",
                "2",
            ])
            .args(["--schedules", schedules, "-q", "--out"])
            .arg(dir.path())
            .output()
            .unwrap();
        assert!(o.status.code().is_some_and(|c| c <= 1));
        let json: serde_json::Value =
            serde_json::from_slice(&std::fs::read(dir.path().join("race.json")).unwrap()).unwrap();
        json.get("search_progress").and_then(|v| v.as_f64())
    };
    let a = progress("5").expect("unfinished");
    let b = progress("40").expect("unfinished");
    assert!(0.0 < a && a < b && b < 1.0, "{a} {b}");
    assert_eq!(progress("100000"), None);
}
