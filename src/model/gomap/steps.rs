//! The state racing goroutines touch step by step, for either map: the write-detection flag
//! (classic `hmap.flags & hashWriting`, Swiss `Map.writing`, both toggled with a plain XOR),
//! the count, and each operation's search apart from its write.

use super::classic::{Assign, Cell, HASH_WRITING, ITERATOR, OLD_ITERATOR};
use super::swiss::{SwissAssign, SwissCell};
use super::{GoMap, Work};

/// A slot a search found, in whichever map.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MapCell {
    /// A cell of a classic map's bucket.
    Classic(Cell),
    /// A slot of a Swiss map's group.
    Swiss(SwissCell),
}

/// What an assignment's search found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Found {
    /// The key is present: the write updates it in place.
    Existing(MapCell),
    /// Where the new key goes.
    New(MapCell),
    /// The runtime dies with this message (a Swiss small map found full by racing writers),
    /// or never returns (the classic map's [`super::classic::LIVELOCK`]).
    Fatal(&'static str),
}

impl GoMap {
    /// The write flag is set.
    pub fn writing(&self) -> bool {
        match self {
            GoMap::Classic(m) => m.flags() & HASH_WRITING != 0,
            GoMap::Swiss(m) => m.writing != 0,
        }
    }

    /// Where the key of `hash` lives: the classic map's bucket (runtime/map.go:
    /// `hash & bucketMask(h.B)`), the Swiss map's table (internal/runtime/maps/map.go:
    /// directoryIndex; 0 for a small map).
    pub fn home(&self, hash: u64) -> u64 {
        match self {
            GoMap::Classic(m) => hash & ((1u64 << m.b()) - 1),
            GoMap::Swiss(m) => m.directory_index(hash) as u64,
        }
    }

    /// The word the XOR loads: `h.flags` or `m.writing`.
    pub fn flag_word(&self) -> u64 {
        match self {
            GoMap::Classic(m) => u64::from(m.flags()),
            GoMap::Swiss(m) => u64::from(m.writing),
        }
    }

    /// The XOR's store (`flags ^= hashWriting`, `writing ^= 1`) of the word loaded earlier.
    pub fn store_toggled(&mut self, loaded: u64) {
        match self {
            GoMap::Classic(m) => m.set_flags(loaded as u8 ^ HASH_WRITING),
            GoMap::Swiss(m) => m.writing = loaded as u8 ^ 1,
        }
    }

    /// The store that ends a write: go1.19's `h.flags &^= hashWriting` clears the bit; go1.24
    /// toggles `m.writing ^= 1` again.
    pub fn store_cleared(&mut self, loaded: u64) {
        match self {
            GoMap::Classic(m) => m.set_flags(loaded as u8 & !HASH_WRITING),
            GoMap::Swiss(m) => m.writing = loaded as u8 ^ 1,
        }
    }

    /// An iterator starts: mapiterinit's `atomic.Or8(&h.flags, iterator|oldIterator)`; a
    /// Swiss Iter.Init touches no flag.
    pub fn iter_init(&mut self) {
        if let GoMap::Classic(m) = self {
            m.set_flags(m.flags() | ITERATOR | OLD_ITERATOR);
        }
    }

    /// The key's hash under the map's seed of this moment.
    pub fn key_hash(&self, key: u64) -> u64 {
        match self {
            GoMap::Classic(m) => m.key_hash(key),
            GoMap::Swiss(m) => m.key_hash(key),
        }
    }

    /// A write begins (counted for the `op` of map events).
    pub fn count_write(&mut self, work: &mut Work) {
        match self {
            GoMap::Classic(m) => m.count_write(work),
            GoMap::Swiss(m) => m.count_write(work),
        }
    }

    /// The events' counts are filled in at the end of a write.
    pub fn finish_write(&mut self) {
        match self {
            GoMap::Classic(m) => m.finish_write(),
            GoMap::Swiss(m) => m.finish_write(),
        }
    }

    /// The count written on its own (`h.count`, `m.used`).
    pub fn set_count(&mut self, count: u64) {
        match self {
            GoMap::Classic(m) => m.set_count(count),
            GoMap::Swiss(m) => m.set_used(count),
        }
    }

    /// A new hash seed, as a delete that empties the map draws.
    pub fn reseed(&mut self) {
        match self {
            GoMap::Classic(m) => m.reseed(),
            GoMap::Swiss(m) => m.reseed(),
        }
    }

    /// An assignment's search, growing the map as needed, up to the store.
    pub fn assign_find(&mut self, key: u64, hash: u64, work: &mut Work) -> Found {
        match self {
            GoMap::Classic(m) => match m.assign_find_hashed(key, hash, work) {
                Assign::Existing(c) => Found::Existing(MapCell::Classic(c)),
                Assign::New(c) => Found::New(MapCell::Classic(c)),
                Assign::Livelock => Found::Fatal(super::classic::LIVELOCK),
            },
            GoMap::Swiss(m) => match m.assign_find_hashed(key, hash, work) {
                SwissAssign::Existing(c) => Found::Existing(MapCell::Swiss(c)),
                SwissAssign::New(c) => Found::New(MapCell::Swiss(c)),
                SwissAssign::Fatal(msg) => Found::Fatal(msg),
            },
        }
    }

    /// The store of a new key into the slot its search found.
    pub fn assign_store(&mut self, cell: MapCell, key: u64) {
        match (self, cell) {
            (GoMap::Classic(m), MapCell::Classic(c)) => m.assign_store(c, key),
            (GoMap::Swiss(m), MapCell::Swiss(c)) => m.assign_store(c, key),
            _ => {}
        }
    }

    /// A delete's search: the key's slot if present; `Err(message)` where the runtime's
    /// probe would never end (a Swiss table racing writers filled).
    pub fn delete_find(
        &mut self,
        key: u64,
        hash: u64,
        work: &mut Work,
    ) -> Result<Option<MapCell>, &'static str> {
        match self {
            GoMap::Classic(m) => Ok(m.delete_find_hashed(key, hash, work).map(MapCell::Classic)),
            GoMap::Swiss(m) => Ok(m.delete_find_hashed(key, hash, work)?.map(MapCell::Swiss)),
        }
    }

    /// A delete's clearing of the slot found.
    pub fn delete_clear(&mut self, cell: MapCell, work: &mut Work) {
        match (self, cell) {
            (GoMap::Classic(m), MapCell::Classic(c)) => m.delete_clear(c, work),
            (GoMap::Swiss(m), MapCell::Swiss(c)) => m.delete_clear(c, work),
            _ => {}
        }
    }

    /// A lookup's search with the hash computed earlier; `Err(message)` where it would never
    /// end.
    pub fn lookup(&self, key: u64, hash: u64, work: &mut Work) -> Result<bool, &'static str> {
        match self {
            GoMap::Classic(m) => Ok(m.get_hashed(key, hash, work)),
            GoMap::Swiss(m) => {
                work.ops += 1;
                m.lookup_hashed(key, hash, work)
            }
        }
    }

    /// A Swiss-table map.
    pub fn is_swiss(&self) -> bool {
        matches!(self, GoMap::Swiss(_))
    }

    /// Whether the classic map's evacuation met a cell Go throws "bad map state" on since
    /// the last call (see `ClassicMap::take_bad_state`); never for a Swiss map.
    pub fn take_bad_state(&mut self) -> bool {
        match self {
            GoMap::Classic(m) => m.take_bad_state(),
            GoMap::Swiss(_) => false,
        }
    }
}
