//! What a step touches, for partial-order reduction: the footprint of a goroutine's next
//! step in an explored schedule.

use super::World;
use crate::engine::program::Instr;
use crate::model::sched::steps::{MapOp, StepKind};

/// What a goroutine's next step touches: two steps commute unless they touch the same map
/// and one of them writes it, the same lock, or both the heap (whichever allocates first
/// may be the one that reaches the GC trigger). Coarse (a map's flags, count and buckets
/// are one location), so never unsound for partial-order reduction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Footprint {
    map: Option<u32>,
    write: bool,
    lock: Option<u32>,
    /// The step may allocate or free heap memory, or start a GC cycle.
    heap: bool,
}

impl Footprint {
    /// The two steps may not be reordered.
    pub fn conflicts(&self, other: &Footprint) -> bool {
        (self.map.is_some() && self.map == other.map && (self.write || other.write))
            || (self.lock.is_some() && self.lock == other.lock)
            || (self.heap && other.heap)
    }
}

impl World {
    /// What goroutine `g`'s next step touches.
    pub fn footprint(&self, g: u32) -> Footprint {
        let gs = &self.goroutines[g as usize];
        if gs.gc_start_next {
            return Footprint {
                heap: true,
                ..Footprint::default()
            };
        }
        // A shared slice is a variable of its own, after the maps; its header's load may
        // grow the array (the heap), its store and a reset or drop write it.
        if let Some(s) = self.appending(g as usize) {
            return Footprint {
                map: Some(self.slice_id(s)),
                write: true,
                heap: true,
                ..Footprint::default()
            };
        }
        if let Some((
            Instr::Append { slice, .. } | Instr::Reset { slice } | Instr::Drop { slice },
            _,
        )) = self.next_instr(g as usize)
        {
            let shared = !self.slices[slice as usize].local;
            return Footprint {
                map: shared.then(|| self.slice_id(slice)),
                write: !matches!(self.next_instr(g as usize), Some((Instr::Append { .. }, _))),
                heap: true,
                ..Footprint::default()
            };
        }
        if let Some(st) = gs.op {
            let kind = match st.op {
                MapOp::Iterate if st.pc > 0 => StepKind::IterNext,
                _ => st.op.steps_for(self.maps[st.map as usize].map.is_swiss())[st.pc],
            };
            let write = matches!(
                kind,
                StepKind::XorStore
                    | StepKind::ClearStore
                    | StepKind::AssignFind
                    | StepKind::AssignStore
                    | StepKind::DeleteFind
                    | StepKind::DeleteClear
                    | StepKind::CountStore
                    | StepKind::IterInit
            );
            // Every step reads or writes the map, the hash step included (it reads hash0,
            // which mapdelete reseeds). The bucket work allocates (hashGrow, newoverflow).
            return Footprint {
                map: Some(st.map),
                write,
                lock: None,
                heap: matches!(kind, StepKind::AssignFind | StepKind::DeleteFind),
            };
        }
        match self.next_instr(g as usize) {
            // The first step of an operation is also its -race access.
            Some((
                Instr::Insert { map, .. } | Instr::Delete { map, .. } | Instr::Churn { map, .. },
                _,
            )) => Footprint {
                map: Some(map),
                write: true,
                ..Footprint::default()
            },
            Some((Instr::Read { map, .. }, _)) => Footprint {
                map: Some(map),
                ..Footprint::default()
            },
            // mapiterinit's atomic Or8 of the iterator flags.
            Some((Instr::Iterate { map }, _)) => Footprint {
                map: Some(map),
                write: true,
                ..Footprint::default()
            },
            Some((
                Instr::Lock { .. }
                | Instr::Unlock { .. }
                | Instr::Rlock { .. }
                | Instr::Runlock { .. },
                l,
            )) => Footprint {
                write: true,
                lock: Some(l),
                ..Footprint::default()
            },
            Some((Instr::Alloc { .. } | Instr::Retain { .. } | Instr::Free { .. }, _)) => {
                Footprint {
                    heap: true,
                    ..Footprint::default()
                }
            }
            _ => Footprint::default(),
        }
    }
}
