//! The steps of Go's map operations around `hmap.flags & hashWriting`, after go1.19
//! runtime/map.go. A plain, non-atomic flag: the XOR that sets it is a load and a store, so
//! two writers can both pass the entry check, and one can undo the other's bit.

/// `fatal error: concurrent map writes` (mapassign, mapdelete).
pub const FATAL_WRITES: &str = "concurrent map writes";
/// `fatal error: concurrent map read and map write` (mapaccess1/2).
pub const FATAL_READ_WRITE: &str = "concurrent map read and map write";
/// `fatal error: concurrent map iteration and map write` (mapiternext).
pub const FATAL_ITER_WRITE: &str = "concurrent map iteration and map write";

/// Whether a schedule's end is a hang the simulation stopped (a `hang: ...` outcome, such as
/// the classic map's `LIVELOCK` or the Swiss map's `SWISS_HANG`) rather than Go's fatal error:
/// Go prints nothing for it.
pub fn is_hang(message: &str) -> bool {
    message.starts_with("hang: ")
}

/// One step of a goroutine.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum StepKind {
    /// `if h == nil || h.count == 0` at the top of mapdelete and mapaccess1.
    CountCheck,
    /// `if h.flags&hashWriting != 0 { fatal(...) }` at entry.
    EntryCheck,
    /// `hash := t.hasher(key, uintptr(h.hash0))`.
    Hash,
    /// `h.flags ^= hashWriting`, its load ...
    XorLoad,
    /// ... and its store.
    XorStore,
    /// mapassign's search: growWork, the bucket walk, hashGrow, newoverflow.
    AssignFind,
    /// `*inserti = top` and the key store.
    AssignStore,
    /// mapdelete's search: growWork and the bucket walk.
    DeleteFind,
    /// mapdelete's clearing of the cell (emptyOne / emptyRest).
    DeleteClear,
    /// `h.count++` / `h.count--`, its load ...
    CountLoad,
    /// ... and its store (mapdelete also reseeds hash0 when it stores 0).
    CountStore,
    /// `if h.flags&hashWriting == 0 { fatal("concurrent map writes") }` at exit.
    ExitCheck,
    /// `h.flags &^= hashWriting`, its load ...
    ClearLoad,
    /// ... and its store.
    ClearStore,
    /// mapaccess1's bucket walk.
    Lookup,
    /// mapiterinit: `atomic.Or8(&h.flags, iterator|oldIterator)`.
    IterInit,
    /// One mapiternext call: its hashWriting check, then one entry.
    IterNext,
    /// Lock of a sync.Mutex or sync.RWMutex.
    Lock,
    /// Unlock of a sync.Mutex or sync.RWMutex.
    Unlock,
    /// sync.RWMutex RLock.
    RLock,
    /// sync.RWMutex RUnlock.
    RUnlock,
    /// Work that touches no shared state (compute, allocation).
    Local,
    /// `s = append(s, x)`, its first half: load the slice header `s` (array, len, cap) and,
    /// when len == cap, call growslice (runtime/slice.go) for a bigger array.
    SliceLoad,
    /// ... its second half: store `x` at the end and the new header back into `s`. Another
    /// goroutine's store between the two halves is lost.
    SliceStore,
    /// `s = s[:0]` or `s = nil`: a store of the header alone.
    SliceSet,
    /// runtime/mgc.go: gcStart, called from mallocgc when an allocation reaches the heap
    /// trigger (gcTrigger.test). The first cycle's gcBgMarkStartWorkers takes the caller
    /// off its P, even in the middle of a map write.
    GcStart,
}

impl StepKind {
    /// Short name for tables and pictures.
    pub fn name(self) -> &'static str {
        match self {
            StepKind::CountCheck => "count check",
            StepKind::EntryCheck => "entry check",
            StepKind::Hash => "hash",
            StepKind::XorLoad => "flags ^= (load)",
            StepKind::XorStore => "flags ^= (store)",
            StepKind::AssignFind => "find slot",
            StepKind::AssignStore => "write slot",
            StepKind::DeleteFind => "find key",
            StepKind::DeleteClear => "clear slot",
            StepKind::CountLoad => "count (load)",
            StepKind::CountStore => "count (store)",
            StepKind::ExitCheck => "exit check",
            StepKind::ClearLoad => "flags &^= (load)",
            StepKind::ClearStore => "flags &^= (store)",
            StepKind::Lookup => "lookup",
            StepKind::IterInit => "iter init",
            StepKind::IterNext => "iter next",
            StepKind::Lock => "Lock",
            StepKind::Unlock => "Unlock",
            StepKind::RLock => "RLock",
            StepKind::RUnlock => "RUnlock",
            StepKind::Local => "compute",
            StepKind::SliceLoad => "append (load s)",
            StepKind::SliceStore => "append (store s)",
            StepKind::SliceSet => "set s",
            StepKind::GcStart => "gcStart",
        }
    }

    /// The short name on a classic or (`swiss`) a Swiss-table map, whose flag is
    /// `m.writing`, toggled with `^= 1` at both ends (go1.24 internal/runtime/maps), and
    /// whose count is `m.used`.
    pub fn name_on(self, swiss: bool) -> &'static str {
        if !swiss {
            return self.name();
        }
        match self {
            StepKind::XorLoad => "writing ^= (load)",
            StepKind::XorStore => "writing ^= (store)",
            StepKind::ClearLoad => "writing ^= (end, load)",
            StepKind::ClearStore => "writing ^= (end, store)",
            StepKind::CountLoad => "used (load)",
            StepKind::CountStore => "used (store)",
            kind => kind.name(),
        }
    }

    /// The Go runtime function the step belongs to, for reports.
    pub fn function(self, op: MapOp) -> &'static str {
        match op {
            MapOp::Assign => "runtime.mapassign",
            MapOp::Delete => "runtime.mapdelete",
            MapOp::Access => "runtime.mapaccess1",
            MapOp::Iterate => {
                if self == StepKind::IterInit {
                    "runtime.mapiterinit"
                } else {
                    "runtime.mapiternext"
                }
            }
        }
    }
}

/// mapassign's steps together take all of `[costs] map_op`: each step takes
/// [`StepKind::map_op_share`] 35ths of it.
pub const MAP_OP_SHARES: u64 = 35;

impl StepKind {
    /// The share, in [`MAP_OP_SHARES`]ths, of a map operation's fixed cost (`[costs]
    /// map_op`) this step takes: the hash and the bucket walk most of it, each load, store
    /// and check of `h.flags` or `h.count` a little (0 for steps that are not map steps).
    /// The bucket work beyond the first bucket (overflow probes, evacuation, allocation) is
    /// priced apart, by the work it did.
    pub fn map_op_share(self) -> u64 {
        match self {
            StepKind::AssignFind | StepKind::DeleteFind | StepKind::Lookup => 12,
            StepKind::Hash => 5,
            StepKind::IterNext => 4,
            StepKind::Lock
            | StepKind::Unlock
            | StepKind::RLock
            | StepKind::RUnlock
            | StepKind::Local
            | StepKind::SliceLoad
            | StepKind::SliceStore
            | StepKind::SliceSet
            | StepKind::GcStart => 0,
            _ => 2,
        }
    }
}

/// The map operations a goroutine performs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MapOp {
    /// `m[k] = v` (mapassign).
    Assign,
    /// `delete(m, k)` (mapdelete).
    Delete,
    /// `_ = m[k]` (mapaccess1).
    Access,
    /// `for k, v := range m` (mapiterinit, mapiternext).
    Iterate,
}

/// runtime/map.go: mapassign's steps, in order.
pub const ASSIGN: &[StepKind] = &[
    StepKind::EntryCheck,
    StepKind::Hash,
    StepKind::XorLoad,
    StepKind::XorStore,
    StepKind::AssignFind,
    StepKind::AssignStore,
    StepKind::CountLoad,
    StepKind::CountStore,
    StepKind::ExitCheck,
    StepKind::ClearLoad,
    StepKind::ClearStore,
];

/// runtime/map.go: mapdelete's steps, in order.
pub const DELETE: &[StepKind] = &[
    StepKind::CountCheck,
    StepKind::EntryCheck,
    StepKind::Hash,
    StepKind::XorLoad,
    StepKind::XorStore,
    StepKind::DeleteFind,
    StepKind::DeleteClear,
    StepKind::CountLoad,
    StepKind::CountStore,
    StepKind::ExitCheck,
    StepKind::ClearLoad,
    StepKind::ClearStore,
];

/// go1.24 internal/runtime/maps: Map.Delete's steps, in order. As mapdelete's, except that
/// the count goes down before the slot is cleared (deleteSmall: `m.used--`, then the slot;
/// table.Delete: `t.used--; m.used--`, then the control byte).
pub const DELETE_SWISS: &[StepKind] = &[
    StepKind::CountCheck,
    StepKind::EntryCheck,
    StepKind::Hash,
    StepKind::XorLoad,
    StepKind::XorStore,
    StepKind::DeleteFind,
    StepKind::CountLoad,
    StepKind::CountStore,
    StepKind::DeleteClear,
    StepKind::ExitCheck,
    StepKind::ClearLoad,
    StepKind::ClearStore,
];

/// runtime/map.go: mapaccess1's steps, in order.
pub const ACCESS: &[StepKind] = &[
    StepKind::CountCheck,
    StepKind::EntryCheck,
    StepKind::Hash,
    StepKind::Lookup,
];

impl MapOp {
    /// The step sequence of the operation (iteration's length depends on the map).
    pub fn steps(self) -> &'static [StepKind] {
        match self {
            MapOp::Assign => ASSIGN,
            MapOp::Delete => DELETE,
            MapOp::Access => ACCESS,
            MapOp::Iterate => &[StepKind::IterInit, StepKind::IterNext],
        }
    }

    /// The step sequence on a classic or (`swiss`) a Swiss-table map: only Delete differs.
    pub fn steps_for(self, swiss: bool) -> &'static [StepKind] {
        match self {
            MapOp::Delete if swiss => DELETE_SWISS,
            _ => self.steps(),
        }
    }

    /// Whether `-race` sees the operation as a write to the map (racewritepc) or a read
    /// (racereadpc).
    pub fn writes(self) -> bool {
        matches!(self, MapOp::Assign | MapOp::Delete)
    }
}
