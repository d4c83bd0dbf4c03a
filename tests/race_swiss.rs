//! Goroutines racing on a Swiss-table map (go1.24): the same write protocol as the classic
//! map — `m.writing` checked at entry, toggled with a plain XOR after the hash, checked and
//! toggled again at the end (internal/runtime/maps: runtime_mapassign, Map.Delete) — so the
//! same interleavings crash, with Go's messages, plus the Swiss map's own.

mod common;

use common::bundled;
use gomemsim::explore::{self, Strategy, Token};
use gomemsim::model::gomap::swiss::FATAL_SMALL_FULL;
use gomemsim::model::sched::steps::{FATAL_ITER_WRITE, FATAL_READ_WRITE, FATAL_WRITES};
use gomemsim::scenario::{self, Override, Scenario};

fn swiss() -> Override {
    Override {
        key: "runtime.go".into(),
        value: "\"1.24\"".into(),
    }
}

fn load(name: &str) -> Scenario {
    gomemsim::load(&bundled(name), &[swiss()]).unwrap()
}

/// `count` goroutines each inserting `n` fresh keys into one map[int64]int64, on go1.24.
fn writers(count: u32, n: u64) -> Scenario {
    let text = format!(
        "name = \"w\"\n[runtime]\ngo = \"1.24\"\ngomaxprocs = 2\n[[maps]]\nname = \"m\"\n\
         key = \"int64\"\nelem = \"int64\"\n[[goroutines]]\nname = \"w\"\ncount = {count}\n\
         program = [ {{ op = \"insert\", map = \"m\", n = {n} }} ]\n"
    );
    scenario::parse_str(&text, "w.toml", &[]).unwrap()
}

#[test]
fn two_inserts_exhaustively_with_one_preemption() {
    // runtime_mapassign of a new key is 11 steps, as mapassign's: entry check, hash, XOR
    // load, XOR store, find (growToSmall on the first insert), store, used load, used store,
    // exit check, XOR load, XOR store. So the count of tests/race.rs holds: 2 serial orders;
    // 2 x 10 with one preemption, crashing iff the first writer ran 4..10 steps (writing
    // set): 22 schedules, 14 crashes, 8 fine.
    let ex = explore::explore(
        &writers(2, 1),
        Strategy::Exhaustive {
            preemption_bound: 1,
        },
        1_000,
        1,
    )
    .unwrap();
    assert_eq!(ex.complete, Some(true));
    assert_eq!(ex.schedules, 22);
    assert_eq!(ex.outcomes.get(FATAL_WRITES), Some(&14));
    assert_eq!(ex.outcomes.get("ok"), Some(&8));
}

#[test]
fn read_and_iteration_against_a_write_give_go_s_messages() {
    for (file, message) in [
        ("race_read_write.toml", FATAL_READ_WRITE),
        ("race_iterate_write.toml", FATAL_ITER_WRITE),
    ] {
        let ex = explore::explore(
            &load(file),
            Strategy::Exhaustive {
                preemption_bound: 1,
            },
            10_000,
            1,
        )
        .unwrap();
        assert!(
            ex.outcomes.get(message).copied().unwrap_or(0) > 0,
            "{file}: {:?}",
            ex.outcomes
        );
        assert!(!ex.outcomes.contains_key(FATAL_WRITES), "{file}");
    }
    // With a mutex: nothing.
    let ex = explore::explore(
        &load("race_fixed_mutex.toml"),
        Strategy::Exhaustive {
            preemption_bound: 3,
        },
        100_000,
        1,
    )
    .unwrap();
    assert_eq!(ex.outcomes.keys().copied().collect::<Vec<_>>(), vec!["ok"]);
    assert_eq!(ex.races, 0);
}

#[test]
fn a_silent_race_loses_a_key_in_the_small_group() {
    // Both writers pass the entry check and toggle from 0 (one XOR lost); both search before
    // either stores: both pick slot 0 of the small group, b's key overwrites a's; the used
    // counts are loaded one after the other, so the map says 2 with one key.
    let token = Token::Decisions {
        scenario_seed: 1,
        decisions: "aabbababababaabbaabb"
            .chars()
            .map(|c| u32::from(c == 'b'))
            .collect(),
    };
    let t = explore::replay(&writers(2, 1), &token).unwrap();
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
fn lost_count_updates_fill_the_small_group_behind_used() {
    // map.go: putSlotSmall dies with "small map with no empty slot (concurrent map
    // writes?)" when `used < 8` but every slot is full: racing writers stored into
    // different slots while one of their `used++` was lost. Random schedules of two writers
    // of 5 keys each reach it.
    let ex = explore::explore(&writers(2, 5), Strategy::Random, 20_000, 1).unwrap();
    assert!(
        ex.outcomes.get(FATAL_SMALL_FULL).copied().unwrap_or(0) > 0,
        "{:?}",
        ex.outcomes
    );
    let classic = {
        let mut sc = writers(2, 5);
        sc.runtime.go = "1.23".into();
        explore::explore(&sc, Strategy::Random, 20_000, 1).unwrap()
    };
    assert!(!classic.outcomes.contains_key(FATAL_SMALL_FULL));
}

#[test]
fn racing_inserts_can_fill_a_table_until_the_probe_never_ends() {
    // Goroutine a inserts 13 keys alone (13 x 11 steps), then its 14th insert and b's one
    // interleave so that both pass PutSlot's `growthLeft > 0` check at growthLeft == 1 and
    // both decrement it: the uint16 wraps to 65535, so the 16-slot table never rehashes and
    // a's later inserts fill it to the last slot. The next probe finds no group with an
    // empty slot and table.go's `for` loop would go round forever; the run ends with
    // SWISS_HANG instead of a healthy map.
    let text = "name = \"wrap\"\n[runtime]\ngo = \"1.24\"\ngomaxprocs = 2\n[[maps]]\nname = \"m\"\nkey = \"int64\"\nelem = \"int64\"\n[[goroutines]]\nname = \"a\"\nprogram = [ { op = \"insert\", map = \"m\", n = 14 }, { op = \"insert\", map = \"m\", n = 3 } ]\n[[goroutines]]\nname = \"b\"\nprogram = [ { op = \"insert\", map = \"m\", n = 1 } ]\n";
    let sc = scenario::parse_str(text, "wrap.toml", &[]).unwrap();
    let decisions: Vec<u32> = std::iter::repeat_n(0, 143)
        .chain("00110101010100110011".chars().map(|c| u32::from(c == '1')))
        .collect();
    let token = Token::Decisions {
        scenario_seed: 13,
        decisions,
    };
    let t = explore::replay(&sc, &token).unwrap();
    assert_eq!(
        t.fatal.map(|f| f.message),
        Some(gomemsim::model::gomap::swiss::SWISS_HANG)
    );
}
