//! Iteration and the structural checks of a Swiss map.

use super::SwissMap;
use super::group::SLOTS;
use super::table::{MAX_AVG_GROUP_LOAD, MAX_TABLE_CAPACITY};
use crate::model::gomap::Work;

impl SwissMap {
    /// `for k := range m` over every entry, each table once; calls `visit` per key and
    /// returns how many. The order (Go's is randomised) is slot order here.
    pub fn iterate(&mut self, work: &mut Work, mut visit: impl FnMut(u64)) -> u64 {
        work.ops += 1;
        let mut n = 0;
        if let Some(g) = &self.small {
            for i in g.match_full() {
                visit(g.keys[i]);
                n += 1;
            }
        }
        for t in self.tables() {
            for k in t.keys() {
                visit(k);
                n += 1;
            }
        }
        work.iterated_entries += n;
        n
    }

    /// Every key, for checks.
    pub fn keys(&self) -> Vec<u64> {
        // `used` can be anything after racing writes: size from it only when it is sane.
        let mut v = Vec::with_capacity(self.used.min(1 << 20) as usize);
        if let Some(g) = &self.small {
            v.extend(g.match_full().map(|i| g.keys[i]));
        }
        for t in self.tables() {
            v.extend(t.keys());
        }
        v
    }

    /// The structure's invariants (table.go/map.go checkInvariants): counts agree, every key
    /// is found from its hash, every directory entry of a table of local depth d lies in its
    /// aligned run of 2^(global − d) entries, growth budgets add up, capacities are powers
    /// of two within 8..=1024.
    pub fn check_invariants(&self) -> Result<(), String> {
        let keys = self.keys();
        if keys.len() as u64 != self.used {
            return Err(format!("used {} but {} keys", self.used, keys.len()));
        }
        let mut w = Work::default();
        for &k in &keys {
            if !self.get_hashed(k, self.hash(k), &mut w) {
                return Err(format!("key {k} not found from its hash"));
            }
        }
        if self.directory.is_empty() {
            return Ok(());
        }
        if self.directory.len() != 1 << self.global_depth {
            return Err(format!(
                "directory of {} entries at global depth {}",
                self.directory.len(),
                self.global_depth
            ));
        }
        for (i, &ti) in self.directory.iter().enumerate() {
            let t = &self.tables[ti as usize];
            if t.local_depth > self.global_depth {
                return Err(format!("table at {i}: local depth above global"));
            }
            let width = 1usize << (self.global_depth - t.local_depth);
            if t.index % width != 0 || i < t.index || i >= t.index + width {
                return Err(format!("entry {i}: table index {} width {width}", t.index));
            }
        }
        for t in self.tables() {
            let cap = u64::from(t.capacity);
            if !cap.is_power_of_two() || !(SLOTS as u64..=MAX_TABLE_CAPACITY).contains(&cap) {
                return Err(format!("capacity {cap}"));
            }
            let full = t
                .groups
                .iter()
                .map(|g| g.match_full().count())
                .sum::<usize>();
            if full != usize::from(t.used) {
                return Err(format!("table used {} but {full} full slots", t.used));
            }
            let budget = cap * MAX_AVG_GROUP_LOAD / SLOTS as u64;
            if u64::from(t.used) + u64::from(t.growth_left) + u64::from(t.tombstones()) != budget {
                return Err(format!("table growth budget off: {t:?}"));
            }
        }
        Ok(())
    }
}
