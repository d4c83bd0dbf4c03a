//! `trace.out`: a run as a Go 1.19 execution trace, for `go tool trace`.
//!
//! The bytes are [`wire`]'s. What they say follows the parser's rules: it gathers each P's
//! batches in file order and merges the Ps by time, under per-goroutine sequence numbers:
//! `EvGoCreate` leaves a goroutine at sequence 1, and each `EvGoStart`, `EvGoUnblock` or
//! `EvGoSysExit` carries the goroutine's current number and adds one (internal/trace/
//! order.go: stateTransition); `EvGCStart` carries the GC's own sequence, from 0. It then
//! checks states (parser.go: postProcessTrace): a goroutine starts only when runnable and on
//! a P running none; stops, blocks and user events happen on the P running it; an unblock
//! finds the goroutine waiting; GC and STW start and end in pairs. cmd/trace adds two
//! needs: every goroutine has an entry stack, and every start has an end.
//!
//! The simulation's events come sorted by time and are walked through that state machine,
//! so what is written is consistent by construction: a goroutine first seen in a window is
//! created where it first appears, goroutines still running when the trace ends stop there,
//! and an event the states do not allow is left out and counted ([`GoTrace::left_out`],
//! zero for every bundled scenario). The GC's phases come from the run's cycles.

mod schedule;
mod wire;

pub use schedule::from_schedule;

use std::collections::HashMap;

use wire::{Wire, ev};

use crate::engine::Outcome;
use crate::engine::exectrace::{ExecTrace, NO_P, Site, TraceEvent, TraceKind};
use crate::model::gc::GcCycle;
use crate::model::gomap::MapEventKind;

/// runtime/trace.go: traceEvGCSTWStart's kinds.
const STW_MARK_TERMINATION: u64 = 0;
const STW_SWEEP_TERMINATION: u64 = 1;
/// runtime/mgc.go: gcMarkWorkerModeStrings — the labels of the dedicated and idle workers.
const DEDICATED_LABEL: &str = "GC (dedicated)";
const IDLE_LABEL: &str = "GC (idle)";

/// An encoded trace.
#[derive(Debug, Clone)]
pub struct GoTrace {
    /// The file's bytes.
    pub bytes: Vec<u8>,
    /// Events the go1.19 parser's state machine would refuse, left out.
    pub left_out: u64,
}

/// `trace.out` of `outcome`'s recorded trace `tr`.
pub fn trace_out(tr: &ExecTrace, outcome: &Outcome) -> Vec<u8> {
    encode(tr, &outcome.gc).bytes
}

/// What happens to one goroutine, as the parser tracks it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum G {
    Runnable,
    Running(u32),
    Waiting { syscall: bool },
    Dead,
}

/// A GC phase taken from the run's cycles.
#[derive(Debug, Clone, Copy)]
enum Gc {
    Start,
    StwStart(u64),
    StwDone,
    Done,
    HeapAlloc(u64),
    HeapGoal(u64),
}

/// Encodes `tr`, with the GC phases of the run's `cycles`.
pub fn encode(tr: &ExecTrace, cycles: &[GcCycle]) -> GoTrace {
    let (from, to) = tr.window_ns;
    let to = tr.cut_at_ns.map_or(to, |c| c.min(to));
    let mut gc: Vec<(u64, Gc)> = Vec::new();
    for (i, c) in cycles.iter().enumerate() {
        let t0 = c.start_ns;
        if t0 < from || t0 >= to {
            continue;
        }
        let t1 = t0 + c.stw_sweep_term_ns;
        let t2 = t1 + c.mark_ns;
        let t3 = t2 + c.stw_mark_term_ns;
        let next_goal = cycles.get(i + 1).map_or(0, |n| n.heap_goal_bytes);
        gc.extend([
            (t0, Gc::Start),
            (t0, Gc::StwStart(STW_SWEEP_TERMINATION)),
            (t0, Gc::HeapAlloc(c.heap_start_bytes)),
            (t0, Gc::HeapGoal(c.heap_goal_bytes)),
            (t1, Gc::StwDone),
            (t2, Gc::StwStart(STW_MARK_TERMINATION)),
            (t3, Gc::StwDone),
            (t3, Gc::Done),
            (t3, Gc::HeapAlloc(c.heap_marked_bytes)),
        ]);
        if next_goal > 0 {
            gc.push((t3, Gc::HeapGoal(next_goal)));
        }
    }

    gc.sort_by_key(|g| g.0);
    let mut w = Writer::new(tr);
    let t_first = match (tr.events.first(), gc.first()) {
        (Some(e), Some(g)) => e.t_ns.min(g.0),
        (Some(e), None) => e.t_ns,
        (None, Some(g)) => g.0,
        (None, None) => from.min(to),
    };
    w.proc_start(0, t_first);
    let stack = w.stack(Site::MAIN, None);
    w.wire
        .event(0, t_first, ev::GOMAXPROCS, &[u64::from(tr.procs), stack]);
    // Both streams are sorted: merge them, the simulation's events first at one instant.
    let mut gc = gc.into_iter().peekable();
    for &e in &tr.events {
        while let Some(&(t, g)) = gc.peek()
            && t < e.t_ns
        {
            w.gc(t, g);
            gc.next();
        }
        w.sim(e);
    }
    let mut t_end = tr.events.last().map_or(t_first, |e| e.t_ns);
    for (t, g) in gc {
        w.gc(t, g);
        t_end = t_end.max(t);
    }
    w.close(t_end);
    w.finish()
}

/// The encoder's state: the parser's view of goroutines and Ps, the batches being
/// written, and the string and stack tables.
struct Writer<'a> {
    tr: &'a ExecTrace,
    wire: Wire,
    /// Per P: started, and the goroutine it runs (0: none).
    procs: Vec<(bool, u64)>,
    /// Per goroutine: state and sequence number.
    gs: HashMap<u64, (G, u64)>,
    /// Per P stopped by a stop-the-world: the goroutine it ran, to run again after.
    suspended: Vec<Option<u64>>,
    /// The mark workers' goroutines.
    workers: std::collections::HashSet<u64>,
    gc_seq: u64,
    left_out: u64,
}

impl<'a> Writer<'a> {
    fn new(tr: &'a ExecTrace) -> Self {
        let procs = tr.procs.max(1) as usize;
        Writer {
            tr,
            wire: Wire::new(procs),
            procs: vec![(false, 0); procs],
            gs: HashMap::new(),
            suspended: vec![None; procs],
            workers: std::collections::HashSet::new(),
            gc_seq: 0,
            left_out: 0,
        }
    }

    /// The stack of an event at `site`, inside runtime function `func` (innermost first):
    /// the runtime function, the op, the goroutine.
    fn stack(&mut self, site: Site, func: Option<&str>) -> u64 {
        let mut frames = Vec::with_capacity(3);
        if let Some(f) = func {
            let file = runtime_file(f);
            frames.push(self.wire.frame(f, file, 0));
        }
        let tr = self.tr;
        if site == Site::MAIN {
            frames.push(self.wire.frame("main.main", "scenario", 0));
        } else if site == Site::RUNTIME {
            // The runtime function alone.
        } else if let Some(name) = tr.program_names.get(site.program as usize) {
            if let Some(label) = tr
                .labels
                .get(site.program as usize)
                .and_then(|l| l.get(site.pc as usize))
            {
                frames.push(self.wire.frame(label, "scenario", u64::from(site.pc) + 1));
            }
            frames.push(self.wire.frame(name, "scenario", 0));
        }
        self.wire.intern(frames)
    }

    /// The stack a new goroutine starts with: its program's name (cmd/trace names a
    /// goroutine after its entry frame), or a mark worker's function.
    fn entry_stack(&mut self, start: Site) -> u64 {
        let tr = self.tr;
        match tr.program_names.get(start.program as usize) {
            Some(name) => {
                let f = self.wire.frame(name, "scenario", 0);
                self.wire.intern(vec![f])
            }
            None if start == Site::MAIN => self.stack(start, None),
            None => self.stack(Site::RUNTIME, Some("runtime.gcBgMarkWorker")),
        }
    }

    fn proc_start(&mut self, p: usize, t: u64) {
        if !self.procs[p].0 {
            self.procs[p] = (true, 0);
            self.wire.event(p, t, ev::PROC_START, &[p as u64 + 1]);
        }
    }

    /// The goroutine `g` exists for the parser: created here when first seen (a mark worker,
    /// or a goroutine made before the window).
    fn known(&mut self, g: u64, p: usize, t: u64, worker: bool) {
        if self.gs.contains_key(&g) {
            return;
        }
        // cmd/trace refuses a goroutine without an entry stack.
        let entry = if worker {
            self.stack(Site::RUNTIME, Some("runtime.gcBgMarkWorker"))
        } else {
            self.stack(Site::RUNTIME, Some("(made before the trace window)"))
        };
        self.wire.event(p, t, ev::GO_CREATE, &[g, entry, 0]);
        self.gs.insert(g, (G::Runnable, 1));
    }

    /// `g` starts running on `p` (with a label for a mark worker).
    fn start(&mut self, g: u64, p: usize, t: u64, label: Option<&str>) {
        self.known(g, p, t, label.is_some());
        let running = self.procs[p].1;
        if running != 0 && running != g {
            // The P still runs another goroutine: it must have stopped unseen.
            self.left_out += 1;
            self.stop(running, p, t, ev::GO_PREEMPT, Site::RUNTIME);
        }
        let (state, _) = self.gs[&g];
        match state {
            G::Running(q) if q as usize == p => return,
            G::Running(q) => {
                self.left_out += 1;
                self.stop(g, q as usize, t, ev::GO_PREEMPT, Site::RUNTIME);
            }
            G::Waiting { syscall } => self.unblock(g, p, t, syscall, 0),
            G::Dead => {
                self.left_out += 1;
                return;
            }
            G::Runnable => {}
        }
        let seq = self.bump(g, G::Running(p as u32));
        match label {
            Some(l) => {
                let id = self.wire.string(l);
                self.wire.event(p, t, ev::GO_START_LABEL, &[g, seq, id]);
            }
            None => self.wire.event(p, t, ev::GO_START, &[g, seq]),
        }
        self.procs[p].1 = g;
    }

    /// Sets `g`'s state; returns the sequence number its event carries.
    fn bump(&mut self, g: u64, state: G) -> u64 {
        let e = self.gs.entry(g).or_insert((G::Runnable, 1));
        let seq = e.1;
        *e = (state, seq + 1);
        seq
    }

    /// Waiting `g` made runnable on `p`, by whoever runs there.
    fn unblock(&mut self, g: u64, p: usize, t: u64, syscall: bool, stack: u64) {
        let seq = self.bump(g, G::Runnable);
        if syscall {
            self.wire.event(p, t, ev::GO_SYS_EXIT, &[g, seq, 0]);
        } else {
            self.wire.event(p, t, ev::GO_UNBLOCK, &[g, seq, stack]);
        }
    }

    /// Running `g` on `p` stops with event `typ` at `site`.
    fn stop(&mut self, g: u64, p: usize, t: u64, typ: u8, site: Site) {
        let func = match typ {
            ev::GO_PREEMPT => Some("runtime.asyncPreempt"),
            ev::GO_SCHED => Some("runtime.Gosched"),
            ev::GO_BLOCK_SYNC if site == Site::MAIN => Some("sync.(*WaitGroup).Wait"),
            ev::GO_BLOCK_SYNC => Some("sync.runtime_SemacquireMutex"),
            ev::GO_SYSCALL => Some("runtime.gcStart"),
            ev::GO_BLOCK => Some("runtime.gcBgMarkWorker"),
            _ => None,
        };
        let state = match typ {
            ev::GO_END => G::Dead,
            ev::GO_PREEMPT | ev::GO_SCHED => G::Runnable,
            ev::GO_SYSCALL => G::Waiting { syscall: true },
            _ => G::Waiting { syscall: false },
        };
        if typ == ev::GO_END {
            self.wire.event(p, t, typ, &[]);
        } else {
            let stack = self.stack(site, func);
            self.wire.event(p, t, typ, &[stack]);
            if typ == ev::GO_SYSCALL {
                self.wire.event(p, t, ev::GO_SYS_BLOCK, &[]);
            }
        }
        if let Some(e) = self.gs.get_mut(&g) {
            e.0 = state;
        }
        self.procs[p].1 = 0;
    }

    /// [`Writer::running_on`], an event that needs `g` running on `p` and finds it not
    /// counted as left out.
    fn needs_running(&mut self, g: u64, p: usize, t: u64) -> bool {
        let ok = self.running_on(g, p, t);
        if !ok {
            self.left_out += 1;
        }
        ok
    }

    /// Whether `g` runs on `p`. A goroutine that was running when the window opened has
    /// not started in the trace: it starts at its first event.
    fn running_on(&mut self, g: u64, p: usize, t: u64) -> bool {
        let unstarted = self
            .gs
            .get(&g)
            .is_none_or(|&(s, seq)| s == G::Runnable && seq == 1);
        if unstarted && self.tr.window_ns.0 > 0 && self.procs[p].1 == 0 {
            self.start(g, p, t, None);
        }
        self.procs[p].1 == g && self.gs.get(&g).is_some_and(|s| s.0 == G::Running(p as u32))
    }

    fn sim(&mut self, e: TraceEvent) {
        let t = e.t_ns;
        let g = e.g;
        if e.p == NO_P {
            match e.kind {
                TraceKind::Create { start, .. } => {
                    // Made by the network poller (runtime/netpoll.go: netpoll readies it
                    // from whatever P polls): written on P 0's batch, whose goroutine then
                    // counts as the creator for the parser.
                    if self.gs.contains_key(&g) {
                        self.left_out += 1;
                        return;
                    }
                    let new_stack = self.entry_stack(start);
                    let stack = self.stack(Site::RUNTIME, Some("runtime.netpoll"));
                    self.wire.event(0, t, ev::GO_CREATE, &[g, new_stack, stack]);
                    self.gs.insert(g, (G::Runnable, 1));
                }
                TraceKind::HeapAlloc(bytes) => self.wire.event(0, t, ev::HEAP_ALLOC, &[bytes]),
                _ => self.left_out += 1,
            }
            return;
        }
        let p = e.p as usize;
        if p >= self.procs.len() {
            self.left_out += 1;
            return;
        }
        self.resume(p, t);
        if e.kind == TraceKind::ProcStop {
            if self.procs[p].1 != 0 {
                // The P still runs a goroutine: some stop was not seen.
                self.left_out += 1;
            } else if self.procs[p].0 {
                self.procs[p].0 = false;
                self.wire.event(p, t, ev::PROC_STOP, &[]);
            }
            return;
        }
        self.proc_start(p, t);
        match e.kind {
            TraceKind::Create { at, start, .. } => {
                if self.gs.contains_key(&g) {
                    self.left_out += 1;
                    return;
                }
                let new_stack = self.entry_stack(start);
                let stack = if at == Site::RUNTIME {
                    0
                } else {
                    self.stack(at, None)
                };
                // A goroutine made by the running one: on its P, which may run another.
                self.wire.event(p, t, ev::GO_CREATE, &[g, new_stack, stack]);
                self.gs.insert(g, (G::Runnable, 1));
            }
            TraceKind::Start => self.start(g, p, t, None),
            TraceKind::WorkerStart { idle } => {
                let label = if idle { IDLE_LABEL } else { DEDICATED_LABEL };
                self.workers.insert(g);
                self.start(g, p, t, Some(label));
            }
            // Parked already by mark termination's stop-the-world.
            TraceKind::WorkerPark
                if self
                    .gs
                    .get(&g)
                    .is_some_and(|s| s.0 == G::Waiting { syscall: false }) => {}
            TraceKind::End
            | TraceKind::Sched { .. }
            | TraceKind::Preempt { .. }
            | TraceKind::BlockSync { .. }
            | TraceKind::SysBlock { .. }
            | TraceKind::WorkerPark => {
                if !self.needs_running(g, p, t) {
                    return;
                }
                let (typ, site) = match e.kind {
                    TraceKind::End => (ev::GO_END, Site::RUNTIME),
                    TraceKind::Sched { at } => (ev::GO_SCHED, at),
                    TraceKind::Preempt { at } => (ev::GO_PREEMPT, at),
                    TraceKind::BlockSync { at } => (ev::GO_BLOCK_SYNC, at),
                    TraceKind::SysBlock { at } => (ev::GO_SYSCALL, at),
                    _ => (ev::GO_BLOCK, Site::RUNTIME),
                };
                self.stop(g, p, t, typ, site);
            }
            TraceKind::Unblock { at, .. } => match self.gs.get(&g) {
                Some(&(G::Waiting { syscall: false }, _)) => {
                    let f = if at == Site::MAIN {
                        None
                    } else {
                        Some("sync.runtime_Semrelease")
                    };
                    let stack = self.stack(at, f);
                    self.unblock(g, p, t, false, stack);
                }
                // Unknown in a window: it blocked before the window opened.
                None if self.tr.window_ns.0 > 0 => {}
                _ => self.left_out += 1,
            },
            TraceKind::ProcStop => unreachable!("handled above"),
            TraceKind::AssistStart { at } => {
                if self.needs_running(g, p, t) {
                    let stack = self.stack(at, Some("runtime.gcAssistAlloc"));
                    self.wire.event(p, t, ev::GC_MARK_ASSIST_START, &[stack]);
                }
            }
            TraceKind::AssistDone => {
                if self.needs_running(g, p, t) {
                    self.wire.event(p, t, ev::GC_MARK_ASSIST_DONE, &[]);
                }
            }
            TraceKind::HeapAlloc(bytes) => self.wire.event(p, t, ev::HEAP_ALLOC, &[bytes]),
            TraceKind::TaskBegin { task, req, at } | TraceKind::TaskEnd { task, req, at } => {
                if !self.needs_running(g, p, t) {
                    return;
                }
                let name = self
                    .tr
                    .request_names
                    .get(req as usize)
                    .cloned()
                    .unwrap_or_else(|| "request".into());
                let name_id = self.wire.string(&name);
                if matches!(e.kind, TraceKind::TaskBegin { .. }) {
                    let stack = self.stack(at, Some("runtime/trace.NewTask"));
                    self.wire
                        .event(p, t, ev::USER_TASK_CREATE, &[task, 0, name_id, stack]);
                    let stack = self.stack(at, Some("runtime/trace.StartRegion"));
                    self.wire
                        .event(p, t, ev::USER_REGION, &[task, 0, name_id, stack]);
                } else {
                    let stack = self.stack(at, Some("runtime/trace.(*Region).End"));
                    self.wire
                        .event(p, t, ev::USER_REGION, &[task, 1, name_id, stack]);
                    let stack = self.stack(at, Some("runtime/trace.(*Task).End"));
                    self.wire.event(p, t, ev::USER_TASK_END, &[task, stack]);
                }
            }
            TraceKind::MapLog {
                map,
                kind,
                b,
                count,
                at,
            } => {
                if !self.needs_running(g, p, t) {
                    return;
                }
                let name = self
                    .tr
                    .map_names
                    .get(map as usize)
                    .map_or("map", String::as_str);
                let msg = map_message(name, kind, b, count);
                let key = self.wire.string("map growth");
                // The runtime function each event is the model of (gomap::MapEventKind).
                let func = match kind {
                    MapEventKind::GrowStart | MapEventKind::SameSizeGrowStart => "runtime.hashGrow",
                    MapEventKind::GrowEnd => "runtime.advanceEvacuationMark",
                    MapEventKind::SmallToTable => "internal/runtime/maps.(*Map).growToTable",
                    MapEventKind::TableGrow => "internal/runtime/maps.(*table).grow",
                    MapEventKind::TableSplit => "internal/runtime/maps.(*table).split",
                    MapEventKind::DirectoryGrow => "internal/runtime/maps.(*Map).installTableSplit",
                };
                let stack = self.stack(at, Some(func));
                self.wire
                    .event_with_string(p, t, ev::USER_LOG, &[0, key, stack], Some(&msg));
            }
        }
    }

    /// The trace ends at `t`: goroutines still running stop there (cmd/trace draws a
    /// goroutine's slice from its start to its stop, and needs both).
    fn close(&mut self, t: u64) {
        for p in 0..self.procs.len() {
            let g = self.procs[p].1;
            if g != 0 {
                let stack = self.stack(Site::RUNTIME, Some("(end of the trace)"));
                self.wire.event(p, t, ev::GO_PREEMPT, &[stack]);
                self.procs[p].1 = 0;
                if let Some(e) = self.gs.get_mut(&g) {
                    e.0 = G::Runnable;
                }
            }
        }
    }

    /// runtime/proc.go: stopTheWorldWithSema — every P's goroutine is preempted and the P
    /// stops (gcstopm), as a real trace shows the pause.
    fn stop_the_world(&mut self, t: u64) {
        for p in 0..self.procs.len() {
            let (started, g) = self.procs[p];
            if !started {
                continue;
            }
            if g != 0 && self.workers.contains(&g) {
                // A mark worker parks: the mark is over (gcMarkDone), or not begun.
                self.stop(g, p, t, ev::GO_BLOCK, Site::RUNTIME);
            } else if g != 0 {
                let stack = self.stack(Site::RUNTIME, Some("runtime.stopTheWorldWithSema"));
                self.wire.event(p, t, ev::GO_PREEMPT, &[stack]);
                if let Some(e) = self.gs.get_mut(&g) {
                    e.0 = G::Runnable;
                }
                self.suspended[p] = Some(g);
            }
            self.wire.event(p, t, ev::PROC_STOP, &[]);
            self.procs[p] = (false, 0);
        }
    }

    /// runtime/proc.go: startTheWorldWithSema — P `p`, stopped by a stop-the-world, starts
    /// again at `t` with the goroutine it ran (at the world's restart, or earlier when the
    /// simulation has it act inside the pause).
    fn resume(&mut self, p: usize, t: u64) {
        if let Some(g) = self.suspended[p].take() {
            self.proc_start(p, t);
            if self.procs[p].1 == 0 && self.gs.get(&g).is_some_and(|s| s.0 == G::Runnable) {
                self.start(g, p, t, None);
            }
        }
    }

    /// A GC phase, on P 0's batch (the parser moves GC events to its own row).
    fn gc(&mut self, t: u64, g: Gc) {
        match g {
            Gc::Start => {
                let stack = self.stack(Site::RUNTIME, Some("runtime.gcStart"));
                let seq = self.gc_seq;
                self.gc_seq += 1;
                self.wire.event(0, t, ev::GC_START, &[seq, stack]);
            }
            Gc::StwStart(kind) => {
                self.wire.event(0, t, ev::GC_STW_START, &[kind]);
                self.stop_the_world(t);
            }
            Gc::StwDone => {
                self.wire.event(0, t, ev::GC_STW_DONE, &[]);
                for p in 0..self.procs.len() {
                    self.resume(p, t);
                }
            }
            Gc::Done => self.wire.event(0, t, ev::GC_DONE, &[]),
            Gc::HeapAlloc(b) => self.wire.event(0, t, ev::HEAP_ALLOC, &[b]),
            Gc::HeapGoal(b) => self.wire.event(0, t, ev::HEAP_GOAL, &[b]),
        }
    }

    /// The encoded trace.
    fn finish(self) -> GoTrace {
        GoTrace {
            bytes: self.wire.finish(),
            left_out: self.left_out,
        }
    }
}

/// The file a modelled runtime function lives in, for its frame.
fn runtime_file(func: &str) -> &'static str {
    match func {
        "runtime.hashGrow" | "runtime.advanceEvacuationMark" => "runtime/map.go",
        "internal/runtime/maps.(*table).grow" | "internal/runtime/maps.(*table).split" => {
            "internal/runtime/maps/table.go"
        }
        f if f.starts_with("internal/runtime/maps.(*Map)") => "internal/runtime/maps/map.go",
        "runtime.gcStart" | "runtime.gcBgMarkWorker" => "runtime/mgc.go",
        "runtime.netpoll" => "runtime/netpoll.go",
        "runtime.gcAssistAlloc" => "runtime/mgcmark.go",
        "runtime.asyncPreempt" => "runtime/preempt_amd64.s",
        "runtime.Gosched" | "runtime.stopTheWorldWithSema" => "runtime/proc.go",
        "sync.(*WaitGroup).Wait" => "sync/waitgroup.go",
        // Declared in sync, implemented in runtime/sema.go.
        f if f.starts_with("sync.runtime_") => "sync/runtime.go",
        f if f.starts_with("runtime/trace.") => "runtime/trace/annotation.go",
        _ => "runtime",
    }
}

/// The log message of a map growth event.
fn map_message(map: &str, kind: MapEventKind, b: (u8, u8), count: u64) -> String {
    match kind {
        MapEventKind::GrowStart => {
            format!("{map}: hashGrow B {}→{} at {count} entries", b.0, b.1)
        }
        MapEventKind::SameSizeGrowStart => {
            format!("{map}: same-size hashGrow (B {}) at {count} entries", b.0)
        }
        MapEventKind::GrowEnd => format!("{map}: evacuation done (B {}) at {count} entries", b.1),
        other => format!("{map}: {} at {count} entries", other.as_str()),
    }
}
