//! The trace an execution leaves: each step recorded, the accesses `-race` sees, and what
//! the maps and slices say once it ends.

use super::World;
use crate::explore::trace::{Access, Race, Trace, TraceGc, TraceStep};
use crate::model::gomap::Work;
use crate::model::sched::steps::{MapOp, StepKind};

impl World {
    /// -race instruments each map operation at entry (runtime/map.go: racewritepc,
    /// racereadpc): the first data race seen is kept for the report.
    pub(super) fn race_access(&mut self, g: u32, map: u32, op: MapOp, first: StepKind) {
        self.race_var(g, map, op.writes(), first.function(op));
    }

    /// -race's view of an access to variable `v` (a map, or a slice after the maps) in
    /// `function`: the first data race seen is kept for the report.
    pub(super) fn race_var(&mut self, g: u32, v: u32, write: bool, function: &'static str) {
        let tag = self.trace.steps.len();
        if let Some(prev) = self.hb.access(g, v, write, tag, function)
            && self.trace.race.is_none()
        {
            self.trace.race = Some(Race {
                map: v,
                current: Access {
                    goroutine: g,
                    step: tag,
                    write,
                    function,
                },
                previous: Access {
                    goroutine: prev.goroutine,
                    step: prev.tag,
                    write: prev.write,
                    function: prev.function,
                },
            });
        }
    }

    pub(super) fn record(&mut self, g: u32, t_ns: u64, p: u32, map: Option<u32>, kind: StepKind) {
        if matches!(
            kind,
            StepKind::Lock | StepKind::Unlock | StepKind::RLock | StepKind::RUnlock
        ) {
            // [costs] mutex_op: one atomic operation.
            self.last_step_ns = self.mutex_ns;
        }
        let w = map.is_some_and(|m| self.maps[m as usize].map.writing());
        let op = self.goroutines[g as usize].op.map(|o| o.op);
        self.trace.steps.push(TraceStep {
            t_ns,
            goroutine: g,
            p,
            map,
            slice: None,
            kind,
            writing_before: w,
            writing_after: w,
            op,
            home: None,
        });
    }

    /// Ends the execution: checks the maps of a run that finished (one that died or was cut
    /// at the step limit left them mid-operation), collects their growth events, and returns
    /// the trace.
    pub fn finish(mut self, decisions: Vec<u32>, preemptions: u32) -> Trace {
        if self.trace.fatal.is_none() && !self.trace.cut {
            self.check_maps();
            self.check_slices();
        }
        self.collect_map_events();
        self.trace.gc = TraceGc {
            // As `run` counts them: cycles whose mark ended.
            cycles: self.gc.cycles.len() as u32,
            total_alloc_bytes: self.gc.heap.total_alloc,
            peak_heap_bytes: self.gc.heap.peak_in_use,
        };
        let end_ns = self.step_t_ns.saturating_add(self.last_step_ns);
        let (alloc_profile, metrics) = self.recordings(end_ns);
        let mut trace = self.trace;
        trace.alloc_profile = alloc_profile;
        trace.metrics = metrics;
        trace.gc_cycles = self.gc.cycles;
        trace.procs = self.procs;
        trace.decisions = decisions;
        trace.preemptions = preemptions;
        trace
    }

    /// Copies every map's growth events into the trace.
    pub fn collect_map_events(&mut self) {
        self.trace.map_events = self
            .maps
            .iter()
            .enumerate()
            .flat_map(|(i, slot)| slot.map.events().iter().map(move |e| (i as u32, *e)))
            .collect();
    }

    /// After a run that finished: what the maps' own invariants say, and keys the program inserted and
    /// did not delete that a lookup no longer finds.
    pub fn check_maps(&mut self) {
        let mut out = Vec::new();
        for (i, slot) in self.maps.iter().enumerate() {
            let name = &self.trace.maps[i];
            if let Err(e) = slot.map.check_invariants() {
                out.push(format!("map {name}: {e}"));
            }
            let mut w = Work::default();
            let lost = slot
                .live
                .iter()
                .filter(|&&k| !slot.map.get(k, &mut w))
                .count();
            if lost > 0 {
                out.push(format!("map {name}: {lost} inserted keys lost"));
            }
            if slot.map.len() != slot.live.len() as u64 {
                out.push(format!(
                    "map {name}: count is {} but {} keys were inserted and not deleted",
                    slot.map.len(),
                    slot.live.len()
                ));
            }
        }
        self.trace.corruption = out;
    }
}
