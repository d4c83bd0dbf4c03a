//! Slices in an explored schedule. `s = append(s, x)` on a shared slice takes two steps, as
//! the compiled code does: load the header `s` (growing the array with growslice when it is
//! full), then store `x` and the new header. Another goroutine's append between the two is
//! lost, and `-race` reports the unordered accesses to `s`. A goroutine's own slice
//! (`scope = "goroutine"`) races with nobody: its appends are one local step.

use super::World;
use crate::engine::program::Instr;
use crate::model::sched::steps::StepKind;
use crate::model::slice::{GROWSLICE_PANIC, Grow, Slice};

/// -race's function for each access to a shared slice.
const LOAD: &str = "s = append(s, x) (load s)";
const STORE: &str = "s = append(s, x) (store s)";
const RESET: &str = "s = s[:0]";
const DROP: &str = "s = nil";

/// A backing array: its heap bytes, whether the GC scans it, and how many headers (the
/// variable, appends between their halves) refer to it; it is garbage at 0.
#[derive(Debug, Clone, Copy)]
pub(super) struct Array {
    bytes: u64,
    scan: bool,
    refs: u32,
}

/// A slice variable of the program.
#[derive(Debug, Clone)]
pub(super) struct SliceVar {
    /// The shared header (unused for a goroutine's own slice).
    pub(super) slice: Slice,
    pub(super) array: Option<u32>,
    pub(super) local: bool,
    /// Appends stored since the last reset or drop: the length the slice would have if no
    /// append were lost.
    pub(super) expected: u64,
    /// Appends so far (a shared slice's loads; a goroutine's own slice: its followed
    /// instance's): slice_events.csv's `op`.
    pub(super) appends: u64,
    /// For a goroutine's own slice: the goroutine whose instance slice_events.csv follows,
    /// the first to append to it.
    pub(super) owner: Option<u32>,
    /// Growths recorded in the trace.
    pub(super) events: usize,
}

/// An append between its halves: the header it loaded (grown if it was full) and its array.
#[derive(Debug, Clone)]
pub(super) struct Appending {
    slice: u32,
    header: Slice,
    array: Option<u32>,
}

impl World {
    /// The slices as the start made them, with their arrays.
    pub(super) fn slice_vars(
        made: Vec<crate::engine::slices::SliceSlot>,
        local: impl Iterator<Item = bool>,
        arrays: &mut Vec<Array>,
    ) -> Vec<SliceVar> {
        made.into_iter()
            .zip(local)
            .map(|(slot, local)| {
                let bytes = slot.slice.array_bytes();
                let array = (bytes > 0).then(|| {
                    arrays.push(Array {
                        bytes,
                        scan: slot.slice.scans(),
                        refs: 1,
                    });
                    arrays.len() as u32 - 1
                });
                SliceVar {
                    slice: slot.slice,
                    array,
                    local,
                    expected: 0,
                    appends: 0,
                    owner: None,
                    events: 0,
                }
            })
            .collect()
    }

    /// The race detector's and the footprint's id of slice `s`: after the maps'.
    pub(super) fn slice_id(&self, s: u32) -> u32 {
        self.maps.len() as u32 + s
    }

    /// Whether goroutine `g`'s next step is the second half of an append to a shared slice:
    /// which slice.
    pub(super) fn appending(&self, g: usize) -> Option<u32> {
        self.goroutines[g].appending.as_ref().map(|a| a.slice)
    }

    /// Starts a slice instruction of goroutine `g`: an append's load, or a whole reset or
    /// drop; on a goroutine's own slice, the whole instruction as one local step.
    pub(super) fn start_slice(&mut self, g: usize, instr: Instr, t_ns: u64, p: u32) {
        let (s, units) = match instr {
            Instr::Append { slice, n } => (slice, n),
            Instr::Reset { slice } | Instr::Drop { slice } => (slice, 1),
            _ => unreachable!("start_slice takes slice instructions"),
        };
        let gid = g as u32;
        if self.slices[s as usize].local {
            self.record(gid, t_ns, p, None, StepKind::Local);
            self.trace.steps.last_mut().expect("recorded").slice = Some(s);
            self.local_slice(g, s, instr, units);
            self.finish_instr(g);
            self.test_trigger(g);
            return;
        }
        let id = self.slice_id(s);
        match instr {
            Instr::Append { .. } => {
                // The access's tag is the step about to be recorded.
                self.race_var(gid, id, false, LOAD);
                self.record(gid, t_ns, p, None, StepKind::SliceLoad);
                self.trace.steps.last_mut().expect("recorded").slice = Some(s);
                self.append_load(g, s);
            }
            _ => {
                let drop = matches!(instr, Instr::Drop { .. });
                self.race_var(gid, id, true, if drop { DROP } else { RESET });
                self.record(gid, t_ns, p, None, StepKind::SliceSet);
                self.trace.steps.last_mut().expect("recorded").slice = Some(s);
                let var = &mut self.slices[s as usize];
                var.expected = 0;
                if drop {
                    var.slice.drop_array();
                    let array = var.array.take();
                    self.release(array);
                } else {
                    var.slice.reset();
                }
                self.finish_unit(g);
            }
        }
    }

    /// An append's first half: load the header, grow it when full.
    fn append_load(&mut self, g: usize, s: u32) {
        let var = &self.slices[s as usize];
        let mut header = var.slice.clone();
        let mut array = var.array;
        if let Some(a) = array {
            self.arrays[a as usize].refs += 1;
        }
        let (_, grow) = header.append_until_growth(1);
        self.slices[s as usize].appends += 1;
        let mut ps = self.prices.slice_append_ps;
        match grow {
            Grow::Fitted => {}
            Grow::OutOfRange => {
                self.die(GROWSLICE_PANIC, g as u32);
                return;
            }
            Grow::Grew(gr) => {
                let op = self.slices[s as usize].appends;
                self.slice_event(s, op, gr);
                let scan = header.scans();
                self.arrays.push(Array {
                    bytes: gr.bytes_after,
                    scan,
                    refs: 1,
                });
                let old = array.replace(self.arrays.len() as u32 - 1);
                self.release(old);
                let bytes = gr.bytes_after;
                let pages = self.alloc(bytes, 1, bytes, if scan { bytes } else { 0 }, false);
                self.record_malloc(g, bytes);
                let copied = gr.cap_before.saturating_mul(header.elem_size());
                ps = ps
                    .saturating_add(pages)
                    .saturating_add(self.prices.object_ps(bytes, !self.gc.cycles.is_empty()))
                    .saturating_add(copied.saturating_mul(self.prices.memmove_per_kib_ps) / 1024);
                self.test_trigger(g);
            }
        }
        self.last_step_ns = ps / 1000;
        self.goroutines[g].appending = Some(Appending {
            slice: s,
            header,
            array,
        });
    }

    /// An append's second half: store the header it loaded (and grew) into `s`.
    pub(super) fn append_store(&mut self, g: usize, t_ns: u64, p: u32) {
        let a = self.goroutines[g]
            .appending
            .take()
            .expect("an append in progress");
        let gid = g as u32;
        let id = self.slice_id(a.slice);
        self.race_var(gid, id, true, STORE);
        self.record(gid, t_ns, p, None, StepKind::SliceStore);
        self.trace.steps.last_mut().expect("recorded").slice = Some(a.slice);
        let var = &mut self.slices[a.slice as usize];
        let old = std::mem::replace(&mut var.array, a.array);
        var.slice = a.header;
        var.expected += 1;
        self.release(old);
        self.last_step_ns = self.prices.slice_append_ps / 1000;
        self.finish_unit(g);
    }

    /// A whole slice instruction on goroutine `g`'s own slice `s`.
    fn local_slice(&mut self, g: usize, s: u32, instr: Instr, n: u64) {
        let own = &mut self.goroutines[g].locals;
        let i = match own.iter().position(|(i, _)| *i == s) {
            Some(i) => i,
            None => {
                let slice = self.slice_setups[s as usize].make();
                let bytes = slice.array_bytes();
                if bytes > 0 {
                    let scan = if slice.scans() { bytes } else { 0 };
                    self.gc.alloc(bytes, 1, bytes, scan);
                    self.record_malloc(g, bytes);
                }
                let own = &mut self.goroutines[g].locals;
                own.push((s, slice));
                own.len() - 1
            }
        };
        let slice = &mut self.goroutines[g].locals[i].1;
        let len_before = slice.len();
        let mut grown = Vec::new();
        let mut out_of_range = false;
        match instr {
            Instr::Append { .. } => {
                out_of_range = slice.append(n, |gr| grown.push(gr)).is_err();
            }
            Instr::Reset { .. } => slice.reset(),
            _ => {
                let scan = slice.scans();
                let bytes = slice.drop_array();
                self.gc
                    .heap
                    .drop_reachable(bytes, if scan { bytes } else { 0 });
            }
        }
        let scan = self.goroutines[g].locals[i].1.scans();
        let mut ps = n.saturating_mul(self.prices.slice_append_ps);
        // The first goroutine to append to its own instance is the one followed, as `run`
        // follows it.
        let var = &mut self.slices[s as usize];
        if matches!(instr, Instr::Append { .. }) && *var.owner.get_or_insert(g as u32) == g as u32 {
            let base = var.appends;
            let done = self.goroutines[g].locals[i].1.len();
            var.appends += done.saturating_sub(len_before);
            for gr in &grown {
                self.slice_event(s, base + gr.len - len_before, *gr);
            }
        }
        for gr in grown {
            let b = gr.bytes_after;
            ps = ps.saturating_add(self.alloc(b, 1, b, if scan { b } else { 0 }, false));
            self.gc
                .heap
                .drop_reachable(gr.bytes_before, if scan { gr.bytes_before } else { 0 });
            self.record_malloc(g, b);
            ps = ps.saturating_add(self.prices.object_ps(b, !self.gc.cycles.is_empty()));
        }
        self.last_step_ns = ps / 1000;
        if out_of_range {
            self.die(GROWSLICE_PANIC, g as u32);
        }
    }

    /// Records a growth of slice `s` by its append number `op`, for slice_events.csv (at
    /// most `MAX_SLICE_EVENTS` a slice, as `run` keeps).
    fn slice_event(&mut self, s: u32, op: u64, growth: crate::model::slice::Growth) {
        let var = &mut self.slices[s as usize];
        if var.events < crate::engine::slices::MAX_SLICE_EVENTS {
            var.events += 1;
            let at_ns = self.step_t_ns;
            self.trace
                .slice_events
                .push((s, crate::engine::slices::SliceEvent { op, growth, at_ns }));
        }
    }

    /// One header fewer refers to `array`: at none, it is garbage.
    fn release(&mut self, array: Option<u32>) {
        let Some(a) = array else { return };
        let arr = &mut self.arrays[a as usize];
        arr.refs -= 1;
        if arr.refs == 0 {
            let (bytes, scan) = (arr.bytes, arr.scan);
            self.gc
                .heap
                .drop_reachable(bytes, if scan { bytes } else { 0 });
        }
    }

    /// What the shared slices say after the run: appends lost to the race.
    pub(super) fn check_slices(&mut self) {
        for (i, var) in self.slices.iter().enumerate() {
            let len = var.slice.len();
            if !var.local && len < var.expected {
                self.trace.corruption.push(format!(
                    "slice {}: len {} after {} appends: {} lost",
                    self.trace.slices[i],
                    len,
                    var.expected,
                    var.expected - len
                ));
            }
        }
    }
}
