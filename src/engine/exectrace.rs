//! What `run --trace` records: the run's scheduling, GC and request events as they happen,
//! for the go1.19 execution-trace encoder in `report::gotrace` to write as `trace.out`.
//!
//! The simulation emits events in the order it handles them, not quite in time order (a P
//! runs ahead to the next pending event); the encoder sorts them. Events carry goroutine ids
//! as Go's tracer numbers them (main is 1, then in creation order; a slot reused by an
//! arrival gets a new id), so the encoder needs nothing else from the simulation. The GC's
//! phases are not recorded here: the encoder takes them from the run's GC cycles.
//!
//! Recording is bounded: only events inside the window are kept, and at most `max_events`
//! of them; past that the trace is cut and says where.

use crate::model::gomap::MapEventKind;

/// Default cap on recorded events: about 100 MB while running (48 bytes an event), 10–20 MB
/// written.
pub const DEFAULT_MAX_EVENTS: u64 = 1 << 21;

/// Where an event happened in the program: instruction `pc` of program `program`
/// ([`Site::MAIN`]: the scenario's main, which spawns the goroutines; [`Site::RUNTIME`]:
/// the runtime itself, as for the GC's mark workers).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Site {
    /// Program index (the `[[goroutines]]` groups, then the arrival sources).
    pub program: u32,
    /// Instruction index in the program.
    pub pc: u32,
}

impl Site {
    /// `main.main`.
    pub const MAIN: Site = Site {
        program: u32::MAX,
        pc: 0,
    };
    /// The runtime's own goroutines.
    pub const RUNTIME: Site = Site {
        program: u32::MAX - 1,
        pc: 0,
    };
}

/// One recorded event.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TraceEvent {
    /// Virtual time, ns.
    pub t_ns: u64,
    /// The P it happened on ([`NO_P`]: none, as the network poller's arrivals).
    pub p: u32,
    /// The goroutine it is about (Go's goroutine id).
    pub g: u64,
    /// What happened.
    pub kind: TraceKind,
}

/// Not on any P.
pub const NO_P: u32 = u32::MAX;

/// What happened, in the terms of Go's tracer (runtime/trace.go: traceEvGo*).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum TraceKind {
    /// `g` was created (by the goroutine running on the P, if any), to run `start`.
    Create {
        /// Where the creator was.
        at: Site,
        /// The new goroutine's program (its entry frame).
        start: Site,
    },
    /// `g` starts running on the P.
    Start,
    /// A GC mark worker `g` starts on the P: dedicated (the pacer's share of Ps) or idle
    /// (a P with nothing else to run during the mark).
    WorkerStart {
        /// An idle worker.
        idle: bool,
    },
    /// The mark ended: worker `g` parks.
    WorkerPark,
    /// `g` ended.
    End,
    /// `g` yielded its P (runtime.Gosched, goyield).
    Sched {
        /// Where.
        at: Site,
    },
    /// `g` was preempted (sysmon, or a mark worker taking its P).
    Preempt {
        /// Where.
        at: Site,
    },
    /// `g` blocked on a sync.Mutex or RWMutex (or main waiting for its goroutines).
    BlockSync {
        /// Where.
        at: Site,
    },
    /// `g` left its P blocked inside the runtime (gcStart waiting for the mark workers).
    SysBlock {
        /// Where.
        at: Site,
    },
    /// `g` was made runnable by the goroutine running on the P.
    Unblock {
        /// Where that goroutine was.
        at: Site,
    },
    /// The P has nothing to run and parks.
    ProcStop,
    /// `g` starts assisting the mark inside mallocgc.
    AssistStart {
        /// Where.
        at: Site,
    },
    /// `g`'s assist ended.
    AssistDone,
    /// The heap in use (the model's heapAlloc, standing for Go's `gcController.heapLive`,
    /// which the trace's HeapAlloc counter carries).
    HeapAlloc(u64),
    /// A request began: a task and a region named after it (runtime/trace: NewTask,
    /// StartRegion).
    TaskBegin {
        /// Task id.
        task: u64,
        /// The request's index in the scenario's request names.
        req: u32,
        /// Where.
        at: Site,
    },
    /// The request ended: its region and task end.
    TaskEnd {
        /// Task id.
        task: u64,
        /// Request index.
        req: u32,
        /// Where.
        at: Site,
    },
    /// A map grew (runtime/map.go: hashGrow, growWork's end; Swiss table growth).
    MapLog {
        /// Map index.
        map: u32,
        /// What happened.
        kind: MapEventKind,
        /// B before and after (0 for Swiss).
        b: (u8, u8),
        /// Entries after the write.
        count: u64,
        /// Where.
        at: Site,
    },
}

/// The recorder, owned by the simulation while a trace is asked for.
#[derive(Debug, Clone)]
pub(crate) struct Tracer {
    pub events: Vec<TraceEvent>,
    from_ns: u64,
    to_ns: u64,
    max_events: u64,
    /// Where recording stopped at the cap.
    pub cut_at_ns: Option<u64>,
    /// Go goroutine id of each goroutine slot.
    goid: Vec<u64>,
    next_goid: u64,
    /// Mark worker goroutine of each P (0: not created yet).
    pub workers: Vec<u64>,
    /// Per P: its worker runs as an idle worker now, since this time (ps).
    idle_running: Vec<Option<u64>>,
    /// Per slot: the goroutine id whose first event in the window has been recorded.
    announced: Vec<u64>,
    /// Task ids of each slot's requests in progress.
    tasks: Vec<Vec<u64>>,
    next_task: u64,
    /// The heap in use at the last HeapAlloc event.
    last_heap: u64,
    /// The event loop's time (ns).
    now_ns: u64,
}

/// Goroutine id of main.
pub const MAIN_GOID: u64 = 1;

impl Tracer {
    /// Records events in `[from_ns, to_ns)`, at most `max_events`, for `procs` Ps.
    pub fn new(from_ns: u64, to_ns: u64, max_events: u64, procs: usize) -> Tracer {
        Tracer {
            events: Vec::new(),
            from_ns,
            to_ns,
            max_events,
            cut_at_ns: None,
            goid: Vec::new(),
            next_goid: MAIN_GOID + 1,
            workers: vec![0; procs],
            idle_running: vec![None; procs],
            announced: Vec::new(),
            tasks: Vec::new(),
            next_task: 1,
            last_heap: 0,
            now_ns: 0,
        }
    }

    /// Records `kind` about goroutine id `g` on P `p` at `t_ps`.
    ///
    /// At the cap the trace is cut at the event loop's time (`now_ns`): every event before
    /// it has been recorded then (the simulation records nothing earlier than the event it
    /// handles), and the events already recorded past it (a P that ran ahead) are dropped
    /// when the trace is taken ([`Tracer::take`]).
    #[inline]
    pub fn push(&mut self, t_ps: u64, p: u32, g: u64, kind: TraceKind) {
        let t_ns = t_ps / 1000;
        if t_ns < self.from_ns || t_ns >= self.to_ns {
            return;
        }
        if let Some(cut) = self.cut_at_ns {
            if t_ns >= cut {
                return;
            }
        } else if self.events.len() as u64 >= self.max_events {
            self.cut_at_ns = Some(self.now_ns.min(t_ns).max(self.from_ns));
            if t_ns >= self.now_ns {
                return;
            }
        }
        self.events.push(TraceEvent { t_ns, p, g, kind });
    }

    /// The event loop handles an event at `now_ns`: nothing recorded from now on is earlier.
    #[inline]
    pub fn at(&mut self, now_ns: u64) {
        self.now_ns = now_ns;
    }

    /// The recorded events, sorted by time (stable: one instant keeps the order they were
    /// made in), without those past the cut.
    pub fn take(&mut self) -> Vec<TraceEvent> {
        let mut events = std::mem::take(&mut self.events);
        events.sort_by_key(|e| e.t_ns);
        if let Some(cut) = self.cut_at_ns {
            let keep = events.partition_point(|e| e.t_ns < cut);
            events.truncate(keep);
        }
        events
    }

    /// The window recorded.
    pub fn window_ns(&self) -> (u64, u64) {
        (self.from_ns, self.to_ns)
    }

    /// Records `kind` about the goroutine of slot `slot` (running program `program`) on P
    /// `p` at `t_ps`. A goroutine made before the window is announced (created, with its
    /// program's entry) at its first event inside it.
    #[inline]
    pub fn push_slot(&mut self, t_ps: u64, p: u32, slot: usize, program: u32, kind: TraceKind) {
        let goid = self.goid(slot);
        if self.from_ns > 0
            && t_ps / 1000 >= self.from_ns
            && let Some(a) = self.announced.get_mut(slot)
            && *a != goid
        {
            *a = goid;
            if !matches!(kind, TraceKind::Create { .. }) {
                let create = TraceKind::Create {
                    at: Site::RUNTIME,
                    start: Site { program, pc: 0 },
                };
                self.push(t_ps, p, goid, create);
            }
        }
        self.push(t_ps, p, goid, kind);
    }

    /// Go goroutine id of slot `slot`.
    #[inline]
    pub fn goid(&self, slot: usize) -> u64 {
        self.goid.get(slot).copied().unwrap_or(0)
    }

    /// Slot `slot` holds a new goroutine: it gets the next id, returned.
    pub fn created(&mut self, slot: usize) -> u64 {
        if self.goid.len() <= slot {
            self.goid.resize(slot + 1, 0);
            self.tasks.resize_with(slot + 1, Vec::new);
            self.announced.resize(slot + 1, 0);
        }
        let id = self.next_goid;
        self.next_goid += 1;
        self.goid[slot] = id;
        self.tasks[slot].clear();
        id
    }

    /// The mark worker of P `p`, created (by the runtime, at `t_ps`) the first time.
    pub fn worker(&mut self, p: usize, t_ps: u64) -> u64 {
        if self.workers[p] == 0 {
            let id = self.next_goid;
            self.next_goid += 1;
            self.workers[p] = id;
            let create = TraceKind::Create {
                at: Site::RUNTIME,
                start: Site::RUNTIME,
            };
            self.push(t_ps, p as u32, id, create);
        }
        self.workers[p]
    }

    /// runtime/proc.go: findRunnable — P `p`, with nothing to run during a mark, runs its
    /// idle mark worker from `t_ps`.
    pub fn idle_worker_start(&mut self, p: usize, t_ps: u64) {
        if self.idle_running[p].is_none() {
            self.idle_running[p] = Some(t_ps);
            let w = self.worker(p, t_ps);
            self.push(t_ps, p as u32, w, TraceKind::WorkerStart { idle: true });
        }
    }

    /// P `p`'s idle worker, if running, parks at `t_ps` (work arrived, or the mark ended),
    /// or when it started if that is later (work that arrives while the world is stopped
    /// for the mark's start waits for it); `stop`: the P then stops.
    pub fn idle_worker_park(&mut self, p: usize, t_ps: u64, stop: bool) {
        if let Some(since) = self.idle_running[p].take() {
            let t_ps = t_ps.max(since);
            let w = self.workers[p];
            self.push(t_ps, p as u32, w, TraceKind::WorkerPark);
            if stop {
                self.push(t_ps, p as u32, 0, TraceKind::ProcStop);
            }
        }
    }

    /// A request of slot `slot` begins: its new task id.
    pub fn task_begin(&mut self, slot: usize) -> u64 {
        let id = self.next_task;
        self.next_task += 1;
        if let Some(t) = self.tasks.get_mut(slot) {
            t.push(id);
        }
        id
    }

    /// The innermost request of slot `slot` ends: its task id.
    pub fn task_end(&mut self, slot: usize) -> u64 {
        self.tasks.get_mut(slot).and_then(|t| t.pop()).unwrap_or(0)
    }

    /// Records the heap in use at `t_ps` when it moved by 1/64 of the goal since the last
    /// record; called after each allocation batch and each event (runtime/trace.go:
    /// traceHeapAlloc is emitted on every mcache refill; this keeps the counter's shape at a
    /// bounded cost).
    #[inline]
    pub fn heap(&mut self, t_ps: u64, in_use: u64, goal: u64) {
        if in_use.abs_diff(self.last_heap) >= (goal / 64).max(1) {
            self.last_heap = in_use;
            self.push(t_ps, NO_P, 0, TraceKind::HeapAlloc(in_use));
        }
    }
}

/// The recorded trace of a run, with the names its stacks use.
///
/// Its events are sorted by time; events at one instant keep the order the simulation
/// made them in.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ExecTrace {
    /// The events, by time.
    pub events: Vec<TraceEvent>,
    /// The window recorded, ns of virtual time.
    pub window_ns: (u64, u64),
    /// Where the event cap cut the trace.
    pub cut_at_ns: Option<u64>,
    /// GOMAXPROCS.
    pub procs: u32,
    /// Each program's name (its goroutine frame).
    pub program_names: Vec<String>,
    /// Each program's op paths, by instruction.
    pub labels: Vec<Vec<String>>,
    /// The map names.
    pub map_names: Vec<String>,
    /// The request names.
    pub request_names: Vec<String>,
}
