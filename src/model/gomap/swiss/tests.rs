//! The Swiss map against numbers worked out by hand from go1.24 internal/runtime/maps:
//! growth points, NewMap's layout for a hint, tombstones, splits and the directory,
//! allocation sizes of map[int64]int64.

use rand_chacha::ChaCha8Rng;
use rand_chacha::rand_core::SeedableRng;

use super::*;
use crate::model::gomap::MapEventKind;

fn map(hint: u64, seed: u64) -> (SwissMap, Work) {
    let mut w = Work::default();
    let m = SwissMap::new(
        MapLayout::INT64_INT64,
        hint,
        ChaCha8Rng::seed_from_u64(seed),
        &mut w,
    );
    (m, w)
}

/// (insert, event, slots before, slots after) of every event.
fn events(m: &SwissMap) -> Vec<(u64, MapEventKind, u64, u64)> {
    m.events()
        .iter()
        .map(|e| (e.op, e.kind, e.slots_before, e.slots_after))
        .collect()
}

#[test]
fn growth_points_from_empty() {
    // map.go growToTable at the 9th insert (16 slots); a table of C slots rehashes at the
    // first new key after 7C/8: 15, 29, 57, 113, 225, 449; at 897 the 1024-slot table
    // splits (2048 > maxTableCapacity) and the directory doubles to 2 entries.
    let (mut m, mut w) = map(0, 1);
    for k in 0..897u64 {
        m.assign(k, &mut w);
        m.check_invariants().unwrap();
    }
    use MapEventKind::*;
    assert_eq!(
        events(&m),
        vec![
            (9, SmallToTable, 8, 16),
            (15, TableGrow, 16, 32),
            (29, TableGrow, 32, 64),
            (57, TableGrow, 64, 128),
            (113, TableGrow, 128, 256),
            (225, TableGrow, 256, 512),
            (449, TableGrow, 512, 1024),
            (897, DirectoryGrow, 1, 2),
            (897, TableSplit, 1024, 1024),
        ]
    );
    assert_eq!((m.global_depth(), m.dir_len(), m.capacity()), (1, 2, 2048));
    assert_eq!(m.len(), 897);
    // Every event reads the count after its write.
    assert!(m.events().iter().all(|e| e.count == e.op));
}

#[test]
fn splits_double_the_directory_only_from_the_deepest_tables() {
    let (mut m, mut w) = map(0, 7);
    for k in 0..20_000u64 {
        m.assign(k, &mut w);
    }
    m.check_invariants().unwrap();
    let splits = m
        .events()
        .iter()
        .filter(|e| e.kind == MapEventKind::TableSplit)
        .count();
    let dir_grows: Vec<u8> = m
        .events()
        .iter()
        .filter(|e| e.kind == MapEventKind::DirectoryGrow)
        .map(|e| e.global_depth)
        .collect();
    // Each split adds one 1024-slot table to the first one.
    assert_eq!(m.tables().count(), splits + 1);
    assert_eq!(m.capacity(), 1024 * (splits as u64 + 1));
    // The directory grew one depth at a time, to the depth of the deepest table.
    assert_eq!(dir_grows, (1..=m.global_depth()).collect::<Vec<_>>());
    let deepest = m.tables().map(|t| t.local_depth).max().unwrap();
    assert_eq!(deepest, m.global_depth());
    // Load stays at most 7/8 of the slots.
    assert!(m.len() * 8 <= m.capacity() * 7);
}

#[test]
fn new_map_layout_for_a_hint() {
    // NewMap: tc = hint*8/7; dirSize = pow2(ceil(tc/1024)); tables of pow2(tc/dirSize).
    let cases = [
        // (hint, tables, slots per table, global depth)
        (0, 0, 0, 0),
        (8, 0, 0, 0),
        (9, 1, 16, 0),
        (14, 1, 16, 0),
        (15, 1, 32, 0),
        (100, 1, 128, 0),
        (897, 2, 512, 1),
        (1000, 2, 1024, 1),
        (1793, 4, 512, 2),
        (10_000, 16, 1024, 4),
    ];
    for (hint, tables, slots, depth) in cases {
        let (m, _) = map(hint, 1);
        assert_eq!(m.tables().count(), tables, "hint {hint}");
        assert!(
            m.tables().all(|t| u64::from(t.capacity) == slots),
            "hint {hint}"
        );
        assert_eq!(m.global_depth(), depth, "hint {hint}");
        m.check_invariants().unwrap();
    }
    // hint 100: 112 keys fit; the 113th grows the 128-slot table.
    let (mut m, mut w) = map(100, 1);
    for k in 0..113u64 {
        m.assign(k, &mut w);
    }
    let e: Vec<_> = events(&m);
    assert_eq!(e, vec![(113, MapEventKind::TableGrow, 128, 256)]);
}

#[test]
fn allocation_sizes_of_int64_int64() {
    // Group = 8 + 8 × 16 = 136 bytes (size class 144). make: the 48-byte Map. Insert 1: one
    // group. Insert 9 (growToTable): table 32 + 2 groups 272 (class 288) + directory 8; the
    // small group becomes garbage.
    assert_eq!(MapLayout::INT64_INT64.swiss_group_size(), 136);
    let (mut m, mut w) = map(0, 1);
    assert_eq!(w.alloc_bytes, 48);
    m.assign(1, &mut w);
    assert_eq!(w.alloc_bytes, 48 + 144);
    for k in 2..=9 {
        m.assign(k, &mut w);
    }
    assert_eq!(w.alloc_bytes, 48 + 144 + 32 + 288 + 8);
    assert_eq!(w.garbage_bytes, 144);
    assert_eq!(m.live_bytes(), 48 + 32 + 288 + 8);
    // Grow to 32 slots at insert 15: table 32 + 4 groups 544 (class 576); the old table
    // and its groups are garbage.
    for k in 10..=15 {
        m.assign(k, &mut w);
    }
    assert_eq!(m.live_bytes(), 48 + 8 + 32 + 576);
    // hint 10000: directory 128 + 16 × (32 + 128 groups = 17408, class 18432).
    let (_, w) = map(10_000, 1);
    assert_eq!(w.alloc_bytes, 48 + 128 + 16 * (32 + 18432));
}

#[test]
fn a_full_small_map_converts_even_on_an_update() {
    // map.go PutSlot: `if m.used < abi.SwissMapGroupSlots` else growToTable — before looking
    // for the key.
    let (mut m, mut w) = map(0, 3);
    for k in 0..8u64 {
        assert!(m.assign(k, &mut w));
    }
    assert!(!m.assign(5, &mut w));
    assert_eq!(events(&m), vec![(9, MapEventKind::SmallToTable, 8, 16)]);
    assert_eq!(m.len(), 8);
}

#[test]
fn deletes_reuse_small_slots_and_reseed_when_empty() {
    let (mut m, mut w) = map(0, 3);
    for k in 0..5u64 {
        m.assign(k, &mut w);
    }
    let seed = m.key_hash(1);
    for k in 0..5u64 {
        assert!(m.delete(k, &mut w));
    }
    assert!(m.is_empty());
    // golang/go#25237: a map emptied by Delete draws a new seed.
    assert_ne!(m.key_hash(1), seed);
    // Deleting from an empty map does nothing.
    assert!(!m.delete(3, &mut w));
    m.assign(10, &mut w);
    m.check_invariants().unwrap();
}

#[test]
fn tombstones_are_reused_and_dropped_by_a_rebuild() {
    // Churn: delete one key, insert a new one. In a 1024-slot table most groups fill up, so
    // deletes leave tombstones; new keys reuse those on their probe path; a rebuild (grow or
    // split) leaves them all behind.
    let (mut m, mut w) = map(0, 11);
    for k in 0..800u64 {
        m.assign(k, &mut w);
    }
    let mut next = 800u64;
    let mut reused = false;
    for k in 0..400u64 {
        m.delete(k * 2, &mut w);
        let before: u16 = m.tables().map(|t| t.tombstones()).sum();
        m.assign(next, &mut w);
        next += 1;
        let after: u16 = m.tables().map(|t| t.tombstones()).sum();
        reused |= after < before;
        m.check_invariants().unwrap();
    }
    assert!(reused, "some insert took a tombstone");
    let stones: u16 = m.tables().map(|t| t.tombstones()).sum();
    assert!(stones > 0);
    // Fill until the table rebuilds: the rebuilt tables hold no tombstones.
    let rebuilds = m.events().len();
    while m.events().len() == rebuilds {
        m.assign(next, &mut w);
        next += 1;
    }
    let after: u16 = m.tables().map(|t| t.tombstones()).sum();
    assert_eq!(after, 0);
    assert_eq!(m.len(), 800 + (next - 1200));
}

#[test]
fn same_seed_same_map() {
    let run = || {
        let (mut m, mut w) = map(0, 42);
        for k in 0..5000u64 {
            m.assign(k, &mut w);
            if k % 3 == 0 {
                m.delete(k / 2, &mut w);
            }
        }
        (events(&m), m.keys(), w)
    };
    assert_eq!(run(), run());
}

#[test]
fn group_sizes_follow_go_s_struct_layout() {
    // reflectdata.SwissMapGroupType: struct{ ctrl uint64; slots [8]struct{ key K; elem V } }.
    let size = |ks, ka, es, ea| {
        MapLayout {
            key_size: ks,
            key_align: ka,
            elem_size: es,
            elem_align: ea,
            ..MapLayout::INT64_INT64
        }
        .swiss_group_size()
    };
    assert_eq!(size(8, 8, 8, 8), 136); // map[int64]int64
    assert_eq!(size(16, 8, 8, 8), 200); // map[string]int64: slot 24
    assert_eq!(size(12, 4, 8, 8), 200); // map[[3]int32]int64: elem at 16, slot 24
    assert_eq!(size(4, 4, 1, 1), 72); // map[int32]bool: slot 5 rounded to 8
    assert_eq!(size(8, 8, 0, 1), 136); // map[int64]struct{}: a padding byte, slot 16
    assert_eq!(size(0, 1, 0, 1), 16); // map[struct{}]struct{}: the padded empty slots
}

#[test]
fn indirect_keys_and_elems_are_objects_of_their_own() {
    // table.go PutSlot: an indirect key and an indirect elem are two newobject calls.
    let layout = MapLayout::new(200, false, 300, false);
    let mut w = Work::default();
    let mut m = SwissMap::new(layout, 0, ChaCha8Rng::seed_from_u64(1), &mut w);
    m.assign(1, &mut w);
    let objects = w.alloc_objects;
    m.assign(2, &mut w);
    assert_eq!(w.alloc_objects - objects, 2);
    // 200 B and 300 B objects: size classes 208 and 320.
    let before = w.garbage_bytes;
    m.delete(2, &mut w);
    assert_eq!(w.garbage_bytes - before, 208 + 320);
}
