//! A Swiss map's writes as the steps racing goroutines interleave, around the same state as
//! the whole operations: PutSlot's search (growing as needed) apart from its store, Delete's
//! search apart from its clearing, and `m.used` read and written on its own. A write found in
//! a group that a racing rebuild has since replaced lands in the old group: the key is lost,
//! as in the runtime.

use rand_chacha::rand_core::Rng;

use super::group::{CTRL_EMPTY, SLOTS, h2};
use super::table::{Probe, SWISS_HANG, Slot};
use super::{SwissMap, Work};
use crate::model::gomap::AllocSite;

/// `fatal("small map with no empty slot (concurrent map writes?)")` in map.go:
/// putSlotSmall, reached only when racing writers filled the group behind `used`'s back.
pub const FATAL_SMALL_FULL: &str = "small map with no empty slot (concurrent map writes?)";

/// [`SwissCell::table`] of the small map's group.
const SMALL: u32 = u32::MAX;

/// A slot found by a search: in which table (or the small group) of which generation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SwissCell {
    table: u32,
    generation: u32,
    group: u32,
    slot: u8,
    h2: u8,
}

/// What PutSlot's search found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SwissAssign {
    /// The key is there: its elem is overwritten, nothing else changes.
    Existing(SwissCell),
    /// The slot a new key will take.
    New(SwissCell),
    /// The runtime dies with this message.
    Fatal(&'static str),
}

impl SwissMap {
    /// A write begins: counts it (the `op` of map events) and the operation.
    pub fn count_write(&mut self, work: &mut Work) {
        work.ops += 1;
        self.stats.writes += 1;
        self.events_mark = self.events.len();
    }

    /// Fills in the events' counts at the end of a write.
    pub fn finish_write(&mut self) {
        self.end_write();
    }

    /// `m.used`, written on its own (the step after the store).
    pub fn set_used(&mut self, used: u64) {
        self.used = used;
    }

    /// `m.seed = uintptr(rand())`: Delete's reseed when the map becomes empty.
    pub fn reseed(&mut self) {
        self.seed = self.rng.next_u64();
    }

    fn cell(&self, ti: usize, group: usize, slot: usize, hash: u64) -> SwissCell {
        SwissCell {
            table: ti as u32,
            generation: self.tables[ti].generation,
            group: group as u32,
            slot: slot as u8,
            h2: h2(hash),
        }
    }

    fn small_cell(&self, slot: usize, hash: u64) -> SwissCell {
        SwissCell {
            table: SMALL,
            generation: self.small_gen,
            group: 0,
            slot: slot as u8,
            h2: h2(hash),
        }
    }

    /// map.go: PutSlot after the hash and the toggle of `writing`, up to the store: the
    /// small group (made by growToSmall if there is none; converted by growToTable when it
    /// holds 8), then the table the directory picks, rehashed and searched again until the
    /// key or a free slot is found. An indirect key/elem is allocated for a new key.
    pub fn assign_find_hashed(&mut self, key: u64, hash: u64, work: &mut Work) -> SwissAssign {
        self.stats.site = AllocSite::Assign;
        if self.directory.is_empty() {
            if self.small.is_none() {
                self.grow_to_small(work);
            }
            if self.used < SLOTS as u64 {
                let g = self.small.as_ref().expect("a small map has its group");
                if let Some(i) = g.match_h2(h2(hash)).find(|&i| g.keys[i] == key) {
                    return SwissAssign::Existing(self.small_cell(i, hash));
                }
                let free = g.match_empty_or_deleted();
                if free.is_empty() {
                    return SwissAssign::Fatal(FATAL_SMALL_FULL);
                }
                self.alloc_entry(work);
                return SwissAssign::New(self.small_cell(free.first(), hash));
            }
            self.grow_to_table(work);
        }
        loop {
            let ti = self.directory[self.directory_index(hash)] as usize;
            match self.tables[ti].find_slot(key, hash, work) {
                Slot::Existing(g, i) => return SwissAssign::Existing(self.cell(ti, g, i, hash)),
                Slot::Free(g, i) => {
                    self.alloc_entry(work);
                    return SwissAssign::New(self.cell(ti, g, i, hash));
                }
                Slot::Rehash => self.rehash(ti, work),
                Slot::Endless => return SwissAssign::Fatal(SWISS_HANG),
            }
        }
    }

    /// An indirect key and an indirect elem are each a `newobject` of their own
    /// (table.go: PutSlot, map.go: putSlotSmall).
    fn alloc_entry(&mut self, work: &mut Work) {
        for bytes in [self.key_object_bytes, self.elem_object_bytes] {
            if bytes > 0 {
                self.stats.alloc(bytes, work);
            }
        }
    }

    /// PutSlot's store into the slot found: the key, its control byte and, in a table,
    /// `growthLeft--` and `used++`. Into a group that has since been replaced it is lost.
    pub fn assign_store(&mut self, cell: SwissCell, key: u64) {
        let (g, i) = (cell.group as usize, usize::from(cell.slot));
        if cell.table == SMALL {
            if let Some(group) = self
                .small
                .as_mut()
                .filter(|_| self.small_gen == cell.generation)
            {
                group.keys[i] = key;
                group.set_ctrl(i, cell.h2);
            }
        } else if let Some(t) = self.tables.get_mut(cell.table as usize)
            && t.generation == cell.generation
        {
            t.store(g, i, key, cell.h2);
        }
    }

    /// Delete's search after the hash and the toggle: the key's slot, if present; `Err`
    /// with [`SWISS_HANG`] where the runtime's probe would never end.
    pub fn delete_find_hashed(
        &self,
        key: u64,
        hash: u64,
        work: &mut Work,
    ) -> Result<Option<SwissCell>, &'static str> {
        if self.directory.is_empty() {
            let Some(g) = self.small.as_ref() else {
                return Ok(None);
            };
            let i = g.match_h2(h2(hash)).find(|&i| g.keys[i] == key);
            return Ok(i.map(|i| self.small_cell(i, hash)));
        }
        let ti = self.directory[self.directory_index(hash)] as usize;
        match self.tables[ti].find(key, hash, work) {
            Probe::At(g, i) => Ok(Some(self.cell(ti, g, i, hash))),
            Probe::Absent => Ok(None),
            Probe::Endless => Err(SWISS_HANG),
        }
    }

    /// Get's search with the hash computed earlier; `Err` where it would never end.
    pub fn lookup_hashed(
        &self,
        key: u64,
        hash: u64,
        work: &mut Work,
    ) -> Result<bool, &'static str> {
        if self.directory.is_empty() {
            return Ok(self.get_hashed(key, hash, work));
        }
        let ti = self.directory[self.directory_index(hash)] as usize;
        match self.tables[ti].find(key, hash, work) {
            Probe::At(..) => Ok(true),
            Probe::Absent => Ok(false),
            Probe::Endless => Err(SWISS_HANG),
        }
    }

    /// Delete's clearing of the slot found (map.go: deleteSmall; table.go: Delete): in the
    /// small group the slot is empty again; in a table `used--` and empty or a tombstone.
    /// An indirect key/elem becomes garbage.
    pub fn delete_clear(&mut self, cell: SwissCell, work: &mut Work) {
        let (g, i) = (cell.group as usize, usize::from(cell.slot));
        if cell.table == SMALL {
            if let Some(group) = self
                .small
                .as_mut()
                .filter(|_| self.small_gen == cell.generation)
            {
                group.set_ctrl(i, CTRL_EMPTY);
            }
        } else if let Some(t) = self.tables.get_mut(cell.table as usize)
            && t.generation == cell.generation
        {
            t.clear_slot(g, i);
        }
        for bytes in [self.key_object_bytes, self.elem_object_bytes] {
            if bytes > 0 {
                self.stats.garbage(bytes, work);
            }
        }
    }
}
