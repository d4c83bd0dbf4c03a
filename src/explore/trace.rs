//! What one explored schedule did, step by step: the material of schedule.txt, the swimlane
//! picture, race.json and replay tokens.

use crate::model::sched::steps::{MapOp, StepKind};

/// One executed step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TraceStep {
    /// Virtual time when the step started (ns): under the timing strategy its P's clock,
    /// under the others the sum of the steps before it (one step at a time, each priced by
    /// `[costs]`).
    pub t_ns: u64,
    /// Index of the goroutine (into [`Trace::goroutines`]).
    pub goroutine: u32,
    /// The P it ran on (0 under the interleaving strategies).
    pub p: u32,
    /// The map the step touches, if any (index into the scenario's maps).
    pub map: Option<u32>,
    /// The slice the step touches, if any (index into [`Trace::slices`]).
    pub slice: Option<u32>,
    /// Which step of the runtime it was.
    pub kind: StepKind,
    /// `h.flags & hashWriting` of that map before the step (false when no map).
    pub writing_before: bool,
    /// The same after the step.
    pub writing_after: bool,
    /// The map operation the step belongs to, if any.
    pub op: Option<MapOp>,
    /// Where the operation's key lives once its hash is computed: the classic map's bucket,
    /// the Swiss map's table ([`GoMap::home`](crate::model::gomap::GoMap::home)).
    pub home: Option<u64>,
}

/// A fatal error the simulated program died of, as Go prints it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fatal {
    /// Go's message after `fatal error: `, e.g. "concurrent map writes".
    pub message: &'static str,
    /// The goroutine that raised it (index into [`Trace::goroutines`]).
    pub goroutine: u32,
    /// Index of the step that fired it in [`Trace::steps`].
    pub step: usize,
}

/// One side of a data race: which goroutine accessed which map how, at which step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Access {
    /// The accessing goroutine (index into [`Trace::goroutines`]).
    pub goroutine: u32,
    /// Its place in [`Trace::steps`]: how many steps were recorded before it.
    pub step: usize,
    /// `-race` sees a write (racewritepc: mapassign, mapdelete), else a read (racereadpc).
    pub write: bool,
    /// The runtime function the access is in, e.g. "runtime.mapassign".
    pub function: &'static str,
}

/// A data race as `-race` reports it: an access, and the earlier conflicting one with no
/// happens-before between them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Race {
    /// The variable: a map (index into [`Trace::maps`]), or from `maps.len()` on a slice
    /// (index `map - maps.len()` into [`Trace::slices`]); see [`Trace::variable_name`].
    pub map: u32,
    /// The access at which the race was detected.
    pub current: Access,
    /// The earlier access it conflicts with.
    pub previous: Access,
}

/// A complete execution of one schedule.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Trace {
    /// Goroutine names, as `<name>#<replica>` from the scenario.
    pub goroutines: Vec<String>,
    /// Map names.
    pub maps: Vec<String>,
    /// Slice names.
    pub slices: Vec<String>,
    /// Which maps are Swiss-table maps (the others classic), by map index.
    pub swiss: Vec<bool>,
    /// Every step executed, in order.
    pub steps: Vec<TraceStep>,
    /// The fatal error the program died of, if it did.
    pub fatal: Option<Fatal>,
    /// The first data race the happens-before detector saw.
    pub race: Option<Race>,
    /// What the map's own invariants say after the run (lost keys, count drift), empty
    /// when the map is consistent.
    pub corruption: Vec<String>,
    /// The scheduling decisions: at each step with more than one runnable goroutine, the
    /// index of the chosen one among them (in goroutine order).
    pub decisions: Vec<u32>,
    /// Context switches away from a goroutine that could have continued.
    pub preemptions: u32,
    /// Growth events of every map (map index, event), as map_events.csv lists them.
    pub map_events: Vec<(u32, crate::model::gomap::MapEvent)>,
    /// Growths of every slice (slice index, event), as slice_events.csv lists them: a
    /// shared slice's appends numbered in the order they loaded its header, a goroutine's
    /// own slice followed in its first goroutine's instance, as `run` does.
    pub slice_events: Vec<(u32, crate::engine::slices::SliceEvent)>,
    /// The gcStart steps that started a cycle (index into `steps`), and whether the
    /// goroutine left its P there (the first cycle: gcBgMarkStartWorkers).
    pub gc_starts: Vec<(usize, bool)>,
    /// The heap over the whole run.
    pub gc: TraceGc,
    /// The GC cycles whose mark ended, as `run` records them (for `replay --trace`).
    pub gc_cycles: Vec<crate::model::gc::GcCycle>,
    /// GOMAXPROCS.
    pub procs: u32,
    /// Allocations by site, when `replay --profile` asked for them.
    pub alloc_profile: Vec<crate::engine::profile::ProfileSample>,
    /// Metrics scrapes on the steps' clock, when `replay --metrics` asked for them.
    pub metrics: Vec<crate::engine::scrape::MetricsSample>,
    /// The execution stopped at the step limit (`MAX_EXECUTION_STEPS`) before the program
    /// ended.
    pub cut: bool,
}

/// What the heap and the GC did in one schedule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TraceGc {
    /// GC cycles completed (their mark ended), as `run` counts them; `gc_starts` lists the
    /// ones started.
    pub cycles: u32,
    /// Bytes allocated, the initial heap and the maps' makemap included.
    pub total_alloc_bytes: u64,
    /// Most heap in use at once.
    pub peak_heap_bytes: u64,
}

impl Trace {
    /// What a race's variable is and its name: `("map", "m")` or `("slice", "s")`.
    pub fn variable_name(&self, v: u32) -> (&'static str, String) {
        let maps = self.maps.len() as u32;
        if v < maps {
            ("map", self.maps[v as usize].clone())
        } else {
            let s = (v - maps) as usize;
            let name = self
                .slices
                .get(s)
                .cloned()
                .unwrap_or_else(|| format!("slice{s}"));
            ("slice", name)
        }
    }

    /// The short name of step `s`, in the words of its map's implementation.
    pub fn step_name(&self, s: &TraceStep) -> &'static str {
        s.kind.name_on(self.is_swiss(s.map))
    }

    /// The write flag of map `m` as the runtime names it: `hashWriting` (in `h.flags`) or a
    /// Swiss map's `writing`.
    pub fn flag_name(&self, m: Option<u32>) -> &'static str {
        if self.is_swiss(m) {
            "writing"
        } else {
            "hashWriting"
        }
    }

    /// Whether map `m` is a Swiss-table map (no map: no).
    pub fn is_swiss(&self, m: Option<u32>) -> bool {
        m.and_then(|m| self.swiss.get(m as usize))
            .copied()
            .unwrap_or(false)
    }

    /// The outcome key of race.json: "ok", Go's fatal message, or "step limit" for an
    /// execution cut before the program ended.
    pub fn outcome(&self) -> &'static str {
        match &self.fatal {
            Some(f) => f.message,
            None if self.cut => "step limit",
            None => "ok",
        }
    }
}
