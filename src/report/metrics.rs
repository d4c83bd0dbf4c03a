//! `metrics.om`: the run's scrapes as OpenMetrics text (openmetrics.io, the exposition
//! format `promtool tsdb create-blocks-from openmetrics` backfills), with the series,
//! HELP and TYPE lines of client_golang's Go collector (prometheus/client_golang:
//! prometheus/go_collector.go), so that a Go dashboard shows the simulated process.
//!
//! Each metric family is written once with all its samples, oldest first, each with its
//! timestamp: `start_unix_s` plus the scrape's virtual time, in milliseconds.

use std::fmt::Write as _;

use crate::engine::Outcome;
use crate::engine::scrape::MetricsSample;

/// One gauge or counter family: name (without `_total` for a counter), HELP, and how to
/// read it off a scrape.
struct Family {
    name: &'static str,
    help: &'static str,
    counter: bool,
    value: fn(&MetricsSample, &Process) -> f64,
}

/// What a family reads besides the scrape: the process's start and its Ps.
struct Process {
    /// Unix time of virtual time 0 (s).
    start_unix_s: u64,
    /// GOMAXPROCS.
    procs: u32,
}

/// The families, in client_golang's order (alphabetical within the Go collector). Its gauge
/// `go_memstats_alloc_bytes` (the same value as `go_memstats_heap_alloc_bytes`) is left out:
/// in OpenMetrics it would share its family name with the counter
/// `go_memstats_alloc_bytes_total`, which backfilling refuses.
const FAMILIES: [Family; 15] = [
    Family {
        name: "go_gc_cycles_total_gc_cycles",
        help: "Count of all completed GC cycles.",
        counter: true,
        value: |s, _| s.gc_cycles as f64,
    },
    Family {
        name: "go_goroutines",
        help: "Number of goroutines that currently exist.",
        counter: false,
        value: |s, _| s.goroutines as f64,
    },
    Family {
        name: "go_memstats_alloc_bytes",
        help: "Total number of bytes allocated, even if freed.",
        counter: true,
        value: |s, _| s.total_alloc as f64,
    },
    Family {
        name: "go_memstats_frees",
        help: "Total number of frees.",
        counter: true,
        value: |s, _| s.frees as f64,
    },
    Family {
        name: "go_memstats_heap_alloc_bytes",
        help: "Number of heap bytes allocated and still in use.",
        counter: false,
        value: |s, _| s.heap_alloc as f64,
    },
    Family {
        name: "go_memstats_heap_idle_bytes",
        help: "Number of heap bytes waiting to be used.",
        counter: false,
        value: |s, _| s.heap_idle as f64,
    },
    Family {
        name: "go_memstats_heap_inuse_bytes",
        help: "Number of heap bytes that are in use.",
        counter: false,
        value: |s, _| s.heap_alloc as f64,
    },
    Family {
        name: "go_memstats_heap_objects",
        help: "Number of allocated objects.",
        counter: false,
        value: |s, _| s.heap_objects as f64,
    },
    Family {
        name: "go_memstats_heap_released_bytes",
        help: "Number of heap bytes released to OS.",
        counter: false,
        value: |s, _| s.heap_released as f64,
    },
    Family {
        name: "go_memstats_heap_sys_bytes",
        help: "Number of heap bytes obtained from system.",
        counter: false,
        value: |s, _| (s.heap_alloc + s.heap_idle) as f64,
    },
    Family {
        name: "go_memstats_last_gc_time_seconds",
        help: "Number of seconds since 1970 of last garbage collection.",
        counter: false,
        value: |s, p| {
            if s.gc_cycles == 0 {
                0.0
            } else {
                p.start_unix_s as f64 + s.last_gc_ns as f64 / 1e9
            }
        },
    },
    Family {
        name: "go_memstats_mallocs",
        help: "Total number of mallocs.",
        counter: true,
        value: |s, _| s.mallocs as f64,
    },
    Family {
        name: "go_memstats_next_gc_bytes",
        help: "Number of heap bytes when next garbage collection will take place.",
        counter: false,
        value: |s, _| s.next_gc as f64,
    },
    Family {
        name: "go_memstats_sys_bytes",
        help: "Number of bytes obtained from system.",
        counter: false,
        value: |s, _| s.sys as f64,
    },
    Family {
        name: "go_threads",
        help: "Number of OS threads created.",
        counter: false,
        // One M per P and sysmon's: the threads a program that keeps its Ps busy has.
        value: |_, p| f64::from(p.procs) + 1.0,
    },
];

/// runtime/debug: ReadGCStats's PauseQuantiles as client_golang asks for them (5: the
/// minimum, the quartiles, the maximum) over the last 256 pauses (`MemStats.PauseNs`),
/// each cycle's pause being both its stop-the-world phases (`work.pauseNS`).
fn pause_quantiles(pauses: &mut [u64]) -> [u64; 5] {
    if pauses.is_empty() {
        return [0; 5];
    }
    pauses.sort_unstable();
    let n = pauses.len();
    let mut q = [0; 5];
    for (i, v) in q.iter_mut().enumerate().take(4) {
        *v = pauses[n * i / 4];
    }
    q[4] = pauses[n - 1];
    q
}

/// The OpenMetrics text of `outcome.metrics`, for a program built with Go `go_version`
/// ("1.19"), timestamps from `start_unix_s`.
pub fn metrics_om(outcome: &Outcome, go_version: &str, start_unix_s: u64) -> String {
    metrics_om_of(
        &outcome.metrics,
        &outcome.gc,
        outcome.procs,
        go_version,
        start_unix_s,
    )
}

/// The OpenMetrics text of scrapes `samples` of a process with GOMAXPROCS `procs` whose
/// finished GC cycles are `cycles` (a run's, or a replayed schedule's).
pub fn metrics_om_of(
    samples: &[MetricsSample],
    cycles: &[crate::model::gc::GcCycle],
    procs: u32,
    go_version: &str,
    start_unix_s: u64,
) -> String {
    let process = Process {
        start_unix_s,
        procs,
    };
    let mut out = String::new();
    let ts = |s: &MetricsSample| {
        let ms = s.t_ns / 1_000_000;
        format!("{}.{:03}", start_unix_s + ms / 1000, ms % 1000)
    };
    // go_gc_duration_seconds: a summary.
    let _ = writeln!(
        out,
        "# HELP go_gc_duration_seconds A summary of the pause duration of garbage collection cycles."
    );
    let _ = writeln!(out, "# TYPE go_gc_duration_seconds summary");
    let pause = |c: &crate::model::gc::GcCycle| c.stw_sweep_term_ns + c.stw_mark_term_ns;
    let mut window = Vec::with_capacity(256);
    for s in samples {
        let done = &cycles[..(s.gc_cycles as usize).min(cycles.len())];
        window.clear();
        window.extend(done.iter().rev().take(256).map(pause));
        let q = pause_quantiles(&mut window);
        let t = ts(s);
        for (label, v) in ["0", "0.25", "0.5", "0.75", "1"].iter().zip(q) {
            let _ = writeln!(
                out,
                "go_gc_duration_seconds{{quantile=\"{label}\"}} {} {t}",
                v as f64 / 1e9
            );
        }
        let sum: u64 = done.iter().map(pause).sum();
        let _ = writeln!(out, "go_gc_duration_seconds_sum {} {t}", sum as f64 / 1e9);
        let _ = writeln!(out, "go_gc_duration_seconds_count {} {t}", done.len());
    }
    for f in &FAMILIES {
        let kind = if f.counter { "counter" } else { "gauge" };
        let sample = if f.counter {
            format!("{}_total", f.name)
        } else {
            f.name.to_string()
        };
        let _ = writeln!(out, "# HELP {} {}", f.name, f.help);
        let _ = writeln!(out, "# TYPE {} {kind}", f.name);
        for s in samples {
            let _ = writeln!(out, "{sample} {} {}", (f.value)(s, &process), ts(s));
        }
    }
    let _ = writeln!(out, "# HELP go_info Information about the Go environment.");
    let _ = writeln!(out, "# TYPE go_info gauge");
    for s in samples {
        let _ = writeln!(out, "go_info{{version=\"go{go_version}\"}} 1 {}", ts(s));
    }
    out.push_str("# EOF\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// runtime/debug: ReadGCStats — sorted[n*i/4] for the first four, the maximum last.
    #[test]
    fn pause_quantiles_as_read_gc_stats_computes_them() {
        let mut p = vec![50, 10, 40, 20, 30];
        assert_eq!(pause_quantiles(&mut p), [10, 20, 30, 40, 50]);
        let mut p = vec![7, 3];
        assert_eq!(pause_quantiles(&mut p), [3, 3, 7, 7, 7]);
        assert_eq!(pause_quantiles(&mut []), [0; 5]);
    }
}
