//! What a Prometheus scrape of the simulated process would read, at regular instants of
//! virtual time: the runtime.MemStats fields and counts that client_golang's Go collector
//! exports (prometheus/client_golang: prometheus/go_collector.go, collectors/go_collector).

use super::gc::Gc;

/// The process's memory and GC state at one instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct MetricsSample {
    /// Virtual time of the scrape (ns).
    pub t_ns: u64,
    /// `MemStats.HeapAlloc`: heap objects allocated and not yet swept.
    pub heap_alloc: u64,
    /// `MemStats.NextGC`: the heap goal.
    pub next_gc: u64,
    /// `MemStats.TotalAlloc`.
    pub total_alloc: u64,
    /// `MemStats.Mallocs`.
    pub mallocs: u64,
    /// `MemStats.HeapObjects`, estimated: the heap in use over the mean object size so far
    /// (the model counts bytes, not objects, once allocated), `mallocs − frees`.
    pub heap_objects: u64,
    /// `MemStats.Frees`: never decreasing.
    pub frees: u64,
    /// `MemStats.HeapIdle`: free heap memory, resident or released.
    pub heap_idle: u64,
    /// `MemStats.HeapReleased`.
    pub heap_released: u64,
    /// `MemStats.Sys`: heap address space in use, free or released, plus non-heap memory.
    pub sys: u64,
    /// GC cycles completed (`MemStats.NumGC`).
    pub gc_cycles: u64,
    /// `MemStats.LastGC`, ns into the run (0: none yet).
    pub last_gc_ns: u64,
    /// `runtime.NumGoroutine()`: the program's goroutines and main.
    pub goroutines: u64,
}

/// Scrapes every `interval_ns` of virtual time.
#[derive(Debug, Clone, Default)]
pub(crate) struct Scraper {
    interval_ns: u64,
    next_ns: u64,
    pub samples: Vec<MetricsSample>,
    /// Frees counted so far: the estimate never goes back (a counter).
    frees: u64,
}

impl Scraper {
    /// Scrapes at 0, `interval_ns`, 2 × `interval_ns`, …
    pub fn new(interval_ns: u64) -> Self {
        Scraper {
            interval_ns: interval_ns.max(1),
            next_ns: 0,
            samples: Vec::new(),
            frees: 0,
        }
    }

    /// Whether a scrape falls at or before `now_ns`.
    #[inline]
    pub fn due(&self, now_ns: u64) -> bool {
        self.next_ns <= now_ns
    }

    /// Takes every scrape due up to `now_ns`.
    #[inline]
    pub fn advance(&mut self, now_ns: u64, gc: &Gc, goroutines: usize) {
        while self.next_ns <= now_ns {
            let s = self.sample(self.next_ns, gc, goroutines);
            self.samples.push(s);
            self.next_ns = self.next_ns.saturating_add(self.interval_ns);
        }
    }

    /// The last scrape, at the end of the run (if no scrape fell on it). One that would
    /// share the last scrape's millisecond (metrics.om's resolution) replaces it.
    pub fn finish(&mut self, end_ns: u64, gc: &Gc, goroutines: usize) {
        self.advance(end_ns, gc, goroutines);
        if self.samples.last().is_none_or(|s| s.t_ns < end_ns) {
            let s = self.sample(end_ns, gc, goroutines);
            if self
                .samples
                .last()
                .is_some_and(|l| l.t_ns / 1_000_000 == end_ns / 1_000_000)
            {
                self.samples.pop();
            }
            self.samples.push(s);
        }
    }

    fn sample(&mut self, t_ns: u64, gc: &Gc, goroutines: usize) -> MetricsSample {
        let mut s = sample(t_ns, gc, goroutines);
        // `Frees` is a counter: the estimate of live objects may not give some back.
        self.frees = self.frees.max(s.mallocs.saturating_sub(s.heap_objects));
        s.heap_objects = s.mallocs.saturating_sub(self.frees);
        s.frees = self.frees;
        s
    }
}

fn sample(t_ns: u64, gc: &Gc, goroutines: usize) -> MetricsSample {
    let h = &gc.heap;
    let mean = h
        .total_alloc
        .checked_div(h.total_alloc_objects)
        .unwrap_or(0);
    MetricsSample {
        t_ns,
        heap_alloc: h.in_use,
        next_gc: gc.next_gc(),
        total_alloc: h.total_alloc,
        mallocs: h.total_alloc_objects,
        heap_objects: h.in_use.checked_div(mean).unwrap_or(0),
        frees: 0,
        heap_idle: h.free_mapped + h.released,
        heap_released: h.released,
        sys: h.in_use + h.free_mapped + h.released + h.unused + h.nonheap_bytes(),
        gc_cycles: gc.cycles.len() as u64,
        last_gc_ns: gc.last_gc_end_ns,
        goroutines: goroutines as u64 + 1,
    }
}
