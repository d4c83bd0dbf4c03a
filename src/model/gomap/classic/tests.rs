//! Unit tests of the classic map's rules, each against a value derived from runtime/map.go.

use rand_chacha::ChaCha8Rng;
use rand_chacha::rand_core::SeedableRng;

use super::*;
use crate::model::gomap::layout::FastPath;
use crate::model::gomap::{MapEventKind, Work};
use bucket::tophash;

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
    let layout = MapLayout::new(200, false, 8, false);
    let mut w = Work::default();
    let mut m = ClassicMap::new(layout, 0, ChaCha8Rng::seed_from_u64(1), &mut w);
    m.assign(1, &mut w);
    // hmap 48 + bucket (8 + 8*8 + 8*8 + 8 = 144) + key object roundupsize(200) = 208.
    assert_eq!(w.alloc_bytes, 48 + 144 + 208);
}

fn new_map_with(layout: MapLayout, hint: u64, seed: u64) -> (ClassicMap, Work) {
    let mut w = Work::default();
    let m = ClassicMap::new(layout, hint, ChaCha8Rng::seed_from_u64(seed), &mut w);
    (m, w)
}

/// `stats.bytes_allocated - stats.bytes_garbage == live_bytes()`, and the same from `work`
/// when it has seen only this map.
fn assert_live_identity(m: &ClassicMap, w: &Work) {
    let s = m.stats();
    assert_eq!(s.bytes_allocated - s.bytes_garbage, m.live_bytes());
    assert_eq!(w.alloc_bytes - w.garbage_bytes, m.live_bytes());
}

/// The first `n` keys (from `from` on) whose hash selects bucket `bucket` of a 2^b array.
fn keys_in_bucket(m: &ClassicMap, bucket: u64, b: u8, from: u64, n: usize) -> Vec<u64> {
    (from..)
        .filter(|&k| m.hash(k) & ((1u64 << b) - 1) == bucket)
        .take(n)
        .collect()
}

#[test]
fn deleting_indirect_entries_makes_their_objects_garbage() {
    // map[[200]byte][300]byte: both stored indirectly. mapassign allocates
    // newobject(t.key) (200 -> class 208) and newobject(t.elem) (300 -> class 320);
    // mapdelete nils both pointers (runtime/map.go: mapdelete, t.indirectkey()/indirectelem()).
    let (mut m, mut w) = new_map_with(MapLayout::new(200, false, 300, false), 0, 3);
    for k in 0..3u64 {
        m.assign(k, &mut w);
    }
    // hmap 48 + one bucket (8 + 8*8 + 8*8 + 8 = 144) + 3 * (208 + 320).
    assert_eq!(m.live_bytes(), 48 + 144 + 3 * (208 + 320));
    let before = w.garbage_bytes;
    assert!(m.delete(1, &mut w));
    assert_eq!(w.garbage_bytes - before, 208 + 320);
    assert_eq!(m.stats().bytes_garbage, 208 + 320);
    assert_eq!(m.live_bytes(), 48 + 144 + 2 * (208 + 320));
    // An absent key frees nothing; an update allocates nothing.
    assert!(!m.delete(1, &mut w));
    let alloc = w.alloc_bytes;
    assert!(!m.assign(0, &mut w));
    assert_eq!(w.alloc_bytes, alloc);
    assert_eq!(w.garbage_bytes - before, 208 + 320);
    assert_live_identity(&m, &w);
    // Inline keys and elems free nothing on delete.
    let (mut m, mut w) = new_map(0, 3);
    m.assign(1, &mut w);
    m.delete(1, &mut w);
    assert_eq!(w.garbage_bytes, 0);
}

#[test]
fn evacuation_frees_only_overflow_objects_not_reachable_from_the_old_array() {
    // map[string]int64: pointerful buckets of 8 + 8*16 + 8*8 + 8 = 208 bytes. hint 100 gives
    // B = 4; makeBucketArray: 17 * 208 = 3536 -> class 4096 -> 19 buckets (3 preallocated
    // overflow buckets, 16..18), 4096 bytes.
    let layout = MapLayout::new(16, true, 8, false);
    let (mut m, mut w) = new_map_with(layout, 100, 21);
    assert_eq!((m.b(), m.bucket_slots()), (4, 19));
    // Bucket 1: 40 keys = itself, the 3 preallocated buckets, then a newobject bucket.
    for k in keys_in_bucket(&m, 1, 4, 0, 40) {
        m.assign(k, &mut w);
    }
    // Bucket 0: 24 keys = itself and two newobject buckets.
    for k in keys_in_bucket(&m, 0, 4, 0, 24) {
        m.assign(k, &mut w);
    }
    assert_eq!(m.stats().overflow_from_prealloc, 3);
    assert_eq!(m.stats().overflow_allocated, 3);
    assert_live_identity(&m, &w);
    // Start a growth (same size: 65 keys are under the load factor of B = 4).
    m.hash_grow(&mut w);
    assert!(m.growing());
    // evacuate clears old bucket 1 with memclrHasPointers, its overflow pointer included, but
    // bucket 16 is part of the old array, which h.oldbuckets keeps alive, and 16 -> 17 -> 18
    // -> the newobject bucket stay linked: nothing is freed yet.
    let g = w.garbage_bytes;
    m.evacuate(1, &mut w);
    assert_eq!(w.garbage_bytes - g, 0);
    assert_live_identity(&m, &w);
    // Old bucket 0's two newobject overflow buckets were reachable only from bucket 0's
    // overflow pointer: both become garbage (208 is a size class).
    let g = w.garbage_bytes;
    m.evacuate(0, &mut w);
    assert_eq!(w.garbage_bytes - g, 2 * 208);
    assert_live_identity(&m, &w);
    // The rest goes with the old array when the growth ends: its 4096 bytes and the newobject
    // bucket chained after the preallocated ones.
    let g = w.garbage_bytes;
    while m.growing() {
        m.evacuate(m.nevacuate(), &mut w);
    }
    assert_eq!(w.garbage_bytes - g, 4096 + 208);
    assert_live_identity(&m, &w);
    m.check_invariants().unwrap();
}

#[test]
fn live_bytes_include_mapextra() {
    // makemap with hint 100: B = 4, makeBucketArray returns a nextOverflow, so makemap does
    // h.extra = new(mapextra) (24 bytes, a size class). hmap 48 + mapextra 24 + array 2688.
    let (m, w) = new_map(100, 1);
    assert_eq!(m.live_bytes(), 48 + 24 + 2688);
    assert_live_identity(&m, &w);
    // B = 3 preallocates nothing: no mapextra.
    let (m, w) = new_map(50, 1);
    assert_eq!(m.b(), 3);
    assert_eq!(m.live_bytes(), 48 + 1152);
    assert_live_identity(&m, &w);
    // Growth, overflow lists, churn: the identity holds throughout.
    let (mut m, mut w) = new_map(0, 2);
    for k in 0..5000u64 {
        m.assign(k, &mut w);
        if k % 3 == 0 {
            m.delete(k / 2, &mut w);
        }
        if k % 500 == 0 {
            m.iterate(&mut w, |_| {});
        }
    }
    assert_live_identity(&m, &w);
}

fn with_headers(mut layout: MapLayout) -> MapLayout {
    layout.alloc_headers = true;
    layout
}

#[test]
fn overflow_list_of_pointers_grows_with_go122_headers() {
    // h.extra.overflow is a []*bmap: growslice with noscan = false. Capacities 1, 2, 4, ...,
    // 64 (512 bytes, no header in either release). The 65th append asks for 128 elements =
    // 1024 bytes:
    //   go1.19: roundupsize(1024) = 1024 -> cap 128; the 129th append: 256 elements, 2048.
    //   go1.22: roundupsize(1024, false) = class(1032) - 8 = 1144 -> cap 143 in a 1152-byte
    //   slot; the 144th append: 286 elements -> 2288 + 8 -> class 2304 -> cap 287.
    // Each reallocation frees the previous backing array.
    let mut expect = Vec::new();
    for headers in [false, true] {
        let mut layout = MapLayout::INT64_INT64;
        layout.alloc_headers = headers;
        let (mut m, mut w) = new_map_with(layout, 0, 5);
        m.assign(1, &mut w);
        let mut reallocs = Vec::new();
        for n in 1..=300u64 {
            let (a, g) = (w.alloc_bytes, w.garbage_bytes);
            m.append_overflow_list(&mut w);
            if w.alloc_bytes != a {
                let cap = m.overflow_list.unwrap().cap;
                reallocs.push((n, cap, w.alloc_bytes - a, w.garbage_bytes - g));
            }
        }
        assert_live_identity(&m, &w);
        expect.push(reallocs);
    }
    let first = [
        // (append number, new cap, bytes allocated, bytes freed); the first append also runs
        // createOverflow on this B = 0 map: new(mapextra) and new([]*bmap), 24 bytes each.
        (1, 1, 24 + 24 + 8, 0),
        (2, 2, 16, 8),
        (3, 4, 32, 16),
        (5, 8, 64, 32),
        (9, 16, 128, 64),
        (17, 32, 256, 128),
        (33, 64, 512, 256),
    ];
    let mut go119 = first.to_vec();
    go119.extend([(65, 128, 1024, 512), (129, 256, 2048, 1024)]);
    // 256 -> 256 + (256 + 768) / 4 = 512 elements = 4096 bytes.
    go119.push((257, 512, 4096, 2048));
    let mut go122 = first.to_vec();
    go122.extend([(65, 143, 1152, 512), (144, 287, 2304, 1152)]);
    // 287 -> 287 + (287 + 768) / 4 = 550 -> 4400 + 8 -> class 4864 -> 4856 / 8 = 607.
    go122.push((288, 607, 4864, 2304));
    assert_eq!(expect, vec![go119, go122]);
}

#[test]
fn go122_header_changes_preallocated_overflow_buckets_at_size_class_edges() {
    // map[*T][3]int16: pointerful buckets of 8 + 8*8 + 8*6 + 8 = 128 bytes. B = 4:
    // 17 buckets = 2176 bytes.
    //   go1.19: roundupsize(2176) = 2304 -> 18 buckets, 2304 bytes.
    //   go1.22: roundupsize(2176, false) = class(2184) - 8 = 2296 -> 17 buckets; newarray's
    //   mallocgc(2176) takes class(2184) = 2304 bytes.
    let l = MapLayout::new(8, true, 6, false);
    assert_eq!(l.bucket_size(), 128);
    let (a, next) = BucketArray::make(&l, 4);
    assert_eq!((a.buckets.len(), next, a.bytes), (18, 16, 2304));
    let (a, next) = BucketArray::make(&with_headers(l), 4);
    assert_eq!((a.buckets.len(), next, a.bytes), (17, 16, 2304));
    assert_eq!(
        a.buckets[16].overflow, 0,
        "the single preallocated bucket is the last"
    );
    // Pointer-free buckets of the same size get no header: 18 buckets either way.
    let (a, _) = BucketArray::make(&with_headers(MapLayout::new(8, false, 6, false)), 4);
    assert_eq!((a.buckets.len(), a.bytes), (18, 2304));

    // map[*T]int16: 8 + 64 + 16 + 8 = 96-byte buckets. B = 6: 68 buckets = 6528 bytes,
    // exactly a size class.
    //   go1.19: up == sz -> 68 buckets, 6528 bytes.
    //   go1.22: class(6536) = 6784 -> 6776 usable -> 70 buckets = 6720 bytes ->
    //   mallocgc takes class(6728) = 6784.
    let l = MapLayout::new(8, true, 2, false);
    assert_eq!(l.bucket_size(), 96);
    let (a, _) = BucketArray::make(&l, 6);
    assert_eq!((a.buckets.len(), a.bytes), (68, 6528));
    let (a, _) = BucketArray::make(&with_headers(l), 6);
    assert_eq!((a.buckets.len(), a.bytes), (70, 6784));

    // Large arrays get no header (go1.22 mallocgc stores the type in span.largeType):
    // map[*T]int64, B = 8: 272 * 144 = 39168 bytes -> 5 pages = 40960 -> 284 buckets.
    let l = MapLayout::new(8, true, 8, false);
    for layout in [l, with_headers(l)] {
        let (a, _) = BucketArray::make(&layout, 8);
        assert_eq!((a.buckets.len(), a.bytes), (284, 40960));
    }
}

#[test]
fn go122_header_on_big_buckets_and_indirect_objects() {
    // map[*T][62]byte: 8 + 64 + 8*62 + 8 = 576-byte pointerful buckets. The lazily allocated
    // bucket of a B = 0 map is newobject(t.bucket): go1.19 class 576; go1.22 576 + 8 -> 640.
    let l = MapLayout::new(8, true, 62, false);
    assert_eq!(l.bucket_size(), 576);
    for (layout, bucket) in [(l, 576), (with_headers(l), 640)] {
        let (mut m, mut w) = new_map_with(layout, 0, 1);
        m.assign(1, &mut w);
        assert_eq!(w.alloc_bytes, 48 + bucket);
        assert_live_identity(&m, &w);
    }
    // map[[128]*T]int64: 1024-byte keys with pointers, stored indirectly (bucket 144 bytes,
    // no header at that size). newobject(t.key): go1.19 1024; go1.22 1024 + 8 -> class 1152.
    // A pointer-free [1024]byte key has no header in either release.
    let cases = [
        (MapLayout::new(1024, true, 8, false), 1024),
        (with_headers(MapLayout::new(1024, true, 8, false)), 1152),
        (with_headers(MapLayout::new(1024, false, 8, false)), 1024),
    ];
    for (layout, key_obj) in cases {
        let (mut m, mut w) = new_map_with(layout, 0, 1);
        m.assign(1, &mut w);
        assert_eq!(w.alloc_bytes, 48 + 144 + key_obj);
        let g = w.garbage_bytes;
        m.delete(1, &mut w);
        assert_eq!(w.garbage_bytes - g, key_obj);
        assert_live_identity(&m, &w);
    }
}

// ---------------------------------------------------------------------------------------
// The steps of one operation, as the race model runs them, and the `_fast*` searches.

/// `layout` with the compiler's choice of map functions replaced by `fast`.
fn with_fast(layout: MapLayout, fast: FastPath) -> MapLayout {
    MapLayout { fast, ..layout }
}

/// map[int64]int64 through the generic functions (mapaccess1, mapassign, mapdelete).
fn slow64() -> MapLayout {
    with_fast(MapLayout::INT64_INT64, FastPath::Slow)
}

/// map[int32]int64: mapaccess1_fast32 and friends.
fn fast32() -> MapLayout {
    with_fast(MapLayout::new(4, false, 8, false), FastPath::Fast32)
}

/// map[string]int64: mapaccess1_faststr and friends.
fn faststr() -> MapLayout {
    with_fast(MapLayout::new(16, true, 8, false), FastPath::FastStr)
}

/// The first fresh key from `from` on whose hash under the current hash0 selects bucket
/// `bucket` of a 2^b array.
fn key_in_bucket(m: &ClassicMap, bucket: u64, b: u8, from: u64) -> u64 {
    keys_in_bucket(m, bucket, b, from, 1)[0]
}

/// mapassign's steps without the hashWriting flag: the search with `hash`, then the store
/// and `h.count++` (unless the key was present). Returns the cell chosen.
fn assign_steps(m: &mut ClassicMap, key: u64, hash: u64, w: &mut Work) -> Assign {
    m.count_write(w);
    let a = m.assign_find_hashed(key, hash, w);
    if let Assign::New(cell) = a {
        m.assign_store(cell, key);
        m.set_count(m.len() + 1);
    }
    m.finish_write();
    a
}

#[test]
fn whole_operations_equal_their_steps_with_the_hash_of_the_moment() {
    // With no other goroutine between the steps, hashing at the Hash step and searching
    // later is the same as mapassign/mapdelete/mapaccess1 in one call.
    for layout in [slow64(), MapLayout::INT64_INT64, fast32(), faststr()] {
        let (mut a, mut wa) = new_map_with(layout, 0, 21);
        let (mut b, mut wb) = new_map_with(layout, 0, 21);
        let mut live: Vec<u64> = Vec::new();
        let mut rng = ChaCha8Rng::seed_from_u64(4);
        for i in 0..20_000u64 {
            let r = rng.next_u32() % 10;
            if r < 5 || live.is_empty() {
                assert!(a.assign(i, &mut wa));
                let h = b.key_hash(i);
                b.begin_write(&mut wb);
                let Assign::New(cell) = b.assign_find_hashed(i, h, &mut wb) else {
                    panic!("key {i} is new");
                };
                b.assign_store(cell, i);
                b.count += 1;
                b.end_write();
                live.push(i);
            } else if r < 8 {
                let k = live.swap_remove(rng.next_u32() as usize % live.len());
                assert!(a.delete(k, &mut wa));
                let h = b.key_hash(k);
                b.begin_write(&mut wb);
                let cell = b.delete_find_hashed(k, h, &mut wb).expect("present");
                b.delete_clear(cell, &mut wb);
                b.count -= 1;
                if b.count == 0 {
                    b.reseed();
                }
                b.end_write();
            } else {
                let k = live[rng.next_u32() as usize % live.len()];
                assert!(a.get(k, &mut wa));
                assert!(b.get_hashed(k, b.key_hash(k), &mut wb));
            }
        }
        assert_eq!(wa, wb);
        assert_eq!(a.events(), b.events());
        assert_eq!(a.hash0(), b.hash0());
        assert!(!a.take_bad_state() && !b.take_bad_state());
        b.check_invariants().unwrap();
    }
}

#[test]
fn fast64_matches_generic_results_and_work_when_keys_are_present() {
    // map[int64]int64 takes the _fast64 functions. Without concurrent writers, a live key is
    // found before any emptyRest and by the tophash it was stored with, so for lookups and
    // deletes of present keys the _fast64 search finds the same cell after the same probes.
    let (mut a, mut wa) = new_map_with(slow64(), 0, 8);
    let (mut b, mut wb) = new_map_with(MapLayout::INT64_INT64, 0, 8);
    let mut live: Vec<u64> = Vec::new();
    let mut rng = ChaCha8Rng::seed_from_u64(6);
    for i in 0..50_000u64 {
        match rng.next_u32() % 3 {
            0 if !live.is_empty() => {
                let k = live.swap_remove(rng.next_u32() as usize % live.len());
                assert!(a.delete(k, &mut wa) && b.delete(k, &mut wb));
            }
            1 if !live.is_empty() => {
                let k = live[rng.next_u32() as usize % live.len()];
                assert!(a.get(k, &mut wa) && b.get(k, &mut wb));
                // An update of a present key.
                assert!(!a.assign(k, &mut wa) && !b.assign(k, &mut wb));
            }
            _ => {
                assert!(a.assign(i, &mut wa) && b.assign(i, &mut wb));
                live.push(i);
            }
        }
    }
    assert!(wa.overflow_probes > 0);
    assert_eq!(wa, wb);
    assert_eq!(a.events(), b.events());
}

#[test]
fn a_search_uses_the_hash_taken_before_a_concurrent_reseed() {
    // runtime/map.go: mapassign computes `hash := t.hasher(key, uintptr(h.hash0))` once, at
    // entry. A concurrent mapdelete that empties the map draws a new hash0 (`h.hash0 =
    // fastrand()`), but the key is still placed by the old hash: bucket and tophash.
    let (mut m, mut w) = new_map_with(slow64(), 100, 3);
    assert_eq!(m.b(), 4);
    m.assign(1, &mut w);
    let old = m.key_hash(2);
    // Another goroutine deletes the only key: count 0, hash0 reseeded.
    assert!(m.delete(1, &mut w));
    let new = m.key_hash(2);
    assert_ne!(old, new);
    assert_ne!(old & 15, new & 15, "seed chosen so that the buckets differ");
    let Assign::New(cell) = assign_steps(&mut m, 2, old, &mut w) else {
        panic!("the map is empty");
    };
    assert_eq!(u64::from(cell.origin), old & 15);
    assert_eq!(cell.top, tophash(old));
    assert_eq!(
        m.buckets.buckets[(old & 15) as usize].tophash[0],
        tophash(old)
    );
    // A lookup hashing now uses the new hash0 and misses it; one with the old hash finds it,
    // and so does a delete searching with the old hash.
    assert!(!m.get(2, &mut w));
    assert!(m.get_hashed(2, old, &mut w));
    assert_eq!(m.delete_find(2, &mut w), None);
    let found = m
        .delete_find_hashed(2, old, &mut w)
        .expect("found with the old hash");
    assert_eq!((found.bucket, found.slot), (cell.bucket, cell.slot));
    // The invariants, which hash with the current hash0, see a key out of place.
    assert!(m.check_invariants().is_err());
}

/// A B = 0 map holding `key`, stored by a mapassign that hashed before a concurrent delete
/// emptied the map and reseeded it: its tophash is that of the old hash. Returns the map.
fn b0_map_with_stale_tophash(layout: MapLayout, seed: u64, key: u64) -> (ClassicMap, Work) {
    let (mut m, mut w) = new_map_with(layout, 0, seed);
    m.assign(key + 1, &mut w);
    let old = m.key_hash(key);
    assert!(m.delete(key + 1, &mut w));
    assert!(matches!(
        assign_steps(&mut m, key, old, &mut w),
        Assign::New(_)
    ));
    assert_ne!(
        tophash(old),
        tophash(m.key_hash(key)),
        "seed chosen so tophashes differ"
    );
    (m, w)
}

#[test]
fn fast32_and_fast64_match_keys_whatever_their_tophash() {
    // map_fast64.go: mapaccess1_fast64 tests `*(*uint64)(k) == key && !isEmpty(b.tophash[i])`
    // and, with B == 0, does not even hash; mapassign_fast64 and mapdelete_fast64 compare the
    // key of every non-empty cell without looking at its tophash. map.go's mapaccess1,
    // mapassign and mapdelete, and the _faststr functions with B > 0, skip a cell whose
    // tophash differs (`if b.tophash[i] != top`).
    for (layout, fast) in [
        (slow64(), false),
        (MapLayout::INT64_INT64, true),
        (fast32(), true),
        (faststr(), false),
    ] {
        let (m, mut w) = b0_map_with_stale_tophash(layout, 5, 7);
        let expect = format!("{:?}", layout.fast);
        let h = m.key_hash(7);
        // mapaccess1_faststr with B == 0 compares lengths and contents of non-empty cells,
        // not tophashes: it finds the key too.
        let found_by_get = fast || layout.fast == FastPath::FastStr;
        assert_eq!(m.get_hashed(7, h, &mut w), found_by_get, "{expect}");
        let mut d = m.clone();
        assert_eq!(
            d.delete_find_hashed(7, h, &mut w).is_some(),
            fast,
            "{expect}"
        );
        // mapassign: the _fast32/_fast64 search finds the key (an update); the others do not
        // and insert it a second time.
        d.count_write(&mut w);
        let again = d.assign_find_hashed(7, h, &mut w);
        assert_eq!(matches!(again, Assign::Existing(_)), fast, "{expect}");
    }
}

#[test]
fn fast_lookups_and_deletes_walk_past_empty_rest() {
    // A racing pair leaves a live cell after emptyRest: goroutine A's mapassign picks the
    // empty cell 2 (cells 0, 1 hold k1, k2); B deletes k2, and as cell 2 is still emptyRest
    // turns cell 1 into emptyRest; A then stores its key into cell 2.
    // map.go (mapaccess1, mapdelete) and mapaccess1_faststr with B == 0 stop at emptyRest;
    // mapaccess1_fast32/64, mapdelete_fast32/64, mapdelete_faststr and mapaccess1_faststr
    // with B > 0 walk every cell of the chain (map_fast64.go, map_faststr.go).
    for hint in [0u64, 64] {
        for layout in [slow64(), MapLayout::INT64_INT64, fast32(), faststr()] {
            let (mut m, mut w) = new_map_with(layout, hint, 12);
            let b = m.b();
            let ks = keys_in_bucket(&m, 0, b, 100, 3);
            let (k1, k2, k3) = (ks[0], ks[1], ks[2]);
            m.assign(k1, &mut w);
            m.assign(k2, &mut w);
            m.count_write(&mut w);
            let h3 = m.key_hash(k3);
            let Assign::New(cell) = m.assign_find_hashed(k3, h3, &mut w) else {
                panic!("k3 is new");
            };
            assert_eq!((cell.bucket, cell.slot), (0, 2));
            assert!(m.delete(k2, &mut w));
            assert_eq!(m.buckets.buckets[0].tophash[1], bucket::EMPTY_REST);
            m.assign_store(cell, k3);
            m.set_count(2);
            let walks_on = match layout.fast {
                FastPath::Slow => false,
                FastPath::Fast32 | FastPath::Fast64 => true,
                FastPath::FastStr => b > 0,
            };
            let what = format!("{:?} B={b}", layout.fast);
            assert_eq!(m.get(k3, &mut w), walks_on, "{what}");
            let deleted = m.clone().delete_find(k3, &mut w).is_some();
            assert_eq!(deleted, layout.fast != FastPath::Slow, "{what}");
            assert!(m.get(k1, &mut w), "{what}");
        }
    }
}

#[test]
fn fast_misses_probe_overflow_buckets_after_empty_rest() {
    // Without any race: 9 keys of one bucket fill it and one overflow bucket; deleting them
    // all leaves emptyRest everywhere but keeps the overflow bucket linked (maps never
    // shrink). A missing key's mapaccess1/mapdelete stop at the first cell; the _fast64
    // ones walk into the overflow bucket: one probe more each.
    let mut probes = Vec::new();
    for layout in [slow64(), MapLayout::INT64_INT64] {
        let (mut m, mut w) = new_map_with(layout, 100, 14);
        assert_eq!(m.b(), 4);
        let ks = keys_in_bucket(&m, 0, 4, 0, 10);
        let other = key_in_bucket(&m, 1, 4, 0);
        m.assign(other, &mut w);
        for &k in &ks[..9] {
            m.assign(k, &mut w);
        }
        assert_eq!(m.noverflow(), 1);
        for &k in &ks[..9] {
            assert!(m.delete(k, &mut w));
        }
        assert_eq!(m.buckets.buckets[0].tophash[0], bucket::EMPTY_REST);
        let before = w.overflow_probes;
        assert!(!m.get(ks[9], &mut w));
        m.count_write(&mut w);
        assert_eq!(m.delete_find(ks[9], &mut w), None);
        probes.push(w.overflow_probes - before);
    }
    assert_eq!(probes, vec![0, 2]);
}

#[test]
fn faststr_lookup_of_a_one_bucket_map_ignores_overflow_buckets() {
    // map_faststr.go: mapaccess1_faststr with h.B == 0 loops over the 8 cells of
    // h.buckets only; mapaccess1 and mapaccess1_fast64 follow b.overflow. A B = 0 map gets an
    // overflow bucket only when racing inserts lost `h.count++`: here 9 keys are stored while
    // the count says 1, so mapassign's growth check does not fire for the 9th.
    for layout in [slow64(), MapLayout::INT64_INT64, faststr()] {
        let (mut m, mut w) = new_map_with(layout, 0, 1);
        for k in 0..9u64 {
            m.count_write(&mut w);
            let h = m.key_hash(k);
            let Assign::New(cell) = m.assign_find_hashed(k, h, &mut w) else {
                panic!("new key");
            };
            m.assign_store(cell, k);
            m.set_count(1);
        }
        assert_eq!((m.b(), m.noverflow()), (0, 1));
        let found = m.get(8, &mut w);
        assert_eq!(found, layout.fast != FastPath::FastStr, "{:?}", layout.fast);
        assert!(m.get(0, &mut w));
    }
}

/// A map[K]int64 of B = 3 where goroutine A's mapassign chose cell 0 of bucket 0 (freed by a
/// delete; cell 1 still holds `k2`), then goroutine B's inserts started a doubling growth
/// that evacuated old bucket 0, and only then A stored its key: into the old array, whose
/// bucket 0 now looks not evacuated. Returns the map, A's key and k2.
fn stale_store_into_evacuated_bucket(layout: MapLayout) -> (ClassicMap, Work, u64, u64) {
    let (mut m, mut w) = new_map_with(layout, 0, 2);
    for k in 0..52u64 {
        m.assign(k, &mut w);
    }
    assert!((m.b(), m.growing(), m.len()) == (3, false, 52));
    let first = m.buckets.buckets[0];
    assert!(first.tophash[0] >= bucket::MIN_TOP_HASH && first.tophash[1] >= bucket::MIN_TOP_HASH);
    let (k1, k2) = (first.keys[0], first.keys[1]);
    assert!(m.delete(k1, &mut w));
    // A: mapassign up to the search.
    let ka = key_in_bucket(&m, 0, 3, 1000);
    m.count_write(&mut w);
    let Assign::New(cell) = m.assign_find_hashed(ka, m.key_hash(ka), &mut w) else {
        panic!("new key");
    };
    assert_eq!((cell.bucket, cell.slot), (0, 0));
    // B: two inserts into other buckets; the second is the 53rd key: hashGrow, then growWork
    // evacuates its own old bucket and old bucket nevacuate = 0.
    let b1 = key_in_bucket(&m, 1, 3, 2000);
    let b2 = key_in_bucket(&m, 2, 3, 3000);
    m.assign(b1, &mut w);
    m.assign(b2, &mut w);
    assert!(m.growing() && m.oldbuckets.buckets[0].evacuated());
    // A: the store lands in old bucket 0.
    m.assign_store(cell, ka);
    m.set_count(m.len() + 1);
    assert!(!m.oldbuckets.buckets[0].evacuated());
    (m, w, ka, k2)
}

#[test]
fn evacuating_a_bucket_that_only_looks_unevacuated_is_a_bad_map_state() {
    // runtime/map.go: evacuate checks evacuated(b) on cell 0 only; the other cells of the
    // bucket still say evacuatedX/Y/Empty, and `if top < minTopHash { throw("bad map
    // state") }`. The model records it instead of panicking, in every build.
    for layout in [slow64(), MapLayout::INT64_INT64, faststr()] {
        let (mut m, mut w, _, _) = stale_store_into_evacuated_bucket(layout);
        assert!(!m.take_bad_state());
        // Any write whose growWork reaches old bucket 0.
        let k = key_in_bucket(&m, 0, 4, 5000);
        m.assign(k, &mut w);
        assert!(m.take_bad_state(), "{:?}", layout.fast);
        assert!(!m.take_bad_state(), "taking the state clears it");
    }
    assert_eq!(FATAL_BAD_MAP_STATE, "bad map state");
}

#[test]
fn fast64_lookup_in_an_old_bucket_sees_keys_evacuate_left_or_cleared() {
    // mapaccess1_fast64 reads old bucket 0 because its cell 0 says not evacuated, and
    // compares keys of every non-empty cell: cell 1 (evacuatedX/Y) still holds k2 in a
    // map[int64]int64, whose buckets have no pointers. For map[*T]int64 evacuate cleared
    // keys and elems (memclrHasPointers(add(b, dataOffset), ...)), so k2 is no longer
    // there. mapaccess1 compares tophashes first and never matches an evacuated cell.
    let ptr_key = with_fast(MapLayout::new(8, true, 8, false), FastPath::Fast64);
    for (layout, finds_k2) in [
        (MapLayout::INT64_INT64, true),
        (ptr_key, false),
        (slow64(), false),
    ] {
        let (m, mut w, ka, k2) = stale_store_into_evacuated_bucket(layout);
        let cell1 = m.oldbuckets.buckets[0].tophash[1];
        assert!(cell1 == bucket::EVACUATED_X || cell1 == bucket::EVACUATED_Y);
        assert_eq!(m.get(k2, &mut w), finds_k2, "{layout:?}");
        assert!(m.get(ka, &mut w), "{layout:?}");
    }
}

/// Each allocation is counted against the runtime path that made it: makemap_small's hmap
/// (48 B), mapassign's `h.buckets = newobject(t.bucket)` for the first key (one 144-byte
/// bucket), hashGrow's array of 2 buckets (288 B) when the 9th key passes the load factor
/// of a B = 0 map.
#[test]
fn allocations_are_counted_by_runtime_path() {
    use crate::model::gomap::AllocSite;
    let (mut m, mut w) = new_map(0, 1);
    for k in 0..9 {
        m.assign(k, &mut w);
    }
    let at = |s: AllocSite| (w.site_bytes[s as usize], w.site_objects[s as usize]);
    assert_eq!(at(AllocSite::MakeMap), (48, 1));
    assert_eq!(at(AllocSite::Assign), (144, 1));
    assert_eq!(at(AllocSite::Grow), (288, 1));
    assert_eq!(w.site_bytes.iter().sum::<u64>(), w.alloc_bytes);
    assert_eq!(w.site_objects.iter().sum::<u64>(), w.alloc_objects);
}
