//! The quantities a fit is judged on. Both sides are measured from gctrace lines — the real
//! log as it is, the simulation as gctrace would print it — so fit.json compares like with
//! like, down to gctrace's truncation of bytes to whole MiB.

use serde::Serialize;

use crate::gctrace::{ParsedCycle, parse_gctrace};
use crate::model::gc::GcCycle;
use crate::report::gctrace_text;

/// Bytes in a MiB: gctrace prints heap sizes as `bytes >> 20` (runtime/mgc.go:
/// gcMarkTermination).
pub const MIB: f64 = 1_048_576.0;

/// What a run of GC cycles looked like, from its gctrace lines.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Quantities {
    /// Cycles in the span.
    pub gc_cycles: u64,
    /// Mean `G MB goal`, in bytes.
    pub mean_heap_goal_bytes: f64,
    /// Sum of both stop-the-world phases' wall-clock times.
    pub stw_total_ns: f64,
    /// GC CPU (both pauses, assists, background marking; idle marking left out as
    /// runtime/mgc.go does for its `P%`) over the span's CPU time, GOMAXPROCS x duration.
    pub gc_cpu_fraction: f64,
    /// Mean marked heap (`H2`), in bytes.
    pub mean_marked_bytes: f64,
    /// Largest heap at the end of a mark (`H1`), in bytes.
    pub peak_heap_bytes: f64,
    /// Longest single stop-the-world phase.
    pub stw_max_ns: f64,
    /// Mean concurrent mark phase.
    pub mean_mark_ns: f64,
    /// Mean growth of the heap during a mark (`H1 − H0`): what the program allocated while
    /// the GC marked, allocated black, so marked and part of the next goal.
    pub mean_mark_alloc_bytes: f64,
    /// From the span's start to the end of its last cycle.
    pub duration_ns: f64,
}

impl Quantities {
    /// Measures `cycles`, a span that began at `span_start_s` seconds (0 for a log from the
    /// program's start). `procs` is GOMAXPROCS, used when a line does not give it.
    pub fn from_cycles(cycles: &[ParsedCycle], span_start_s: f64, procs: u32) -> Quantities {
        let n = cycles.len().max(1) as f64;
        let ms = |v: &[f64], i: usize| v.get(i).copied().unwrap_or(0.0) * 1e6;
        let mut q = Quantities {
            gc_cycles: cycles.len() as u64,
            mean_heap_goal_bytes: 0.0,
            stw_total_ns: 0.0,
            gc_cpu_fraction: 0.0,
            mean_marked_bytes: 0.0,
            peak_heap_bytes: 0.0,
            stw_max_ns: 0.0,
            mean_mark_ns: 0.0,
            mean_mark_alloc_bytes: 0.0,
            duration_ns: 0.0,
        };
        let mut gc_cpu_ns = 0.0;
        let mut end_s = span_start_s;
        let mut procs = f64::from(procs.max(1));
        for c in cycles {
            let (stw1, mark, stw2) = (ms(&c.clock_ms, 0), ms(&c.clock_ms, 1), ms(&c.clock_ms, 2));
            q.mean_heap_goal_bytes += c.goal_mb as f64 * MIB / n;
            q.mean_marked_bytes += c.heap_marked_mb as f64 * MIB / n;
            q.peak_heap_bytes = q.peak_heap_bytes.max(c.heap_end_mb as f64 * MIB);
            q.stw_total_ns += stw1 + stw2;
            q.stw_max_ns = q.stw_max_ns.max(stw1).max(stw2);
            q.mean_mark_ns += mark / n;
            q.mean_mark_alloc_bytes +=
                c.heap_end_mb.saturating_sub(c.heap_start_mb) as f64 * MIB / n;
            // runtime/mgc.go: cycCpu = sweepTermCpu + markCpu (assist, dedicated, fractional)
            // + markTermCpu; idle marking is printed but not counted.
            gc_cpu_ns += ms(&c.cpu_ms, 0) + ms(&c.cpu_ms, 1) + ms(&c.cpu_ms, 2) + ms(&c.cpu_ms, 4);
            end_s = end_s.max(c.at_s + (stw1 + mark + stw2) / 1e9);
            if c.procs > 0 {
                procs = f64::from(c.procs);
            }
        }
        q.duration_ns = (end_s - span_start_s) * 1e9;
        if q.duration_ns > 0.0 {
            q.gc_cpu_fraction = gc_cpu_ns / (q.duration_ns * procs);
        }
        q
    }

    /// Measures simulated cycles as gctrace would print them, leaving out the first `skip`
    /// (a warm-up that the log did not show); the span starts where cycle `skip` ended.
    pub fn from_simulated(cycles: &[GcCycle], skip: usize, procs: u32) -> Quantities {
        let parsed = parse_gctrace(&gctrace_text(cycles));
        let skip = skip.min(parsed.len());
        let start_s = match skip {
            0 => 0.0,
            k => {
                let c = &cycles[k - 1];
                (c.start_ns + c.stw_sweep_term_ns + c.mark_ns + c.stw_mark_term_ns) as f64 / 1e9
            }
        };
        let mut q = Quantities::from_cycles(&parsed[skip..], start_s, procs);
        // Exact bytes: the model's cycles repeat, so truncating both ends of each to whole
        // MiB would not average out as it does over a real log's varying cycles.
        let measured = &cycles[skip.min(cycles.len())..];
        if !measured.is_empty() {
            q.mean_mark_alloc_bytes = measured
                .iter()
                .map(|c| c.heap_end_bytes.saturating_sub(c.heap_start_bytes) as f64)
                .sum::<f64>()
                / measured.len() as f64;
        }
        q
    }
}

/// One quantity of fit.json: observed in the log, simulated from the fitted scenario.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Compared {
    /// The value in the log.
    pub observed: f64,
    /// The value in the fitted scenario's simulation.
    pub simulated: f64,
    /// (simulated − observed) / observed; 0 when both are 0.
    pub relative_error: f64,
}

impl Compared {
    /// The pair, with its relative error.
    fn new(observed: f64, simulated: f64) -> Compared {
        let relative_error = if observed == 0.0 {
            if simulated == 0.0 { 0.0 } else { f64::INFINITY }
        } else {
            (simulated - observed) / observed
        };
        Compared {
            observed,
            simulated,
            relative_error,
        }
    }
}

/// Every quantity of [`Quantities`], observed against simulated, in fit.json's order.
pub fn compare(observed: &Quantities, simulated: &Quantities) -> Vec<(&'static str, Compared)> {
    let pair = |o: f64, s: f64| Compared::new(o, s);
    vec![
        (
            "gc_cycles",
            pair(observed.gc_cycles as f64, simulated.gc_cycles as f64),
        ),
        (
            "mean_heap_goal_bytes",
            pair(
                observed.mean_heap_goal_bytes,
                simulated.mean_heap_goal_bytes,
            ),
        ),
        (
            "stw_total_ns",
            pair(observed.stw_total_ns, simulated.stw_total_ns),
        ),
        (
            "gc_cpu_fraction",
            pair(observed.gc_cpu_fraction, simulated.gc_cpu_fraction),
        ),
        (
            "mean_marked_bytes",
            pair(observed.mean_marked_bytes, simulated.mean_marked_bytes),
        ),
        (
            "peak_heap_bytes",
            pair(observed.peak_heap_bytes, simulated.peak_heap_bytes),
        ),
        (
            "stw_max_ns",
            pair(observed.stw_max_ns, simulated.stw_max_ns),
        ),
        (
            "mean_mark_ns",
            pair(observed.mean_mark_ns, simulated.mean_mark_ns),
        ),
        (
            "mean_mark_alloc_bytes",
            pair(
                observed.mean_mark_alloc_bytes,
                simulated.mean_mark_alloc_bytes,
            ),
        ),
        (
            "duration_ns",
            pair(observed.duration_ns, simulated.duration_ns),
        ),
    ]
}

/// How a quantity is shown to people.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    /// A number of cycles.
    Count,
    /// Bytes, shown in MiB.
    Bytes,
    /// Nanoseconds, shown in ms.
    Nanos,
    /// A fraction, shown in percent.
    Fraction,
}

impl Unit {
    /// `v` for the terminal: a count as a whole number, bytes in MiB with one decimal, times
    /// in ms with three, fractions in percent with two.
    pub fn show(self, v: f64) -> String {
        if !v.is_finite() {
            return "n/a".to_string();
        }
        match self {
            Unit::Count => format!("{v:.0}"),
            Unit::Bytes => format!("{:.1} MiB", v / MIB),
            Unit::Nanos => format!("{:.3} ms", v / 1e6),
            Unit::Fraction => format!("{:.2}%", v * 100.0),
        }
    }
}

/// A quantity of [`compare`] by its fit.json name: its name for people and its unit.
pub fn describe(name: &str) -> (&'static str, Unit) {
    match name {
        "gc_cycles" => ("GC cycles", Unit::Count),
        "mean_heap_goal_bytes" => ("mean heap goal", Unit::Bytes),
        "stw_total_ns" => ("total STW", Unit::Nanos),
        "gc_cpu_fraction" => ("GC CPU", Unit::Fraction),
        "mean_marked_bytes" => ("mean marked heap", Unit::Bytes),
        "peak_heap_bytes" => ("peak heap", Unit::Bytes),
        "stw_max_ns" => ("longest pause", Unit::Nanos),
        "mean_mark_ns" => ("mean mark time", Unit::Nanos),
        "mean_mark_alloc_bytes" => ("allocated in mark", Unit::Bytes),
        "duration_ns" => ("duration", Unit::Nanos),
        _ => ("", Unit::Count),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LOG: &str = "\
gc 1 @0.010s 2%: 0.010+1.0+0.020 ms clock, 0.020+0.10/0.50/0.30+0.040 ms cpu, 4->5->2 MB, 5 MB goal, 0 MB stacks, 0 MB globals, 2 P
scvg: 0 MB released
gc 2 @0.020s 3%: 0.030+2.0+0.040 ms clock, 0.060+0.20/1.0/0+0.080 ms cpu, 4->6->3 MB, 7 MB goal, 0 MB stacks, 0 MB globals, 2 P
";

    #[test]
    fn quantities_follow_the_lines() {
        let q = Quantities::from_cycles(&parse_gctrace(LOG), 0.0, 1);
        assert_eq!(q.gc_cycles, 2);
        assert_eq!(q.mean_heap_goal_bytes, 6.0 * MIB);
        assert_eq!(q.mean_marked_bytes, 2.5 * MIB);
        assert_eq!(q.peak_heap_bytes, 6.0 * MIB);
        assert!((q.stw_total_ns - 100_000.0).abs() < 1e-6);
        assert!((q.stw_max_ns - 40_000.0).abs() < 1e-6);
        assert!((q.mean_mark_ns - 1_500_000.0).abs() < 1e-6);
        // 5 − 4 and 6 − 4 MiB.
        assert_eq!(q.mean_mark_alloc_bytes, 1.5 * MIB);
        // The last cycle ends at 20 ms + 2.07 ms; GC CPU without idle is 0.66 + 1.34 ms, over
        // 2 Ps (from the lines, not the argument).
        assert!((q.duration_ns - 22_070_000.0).abs() < 1e-3);
        let cpu = (0.02 + 0.10 + 0.50 + 0.04 + 0.06 + 0.20 + 1.0 + 0.08) * 1e6;
        assert!((q.gc_cpu_fraction - cpu / (22_070_000.0 * 2.0)).abs() < 1e-12);
    }

    #[test]
    fn simulated_allocation_in_a_mark_is_counted_in_bytes() {
        let cycle = |start: u64, end: u64| GcCycle {
            n: 1,
            heap_start_bytes: start,
            heap_end_bytes: end,
            heap_marked_bytes: start / 2,
            heap_goal_bytes: end,
            procs: 2,
            ..GcCycle::default()
        };
        // They print 4->5 and 4->6 MB (1 and 2 MiB); they grew by 1.0 and 1.5 MiB.
        let cycles = [
            cycle(4 << 20, 5 << 20),
            cycle((4 << 20) + (1 << 19), 6 << 20),
            cycle(4 << 20, 4 << 20),
        ];
        let q = Quantities::from_simulated(&cycles[..2], 0, 2);
        assert_eq!(q.mean_mark_alloc_bytes, 1.25 * MIB);
        // A skipped warm-up is left out here too.
        let q = Quantities::from_simulated(&cycles, 2, 2);
        assert_eq!(q.mean_mark_alloc_bytes, 0.0);
    }

    #[test]
    fn a_span_starting_later_counts_from_its_start() {
        let q = Quantities::from_cycles(&parse_gctrace(LOG)[1..], 0.010, 2);
        assert_eq!(q.gc_cycles, 1);
        assert!((q.duration_ns - 12_070_000.0).abs() < 1e-3);
    }

    #[test]
    fn human_units() {
        assert_eq!(Unit::Count.show(132.0), "132");
        assert_eq!(Unit::Bytes.show(138_928_376.24), "132.5 MiB");
        assert_eq!(Unit::Nanos.show(9_942_000.0), "9.942 ms");
        assert_eq!(Unit::Fraction.show(0.023029), "2.30%");
        assert_eq!(Unit::Nanos.show(f64::NAN), "n/a");
        let q = Quantities::from_cycles(&[], 0.0, 1);
        for (name, _) in compare(&q, &q) {
            assert!(!describe(name).0.is_empty(), "{name}");
        }
    }

    #[test]
    fn relative_errors() {
        assert_eq!(Compared::new(100.0, 95.0).relative_error, -0.05);
        assert_eq!(Compared::new(0.0, 0.0).relative_error, 0.0);
        assert!(Compared::new(0.0, 1.0).relative_error.is_infinite());
    }
}
