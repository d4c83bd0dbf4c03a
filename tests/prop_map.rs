//! Property tests of the classic map model: whatever the sequence of inserts, deletes and
//! reads, growth in progress or not, every live key is found exactly once, the count is
//! exact, B never decreases, and every byte allocated is either live or garbage.

use std::collections::HashSet;

use gomemsim::engine::Stream;
use gomemsim::model::gomap::{ClassicMap, MapLayout, Work};
use proptest::prelude::*;

#[derive(Debug, Clone)]
enum Step {
    /// Insert this many fresh keys.
    Insert(u16),
    /// Delete the live key at this position (modulo the number of live keys).
    Delete(u32),
    /// Re-assign an existing key (an update, not an insert).
    Update(u32),
    /// Delete then insert, this many times.
    Churn(u16),
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        3 => (1u16..400).prop_map(Step::Insert),
        3 => any::<u32>().prop_map(Step::Delete),
        1 => any::<u32>().prop_map(Step::Update),
        2 => (1u16..2000).prop_map(Step::Churn),
    ]
}

fn layout() -> impl Strategy<Value = MapLayout> {
    prop_oneof![
        Just(MapLayout::INT64_INT64),
        // map[string]int64: pointerful buckets (overflow chains unlinked on evacuation).
        Just(MapLayout::new(16, true, 8, false)),
        // map[[200]byte]int64: indirect keys.
        Just(MapLayout::new(200, false, 8, false)),
    ]
}

/// A layout, sized by the go1.19 allocator or with go1.22's malloc headers.
fn sized_layout() -> impl Strategy<Value = MapLayout> {
    (layout(), any::<bool>()).prop_map(|(mut l, headers)| {
        l.alloc_headers = headers;
        l
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn every_live_key_is_found_exactly_once(
        seed in any::<u64>(),
        hint in prop_oneof![Just(0u64), 0u64..3000],
        layout in sized_layout(),
        steps in prop::collection::vec(step(), 1..40),
    ) {
        let mut w = Work::default();
        let mut m = ClassicMap::new(layout, hint, Stream::MapHash(0).rng(seed), &mut w);
        let mut live: Vec<u64> = Vec::new();
        let mut next = 0u64;
        let mut rng_pick = seed;
        let mut last_b = m.b();
        let mut pick = |n: usize| {
            rng_pick = rng_pick.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            (rng_pick >> 33) as usize % n
        };
        for s in steps {
            match s {
                Step::Insert(n) => for _ in 0..n {
                    prop_assert!(m.assign(next, &mut w));
                    live.push(next);
                    next += 1;
                },
                Step::Delete(i) => if !live.is_empty() {
                    let k = live.swap_remove(i as usize % live.len());
                    prop_assert!(m.delete(k, &mut w));
                    prop_assert!(!m.get(k, &mut w));
                },
                Step::Update(i) => if !live.is_empty() {
                    let k = live[i as usize % live.len()];
                    prop_assert!(!m.assign(k, &mut w), "existing key is updated, not inserted");
                },
                Step::Churn(n) => for _ in 0..n {
                    if !live.is_empty() {
                        let k = live.swap_remove(pick(live.len()));
                        prop_assert!(m.delete(k, &mut w));
                    }
                    prop_assert!(m.assign(next, &mut w));
                    live.push(next);
                    next += 1;
                },
            }
            prop_assert!(m.b() >= last_b, "B never decreases");
            let st = m.stats();
            prop_assert_eq!(
                st.bytes_allocated - st.bytes_garbage,
                m.live_bytes(),
                "allocated - garbage == live"
            );
            prop_assert_eq!(w.alloc_bytes - w.garbage_bytes, m.live_bytes());
            last_b = m.b();
            prop_assert_eq!(m.len(), live.len() as u64);
            if let Err(e) = m.check_invariants() {
                return Err(TestCaseError::fail(e));
            }
        }
        for &k in &live {
            prop_assert!(m.get(k, &mut w), "key {} lost", k);
        }
        // Iteration sees each live key exactly once.
        let seen = m.keys();
        prop_assert_eq!(seen.len(), live.len());
        let set: HashSet<u64> = seen.into_iter().collect();
        prop_assert_eq!(set, live.iter().copied().collect::<HashSet<u64>>());
        // Deleted and never-inserted keys are absent.
        prop_assert!(!m.get(next, &mut w));
    }
}
