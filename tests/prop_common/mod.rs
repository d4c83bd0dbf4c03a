//! What the map property tests share: the random workload (inserts, deletes, updates,
//! churn), the layouts, and the driver that applies a workload to a map of either
//! implementation and checks, after every step, what holds for both.
#![allow(dead_code)]

use std::collections::HashSet;

use gomemsim::model::gomap::{GoMap, MapLayout, Work};
use proptest::prelude::*;

#[derive(Debug, Clone)]
pub enum Step {
    /// Insert this many fresh keys.
    Insert(u16),
    /// Delete the live key at this position (modulo the number of live keys).
    Delete(u32),
    /// Re-assign an existing key (an update, not an insert).
    Update(u32),
    /// Delete then insert, this many times.
    Churn(u16),
}

/// A step, with inserts of up to `max_insert` keys and churns of up to `max_churn`.
pub fn step(max_insert: u16, max_churn: u16) -> impl Strategy<Value = Step> {
    prop_oneof![
        3 => (1u16..max_insert).prop_map(Step::Insert),
        3 => any::<u32>().prop_map(Step::Delete),
        1 => any::<u32>().prop_map(Step::Update),
        2 => (1u16..max_churn).prop_map(Step::Churn),
    ]
}

/// map[int64]int64; map[string]int64 (pointerful); map[[200]byte]int64 (indirect keys).
pub fn layout() -> impl Strategy<Value = MapLayout> {
    prop_oneof![
        Just(MapLayout::INT64_INT64),
        Just(MapLayout::new(16, true, 8, false)),
        Just(MapLayout::new(200, false, 8, false)),
    ]
}

/// Applies `steps` to `m` (fresh keys numbered from 0, deleted keys picked by an LCG from
/// `seed`). After every step: the count is exact, allocated − garbage is what the map keeps
/// alive (in its stats and in `w`), the implementation's invariants hold, and then `check`
/// holds. At the end every live key is found, iteration sees each exactly once, and a key
/// never inserted is absent.
pub fn drive(
    m: &mut GoMap,
    w: &mut Work,
    steps: Vec<Step>,
    seed: u64,
    mut check: impl FnMut(&GoMap) -> Result<(), TestCaseError>,
) -> Result<(), TestCaseError> {
    let mut live: Vec<u64> = Vec::new();
    let mut next = 0u64;
    let mut rng_pick = seed;
    let mut pick = |n: usize| {
        rng_pick = rng_pick
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (rng_pick >> 33) as usize % n
    };
    for s in steps {
        match s {
            Step::Insert(n) => {
                for _ in 0..n {
                    prop_assert!(m.assign(next, w));
                    live.push(next);
                    next += 1;
                }
            }
            Step::Delete(i) => {
                if !live.is_empty() {
                    let k = live.swap_remove(i as usize % live.len());
                    prop_assert!(m.delete(k, w));
                    prop_assert!(!m.get(k, w));
                }
            }
            Step::Update(i) => {
                if !live.is_empty() {
                    let k = live[i as usize % live.len()];
                    prop_assert!(!m.assign(k, w), "existing key is updated, not inserted");
                }
            }
            Step::Churn(n) => {
                for _ in 0..n {
                    if !live.is_empty() {
                        let k = live.swap_remove(pick(live.len()));
                        prop_assert!(m.delete(k, w));
                    }
                    prop_assert!(m.assign(next, w));
                    live.push(next);
                    next += 1;
                }
            }
        }
        let st = m.stats();
        prop_assert_eq!(
            st.bytes_allocated - st.bytes_garbage,
            m.live_bytes(),
            "allocated - garbage == live"
        );
        prop_assert_eq!(w.alloc_bytes - w.garbage_bytes, m.live_bytes());
        prop_assert_eq!(m.len(), live.len() as u64);
        if let Err(e) = m.check_invariants() {
            return Err(TestCaseError::fail(e));
        }
        check(m)?;
    }
    for &k in &live {
        prop_assert!(m.get(k, w), "key {} lost", k);
    }
    let seen = m.keys();
    prop_assert_eq!(seen.len(), live.len());
    let set: HashSet<u64> = seen.into_iter().collect();
    prop_assert_eq!(set, live.iter().copied().collect::<HashSet<u64>>());
    prop_assert!(!m.get(next, w));
    Ok(())
}
