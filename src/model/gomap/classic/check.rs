//! Consistency checks of a map's whole state, for tests and property tests. Slow by design:
//! they walk every reachable cell as lookups and iteration would.

use std::collections::HashSet;

use super::ClassicMap;
use super::bucket::{BucketArray, EMPTY_REST, MIN_TOP_HASH, NONE, tophash};
use crate::model::gomap::layout::BUCKET_CNT;

impl ClassicMap {
    /// Checks the invariants the runtime relies on: each live entry sits in the bucket its
    /// hash selects (in the new array, or in an old bucket not yet evacuated) with its
    /// tophash; no key appears twice; the live cells number exactly `count`; no live cell
    /// follows an emptyRest; every old bucket below nevacuate is evacuated.
    pub fn check_invariants(&self) -> Result<(), String> {
        let mut seen = HashSet::new();
        let mut live = 0u64;
        if self.buckets.is_nil() {
            return if self.count == 0 {
                Ok(())
            } else {
                Err(format!("nil buckets but count {}", self.count))
            };
        }
        let nbuckets = 1u64 << self.b;
        let mut oldmask = 0;
        if self.growing() {
            let nold = self.noldbuckets();
            oldmask = nold - 1;
            if self.oldbuckets.buckets.len() < nold as usize {
                return Err("old array smaller than noldbuckets".into());
            }
            for ob in 0..self.nevacuate {
                if !self.oldbuckets.buckets[ob as usize].evacuated() {
                    return Err(format!("old bucket {ob} < nevacuate not evacuated"));
                }
            }
            for ob in 0..nold {
                if !self.oldbuckets.buckets[ob as usize].evacuated() {
                    self.check_chain(&self.oldbuckets, ob, oldmask, &mut seen, &mut live)?;
                }
            }
        }
        for bucket in 0..nbuckets {
            if self.growing() && !self.oldbuckets.buckets[(bucket & oldmask) as usize].evacuated() {
                // Not evacuated yet: the new bucket must still be untouched.
                let bk = &self.buckets.buckets[bucket as usize];
                if bk.tophash.iter().any(|&t| t != EMPTY_REST) || bk.overflow != NONE {
                    return Err(format!("new bucket {bucket} written before evacuation"));
                }
                continue;
            }
            self.check_chain(&self.buckets, bucket, nbuckets - 1, &mut seen, &mut live)?;
        }
        if live != self.count {
            return Err(format!("count is {} but {live} live cells", self.count));
        }
        Ok(())
    }

    fn check_chain(
        &self,
        arr: &BucketArray,
        bucket: u64,
        mask: u64,
        seen: &mut HashSet<u64>,
        live: &mut u64,
    ) -> Result<(), String> {
        let mut b = bucket as u32;
        let mut rest = false;
        let mut hops = 0usize;
        loop {
            let bk = &arr.buckets[b as usize];
            for i in 0..BUCKET_CNT {
                let th = bk.tophash[i];
                if th == EMPTY_REST {
                    rest = true;
                    continue;
                }
                if th < MIN_TOP_HASH {
                    continue;
                }
                if rest {
                    return Err(format!("live cell after emptyRest in bucket {bucket}"));
                }
                let key = bk.keys[i];
                let hash = self.hash(key);
                if tophash(hash) != th {
                    return Err(format!("key {key}: tophash {th} != {}", tophash(hash)));
                }
                if hash & mask != bucket {
                    return Err(format!(
                        "key {key} in bucket {bucket}, hash says {}",
                        hash & mask
                    ));
                }
                if !seen.insert(key) {
                    return Err(format!("key {key} appears twice"));
                }
                *live += 1;
            }
            if bk.overflow == NONE {
                return Ok(());
            }
            b = bk.overflow;
            hops += 1;
            if hops > arr.buckets.len() {
                return Err(format!("overflow cycle from bucket {bucket}"));
            }
        }
    }

    /// Every live key, in bucket order (new array, then unevacuated old buckets).
    pub fn keys(&self) -> Vec<u64> {
        let mut out = Vec::with_capacity(self.count as usize);
        let mut w = crate::model::gomap::Work::default();
        // A clone so that iteration's flag and fastrand draws leave `self` untouched.
        self.clone().iterate(&mut w, |k| out.push(k));
        out
    }
}
