//! Property tests of the Swiss-table map model: whatever the sequence of inserts, deletes,
//! updates and churn, across small-to-table conversion, grows and splits, every live key is
//! found exactly once, the count is exact, capacity and directory depth never decrease,
//! the directory's invariants hold (each table's entries an aligned run of 2^(global − local)),
//! and every byte allocated is either live or garbage.

mod prop_common;

use gomemsim::engine::Stream;
use gomemsim::model::gomap::{GoMap, Work};
use proptest::prelude::*;

use prop_common::{drive, layout, step};

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn no_key_lost_across_grow_and_split(
        seed in any::<u64>(),
        hint in prop_oneof![Just(0u64), 0u64..5000],
        layout in layout(),
        steps in prop::collection::vec(step(1500, 3000), 1..30),
    ) {
        let mut w = Work::default();
        let mut m = GoMap::new(layout, hint, true, Stream::MapHash(0).rng(seed), &mut w);
        let GoMap::Swiss(s) = &m else { unreachable!("made Swiss") };
        let (mut last_cap, mut last_depth) = (s.capacity(), s.global_depth());
        drive(&mut m, &mut w, steps, seed, |m| {
            let GoMap::Swiss(s) = m else {
                return Err(TestCaseError::fail("a Swiss map"));
            };
            // Maps never shrink; the directory only deepens.
            prop_assert!(s.capacity() >= last_cap);
            prop_assert!(s.global_depth() >= last_depth);
            last_cap = s.capacity();
            last_depth = s.global_depth();
            // At most 7/8 of a table's slots hold keys; a small map holds at most 8.
            prop_assert!(s.len() * 8 <= s.capacity().max(8) * 7 || s.dir_len() == 0);
            Ok(())
        })?;
    }
}
