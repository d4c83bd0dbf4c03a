//! One table of a Swiss map: at most 1024 slots in groups of 8, probed by H1, after go1.24
//! internal/runtime/maps/table.go. A table never grows in place: `rehash` builds a table of
//! twice the capacity (grow) or two tables of 1024 slots (split), and the map swaps them in.

use super::group::{CTRL_DELETED, CTRL_EMPTY, Group, SLOTS, h1, h2};
use crate::model::gomap::Work;

/// table.go: maxTableCapacity — a table holds at most 1024 slots; past that it splits.
pub const MAX_TABLE_CAPACITY: u64 = 1024;
/// group.go: maxAvgGroupLoad — at most 7 of every 8 slots are used before a table rehashes.
pub const MAX_AVG_GROUP_LOAD: u64 = 7;

/// table.go: probeSeq — triangular probing over groups: h1, h1+1, h1+3, h1+6, ... modulo
/// the group count, which visits every group once when the count is a power of two.
#[derive(Debug, Clone, Copy)]
struct ProbeSeq {
    mask: u64,
    offset: u64,
    index: u64,
}

impl ProbeSeq {
    #[inline(always)]
    fn new(hash: u64, mask: u64) -> Self {
        ProbeSeq {
            mask,
            offset: h1(hash) & mask,
            index: 0,
        }
    }

    #[inline(always)]
    fn next(&mut self) {
        self.index += 1;
        self.offset = (self.offset + self.index) & self.mask;
    }
}

/// Where a lookup's probe ended (table.go: getWithKey, Delete).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Probe {
    /// The key is at (group, slot).
    At(usize, usize),
    /// A group with an empty slot ended the probe: the key is absent.
    Absent,
    /// Every group was probed and none had an empty slot: the runtime's `for` loop would
    /// never end. Only racing writers can fill a table so (see [`SWISS_HANG`]).
    Endless,
}

/// What the simulation reports when a probe would never end: racing inserts passed the
/// `growthLeft > 0` check together, `growthLeft` wrapped, and the table filled to the last
/// slot. Go has no message for it; it hangs.
pub const SWISS_HANG: &str =
    "hang: the probe finds no empty slot (racing inserts filled the table past its budget)";

/// Where table.PutSlot's search ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Slot {
    /// The key is at (group, slot).
    Existing(usize, usize),
    /// A new key goes to (group, slot); `growthLeft` allowed it (a tombstone's reuse gave
    /// its growth back already).
    Free(usize, usize),
    /// No room: the table must rehash first.
    Rehash,
    /// No group has an empty slot: PutSlot would probe forever ([`SWISS_HANG`]).
    Endless,
}

/// What table.PutSlot did with a key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Put {
    /// The key was there: its elem is overwritten.
    Updated,
    /// A new key took a slot (`used` went up).
    Inserted,
    /// No room: the table must rehash, then the map retries the key.
    Rehash,
}

/// A table (`table` in table.go).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Table {
    /// Full slots.
    pub used: u16,
    /// Slots: a power of two, 8..=1024.
    pub capacity: u16,
    /// New keys this table takes before it must rehash; tombstones use it up too.
    pub growth_left: u16,
    /// Hash bits this table's keys share (extendible hashing).
    pub local_depth: u8,
    /// Which table this is, among all the map ever made: a write found in a table that a
    /// racing rehash has since replaced lands in the old one, lost.
    pub generation: u32,
    /// First directory entry pointing at this table.
    pub index: usize,
    /// The table's groups: `capacity / 8` of them.
    pub groups: Vec<Group>,
}

impl Table {
    /// table.go: newTable — capacity raised to 8 and rounded up to a power of two (callers
    /// never ask for more than 1024), every control byte empty (`reset`).
    pub fn new(capacity: u64, index: usize, local_depth: u8, generation: u32) -> Table {
        let capacity = capacity
            .max(SLOTS as u64)
            .next_power_of_two()
            .min(MAX_TABLE_CAPACITY);
        let mut t = Table {
            used: 0,
            capacity: capacity as u16,
            growth_left: 0,
            local_depth,
            generation,
            index,
            groups: vec![Group::default(); capacity as usize / SLOTS],
        };
        t.reset_growth_left();
        t
    }

    /// table.go: resetGrowthLeft — 7/8 of the slots (all but one in a table of one group).
    fn reset_growth_left(&mut self) {
        let cap = u64::from(self.capacity);
        self.growth_left = if cap <= SLOTS as u64 {
            (cap - 1) as u16
        } else {
            (cap * MAX_AVG_GROUP_LOAD / SLOTS as u64) as u16
        };
    }

    fn mask(&self) -> u64 {
        self.groups.len() as u64 - 1
    }

    /// table.go: tombstones — slots that are deleted, not empty: the growth budget less
    /// `used` and `growthLeft`, in the runtime's wrapping uint16 arithmetic.
    pub fn tombstones(&self) -> u16 {
        let budget = u64::from(self.capacity) * MAX_AVG_GROUP_LOAD / SLOTS as u64;
        (budget as u16)
            .wrapping_sub(self.used)
            .wrapping_sub(self.growth_left)
    }

    /// table.go: getWithKey — whether `key` is here (false where Go would probe forever).
    /// Groups visited past the first count as probes.
    pub fn get(&self, key: u64, hash: u64, work: &mut Work) -> bool {
        matches!(self.find(key, hash, work), Probe::At(..))
    }

    /// The probe for `key`: until a match or a group with an empty slot.
    pub fn find(&self, key: u64, hash: u64, work: &mut Work) -> Probe {
        let mut seq = ProbeSeq::new(hash, self.mask());
        let h = h2(hash);
        for n in 0..self.groups.len() {
            if n > 0 {
                work.overflow_probes += 1;
            }
            let g = &self.groups[seq.offset as usize];
            for i in g.match_h2(h) {
                if g.keys[i] == key {
                    return Probe::At(seq.offset as usize, i);
                }
            }
            if !g.match_empty().is_empty() {
                return Probe::Absent;
            }
            seq.next();
        }
        Probe::Endless
    }

    /// table.go: PutSlot — update `key` if present, else take the first tombstone on its
    /// probe path or the empty slot that ends it, if `growthLeft` allows; a reused tombstone
    /// costs no growth.
    pub fn put(&mut self, key: u64, hash: u64, work: &mut Work) -> Put {
        match self.find_slot(key, hash, work) {
            Slot::Existing(..) => Put::Updated,
            Slot::Free(gi, i) => {
                self.store(gi, i, key, h2(hash));
                Put::Inserted
            }
            Slot::Rehash | Slot::Endless => Put::Rehash,
        }
    }

    /// PutSlot's search, up to the store: the key's slot, or the slot a new key takes (a
    /// reused tombstone gives its growth back here, as PutSlot does before its check), or
    /// the need to rehash.
    pub fn find_slot(&mut self, key: u64, hash: u64, work: &mut Work) -> Slot {
        let mut seq = ProbeSeq::new(hash, self.mask());
        let h = h2(hash);
        let mut first_deleted: Option<(usize, usize)> = None;
        for n in 0..self.groups.len() {
            if n > 0 {
                work.overflow_probes += 1;
            }
            let gi = seq.offset as usize;
            let g = &self.groups[gi];
            for i in g.match_h2(h) {
                if g.keys[i] == key {
                    return Slot::Existing(gi, i);
                }
            }
            let free = g.match_empty_or_deleted();
            if !free.is_empty() {
                let i = free.first();
                if g.ctrl_at(i) == CTRL_DELETED {
                    // A group with a tombstone has no empty slot: look further for the key.
                    first_deleted.get_or_insert((gi, i));
                } else {
                    let (gi, i) = match first_deleted {
                        Some(slot) => {
                            self.growth_left = self.growth_left.wrapping_add(1);
                            slot
                        }
                        None => (gi, i),
                    };
                    if self.growth_left == 0 {
                        return Slot::Rehash;
                    }
                    return Slot::Free(gi, i);
                }
            }
            seq.next();
        }
        // Every group probed and none had an empty slot: the runtime's loop goes round
        // forever (a tombstone alone never ends it).
        Slot::Endless
    }

    /// PutSlot's store: the key and its control byte, `growthLeft--`, `used++`. With racing
    /// writers the slot may have been taken meanwhile and the budget spent: the counters
    /// then go wrong as the runtime's would (uint16 arithmetic).
    pub fn store(&mut self, gi: usize, i: usize, key: u64, h: u8) {
        let g = &mut self.groups[gi];
        g.keys[i] = key;
        g.set_ctrl(i, h);
        self.growth_left = self.growth_left.wrapping_sub(1);
        self.used = self.used.wrapping_add(1);
    }

    /// table.go: uncheckedPutSlot — place a key known to be absent in the first free slot of
    /// its probe path (used while rebuilding, where there are no tombstones).
    pub fn unchecked_put(&mut self, key: u64, hash: u64) {
        let mut seq = ProbeSeq::new(hash, self.mask());
        loop {
            let gi = seq.offset as usize;
            let free = self.groups[gi].match_empty_or_deleted();
            if !free.is_empty() {
                self.store(gi, free.first(), key, h2(hash));
                return;
            }
            seq.next();
        }
    }

    /// table.go: Delete — the slot becomes empty (and gives its growth back) when its group
    /// has an empty slot, else a tombstone, so probes for other keys still pass it.
    pub fn delete(&mut self, key: u64, hash: u64, work: &mut Work) -> bool {
        let Probe::At(gi, i) = self.find(key, hash, work) else {
            return false;
        };
        self.clear_slot(gi, i);
        true
    }

    /// Delete's clearing of a found slot: `used--`, then empty or a tombstone.
    pub fn clear_slot(&mut self, gi: usize, i: usize) {
        self.used = self.used.wrapping_sub(1);
        let g = &mut self.groups[gi];
        if g.match_empty().is_empty() {
            g.set_ctrl(i, CTRL_DELETED);
        } else {
            g.set_ctrl(i, CTRL_EMPTY);
            self.growth_left = self.growth_left.wrapping_add(1);
        }
    }

    /// Every key in slot order (group 0 slot 0 first), as grow and split walk them.
    pub fn keys(&self) -> impl Iterator<Item = u64> + '_ {
        self.groups
            .iter()
            .flat_map(|g| g.match_full().map(move |i| g.keys[i]))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A hash whose H1 picks group `group` and whose H2 is `h2`.
    fn hash(group: u64, h2: u64) -> u64 {
        (group << 7) | h2
    }

    #[test]
    fn capacities_and_growth_as_new_table_sets_them() {
        let t = Table::new(16, 0, 0, 0);
        assert_eq!((t.capacity, t.growth_left, t.groups.len()), (16, 14, 2));
        assert_eq!(Table::new(571, 0, 1, 0).capacity, 1024);
        assert_eq!(Table::new(1024, 0, 1, 0).growth_left, 896);
        assert_eq!(Table::new(3, 0, 0, 0).capacity, 8);
        assert_eq!(Table::new(3, 0, 0, 0).growth_left, 7);
    }

    #[test]
    fn probing_is_triangular_over_groups() {
        // 8 groups: a key hashed to group 5 whose groups 5 and 6 are full lands in group 0
        // (5, then 5+1 = 6, then 6+2 = 8 & 7 = 0).
        let mut t = Table::new(64, 0, 0, 0);
        let mut w = Work::default();
        for k in 0..16u64 {
            let g = if k < 8 { 5 } else { 6 };
            t.groups[g].keys[(k % 8) as usize] = 1000 + k;
            t.groups[g].set_ctrl((k % 8) as usize, 1);
        }
        t.used = 16;
        t.growth_left -= 16;
        assert_eq!(t.put(7, hash(5, 2), &mut w), Put::Inserted);
        assert_eq!(t.groups[0].keys[0], 7);
        assert_eq!(w.overflow_probes, 2);
        assert!(t.get(7, hash(5, 2), &mut w));
    }

    #[test]
    fn deletes_leave_tombstones_only_in_full_groups() {
        let mut t = Table::new(16, 0, 0, 0);
        let mut w = Work::default();
        // Fill group 0 with 8 keys, group 1 with 1.
        for k in 0..8u64 {
            assert_eq!(t.put(k, hash(0, k), &mut w), Put::Inserted);
        }
        assert_eq!(t.put(100, hash(1, 1), &mut w), Put::Inserted);
        assert_eq!(t.growth_left, 14 - 9);
        // Group 0 was full: a tombstone, growth not given back.
        assert!(t.delete(3, hash(0, 3), &mut w));
        assert_eq!(t.groups[0].ctrl_at(3), CTRL_DELETED);
        assert_eq!((t.used, t.growth_left, t.tombstones()), (8, 5, 1));
        // Group 1 had empty slots: the slot is empty again and growth comes back.
        assert!(t.delete(100, hash(1, 1), &mut w));
        assert_eq!(t.groups[1].ctrl_at(0), CTRL_EMPTY);
        assert_eq!((t.used, t.growth_left, t.tombstones()), (7, 6, 1));
        // A new key probing group 0 reuses the tombstone, at no cost in growth.
        assert_eq!(t.put(50, hash(0, 9), &mut w), Put::Inserted);
        assert_eq!(t.groups[0].keys[3], 50);
        assert_eq!((t.used, t.growth_left, t.tombstones()), (8, 6, 0));
    }

    #[test]
    fn a_new_key_rehashes_only_when_growth_is_used_up() {
        let mut t = Table::new(16, 0, 0, 0);
        let mut w = Work::default();
        for k in 0..14u64 {
            assert_eq!(
                t.put(k, k.wrapping_mul(0x9E37_79B9_7F4A_7C15), &mut w),
                Put::Inserted
            );
        }
        assert_eq!(t.growth_left, 0);
        // Updating is fine; the 15th new key asks for a rehash.
        assert_eq!(
            t.put(3, 3u64.wrapping_mul(0x9E37_79B9_7F4A_7C15), &mut w),
            Put::Updated
        );
        assert_eq!(
            t.put(99, 99u64.wrapping_mul(0x9E37_79B9_7F4A_7C15), &mut w),
            Put::Rehash
        );
        assert_eq!(t.keys().count(), 14);
    }
}
