//! Iteration: mapiterinit and mapiternext of runtime/map.go, run to completion.

use super::bucket::{EVACUATED_EMPTY, EVACUATED_X, EVACUATED_Y, is_empty};
use super::{ClassicMap, ITERATOR, OLD_ITERATOR};
use crate::model::gomap::layout::BUCKET_CNT;
use crate::model::gomap::{AllocSite, Work};

impl ClassicMap {
    /// `for k := range m`: visits every entry once, starting at a random bucket and offset
    /// (mapiterinit), walking new buckets and, during a growth, the old buckets not yet
    /// evacuated, keeping only the entries that belong to the new bucket being walked
    /// (mapiternext's checkBucket). Calls `visit` with each key; returns how many.
    pub fn iterate(&mut self, work: &mut Work, mut visit: impl FnMut(u64)) -> u64 {
        work.ops += 1;
        if self.count == 0 {
            return 0;
        }
        if !self.bucket_has_pointers {
            // mapiterinit: h.createOverflow(), so the iterator can keep overflow buckets alive.
            let site = std::mem::replace(&mut self.stats.site, AllocSite::IterInit);
            self.create_overflow(work);
            self.stats.site = site;
        }
        let it_b = self.b;
        let r: u64 = if it_b > 31 - 3 {
            self.fastrand64()
        } else {
            u64::from(self.fastrand())
        };
        let nbuckets = 1u64 << it_b;
        let start_bucket = r & (nbuckets - 1);
        let offset = ((r >> it_b) & (BUCKET_CNT as u64 - 1)) as usize;
        self.flags |= ITERATOR | OLD_ITERATOR;

        let growing = self.growing();
        let same_size = self.same_size_grow();
        let oldmask = if growing { self.noldbuckets() - 1 } else { 0 };
        let mut visited = 0u64;
        for step in 0..nbuckets {
            let bucket = (start_bucket + step) & (nbuckets - 1);
            let (arr, mut b, check) = if growing {
                let oldbucket = bucket & oldmask;
                if !self.oldbuckets.buckets[oldbucket as usize].evacuated() {
                    (&self.oldbuckets, oldbucket as u32, true)
                } else {
                    (&self.buckets, bucket as u32, false)
                }
            } else {
                (&self.buckets, bucket as u32, false)
            };
            loop {
                let bk = &arr.buckets[b as usize];
                for i in 0..BUCKET_CNT {
                    let offi = (i + offset) & (BUCKET_CNT - 1);
                    let th = bk.tophash[offi];
                    if is_empty(th) || th == EVACUATED_EMPTY {
                        continue;
                    }
                    let key = bk.keys[offi];
                    if check && !same_size && self.hash(key) & (nbuckets - 1) != bucket {
                        // This entry will go to the other half of the new table: it is
                        // visited when the iterator reaches that bucket.
                        continue;
                    }
                    // Nothing moves during a run-to-completion iteration, so an old bucket
                    // walked here is never partly evacuated.
                    debug_assert!(th != EVACUATED_X && th != EVACUATED_Y);
                    visit(key);
                    visited += 1;
                }
                if bk.overflow == super::bucket::NONE {
                    break;
                }
                b = bk.overflow;
                work.overflow_probes += 1;
            }
        }
        work.iterated_entries += visited;
        visited
    }
}
