//! The Swiss-table map of go1.24 internal/runtime/maps: up to 8 entries in one group (the
//! small map), then tables of at most 1024 slots under a directory indexed by the hash's top
//! bits (extendible hashing). A full table is rebuilt whole: twice the capacity up to 1024
//! slots (grow), then two tables of 1024 (split), doubling the directory when the table used
//! all of its bits. Each runtime function has a method of the same name: Map.PutSlot →
//! [`SwissMap::assign`], Map.Delete → [`SwissMap::delete`], Map.Get → [`SwissMap::get`],
//! NewMap, growToSmall, growToTable, table.rehash, grow, split, installTableSplit.

mod check;
pub mod group;
mod steps;
mod table;
#[cfg(test)]
mod tests;

pub use steps::{FATAL_SMALL_FULL, SwissAssign, SwissCell};
pub use table::{MAX_AVG_GROUP_LOAD, MAX_TABLE_CAPACITY, Probe, Put, SWISS_HANG, Slot, Table};

use rand_chacha::ChaCha8Rng;
use rand_chacha::rand_core::Rng;

use super::hash::hash_key;
use super::layout::MapLayout;
use super::{AllocSite, MapEvent, MapEventKind, MapStats, Work};
use crate::model::malloc::{Malloc, PTR_SIZE};
use group::{Group, SLOTS, h2};

/// `unsafe.Sizeof(maps.Map{})` on 64-bit: used, seed, dirPtr, dirLen, globalDepth,
/// globalShift, writing, clearSeq (asserted in reflectdata/map_swiss.go).
const MAP_SIZE: u64 = 48;
/// `unsafe.Sizeof(maps.table{})`: used, capacity, growthLeft, localDepth, index, groups.
const TABLE_SIZE: u64 = 32;
/// runtime/malloc.go: maxAlloc on linux/amd64; NewMap gives an empty map past it.
const MAX_ALLOC: u64 = 1 << 48;

/// A Swiss-table Go map (`maps.Map`) with simulated keys.
#[derive(Debug, Clone)]
pub struct SwissMap {
    layout: MapLayout,
    malloc: Malloc,
    /// `typ.GroupSize`.
    group_size: u64,
    /// Groups hold no pointers: their arrays are noscan.
    groups_noscan: bool,
    /// Heap bytes of the key object and of the elem object of one entry (0 unless stored
    /// indirectly).
    key_object_bytes: u64,
    elem_object_bytes: u64,

    // maps.Map
    used: u64,
    seed: u64,
    /// The `writing` flag: toggled with `^= 1` around every write; the race steps read it.
    pub writing: u8,
    /// dirPtr of a small map (dirLen == 0): its one group, once the first insert made it.
    small: Option<Group>,
    /// The tables; the directory holds indices into it.
    tables: Vec<Table>,
    /// dirPtr of a table map: `1 << global_depth` entries.
    directory: Vec<u32>,
    global_depth: u8,
    /// Generation of the next table (or small group) made; see [`Table::generation`].
    next_gen: u32,
    /// Generation of the small group.
    small_gen: u32,

    /// rand(), for this map: seeds.
    rng: ChaCha8Rng,

    // Instrumentation, not part of maps.Map.
    stats: MapStats,
    events: Vec<MapEvent>,
    /// Events pushed during the current write start here.
    events_mark: usize,
}

impl SwissMap {
    /// maps.NewMap — `make(map[K]V, hint)`. Up to 8 the map stays small and nothing but the
    /// header is allocated; past that the directory and its tables are made at once:
    /// `hint × 8/7` slots spread over a power-of-two number of tables of at most 1024.
    pub fn new(layout: MapLayout, hint: u64, mut rng: ChaCha8Rng, work: &mut Work) -> Self {
        let group_size = layout.swiss_group_size();
        let noscan = !layout.bucket_has_pointers();
        let mut m = SwissMap {
            layout,
            malloc: layout.malloc(),
            group_size,
            groups_noscan: noscan,
            key_object_bytes: layout.key_object_bytes(),
            elem_object_bytes: layout.elem_object_bytes(),
            used: 0,
            seed: rng.next_u64(),
            writing: 0,
            small: None,
            tables: Vec::new(),
            directory: Vec::new(),
            global_depth: 0,
            next_gen: 0,
            small_gen: 0,
            rng,
            stats: MapStats::default(),
            events: Vec::new(),
            events_mark: 0,
        };
        m.stats.alloc(MAP_SIZE, work);
        if hint <= SLOTS as u64 {
            return m;
        }
        let Some(target) = hint
            .checked_mul(SLOTS as u64)
            .map(|v| v / MAX_AVG_GROUP_LOAD)
        else {
            return m;
        };
        let dir_size = target.div_ceil(MAX_TABLE_CAPACITY).next_power_of_two();
        let too_big = dir_size
            .checked_mul(MAX_TABLE_CAPACITY)
            .and_then(|v| v.checked_mul(group_size))
            .is_none_or(|v| v > MAX_ALLOC);
        if too_big {
            return m;
        }
        m.global_depth = dir_size.trailing_zeros() as u8;
        m.alloc_directory(dir_size, work);
        for i in 0..dir_size as usize {
            let t = m.new_table(target / dir_size, i, m.global_depth, work);
            m.tables.push(t);
            m.directory.push(i as u32);
        }
        m
    }

    /// An upper bound on this simulation's own memory for a map of at most `max_keys` keys
    /// and `hint`: tables at 7/16 load at worst, twice over while one is rebuilt.
    pub fn sim_footprint_bytes(max_keys: u64, hint: u64) -> u64 {
        let slots = max_keys.max(hint).saturating_mul(16) / 7 + 2 * MAX_TABLE_CAPACITY;
        let group = std::mem::size_of::<Group>() as u64;
        (slots / SLOTS as u64)
            .saturating_mul(group)
            .saturating_mul(2)
            .saturating_add(max_keys.saturating_mul(8))
    }

    /// `len(m)` (`m.used`).
    pub fn len(&self) -> u64 {
        self.used
    }

    /// Whether `len(m)` is 0.
    pub fn is_empty(&self) -> bool {
        self.used == 0
    }

    /// The key/elem layout the map was made with.
    pub fn layout(&self) -> &MapLayout {
        &self.layout
    }

    /// The map's running totals.
    pub fn stats(&self) -> &MapStats {
        &self.stats
    }

    /// Growth events so far, in order.
    pub fn events(&self) -> &[MapEvent] {
        &self.events
    }

    /// `m.globalDepth`: the directory has `1 << global_depth` entries.
    pub fn global_depth(&self) -> u8 {
        self.global_depth
    }

    /// `m.dirLen`: 0 for a small map.
    pub fn dir_len(&self) -> usize {
        self.directory.len()
    }

    /// The distinct tables, in directory order.
    pub fn tables(&self) -> impl Iterator<Item = &Table> + '_ {
        let dir = &self.directory;
        dir.iter()
            .enumerate()
            .filter(move |&(i, &t)| i == 0 || dir[i - 1] != t)
            .map(|(_, &t)| &self.tables[t as usize])
    }

    /// Slots of the map: 8 for a small map with its group, else the tables' capacities.
    pub fn capacity(&self) -> u64 {
        if self.directory.is_empty() {
            return if self.small.is_some() {
                SLOTS as u64
            } else {
                0
            };
        }
        self.tables().map(|t| u64::from(t.capacity)).sum()
    }

    /// Heap bytes this map keeps alive: allocated minus garbage.
    pub fn live_bytes(&self) -> u64 {
        self.stats.bytes_allocated - self.stats.bytes_garbage
    }

    fn hash(&self, key: u64) -> u64 {
        hash_key(key, self.seed)
    }

    /// The key's hash under the map's current seed (`typ.Hasher(key, m.seed)`).
    pub fn key_hash(&self, key: u64) -> u64 {
        self.hash(key)
    }

    /// map.go: directoryIndex — the top `globalDepth` bits of the hash (0 with one entry,
    /// and for a small map, which has no directory).
    pub(crate) fn directory_index(&self, hash: u64) -> usize {
        if self.directory.len() <= 1 || self.global_depth == 0 {
            0
        } else {
            (hash >> (64 - u32::from(self.global_depth))) as usize
        }
    }

    /// Heap bytes of an array of `n` groups (`newarray(typ.Group, n)`).
    fn groups_bytes(&self, n: u64) -> u64 {
        self.malloc
            .alloc_size(n * self.group_size, self.groups_noscan)
    }

    /// Heap bytes of a directory of `n` table pointers (`make([]*table, n)`).
    fn directory_bytes(&self, n: u64) -> u64 {
        self.malloc.alloc_size(n * PTR_SIZE, false)
    }

    fn table_bytes(&self) -> u64 {
        self.malloc.alloc_size(TABLE_SIZE, false)
    }

    fn alloc_directory(&mut self, n: u64, work: &mut Work) {
        let bytes = self.directory_bytes(n);
        self.stats.alloc(bytes, work);
    }

    /// table.go: newTable, with its struct and group array allocated.
    fn new_table(&mut self, capacity: u64, index: usize, depth: u8, work: &mut Work) -> Table {
        let t = Table::new(capacity, index, depth, self.next_gen);
        self.next_gen += 1;
        self.stats.alloc(self.table_bytes(), work);
        self.stats
            .alloc(self.groups_bytes(t.groups.len() as u64), work);
        t
    }

    /// A table that was replaced: its struct and groups become garbage.
    fn drop_table(&mut self, groups: usize, work: &mut Work) {
        let bytes = self.table_bytes() + self.groups_bytes(groups as u64);
        self.stats.garbage(bytes, work);
    }

    /// Fills in `count` on the events this write pushed.
    pub(super) fn end_write(&mut self) {
        let used = self.used;
        for e in &mut self.events[self.events_mark..] {
            e.count = used;
        }
    }

    fn push_event(&mut self, kind: MapEventKind, slots_before: u64, slots_after: u64) {
        let tables = self.tables().count() as u64;
        self.events.push(MapEvent {
            op: self.stats.writes,
            kind,
            b_before: 0,
            b_after: 0,
            count: 0,
            noverflow: 0,
            slots_before,
            slots_after,
            global_depth: self.global_depth,
            tables,
        });
    }

    /// map.go: PutSlot — `m[key] = v`. Returns whether the key was new. The composition of
    /// the steps the race explorer interleaves (see `steps.rs`).
    pub fn assign(&mut self, key: u64, work: &mut Work) -> bool {
        self.count_write(work);
        let hash = self.hash(key);
        let new = match self.assign_find_hashed(key, hash, work) {
            SwissAssign::New(cell) => {
                self.assign_store(cell, key);
                self.used += 1;
                true
            }
            // One goroutine alone never finds a full small map with room left.
            SwissAssign::Existing(_) | SwissAssign::Fatal(_) => false,
        };
        self.end_write();
        new
    }

    /// map.go: growToSmall — the first insert allocates the one group.
    fn grow_to_small(&mut self, work: &mut Work) {
        let site = std::mem::replace(&mut self.stats.site, AllocSite::SmallGroup);
        self.grow_to_small_at(work);
        self.stats.site = site;
    }

    fn grow_to_small_at(&mut self, work: &mut Work) {
        self.small = Some(Group::default());
        self.small_gen = self.next_gen;
        self.next_gen += 1;
        let bytes = self.groups_bytes(1);
        self.stats.alloc(bytes, work);
    }

    /// map.go: growToTable — a full small map becomes one table of 16 slots under a
    /// directory of one entry; its 8 keys are placed again in slot order.
    fn grow_to_table(&mut self, work: &mut Work) {
        let g = self.small.take().expect("a small map has its group");
        let mut t = self.new_table(2 * SLOTS as u64, 0, 0, work);
        for i in g.match_full() {
            t.unchecked_put(g.keys[i], self.hash(g.keys[i]));
        }
        self.alloc_directory(1, work);
        let old = self.groups_bytes(1);
        self.stats.garbage(old, work);
        self.tables.push(t);
        self.directory.push(0);
        self.global_depth = 0;
        self.push_event(MapEventKind::SmallToTable, SLOTS as u64, 2 * SLOTS as u64);
    }

    /// table.go: rehash — twice the capacity while that stays within 1024 slots, else split.
    fn rehash(&mut self, ti: usize, work: &mut Work) {
        let cap = u64::from(self.tables[ti].capacity) * 2;
        if cap <= MAX_TABLE_CAPACITY {
            self.grow(ti, cap, work);
        } else {
            self.split(ti, work);
        }
    }

    /// table.go: grow — a new table of `capacity` slots takes every key (tombstones are left
    /// behind) and replaces the old one in the directory.
    fn grow(&mut self, ti: usize, capacity: u64, work: &mut Work) {
        let site = std::mem::replace(&mut self.stats.site, AllocSite::Grow);
        self.grow_at(ti, capacity, work);
        self.stats.site = site;
    }

    fn grow_at(&mut self, ti: usize, capacity: u64, work: &mut Work) {
        let (index, depth, old_cap, old_groups) = {
            let t = &self.tables[ti];
            (t.index, t.local_depth, t.capacity, t.groups.len())
        };
        let mut nt = self.new_table(capacity, index, depth, work);
        let keys: Vec<u64> = self.tables[ti].keys().collect();
        for &k in &keys {
            nt.unchecked_put(k, self.hash(k));
        }
        work.evacuated_buckets += old_groups as u64;
        work.evacuated_entries += keys.len() as u64;
        self.tables[ti] = nt;
        self.drop_table(old_groups, work);
        self.stats.growths += 1;
        self.push_event(MapEventKind::TableGrow, u64::from(old_cap), capacity);
    }

    /// table.go: split — two tables of 1024 slots, one local depth deeper; each key goes by
    /// its hash bit `64 − localDepth`; then map.go: installTableSplit.
    fn split(&mut self, ti: usize, work: &mut Work) {
        let site = std::mem::replace(&mut self.stats.site, AllocSite::Grow);
        self.split_at(ti, work);
        self.stats.site = site;
    }

    fn split_at(&mut self, ti: usize, work: &mut Work) {
        let (depth, old_groups) = {
            let t = &self.tables[ti];
            (t.local_depth + 1, t.groups.len())
        };
        let mut left = self.new_table(MAX_TABLE_CAPACITY, 0, depth, work);
        let mut right = self.new_table(MAX_TABLE_CAPACITY, 0, depth, work);
        let bit = 1u64 << (64 - u32::from(depth));
        let keys: Vec<u64> = self.tables[ti].keys().collect();
        for &k in &keys {
            let h = self.hash(k);
            if h & bit == 0 {
                left.unchecked_put(k, h);
            } else {
                right.unchecked_put(k, h);
            }
        }
        work.evacuated_buckets += old_groups as u64;
        work.evacuated_entries += keys.len() as u64;
        self.install_table_split(ti, left, right, work);
        self.drop_table(old_groups, work);
        self.stats.growths += 1;
        self.push_event(
            MapEventKind::TableSplit,
            MAX_TABLE_CAPACITY,
            MAX_TABLE_CAPACITY,
        );
    }

    /// map.go: installTableSplit — double the directory when the old table used every bit of
    /// it (each entry twice, indices doubled), then point the old table's entries at the two
    /// halves.
    fn install_table_split(
        &mut self,
        ti: usize,
        mut left: Table,
        mut right: Table,
        work: &mut Work,
    ) {
        if self.tables[ti].local_depth == self.global_depth {
            let old_len = self.directory.len() as u64;
            let doubled: Vec<u32> = self.directory.iter().flat_map(|&t| [t, t]).collect();
            for t in &mut self.tables {
                t.index *= 2;
            }
            self.alloc_directory(2 * old_len, work);
            let old = self.directory_bytes(old_len);
            self.stats.garbage(old, work);
            self.directory = doubled;
            self.global_depth += 1;
            self.push_event(MapEventKind::DirectoryGrow, old_len, 2 * old_len);
        }
        let width = 1usize << (self.global_depth - left.local_depth);
        left.index = self.tables[ti].index;
        right.index = left.index + width;
        let (li, ri) = (ti as u32, self.tables.len() as u32);
        for e in &mut self.directory[left.index..left.index + width] {
            *e = li;
        }
        for e in &mut self.directory[right.index..right.index + width] {
            *e = ri;
        }
        self.tables[ti] = left;
        self.tables.push(right);
    }

    /// map.go: Delete — `delete(m, key)`. Nothing happens on an empty map (and it is not
    /// counted as a write); the seed is drawn again when the map becomes empty
    /// (golang/go#25237). Returns whether the key was there.
    pub fn delete(&mut self, key: u64, work: &mut Work) -> bool {
        if self.used == 0 {
            work.ops += 1;
            return false;
        }
        self.count_write(work);
        let hash = self.hash(key);
        let found = match self.delete_find_hashed(key, hash, work).ok().flatten() {
            Some(cell) => {
                self.delete_clear(cell, work);
                self.used -= 1;
                if self.used == 0 {
                    self.reseed();
                }
                true
            }
            None => false,
        };
        self.end_write();
        found
    }

    /// map.go: Get — whether `key` is present. An empty map answers without hashing.
    pub fn get(&self, key: u64, work: &mut Work) -> bool {
        work.ops += 1;
        if self.used == 0 {
            return false;
        }
        self.get_hashed(key, self.hash(key), work)
    }

    /// The search of Get with the hash already computed.
    pub fn get_hashed(&self, key: u64, hash: u64, work: &mut Work) -> bool {
        if self.directory.is_empty() {
            return self
                .small
                .as_ref()
                .is_some_and(|g| g.match_h2(h2(hash)).any(|i| g.keys[i] == key));
        }
        let ti = self.directory[self.directory_index(hash)] as usize;
        self.tables[ti].get(key, hash, work)
    }
}
