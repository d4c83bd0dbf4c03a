//! The GC CPU limiter of go1.19 runtime/mgclimit.go: a leaky bucket that fills with GC CPU
//! time beyond the mutator's and, when full, turns mark assists off so that the GC cannot
//! take more than about half the CPU — at the price of letting the heap pass its goal
//! (the death spiral it stops, golang/go#48409).

/// runtime/mgclimit.go: capacityPerProc — one second of CPU per P.
pub const CAPACITY_PER_PROC_NS: u64 = 1_000_000_000;

/// `gcCPULimiterState`, updated over windows of virtual time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Limiter {
    /// GC CPU time (ns) in the bucket.
    fill: u64,
    /// Bucket size (ns): GOMAXPROCS × capacityPerProc.
    capacity: u64,
    /// Total CPU time (ns) by which GC time exceeded a full bucket.
    pub overflow: u64,
}

impl Limiter {
    /// runtime/mgclimit.go: resetCapacity — GOMAXPROCS × 1 s of capacity, starting empty.
    pub fn new(procs: u32) -> Self {
        let capacity = u64::from(procs) * CAPACITY_PER_PROC_NS;
        Limiter {
            fill: 0,
            capacity,
            overflow: 0,
        }
    }

    /// The bucket is full: assists are off (runtime/mgcmark.go: gcAssistAlloc returns early).
    pub fn limiting(&self) -> bool {
        self.fill >= self.capacity
    }

    /// runtime/mgclimit.go: accumulate — GC time fills the bucket, mutator time drains it.
    pub fn accumulate(&mut self, mutator_ns: u64, gc_ns: u64) {
        let headroom = self.capacity - self.fill;
        if gc_ns > mutator_ns {
            let change = gc_ns - mutator_ns;
            if headroom <= change {
                self.overflow += change - headroom;
                self.fill = self.capacity;
            } else {
                self.fill += change;
            }
        } else {
            self.fill = self.fill.saturating_sub(mutator_ns - gc_ns);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fills_with_gc_time_beyond_mutator_time_and_caps() {
        let mut l = Limiter::new(2);
        assert_eq!(l.capacity, 2_000_000_000);
        l.accumulate(100, 1_500_000_100);
        assert_eq!(l.fill, 1_500_000_000);
        assert!(!l.limiting());
        l.accumulate(0, 600_000_000);
        assert!(l.limiting());
        assert_eq!(l.overflow, 100_000_000);
        // Mutator time drains it.
        l.accumulate(700_000_000, 0);
        assert_eq!(l.fill, 1_300_000_000);
        assert!(!l.limiting());
    }
}
