//! Open-loop request sources (`[[arrivals]]`): each arrival starts a goroutine that runs
//! the source's body as one request, timed from the arrival.

use rand::RngExt;
use rand_chacha::ChaCha8Rng;

use super::compile::Compiled;
use super::exectrace::{NO_P, Site, TraceKind};
use super::queue::EventKind;
use super::rng::Stream;
use super::sim::{Goroutine, MAX_LIVE_GOROUTINES, Sim};

/// An open-loop source of requests (`[[arrivals]]`).
#[derive(Debug)]
pub(super) struct Arrivals {
    program: u32,
    /// Mean gap between arrivals (ps), and whether gaps are exponential (Poisson).
    gap_ps: f64,
    poisson: bool,
    /// The next arrival and the end of arrivals (ps).
    pub(super) next_ps: u64,
    end_ps: u64,
    rng: ChaCha8Rng,
    /// Arrivals so far, for each one's workload stream.
    count: u64,
    source: u32,
}

impl Arrivals {
    /// The sources of `c`, their programs after those of the goroutine groups.
    pub(super) fn of(c: &Compiled) -> Vec<Arrivals> {
        c.sources
            .iter()
            .enumerate()
            .map(|(i, a)| Arrivals {
                program: (c.groups.len() + i) as u32,
                gap_ps: a.gap_ps,
                poisson: a.poisson,
                next_ps: 0,
                end_ps: a.end_ps,
                rng: Stream::Arrivals(i as u32).rng(c.seed),
                count: 0,
                source: i as u32,
            })
            .collect()
    }

    /// The gap to the next arrival: exponential with the mean gap, or the mean gap.
    fn gap(&mut self) -> u64 {
        if !self.poisson {
            return self.gap_ps.round().max(1.0) as u64;
        }
        // Inverse transform of a uniform in (0, 1].
        let u: f64 = 1.0 - self.rng.random::<f64>();
        ((-u.ln() * self.gap_ps).round() as u64).max(1)
    }
}

impl Sim {
    /// Schedules source `a`'s next arrival, if it comes before the source's end.
    pub(super) fn schedule_arrival(&mut self, a: usize) {
        let src = &mut self.arrivals[a];
        let t = src.next_ps.saturating_add(src.gap());
        if t >= src.end_ps {
            src.next_ps = u64::MAX;
            return;
        }
        src.next_ps = t;
        self.queue.push(t / 1000, EventKind::Arrival(a as u32));
    }

    /// An arrival: a new goroutine runs the source's body as one request (net/http's `go
    /// c.serve()`). The network poller hands it to an idle P, woken for it; with none idle it
    /// waits until a P polls the network (runtime/proc.go: findRunnable).
    pub(super) fn arrive(&mut self, a: usize) {
        let t = self.arrivals[a].next_ps;
        let src = &mut self.arrivals[a];
        src.count += 1;
        let rng = Stream::ArrivalWorkload(src.source, src.count).rng(self.seed);
        let mut g = Goroutine::new(src.program, t, rng);
        g.arrival_ps = Some(t);
        g.arrival = true;
        let id = match self.free_slots.pop() {
            Some(id) => {
                // Keep the ended goroutine's request stack, to allocate nothing per arrival.
                let mut stack = std::mem::take(&mut self.goroutines[id as usize].requests);
                stack.clear();
                g.requests = stack;
                self.goroutines[id as usize] = g;
                id
            }
            None => {
                self.goroutines.push(g);
                self.goroutines.len() as u32 - 1
            }
        };
        self.live_goroutines += 1;
        if let Some(tr) = &mut self.tracer {
            tr.created(id as usize);
            let program = self.arrivals[a].program;
            let create = TraceKind::Create {
                at: Site::RUNTIME,
                start: Site { program, pc: 0 },
            };
            tr.push_slot(t, NO_P, id as usize, program, create);
        }
        self.max_goroutines = self.max_goroutines.max(self.live_goroutines as u64);
        self.live_arrivals += 1;
        self.set_arrival_stacks();
        if self.live_goroutines >= MAX_LIVE_GOROUTINES {
            self.die("runtime: out of memory", id);
            self.fatal_detail = Some(format!(
                "{MAX_LIVE_GOROUTINES} goroutines alive at once (each with a stack of at least \
                 2 KiB, runtime/stack.go: _StackMin): the arrivals outpace the service, and the \
                 simulation stops here"
            ));
        }
        if self.idle.is_empty() || self.spinning > 0 {
            self.netpoll.push_back(id);
        } else {
            self.global.push_back(id);
        }
        self.wakep(t);
        self.schedule_arrival(a);
    }

    /// Goroutine stacks: `[heap] stack` for each goroutine of `[[goroutines]]` (for the whole
    /// run, as before) and for each arrival goroutine alive now — GC roots (`stackScan`, part
    /// of the GOGC goal) and non-heap memory that GOMEMLIMIT counts.
    pub(super) fn set_arrival_stacks(&mut self) {
        let groups = self.ends_ps.len() as u64;
        let stacks = self
            .stack_bytes
            .saturating_mul(groups.max(1) + self.live_arrivals);
        self.gc.heap.set_stacks(stacks);
    }
}
