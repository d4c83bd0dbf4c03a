//! Goroutines racing on a Swiss-table map (go1.24): what only the Swiss map does. Its writes
//! follow the classic map's protocol — `m.writing` checked at entry, toggled with a plain XOR
//! after the hash, checked and toggled again at the end (internal/runtime/maps:
//! runtime_mapassign, Map.Delete) — and tests/race.rs runs the tests both maps share on both.

use gomemsim::explore::{self, Strategy, Token};
use gomemsim::model::gomap::swiss::FATAL_SMALL_FULL;
use gomemsim::scenario::{self, Scenario};

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
