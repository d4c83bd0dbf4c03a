//! The Go source each step models: its file, its function and the statement, for a reader
//! following a schedule next to go1.19 runtime/map.go or go1.24 internal/runtime/maps.

use super::steps::{MapOp, StepKind};

/// Where a step is in the Go source.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Source {
    /// The file, relative to Go's src/.
    pub file: &'static str,
    /// The function.
    pub function: &'static str,
    /// The statement, as the source has it (abridged where it spans lines).
    pub code: &'static str,
}

impl StepKind {
    /// The Go source of this step of `op` (`None` outside a map operation) on a classic or
    /// (`swiss`) a Swiss-table map.
    pub fn source(self, op: Option<MapOp>, swiss: bool) -> Source {
        let (file, function) = match (self, op) {
            (StepKind::Lock | StepKind::Unlock, _) => ("sync/mutex.go", self.sync_function()),
            (StepKind::RLock | StepKind::RUnlock, _) => ("sync/rwmutex.go", self.sync_function()),
            (StepKind::GcStart, _) => ("runtime/mgc.go", "runtime.gcStart"),
            (StepKind::SliceLoad, _) => ("runtime/slice.go", "runtime.growslice"),
            (StepKind::Local | StepKind::SliceStore | StepKind::SliceSet, _) | (_, None) => {
                ("", "")
            }
            (_, Some(op)) if swiss => ("internal/runtime/maps/runtime_swiss.go", swiss_fn(op)),
            (_, Some(op)) => ("runtime/map.go", self.function(op)),
        };
        Source {
            file,
            function,
            code: self.code(op, swiss),
        }
    }

    fn sync_function(self) -> &'static str {
        match self {
            StepKind::Lock => "sync.(*Mutex).Lock",
            StepKind::Unlock => "sync.(*Mutex).Unlock",
            StepKind::RLock => "sync.(*RWMutex).RLock",
            _ => "sync.(*RWMutex).RUnlock",
        }
    }

    /// The statement: runtime/map.go (go1.19) or internal/runtime/maps (go1.24).
    fn code(self, op: Option<MapOp>, swiss: bool) -> &'static str {
        let delete = op == Some(MapOp::Delete);
        match (self, swiss) {
            (StepKind::CountCheck, false) => "if h == nil || h.count == 0 {",
            (StepKind::CountCheck, true) => "if m == nil || m.Used() == 0 {",
            (StepKind::EntryCheck, false) => match op {
                Some(MapOp::Access) => ENTRY_READ,
                _ => ENTRY_WRITE,
            },
            (StepKind::EntryCheck, true) => match op {
                Some(MapOp::Access) => {
                    "if m.writing != 0 { fatal(\"concurrent map read and map write\") }"
                }
                _ => "if m.writing != 0 { fatal(\"concurrent map writes\") }",
            },
            (StepKind::Hash, false) => "hash := t.hasher(key, uintptr(h.hash0))",
            (StepKind::Hash, true) => "hash := typ.Hasher(key, m.seed)",
            (StepKind::XorLoad, false) => "h.flags ^= hashWriting   // the load of h.flags",
            (StepKind::XorStore, false) => "h.flags ^= hashWriting   // the store",
            (StepKind::XorLoad, true) => "m.writing ^= 1   // the load of m.writing",
            (StepKind::XorStore, true) => "m.writing ^= 1   // the store",
            (StepKind::AssignFind, false) => {
                "bucket := hash & bucketMask(h.B); growWork; walk the bucket and its overflow chain (hashGrow, newoverflow)"
            }
            (StepKind::AssignFind, true) => {
                "idx := m.directoryIndex(hash); t.PutSlot: probe the groups (rehash, split)"
            }
            (StepKind::AssignStore, false) => "*inserti = top; typedmemmove(t.key, insertk, key)",
            (StepKind::AssignStore, true) => "g.ctrls().set(i, ctrl(h2(hash))); store the key",
            (StepKind::DeleteFind, false) => {
                "bucket := hash & bucketMask(h.B); growWork; walk the bucket for the key"
            }
            (StepKind::DeleteFind, true) => {
                "idx := m.directoryIndex(hash); t.Delete: probe the groups for the key"
            }
            (StepKind::DeleteClear, false) => "b.tophash[i] = emptyOne",
            (StepKind::DeleteClear, true) => "g.ctrls().set(i, ctrlDeleted)",
            (StepKind::CountLoad | StepKind::CountStore, false) if delete => "h.count--",
            (StepKind::CountLoad | StepKind::CountStore, false) => "h.count++",
            (StepKind::CountLoad | StepKind::CountStore, true) if delete => "m.used--",
            (StepKind::CountLoad | StepKind::CountStore, true) => "m.used++",
            (StepKind::ExitCheck, false) => {
                "if h.flags&hashWriting == 0 { fatal(\"concurrent map writes\") }"
            }
            (StepKind::ExitCheck, true) => "if m.writing == 0 { fatal(\"concurrent map writes\") }",
            (StepKind::ClearLoad, false) => "h.flags &^= hashWriting   // the load",
            (StepKind::ClearStore, false) => "h.flags &^= hashWriting   // the store",
            (StepKind::ClearLoad, true) => "m.writing ^= 1   // the load",
            (StepKind::ClearStore, true) => "m.writing ^= 1   // the store",
            (StepKind::Lookup, false) => "for ; b != nil; b = b.overflow(t) { … }",
            (StepKind::Lookup, true) => "t.getWithKey(typ, hash, key)",
            (StepKind::IterInit, false) => "atomic.Or8(&h.flags, iterator|oldIterator)",
            (StepKind::IterInit, true) => "it.Init(typ, m)",
            (StepKind::IterNext, false) => ITER_NEXT,
            (StepKind::IterNext, true) => {
                "if it.m.writing != 0 { fatal(\"concurrent map iteration and map write\") }"
            }
            (StepKind::Lock, _) => "mu.Lock()",
            (StepKind::Unlock, _) => "mu.Unlock()",
            (StepKind::RLock, _) => "mu.RLock()",
            (StepKind::RUnlock, _) => "mu.RUnlock()",
            (StepKind::GcStart, _) => "gcStart(gcTrigger{kind: gcTriggerHeap})",
            (StepKind::Local, _) => "(the goroutine's own work: no shared state)",
            (StepKind::SliceLoad, _) => {
                "s = append(s, x): load s (array, len, cap); growslice(…) when len == cap"
            }
            (StepKind::SliceStore, _) => "s = append(s, x): store x at s[len], then s itself",
            (StepKind::SliceSet, _) => "s = s[:0] or s = nil",
        }
    }
}

const ENTRY_WRITE: &str = "if h.flags&hashWriting != 0 { fatal(\"concurrent map writes\") }";
const ENTRY_READ: &str =
    "if h.flags&hashWriting != 0 { fatal(\"concurrent map read and map write\") }";
const ITER_NEXT: &str =
    "if h.flags&hashWriting != 0 { fatal(\"concurrent map iteration and map write\") }";

/// go1.24: the runtime's map functions, linknamed from internal/runtime/maps.
fn swiss_fn(op: MapOp) -> &'static str {
    match op {
        MapOp::Assign => "runtime_mapassign",
        MapOp::Delete => "runtime_mapdelete",
        MapOp::Access => "runtime_mapaccess1",
        MapOp::Iterate => "(*Iter).Next",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::sched::steps::{FATAL_ITER_WRITE, FATAL_READ_WRITE, FATAL_WRITES};

    #[test]
    fn the_checks_quote_the_messages_go_throws() {
        // Each fatal check's statement names the message the step model dies with.
        let entry = StepKind::EntryCheck.source(Some(MapOp::Assign), false);
        assert!(entry.code.contains(FATAL_WRITES));
        assert_eq!(entry.file, "runtime/map.go");
        assert_eq!(entry.function, "runtime.mapassign");
        let read = StepKind::EntryCheck.source(Some(MapOp::Access), true);
        assert!(read.code.contains(FATAL_READ_WRITE));
        assert_eq!(read.function, "runtime_mapaccess1");
        let iter = StepKind::IterNext.source(Some(MapOp::Iterate), false);
        assert!(iter.code.contains(FATAL_ITER_WRITE));
        assert_eq!(iter.function, "runtime.mapiternext");
        assert_eq!(StepKind::Local.source(None, false).file, "");
    }
}
