//! The workload and the costs read off a gctrace log: the live heap and the allocation
//! between cycles become a program of `retain`/`free`/`alloc` ops; the printed CPU and clock
//! times become the `[costs]` of marking and of the pauses.

use crate::gctrace::ParsedCycle;
use crate::scenario::{Bytes, Costs, Dur, Op, Rate};

use super::observed::MIB;
use super::settings::{mib_mid, roots_bytes};

/// Object size of the fitted allocations and retained memory. gctrace does not tell object
/// sizes; the GC cost defaults were calibrated on 4 KiB objects, so the fit uses them too.
pub const OBJECT: u64 = 4 << 10;

/// Start of cycle `c` in ns since the program started.
fn at_ns(c: &ParsedCycle) -> f64 {
    c.at_s * 1e9
}

/// Reachable heap when cycle `c`'s mark began: the marked heap less what was allocated
/// during the mark, which the runtime allocates black (runtime/malloc.go: gcmarknewobject)
/// and so counts as marked though most of it is already garbage.
pub fn reachable_bytes(c: &ParsedCycle) -> f64 {
    let during = c.heap_end_mb.saturating_sub(c.heap_start_mb) as f64 * MIB;
    (mib_mid(c.heap_marked_mb) - during).max(0.0)
}

/// Bytes allocated from the start of cycle `prev` to the start of cycle `c`: during `prev`'s
/// mark (H1 − H0), then from its end, when the runtime reset the live heap to the marked one
/// (runtime/mgcpacer.go: resetLive), to `c`'s start (H0 − H2 of `prev`). Both differences
/// of truncated MiB are unbiased.
pub fn allocated_between(prev: &ParsedCycle, c: &ParsedCycle) -> f64 {
    let during = prev.heap_end_mb.saturating_sub(prev.heap_start_mb);
    let after = c.heap_start_mb.saturating_sub(prev.heap_marked_mb);
    (during + after) as f64 * MIB
}

/// One stretch of the log between cycle starts.
#[derive(Debug, Clone, Copy)]
struct Interval {
    ns: f64,
    bytes: f64,
    /// Reachable heap at the interval's end.
    live: f64,
}

/// The fitted program: the ops of one goroutine, the first `warmup` of which stand for the
/// history before an excerpt's first cycle.
#[derive(Debug, Clone, PartialEq)]
pub struct Program {
    /// The goroutine's ops, warm-up first.
    pub ops: Vec<Op>,
    /// How many of `ops` are warm-up.
    pub warmup: usize,
}

/// Cycles of made-up history before an excerpt: enough for the pacer's cons/mark estimate
/// and trigger to settle as they had in the real program.
pub const WARMUP_CYCLES: f64 = 8.0;

/// `v` bytes rounded to whole KiB (negative as 0), as fitted sizes are written.
pub(super) fn kib_round(v: f64) -> u64 {
    ((v.max(0.0) / 1024.0).round() as u64) << 10
}

/// Builds the program. A log from the program's start (its first line is `gc 1`) starts from
/// an empty heap; an excerpt starts with a warm-up: its first cycle's reachable heap, then
/// [`WARMUP_CYCLES`] intervals' worth of allocation at its mean rate. At
/// most `max_windows` windows of consecutive intervals, each one `alloc` at its own rate,
/// with `retain`/`free` where the reachable heap moved; then half a window more, so the last
/// logged cycle has room to start.
///
/// A window that allocated at `saturated` bytes/s or more is taken for a program allocating
/// as fast as it could: its `alloc` has no rate, so the model's costs set the pace, and slow
/// down allocation during a mark (assists, the fractional worker) as the real runtime did.
pub fn program(
    cycles: &[ParsedCycle],
    from_start: bool,
    max_windows: usize,
    saturated: f64,
) -> Program {
    let mut intervals = Vec::with_capacity(cycles.len());
    if from_start && let Some(first) = cycles.first() {
        intervals.push(Interval {
            ns: at_ns(first),
            bytes: mib_mid(first.heap_start_mb),
            live: reachable_bytes(first),
        });
    }
    for w in cycles.windows(2) {
        intervals.push(Interval {
            ns: (at_ns(&w[1]) - at_ns(&w[0])).max(0.0),
            bytes: allocated_between(&w[0], &w[1]),
            live: reachable_bytes(&w[1]),
        });
    }
    let mut ops = Vec::new();
    let mut live = 0.0;
    if let (false, Some(c)) = (from_start, cycles.first()) {
        let start_live = kib_round(reachable_bytes(c));
        if start_live > 0 {
            ops.push(Op::Retain {
                bytes: Bytes(start_live),
                size: Bytes(OBJECT),
            });
        }
        live = start_live as f64;
        let n = intervals.len().max(1) as f64;
        let bytes: f64 = intervals.iter().map(|i| i.bytes).sum::<f64>() / n;
        let ns: f64 = intervals.iter().map(|i| i.ns).sum::<f64>() / n;
        let w = WARMUP_CYCLES;
        push_alloc(&mut ops, kib_round(bytes * w), ns * w, saturated);
    }
    let warmup = ops.len();
    let per = intervals.len().div_ceil(max_windows.max(1)).max(1);
    let mut last: Option<(f64, f64)> = None;
    for chunk in intervals.chunks(per) {
        let ns: f64 = chunk.iter().map(|i| i.ns).sum();
        let bytes: f64 = chunk.iter().map(|i| i.bytes).sum();
        let target = chunk.last().map_or(live, |i| i.live);
        let delta = kib_round((target - live).abs());
        let mut retained = 0.0;
        if target > live && delta > 0 {
            ops.push(Op::Retain {
                bytes: Bytes(delta),
                size: Bytes(OBJECT),
            });
            live += delta as f64;
            retained = delta as f64;
        } else if target < live && delta > 0 {
            ops.push(Op::Free {
                bytes: Bytes(delta),
            });
            live -= delta as f64;
        }
        // What the window allocated beyond the memory it kept is garbage.
        let garbage = kib_round(bytes - retained);
        push_alloc(&mut ops, garbage, ns, saturated);
        last = Some((garbage as f64, ns));
    }
    if let Some((bytes, ns)) = last {
        push_alloc(&mut ops, kib_round(bytes / 2.0), ns / 2.0, saturated);
    }
    Program { ops, warmup }
}

/// `bytes` of garbage spread over `ns`, or the time alone when there is nothing to allocate.
fn push_alloc(ops: &mut Vec<Op>, bytes: u64, ns: f64, saturated: f64) {
    let us = (ns / 1000.0).round() as u64;
    let per_s = if us > 0 {
        (bytes as f64 / (us as f64 / 1e6)).round()
    } else {
        f64::INFINITY
    };
    if bytes >= OBJECT && per_s < saturated {
        ops.push(Op::Alloc {
            bytes: Bytes(bytes),
            size: Bytes(OBJECT),
            rate: Some(Rate(kib_round(per_s).max(1024))),
        });
    } else if bytes >= OBJECT {
        ops.push(Op::Alloc {
            bytes: Bytes(bytes),
            size: Bytes(OBJECT),
            rate: None,
        });
    } else if us > 0 {
        ops.push(Op::Compute {
            time: Dur::from_ns(us * 1000),
        });
    }
}

/// The rate at which one goroutine of the model allocates 4 KiB objects with `costs` and no
/// GC running; windows at three quarters of it or more count as saturated.
pub fn saturated_rate(costs: &Costs) -> f64 {
    let kib = OBJECT as f64 / 1024.0;
    let per_object_ps = costs.alloc_object.as_ps() as f64
        + (costs.alloc_per_kib.as_ps() + costs.sweep_per_kib.as_ps()) as f64 * kib;
    0.75 * OBJECT as f64 * 1e12 / per_object_ps.max(1.0)
}

/// The `[costs]` of GC read off the log; the rest keep their defaults.
///
/// - Pauses: the mean wall time of each stop-the-world phase.
/// - Mark work: the model spends `(reachable + roots) × mark_per_kib + roots × scan_per_kib`
///   of CPU on a mark, shared by background, idle and assist workers, so `mark_per_kib` is
///   the logged mark CPU (assist + background + idle) over the marked KiB.
/// - Background utilisation: background CPU over the 25% of GOMAXPROCS the workers are
///   given for the mark's wall time; idle utilisation likewise over the Ps left idle by one
///   busy goroutine and the dedicated workers.
pub fn fitted_costs(cycles: &[ParsedCycle], procs: u32) -> Costs {
    let mut costs = Costs::default();
    if cycles.is_empty() {
        return costs;
    }
    let n = cycles.len() as f64;
    let ms = |v: &[f64], i: usize| v.get(i).copied().unwrap_or(0.0) * 1e6;
    let mean_ns = |i: usize| cycles.iter().map(|c| ms(&c.clock_ms, i)).sum::<f64>() / n;
    costs.stw_sweep_term = Dur::from_ns(mean_ns(0).round() as u64);
    costs.stw_mark_term = Dur::from_ns(mean_ns(2).round() as u64);

    let scan_ps = costs.scan_per_kib.as_ps() as f64;
    let (mut work_ns, mut kib, mut bg_ns, mut idle_ns, mut mark_ns) = (0.0, 0.0, 0.0, 0.0, 0.0);
    for c in cycles {
        let roots = roots_bytes(c);
        work_ns += ms(&c.cpu_ms, 1) + ms(&c.cpu_ms, 2) + ms(&c.cpu_ms, 3)
            - roots / 1024.0 * scan_ps / 1000.0;
        kib += (reachable_bytes(c) + roots) / 1024.0;
        bg_ns += ms(&c.cpu_ms, 2);
        idle_ns += ms(&c.cpu_ms, 3);
        mark_ns += ms(&c.clock_ms, 1);
    }
    if kib > 0.0 && work_ns > 0.0 {
        let ps = (work_ns * 1000.0 / kib).round().max(100.0);
        costs.mark_per_kib = Dur::from_ps(ps as u64);
    }
    let p = f64::from(procs.max(1));
    if mark_ns > 0.0 {
        let bg = bg_ns / (mark_ns * 0.25 * p);
        costs.background_mark_utilization = round3(bg.clamp(0.05, 1.0));
        let dedicated = crate::model::gc::pacer::mark_workers(procs).0 as f64;
        let idle_ps = (p - dedicated - 1.0).max(0.0);
        if idle_ps > 0.0 {
            let idle = idle_ns / (mark_ns * idle_ps);
            costs.idle_mark_utilization = round3(idle.clamp(0.0, 1.0));
        }
    }
    costs
}

fn round3(v: f64) -> f64 {
    (v * 1000.0).round() / 1000.0
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gctrace::parse_gctrace;

    const LOG: &str = "\
gc 1 @0.010s 2%: 0.010+1.0+0.030 ms clock, 0.020+0.10/0.50/0.30+0.060 ms cpu, 10->12->8 MB, 11 MB goal, 0 MB stacks, 0 MB globals, 2 P
gc 2 @0.030s 3%: 0.030+2.0+0.050 ms clock, 0.060+0.20/1.0/0+0.100 ms cpu, 14->16->9 MB, 17 MB goal, 0 MB stacks, 0 MB globals, 2 P
";

    #[test]
    fn allocation_between_cycles_from_the_heap_triple() {
        let c = parse_gctrace(LOG);
        // During gc 1's mark 12 − 10, then 14 − 8 from its end to gc 2's start.
        assert_eq!(allocated_between(&c[0], &c[1]), 8.0 * MIB);
        // gc 2: marked 9 (+0.5) less the 2 MiB allocated black during its mark.
        assert_eq!(reachable_bytes(&c[1]), 7.5 * MIB);
    }

    #[test]
    fn a_log_from_the_start_grows_its_heap_then_allocates_at_each_rate() {
        let p = program(&parse_gctrace(LOG), true, 100, f64::INFINITY);
        assert_eq!(p.warmup, 0);
        // Interval 1: 10.5 MiB in 10 ms, 6.5 of it reachable at gc 1.
        // Interval 2: 8 MiB in 20 ms, the reachable heap grows by 1 MiB to 7.5.
        let six_half = 6_815_744;
        assert_eq!(
            p.ops[0],
            Op::Retain {
                bytes: Bytes(six_half),
                size: Bytes(OBJECT)
            }
        );
        let Op::Alloc { bytes, rate, .. } = &p.ops[1] else {
            panic!("{:?}", p.ops[1]);
        };
        assert_eq!(bytes.0, (4 << 20) as u64);
        assert_eq!(rate.unwrap().0, 400 << 20);
        assert_eq!(
            p.ops[2],
            Op::Retain {
                bytes: Bytes(1 << 20),
                size: Bytes(OBJECT)
            }
        );
        let Op::Alloc { bytes, rate, .. } = &p.ops[3] else {
            panic!("{:?}", p.ops[3]);
        };
        assert_eq!((bytes.0, rate.unwrap().0), (7 << 20, 350 << 20));
        // The tail: half the last window.
        let Op::Alloc { bytes, rate, .. } = &p.ops[4] else {
            panic!("{:?}", p.ops[4]);
        };
        assert_eq!((bytes.0, rate.unwrap().0), (7 << 19, 350 << 20));
        assert_eq!(p.ops.len(), 5);
    }

    #[test]
    fn an_excerpt_starts_with_its_live_heap_and_a_history() {
        let p = program(&parse_gctrace(LOG), false, 100, f64::INFINITY);
        // gc 1's reachable heap, then 8 intervals like the mean one (8 MiB in 20 ms).
        assert_eq!(
            p.ops[0],
            Op::Retain {
                bytes: Bytes(6_815_744),
                size: Bytes(OBJECT)
            }
        );
        let Op::Alloc { bytes, rate, .. } = &p.ops[1] else {
            panic!("{:?}", p.ops[1]);
        };
        assert_eq!((bytes.0, rate.unwrap().0), (64 << 20, 400 << 20));
        assert_eq!(p.warmup, 2);
        // Then interval 2 (retain 1 MiB, alloc 7 MiB) and the tail.
        assert_eq!(p.ops.len(), 5, "{:?}", p.ops);
    }

    #[test]
    fn costs_from_the_cpu_and_clock_fields() {
        let c = fitted_costs(&parse_gctrace(LOG), 2);
        assert_eq!(c.stw_sweep_term, Dur::from_ns(20_000));
        assert_eq!(c.stw_mark_term, Dur::from_ns(40_000));
        // Background: 1.5 ms of CPU over 3 ms of mark x 0.5 P.
        assert_eq!(c.background_mark_utilization, 1.0);
        // 2 Ps, no dedicated worker, one busy goroutine: one idle P; 0.3 ms over 3 ms.
        assert_eq!(c.idle_mark_utilization, 0.1);
    }

    #[test]
    fn saturated_windows_allocate_as_fast_as_costs_allow() {
        // Default costs: 20 ns + (50 + 150) ns x 4 per 4 KiB object, 820 ns: 3/4 of 5 GB/s.
        let sat = saturated_rate(&Costs::default());
        assert!((sat - 0.75 * 4096.0 / 820e-9).abs() < 1.0, "{sat}");
        // Interval 1 allocates 400 MiB/s, interval 2 350 MiB/s: only the first is saturated
        // at 380 MiB/s.
        let p = program(&parse_gctrace(LOG), true, 100, 380.0 * MIB);
        assert!(
            matches!(p.ops[1], Op::Alloc { rate: None, .. }),
            "{:?}",
            p.ops[1]
        );
        assert!(
            matches!(p.ops[3], Op::Alloc { rate: Some(_), .. }),
            "{:?}",
            p.ops[3]
        );
    }
}
