//! Property tests of the classic map model: whatever the sequence of inserts, deletes and
//! reads, growth in progress or not, every live key is found exactly once, the count is
//! exact, B never decreases, and every byte allocated is either live or garbage.

mod prop_common;

use gomemsim::engine::Stream;
use gomemsim::model::gomap::{GoMap, MapLayout, Work};
use proptest::prelude::*;

use prop_common::{drive, layout, step};

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
        steps in prop::collection::vec(step(400, 2000), 1..40),
    ) {
        let mut w = Work::default();
        let mut m = GoMap::new(layout, hint, false, Stream::MapHash(0).rng(seed), &mut w);
        let GoMap::Classic(c) = &m else { unreachable!("made classic") };
        let mut last_b = c.b();
        drive(&mut m, &mut w, steps, seed, |m| {
            let GoMap::Classic(c) = m else {
                return Err(TestCaseError::fail("a classic map"));
            };
            prop_assert!(c.b() >= last_b, "B never decreases");
            last_b = c.b();
            Ok(())
        })?;
    }
}
