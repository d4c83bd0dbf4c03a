//! Property tests of the Swiss-table map model: whatever the sequence of inserts, deletes,
//! updates and churn, across small-to-table conversion, grows and splits, every live key is
//! found exactly once, the count is exact, capacity and directory depth never decrease,
//! the directory's invariants hold (each table's entries an aligned run of 2^(global − local)),
//! and every byte allocated is either live or garbage.

use std::collections::HashSet;

use gomemsim::engine::Stream;
use gomemsim::model::gomap::{MapLayout, SwissMap, Work};
use proptest::prelude::*;

#[derive(Debug, Clone)]
enum Step {
    Insert(u16),
    Delete(u32),
    Update(u32),
    Churn(u16),
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        3 => (1u16..1500).prop_map(Step::Insert),
        3 => any::<u32>().prop_map(Step::Delete),
        1 => any::<u32>().prop_map(Step::Update),
        2 => (1u16..3000).prop_map(Step::Churn),
    ]
}

fn layout() -> impl Strategy<Value = MapLayout> {
    prop_oneof![
        Just(MapLayout::INT64_INT64),
        // map[string]int64: pointerful groups.
        Just(MapLayout::new(16, true, 8, false)),
        // map[[200]byte]int64: indirect keys (a pointer in the slot, an object per key).
        Just(MapLayout::new(200, false, 8, false)),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn no_key_lost_across_grow_and_split(
        seed in any::<u64>(),
        hint in prop_oneof![Just(0u64), 0u64..5000],
        layout in layout(),
        steps in prop::collection::vec(step(), 1..30),
    ) {
        let mut w = Work::default();
        let mut m = SwissMap::new(layout, hint, Stream::MapHash(0).rng(seed), &mut w);
        let mut live: Vec<u64> = Vec::new();
        let mut next = 0u64;
        let mut rng_pick = seed;
        let mut pick = |n: usize| {
            rng_pick = rng_pick.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            (rng_pick >> 33) as usize % n
        };
        let (mut last_cap, mut last_depth) = (m.capacity(), m.global_depth());
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
            // Maps never shrink; the directory only deepens.
            prop_assert!(m.capacity() >= last_cap);
            prop_assert!(m.global_depth() >= last_depth);
            last_cap = m.capacity();
            last_depth = m.global_depth();
            // At most 7/8 of the slots hold keys (tables), at most 8 in the small map.
            prop_assert!(m.len() * 8 <= m.capacity().max(8) * 7 || m.dir_len() == 0);
            let st = m.stats();
            prop_assert_eq!(st.bytes_allocated - st.bytes_garbage, m.live_bytes());
            prop_assert_eq!(w.alloc_bytes - w.garbage_bytes, m.live_bytes());
            prop_assert_eq!(m.len(), live.len() as u64);
            if let Err(e) = m.check_invariants() {
                return Err(TestCaseError::fail(e));
            }
        }
        for &k in &live {
            prop_assert!(m.get(k, &mut w), "key {} lost", k);
        }
        let seen = m.keys();
        prop_assert_eq!(seen.len(), live.len());
        let set: HashSet<u64> = seen.into_iter().collect();
        prop_assert_eq!(set, live.iter().copied().collect::<HashSet<u64>>());
        prop_assert!(!m.get(next, &mut w));
    }
}
