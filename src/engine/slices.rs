//! Slices in a run: `make([]T, 0, cap)` at the start, and the append, reset and drop ops,
//! whose backing arrays go on the heap and whose old arrays become garbage.

use super::sim::Sim;
use crate::model::malloc::Malloc;
use crate::model::slice::{GROWSLICE_PANIC, Grow, Growth, Slice, SliceStats};

/// Growth rows kept per slice for slice_events.csv; `allocs` in summary.json counts all.
pub const MAX_SLICE_EVENTS: usize = 1 << 16;

/// A slice as the scenario declares it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SliceSetup {
    /// The slice's name.
    pub name: String,
    /// Its element type as written.
    pub elem: String,
    /// `unsafe.Sizeof` of the element.
    pub elem_size: u64,
    /// The element holds no pointers.
    pub noscan: bool,
    /// `make`'s capacity (0: a nil slice).
    pub cap: u64,
    /// Each goroutine has its own (`scope = "goroutine"`).
    pub local: bool,
    /// The release's allocator rules.
    pub malloc: Malloc,
}

impl SliceSetup {
    /// `make([]elem, 0, cap)`.
    pub fn make(&self) -> Slice {
        Slice::make(self.elem_size, self.noscan, self.cap, self.malloc)
    }
}

/// One slice in a run, with its growths so far.
#[derive(Debug)]
pub(crate) struct SliceSlot {
    /// The shared slice; for a goroutine's own, the one used last.
    pub(crate) slice: Slice,
    pub(crate) events: Vec<SliceEvent>,
    /// Each goroutine has its own: `local_stats` sums what the instances of ended
    /// goroutines allocated (each instance counts its own, [`Slice::stats`]).
    pub(crate) local: bool,
    pub(crate) local_stats: SliceStats,
    /// For a goroutine's own slice: the goroutine whose instance slice_events.csv follows
    /// (the first to use it), its appends so far, and whether it has ended.
    pub(crate) owner: Option<u32>,
    pub(crate) owner_appends: u64,
    pub(crate) owner_done: bool,
}

/// One growth of a slice, for slice_events.csv.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SliceEvent {
    /// The append that grew it: its 1-based index among the slice's appends.
    pub op: u64,
    /// What growslice did.
    pub growth: Growth,
    /// Virtual time of the growth (ns).
    pub at_ns: u64,
}

/// A slice at the end of a run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SliceOutcome {
    /// The slice's name.
    pub name: String,
    /// Its element type as written.
    pub elem: String,
    /// Length at the end.
    pub len: u64,
    /// Capacity at the end.
    pub cap: u64,
    /// Allocations over the run.
    pub stats: SliceStats,
    /// Single-element appends done.
    pub appends: u64,
    /// Its first [`MAX_SLICE_EVENTS`] growths.
    pub events: Vec<SliceEvent>,
}

impl SliceSlot {
    /// The slice at the end of the run; `alive`: the instances of a goroutine's own slice
    /// whose goroutines had not ended.
    pub(super) fn outcome<'a>(
        self,
        setup: &SliceSetup,
        appends: u64,
        alive: impl Iterator<Item = &'a Slice>,
    ) -> SliceOutcome {
        SliceOutcome {
            name: setup.name.clone(),
            elem: setup.elem.clone(),
            len: self.slice.len(),
            cap: self.slice.cap(),
            stats: if self.local {
                alive.fold(self.local_stats, |t, s| t.plus(s.stats()))
            } else {
                self.slice.stats()
            },
            appends,
            events: self.events,
        }
    }
}

impl Sim {
    /// Appends of goroutine `g` to slice `s`, `remaining` left in its op: those that fit
    /// before the next event (`horizon_ns`), and, if they reach the capacity, the one after
    /// them that grows the array (growslice: a new array on the heap, the old elements
    /// copied, the old array garbage). Returns the time of the growth: growslice cannot be
    /// preempted (runtime/slice.go: mallocgc and memmove run without a safe point), the
    /// appends around it can, like any loop of the program.
    pub(super) fn append_step(
        &mut self,
        g: usize,
        s: usize,
        remaining: u64,
        horizon_ns: u64,
    ) -> u64 {
        // The appends this step may take: up to the next event, so that a stop-the-world
        // or another P's turn finds the loop between two appends.
        let mut remaining = remaining;
        if horizon_ns != u64::MAX && self.config.slice_append_ps > 0 {
            let left = (horizon_ns * 1000).saturating_sub(self.goroutines[g].time_ps);
            remaining = remaining.min(left.div_ceil(self.config.slice_append_ps).max(1));
        }
        let local = self.slices[s].local;
        let slice = if local {
            self.own_slice(g, s)
        } else {
            &mut self.slices[s].slice
        };
        let (k, grow) = slice.append_until_growth(remaining);
        let (scan, elem_size) = (slice.scans(), slice.elem_size());
        if local {
            self.slices[s].slice = slice.clone();
        }
        let growth = match grow {
            Grow::Grew(gr) => Some(gr),
            Grow::Fitted => None,
            Grow::OutOfRange => {
                self.die(GROWSLICE_PANIC, g as u32);
                None
            }
        };
        self.slice_appends[s] += k;
        // A goroutine's own slice: the events follow one instance, the first goroutine's.
        let slot = &mut self.slices[s];
        if local && slot.owner.is_none() {
            slot.owner = Some(g as u32);
        }
        let followed = !local || (slot.owner == Some(g as u32) && !slot.owner_done);
        if local && followed {
            slot.owner_appends += k;
        }
        let op = if local {
            slot.owner_appends
        } else {
            self.slice_appends[s]
        };
        let mut cost = k.saturating_mul(self.config.slice_append_ps);
        let mut growth_cost = 0;
        if let Some(gr) = growth {
            let slot = &mut self.slices[s];
            if followed && slot.events.len() < MAX_SLICE_EVENTS {
                slot.events.push(SliceEvent {
                    op,
                    growth: gr,
                    at_ns: self.goroutines[g].time_ps / 1000,
                });
            }
            let swept = !self.gc.cycles.is_empty() || self.gc.marking();
            let copied = gr.cap_before.saturating_mul(elem_size);
            growth_cost = self
                .config
                .object_ps(gr.bytes_after, swept)
                .saturating_add(copied.saturating_mul(self.config.memmove_per_kib_ps) / 1024);
            cost = cost.saturating_add(growth_cost);
            let gs = &self.goroutines[g];
            self.profile
                .malloc(gs.program as usize, gs.cursor.pc, gr.bytes_after, 1, false);
            let scan_new = if scan { gr.bytes_after } else { 0 };
            let pages = self.gc.alloc(gr.bytes_after, 1, gr.bytes_after, scan_new);
            let scan_old = if scan { gr.bytes_before } else { 0 };
            self.gc.heap.drop_reachable(gr.bytes_before, scan_old);
            self.pay_pages(g, &pages, false);
        }
        self.goroutines[g].cursor.advance(k);
        self.charge_shared(g, cost, growth.is_some());
        if growth.is_some() {
            self.trace_heap(g);
        }
        growth_cost
    }

    /// Goroutine `g`'s own instance of slice `s`, made (`s := make([]T, 0, cap)`) the first
    /// time it uses it.
    fn own_slice(&mut self, g: usize, s: usize) -> &mut Slice {
        let i = match self.goroutines[g]
            .slices
            .iter()
            .position(|(i, _)| *i as usize == s)
        {
            Some(i) => i,
            None => {
                self.make_local_slice(g, s);
                self.goroutines[g].slices.len() - 1
            }
        };
        &mut self.goroutines[g].slices[i].1
    }

    /// `s := make([]T, 0, cap)` in goroutine `g`, which has no instance of slice `s` yet.
    fn make_local_slice(&mut self, g: usize, s: usize) {
        let slice = self.slice_setups[s].make();
        let bytes = slice.array_bytes();
        if bytes > 0 {
            let scan = if slice.scans() { bytes } else { 0 };
            let gs = &self.goroutines[g];
            self.profile
                .malloc(gs.program as usize, gs.cursor.pc, bytes, 1, false);
            let pages = self.gc.alloc(bytes, 1, bytes, scan);
            self.pay_pages(g, &pages, false);
        }
        self.goroutines[g].slices.push((s as u32, slice));
    }

    /// A goroutine ended: its own slices' arrays become garbage.
    pub(super) fn drop_local_slices(&mut self, g: usize) {
        for (s, mut slice) in std::mem::take(&mut self.goroutines[g].slices) {
            if self.slices[s as usize].owner == Some(g as u32) {
                self.slices[s as usize].owner_done = true;
            }
            let scan = slice.scans();
            let bytes = slice.drop_array();
            self.gc
                .heap
                .drop_reachable(bytes, if scan { bytes } else { 0 });
            let st = &mut self.slices[s as usize].local_stats;
            *st = st.plus(slice.stats());
        }
    }

    /// `cost` of goroutine `g`'s own work during whatever the GC is doing: as map_op charges
    /// it ([`Gc::shared_cost`](super::gc::Gc::shared_cost)).
    fn charge_shared(&mut self, g: usize, cost: u64, allocates: bool) {
        let (cost, assisting) = self
            .gc
            .shared_cost(cost, allocates, self.goroutines[g].time_ps);
        self.assist_ps_cycle += assisting;
        let gs = &mut self.goroutines[g];
        gs.time_ps = gs.time_ps.saturating_add(cost);
        gs.busy = 1.0;
    }

    /// `s = s[:0]` for slice `s` in goroutine `g`.
    pub(super) fn reset_slice(&mut self, g: usize, s: usize) {
        if self.slices[s].local {
            self.own_slice(g, s).reset();
        } else {
            self.slices[s].slice.reset();
        }
    }

    /// `s = nil` for slice `s` in goroutine `g`: its array stops being reachable.
    pub(super) fn drop_slice(&mut self, g: usize, s: usize) {
        let (bytes, scan) = if self.slices[s].local {
            let own = &mut self.goroutines[g].slices;
            match own.iter_mut().find(|(i, _)| *i as usize == s) {
                Some((_, sl)) => (sl.drop_array(), sl.scans()),
                // Never used: `s = nil` on a slice not made yet leaves it nil.
                None => (0, false),
            }
        } else {
            let slot = &mut self.slices[s];
            (slot.slice.drop_array(), slot.slice.scans())
        };
        self.gc
            .heap
            .drop_reachable(bytes, if scan { bytes } else { 0 });
    }
}
