//! Unit tests of the classic map's rules, each against a value derived from runtime/map.go.

use rand_chacha::ChaCha8Rng;
use rand_chacha::rand_core::SeedableRng;

use super::*;
use crate::model::gomap::{MapEventKind, Work};

fn new_map(hint: u64, seed: u64) -> (ClassicMap, Work) {
    let mut w = Work::default();
    let m = ClassicMap::new(
        MapLayout::INT64_INT64,
        hint,
        ChaCha8Rng::seed_from_u64(seed),
        &mut w,
    );
    (m, w)
}

#[test]
fn over_load_factor_uses_integer_half_of_bucket_count() {
    // B = 0: 13 * (1/2) = 0, so any count above 8 is over.
    assert!(!over_load_factor(8, 0));
    assert!(over_load_factor(9, 0));
    assert!(!over_load_factor(13, 1));
    assert!(over_load_factor(14, 1));
    assert!(!over_load_factor(6656, 10));
    assert!(over_load_factor(6657, 10));
}

#[test]
fn too_many_overflow_buckets_caps_b_at_15() {
    assert!(!too_many_overflow_buckets(15, 4));
    assert!(too_many_overflow_buckets(16, 4));
    assert!(!too_many_overflow_buckets(32767, 20));
    assert!(too_many_overflow_buckets(32768, 20));
}

#[test]
fn growth_starts_at_the_documented_inserts() {
    // runtime/map.go: a map grows at the insert of the key for which
    // overLoadFactor(count+1, B) holds: 9, 14, 27, 53, 105, ... 13313.
    let (mut m, mut w) = new_map(0, 7);
    let mut starts = Vec::new();
    for k in 0..20000u64 {
        let before = m.stats().growths;
        assert!(m.assign(k, &mut w));
        if m.stats().growths != before {
            starts.push(k + 1);
        }
    }
    assert_eq!(
        starts,
        vec![9, 14, 27, 53, 105, 209, 417, 833, 1665, 3329, 6657, 13313]
    );
    assert_eq!(m.b(), 12);
    m.check_invariants().unwrap();
}

#[test]
fn first_two_growths_end_in_the_insert_that_starts_them() {
    // 0 -> 1 and 1 -> 2 have one and two old buckets: growWork of that very insert
    // evacuates them all.
    let (mut m, mut w) = new_map(0, 3);
    for k in 0..14u64 {
        m.assign(k, &mut w);
    }
    let ev: Vec<_> = m
        .events()
        .iter()
        .map(|e| (e.op, e.kind, e.b_before, e.b_after))
        .collect();
    assert_eq!(
        ev,
        vec![
            (9, MapEventKind::GrowStart, 0, 1),
            (9, MapEventKind::GrowEnd, 0, 1),
            (14, MapEventKind::GrowStart, 1, 2),
            (14, MapEventKind::GrowEnd, 1, 2),
        ]
    );
    assert!(m.events().iter().all(|e| e.op == 9 || e.count == 14));
}

#[test]
fn hint_selects_b_like_makemap() {
    // makemap: B = 0; for overLoadFactor(hint, B) { B++ }. 100 => 4, 1000 => 8.
    for (hint, b) in [
        (0, 0),
        (8, 0),
        (9, 1),
        (13, 1),
        (14, 2),
        (100, 4),
        (1000, 8),
    ] {
        assert_eq!(new_map(hint, 1).0.b(), b, "hint {hint}");
    }
}

#[test]
fn b0_map_allocates_its_bucket_on_first_insert() {
    let (mut m, mut w) = new_map(0, 1);
    assert_eq!(w.alloc_bytes, 48, "only hmap at make");
    m.assign(1, &mut w);
    assert_eq!(w.alloc_bytes, 48 + 144);
}

#[test]
fn preallocated_overflow_buckets_are_used_before_new_ones() {
    // B = 4 for int64/int64 has 2 preallocated overflow buckets (18 in a 2688-byte class).
    let (mut m, mut w) = new_map(100, 11);
    assert_eq!(m.bucket_slots(), 18);
    let start = w.alloc_bytes;
    let mut k = 0;
    while m.stats().overflow_from_prealloc < 2 {
        m.assign(k, &mut w);
        k += 1;
    }
    assert_eq!(m.stats().overflow_allocated, 0);
    // Pointer-free buckets: each overflow bucket is appended to h.extra.overflow
    // (header 24 B, then backing arrays of 8 and 16 bytes).
    assert_eq!(w.alloc_bytes - start, 24 + 8 + 16);
    while m.stats().overflow_allocated == 0 {
        m.assign(k, &mut w);
        k += 1;
    }
    assert_eq!(m.noverflow(), 3);
    m.check_invariants().unwrap();
}

#[test]
fn deletes_clear_cells_and_never_shrink() {
    let (mut m, mut w) = new_map(0, 5);
    for k in 0..1000u64 {
        m.assign(k, &mut w);
    }
    let b = m.b();
    for k in 0..999u64 {
        assert!(m.delete(k, &mut w));
        assert!(!m.get(k, &mut w));
    }
    assert_eq!(m.len(), 1);
    assert_eq!(m.b(), b, "maps never shrink (golang/go#20135)");
    m.check_invariants().unwrap();
    assert!(!m.delete(5, &mut w));
}

#[test]
fn hash0_is_reseeded_when_the_map_becomes_empty() {
    let (mut m, mut w) = new_map(0, 9);
    let h0 = m.hash0();
    m.assign(1, &mut w);
    m.assign(2, &mut w);
    m.delete(1, &mut w);
    assert_eq!(m.hash0(), h0);
    m.delete(2, &mut w);
    assert_ne!(m.hash0(), h0);
}

#[test]
fn delete_turns_trailing_empty_one_into_empty_rest() {
    // Fill bucket 0 of a B = 0 map with 3 keys, delete the last, then the first two: the
    // cells become emptyRest walking backwards (runtime/map.go: mapdelete).
    let (mut m, mut w) = new_map(0, 2);
    for k in 0..3u64 {
        m.assign(k, &mut w);
    }
    m.delete(1, &mut w); // middle: emptyOne, a live cell follows
    assert_eq!(m.buckets.buckets[0].tophash[1], bucket::EMPTY_ONE);
    m.delete(2, &mut w); // last live cell: it and the emptyOne before it become emptyRest
    assert_eq!(m.buckets.buckets[0].tophash[1], bucket::EMPTY_REST);
    assert_eq!(m.buckets.buckets[0].tophash[2], bucket::EMPTY_REST);
    assert!(m.buckets.buckets[0].tophash[0] >= bucket::MIN_TOP_HASH);
    m.check_invariants().unwrap();
}

#[test]
fn churn_triggers_same_size_growth() {
    // Deleting and inserting scatters entries over overflow chains until noverflow reaches
    // 2^B: then mapassign starts a same-size growth (tooManyOverflowBuckets).
    let (mut m, mut w) = new_map(0, 4);
    let mut live: Vec<u64> = (0..6000).collect();
    for &k in &live {
        m.assign(k, &mut w);
    }
    let b = m.b();
    let mut rng = ChaCha8Rng::seed_from_u64(99);
    for next in 6000u64..406_000 {
        let i = (rng.next_u64() % live.len() as u64) as usize;
        let k = live.swap_remove(i);
        assert!(m.delete(k, &mut w));
        m.assign(next, &mut w);
        live.push(next);
        if m.stats().same_size_growths > 0 && !m.growing() {
            break;
        }
    }
    assert!(m.stats().same_size_growths > 0);
    assert_eq!(m.b(), b, "a same-size growth keeps B");
    let e = m
        .events()
        .iter()
        .find(|e| e.kind == MapEventKind::SameSizeGrowStart)
        .unwrap();
    assert_eq!((e.b_before, e.b_after), (b, b));
    m.check_invariants().unwrap();
    for &k in &live {
        assert!(m.get(k, &mut w));
    }
}

#[test]
fn incrnoverflow_is_probabilistic_from_b16() {
    // B = 17: noverflow increments with probability 1/2^(17-15) = 1/4.
    let (mut m, _) = new_map(0, 8);
    m.b = 17;
    for _ in 0..40_000 {
        m.incrnoverflow();
    }
    let n = u32::from(m.noverflow());
    assert!((9_400..=10_600).contains(&n), "{n}");
    m.b = 15;
    m.noverflow = 0;
    for _ in 0..100 {
        m.incrnoverflow();
    }
    assert_eq!(m.noverflow(), 100);
}

#[test]
fn old_array_becomes_garbage_when_growth_ends() {
    let (mut m, mut w) = new_map(0, 6);
    let mut ovf_at_b2 = 0;
    for k in 0..27u64 {
        if k == 14 {
            // Growth 1 -> 2 started and ended at insert 14: overflow buckets from here on
            // belong to the 4-bucket array.
            ovf_at_b2 = m.stats().overflow_allocated;
        }
        m.assign(k, &mut w);
    }
    // Growth 2 -> 3 started at insert 27: the B = 2 array is still old.
    assert!(m.growing());
    let n = m.stats().overflow_allocated - ovf_at_b2;
    let before = w.garbage_bytes;
    let mut k = 27;
    while m.growing() {
        m.assign(k, &mut w);
        k += 1;
    }
    // 4 buckets of 144 B, n overflow buckets of 144 B, and for pointer-free buckets the
    // h.extra.overflow list: a 24 B slice header and its last backing array (growslice
    // capacities 1, 2, 4 for n = 1, 2, 3..4 pointers).
    let list = match n {
        0 => 0,
        1 => 24 + 8,
        2 => 24 + 16,
        _ => 24 + 32,
    };
    assert!(n <= 4);
    assert_eq!(w.garbage_bytes - before, 576 + 144 * n + list);
}

#[test]
fn iteration_visits_every_key_once_even_while_growing() {
    let (mut m, mut w) = new_map(0, 12);
    for k in 0..3400u64 {
        m.assign(k, &mut w);
    }
    assert!(m.growing(), "3329 started 9 -> 10");
    let mut keys = m.keys();
    keys.sort_unstable();
    assert_eq!(keys, (0..3400).collect::<Vec<_>>());
    assert_eq!(m.iterate(&mut w, |_| {}), 3400);
    assert_eq!(
        m.flags() & (ITERATOR | OLD_ITERATOR),
        ITERATOR | OLD_ITERATOR
    );
}

#[test]
fn big_keys_are_indirect_and_allocate_per_insert() {
    let layout = MapLayout {
        key_size: 200,
        elem_size: 8,
        key_has_pointers: false,
        elem_has_pointers: false,
    };
    let mut w = Work::default();
    let mut m = ClassicMap::new(layout, 0, ChaCha8Rng::seed_from_u64(1), &mut w);
    m.assign(1, &mut w);
    // hmap 48 + bucket (8 + 8*8 + 8*8 + 8 = 144) + key object roundupsize(200) = 208.
    assert_eq!(w.alloc_bytes, 48 + 144 + 208);
}
