//! What `replay --profile --metrics` asks of a schedule beyond its steps: its allocations by
//! goroutine group, op and runtime path (as `run`'s heap profile counts them), and scrapes
//! of its metrics on the steps' clock.

use super::World;
use crate::engine::compile::Compiled;
use crate::engine::profile::{AllocProfile, ProfileSample};
use crate::engine::program::Instr;
use crate::engine::scrape::{MetricsSample, Scraper};
use crate::model::gomap::Work;

/// What to record.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RecordOptions {
    /// Count allocations by site.
    pub profile: bool,
    /// Scrape the metrics every this many ns of the steps' clock.
    pub scrape_interval_ns: Option<u64>,
}

/// The recordings of one execution.
#[derive(Debug)]
pub(crate) struct Record {
    profile: Option<AllocProfile>,
    scraper: Option<Scraper>,
    program_names: Vec<String>,
}

impl Record {
    /// For compiled scenario `c`, whose start (`[heap] live`, makemap, the slices' make)
    /// did `map_work` and made arrays of `slice_bytes`.
    pub fn new(c: &Compiled, map_work: &[Work], slice_bytes: &[u64], o: RecordOptions) -> Record {
        let profile = o.profile.then(|| {
            let mut p = AllocProfile::new(c.programs.iter().map(|p| p.instrs.len()), c.maps.len());
            p.start(c.live_bytes, map_work);
            for &b in slice_bytes {
                p.makeslice(b);
            }
            p
        });
        Record {
            profile,
            scraper: o.scrape_interval_ns.map(Scraper::new),
            program_names: c.groups.iter().map(|g| g.name.clone()).collect(),
        }
    }
}

impl World {
    /// The program and instruction goroutine `g` is at.
    fn at(&self, g: usize) -> (usize, u32) {
        let gs = &self.goroutines[g];
        (gs.program as usize, gs.cursor.pc)
    }

    /// Counts the `alloc`, `retain` or `free` instruction `instr` goroutine `g` executes.
    pub(super) fn record_local(&mut self, g: usize, instr: Instr) {
        let (program, pc) = self.at(g);
        let Some(p) = self.record.as_mut().and_then(|r| r.profile.as_mut()) else {
            return;
        };
        match instr {
            Instr::Alloc { objects, size, .. } => {
                p.malloc(program, pc, objects.saturating_mul(size), objects, false);
            }
            Instr::Retain { objects, size } => {
                let bytes = objects.saturating_mul(size + crate::engine::HOLDER_BYTES);
                p.malloc(program, pc, bytes, objects, true);
            }
            Instr::Free { bytes } => p.free(bytes),
            _ => {}
        }
    }

    /// Counts one object of `bytes` allocated by goroutine `g`'s current instruction (a
    /// slice's array).
    pub(super) fn record_malloc(&mut self, g: usize, bytes: u64) {
        let (program, pc) = self.at(g);
        if let Some(p) = self.record.as_mut().and_then(|r| r.profile.as_mut()) {
            p.malloc(program, pc, bytes, 1, false);
        }
    }

    /// Counts map work `w` done by goroutine `g`'s current operation.
    pub(super) fn record_map(&mut self, g: usize, w: &Work) {
        let (program, pc) = self.at(g);
        if let Some(p) = self.record.as_mut().and_then(|r| r.profile.as_mut()) {
            p.map_op(program, pc, w);
        }
    }

    /// Scrapes due by `t_ns`.
    pub(super) fn record_scrapes(&mut self, t_ns: u64) {
        let due = self
            .record
            .as_ref()
            .and_then(|r| r.scraper.as_ref())
            .is_some_and(|s| s.due(t_ns));
        if !due {
            return;
        }
        let live = self.goroutines.iter().filter(|g| !g.done).count();
        if let Some(s) = self.record.as_mut().and_then(|r| r.scraper.as_mut()) {
            s.advance(t_ns, &self.gc, live);
        }
    }

    /// The profile's samples and the scrapes, at the end (`end_ns`) of the execution.
    pub(super) fn recordings(&mut self, end_ns: u64) -> (Vec<ProfileSample>, Vec<MetricsSample>) {
        let live = self.goroutines.iter().filter(|g| !g.done).count();
        let Some(mut r) = self.record.take() else {
            return (Vec::new(), Vec::new());
        };
        let metrics = match &mut r.scraper {
            Some(s) => {
                s.finish(end_ns, &self.gc, live);
                std::mem::take(&mut s.samples)
            }
            None => Vec::new(),
        };
        let maps: Vec<&crate::model::gomap::GoMap> = self.maps.iter().map(|s| &s.map).collect();
        let samples = match &r.profile {
            Some(p) => p.samples_of(&self.programs, &r.program_names, &maps),
            None => Vec::new(),
        };
        (samples, metrics)
    }
}
