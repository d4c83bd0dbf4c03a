//! The event queue: a min-heap on (time, sequence number). Events at the same virtual
//! instant run in the order they were scheduled, so a run never depends on heap internals.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

/// What an event does when it fires.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum EventKind {
    /// P `p` runs its next step; dropped unless `epoch` is still the P's generation.
    Proc { p: u32, epoch: u32 },
    /// An arrival from `[[arrivals]]` source `a`.
    Arrival(u32),
    /// A goroutine reached the GC trigger: stop the world and start a cycle.
    GcStart,
    /// The concurrent mark phase of the running GC cycle ends.
    GcMarkEnd,
    /// The periodic forced GC may be due (runtime/proc.go: forcegcperiod).
    ForceGc,
}

/// An event at virtual time `time` (ns); `seq` breaks ties.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Event {
    pub time: u64,
    pub seq: u64,
    pub kind: EventKind,
}

/// Pending events, earliest first.
#[derive(Debug, Default)]
pub struct EventQueue {
    heap: BinaryHeap<Reverse<Event>>,
    next_seq: u64,
}

impl EventQueue {
    pub fn new() -> Self {
        Self::default()
    }

    /// Schedules `kind` at `time`, after every event already scheduled for that instant.
    pub fn push(&mut self, time: u64, kind: EventKind) {
        let seq = self.next_seq;
        self.next_seq += 1;
        self.heap.push(Reverse(Event { time, seq, kind }));
    }

    /// The earliest event.
    pub fn pop(&mut self) -> Option<Event> {
        self.heap.pop().map(|Reverse(e)| e)
    }

    /// Time of the earliest pending event, or `u64::MAX` when none is pending.
    pub fn next_time(&self) -> u64 {
        self.heap.peek().map_or(u64::MAX, |Reverse(e)| e.time)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn orders_by_time_then_insertion() {
        let mut q = EventQueue::new();
        q.push(10, EventKind::Arrival(0));
        q.push(5, EventKind::Arrival(1));
        q.push(10, EventKind::Arrival(2));
        q.push(5, EventKind::Arrival(3));
        let order: Vec<_> = std::iter::from_fn(|| q.pop()).map(|e| e.kind).collect();
        assert_eq!(
            order,
            [1, 3, 0, 2].map(EventKind::Arrival).to_vec(),
            "ties keep scheduling order"
        );
    }
}
