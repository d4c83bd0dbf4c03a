//! summary.json and the human summary printed by `gomemsim run`.

use std::fmt::Write as _;

use serde::Serialize;

use crate::engine::sim::MapShape;
use crate::engine::{MapOutcome, Outcome};

/// The fields DESIGN.md fixes for summary.json, in its order: every summary.json
/// (`run`'s and `replay`'s) starts with them.
#[derive(Serialize)]
pub(super) struct SummaryContract<'a> {
    pub scenario: &'a str,
    pub seed: u64,
    pub sim_time_ns: u64,
    pub gc_cycles: u64,
    pub total_alloc_bytes: u64,
    /// Highest heap in use (live objects and unswept garbage).
    pub peak_heap_bytes: u64,
    pub stw_total_ns: u64,
    pub stw_max_ns: u64,
    /// As Go's MemStats.GCCPUFraction: GC CPU (idle marking excluded) over all CPU.
    pub gc_cpu_fraction: f64,
    pub fatal: Option<&'a str>,
}

/// summary.json of a run: the contract, then the rest of what the run measured.
#[derive(Serialize)]
struct Summary<'a> {
    #[serde(flatten)]
    contract: SummaryContract<'a>,
    /// 1 − gc_cpu_fraction: the share of CPU left to the program.
    mutator_utilization: f64,
    /// Bytes allocated per simulated second.
    alloc_throughput_bytes_per_s: f64,
    stw_p50_ns: u64,
    stw_p99_ns: u64,
    assist_cpu_ns: u64,
    gc_cpu_ns: u64,
    /// Cycles the CPU limiter (runtime/mgclimit.go) ran with assists off.
    gc_limited_cycles: u32,
    /// Highest total mapped memory: heap, free heap not yet returned, and non-heap.
    peak_total_bytes: u64,
    gomaxprocs: u32,
    total_alloc_objects: u64,
    map_ops: u64,
    /// How the program came to die (who held the map, who saw it), when it did.
    #[serde(skip_serializing_if = "Option::is_none")]
    fatal_detail: Option<&'a str>,
    /// The most goroutines alive at once.
    max_goroutines: u64,
    maps: Vec<MapSummary<'a>>,
    /// Slice name → its length, capacity and allocations, for scenarios with slices.
    #[serde(skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    slices: std::collections::BTreeMap<&'a str, super::slices::SliceSummary>,
    /// Request name → latency statistics (after the warm-up), for scenarios with requests.
    #[serde(skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    requests: std::collections::BTreeMap<&'a str, super::latency::RequestStats>,
    /// The run was stopped by a time limit before the program ended.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    stopped_by_time_limit: bool,
}

/// Pause statistics: (total, max, p50, p99) by nearest rank.
pub fn pause_stats(pauses: &[u64]) -> (u64, u64, u64, u64) {
    if pauses.is_empty() {
        return (0, 0, 0, 0);
    }
    let mut v = pauses.to_vec();
    v.sort_unstable();
    let rank = |q: f64| v[((q * v.len() as f64).ceil() as usize).clamp(1, v.len()) - 1];
    (v.iter().sum(), v[v.len() - 1], rank(0.5), rank(0.99))
}

/// GC CPU over all CPU (sim time × GOMAXPROCS).
fn gc_cpu_fraction(o: &Outcome) -> f64 {
    let total = o.sim_time_ns as f64 * f64::from(o.procs.max(1));
    if total == 0.0 {
        0.0
    } else {
        o.total_gc_cpu_ns as f64 / total
    }
}

#[derive(Serialize)]
struct MapSummary<'a> {
    name: &'a str,
    key: &'a str,
    elem: &'a str,
    implementation: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    bucket_size_bytes: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    b: Option<u8>,
    #[serde(skip_serializing_if = "Option::is_none")]
    buckets: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    group_size_bytes: Option<u64>,
    /// Swiss maps: slots in all tables, tables, directory depth.
    #[serde(skip_serializing_if = "Option::is_none")]
    capacity: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    tables: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    global_depth: Option<u8>,
    count: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    noverflow: Option<u16>,
    #[serde(skip_serializing_if = "Option::is_none")]
    growing: Option<bool>,
    writes: u64,
    growths: u64,
    same_size_growths: u64,
    overflow_buckets_preallocated_used: u64,
    overflow_buckets_allocated: u64,
    bytes_allocated: u64,
    bytes_garbage: u64,
    live_bytes: u64,
}

fn map_summary(m: &MapOutcome) -> MapSummary<'_> {
    let mut s = MapSummary {
        name: &m.name,
        key: &m.key,
        elem: &m.elem,
        implementation: m.implementation,
        bucket_size_bytes: None,
        b: None,
        buckets: None,
        group_size_bytes: None,
        capacity: None,
        tables: None,
        global_depth: None,
        count: m.count,
        noverflow: None,
        growing: None,
        writes: m.stats.writes,
        growths: m.stats.growths,
        same_size_growths: m.stats.same_size_growths,
        overflow_buckets_preallocated_used: m.stats.overflow_from_prealloc,
        overflow_buckets_allocated: m.stats.overflow_allocated,
        bytes_allocated: m.stats.bytes_allocated,
        bytes_garbage: m.stats.bytes_garbage,
        live_bytes: m.live_bytes,
    };
    match m.shape {
        MapShape::Classic {
            bucket_size,
            b,
            noverflow,
            growing,
        } => {
            s.bucket_size_bytes = Some(bucket_size);
            s.b = Some(b);
            s.buckets = Some(1u64 << b);
            s.noverflow = Some(noverflow);
            s.growing = Some(growing);
        }
        MapShape::Swiss {
            group_size,
            capacity,
            tables,
            global_depth,
        } => {
            s.group_size_bytes = Some(group_size);
            s.capacity = Some(capacity);
            s.tables = Some(tables);
            s.global_depth = Some(global_depth);
        }
    }
    s
}

/// The summary.json text (pretty, with a final newline).
pub fn summary_json(o: &Outcome) -> String {
    let (stw_total, stw_max, p50, p99) = pause_stats(&o.pauses_ns);
    let frac = gc_cpu_fraction(o);
    let secs = o.sim_time_ns as f64 / 1e9;
    let s = Summary {
        contract: SummaryContract {
            scenario: &o.scenario,
            seed: o.seed,
            sim_time_ns: o.sim_time_ns,
            gc_cycles: o.gc.len() as u64,
            total_alloc_bytes: o.total_alloc_bytes,
            peak_heap_bytes: o.peak_heap_bytes,
            stw_total_ns: stw_total,
            stw_max_ns: stw_max,
            gc_cpu_fraction: round6(frac),
            fatal: o.fatal.as_deref(),
        },
        mutator_utilization: round6(1.0 - frac),
        alloc_throughput_bytes_per_s: if secs > 0.0 {
            (o.total_alloc_bytes as f64 / secs).round()
        } else {
            0.0
        },
        stw_p50_ns: p50,
        stw_p99_ns: p99,
        assist_cpu_ns: o.assist_ns,
        gc_cpu_ns: o.total_gc_cpu_ns,
        gc_limited_cycles: o.limited_cycles,
        peak_total_bytes: o.peak_total_bytes,
        gomaxprocs: o.procs,
        total_alloc_objects: o.total_alloc_objects,
        map_ops: o.work.ops,
        fatal_detail: o.fatal_detail.as_deref(),
        max_goroutines: o.max_goroutines,
        maps: o.maps.iter().map(map_summary).collect(),
        slices: super::slices::slice_summaries(o),
        requests: super::latency::request_stats(o),
        stopped_by_time_limit: o.stopped,
    };
    let mut text = serde_json::to_string_pretty(&s).expect("summary serializes");
    text.push('\n');
    text
}

/// Rounds to 6 decimals so the JSON text is stable and readable.
fn round6(x: f64) -> f64 {
    (x * 1e6).round() / 1e6
}

/// A short human summary: per map, the final B, growths, overflow buckets, bytes; then time.
pub fn human_summary(o: &Outcome) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "scenario {} (seed {})", o.scenario, o.seed);
    for m in &o.maps {
        match m.shape {
            MapShape::Classic {
                bucket_size,
                b,
                noverflow,
                growing,
            } => {
                let _ = writeln!(
                    out,
                    "  map {} map[{}]{}: {} keys, B={} ({} buckets of {} B){}",
                    m.name,
                    m.key,
                    m.elem,
                    m.count,
                    b,
                    1u64 << b,
                    bucket_size,
                    if growing { ", growth in progress" } else { "" }
                );
                let _ = writeln!(
                    out,
                    "    growths: {} doubling, {} same-size; overflow buckets: {} preallocated used, {} allocated (noverflow {})",
                    m.stats.growths,
                    m.stats.same_size_growths,
                    m.stats.overflow_from_prealloc,
                    m.stats.overflow_allocated,
                    noverflow
                );
            }
            MapShape::Swiss {
                group_size,
                capacity,
                tables,
                global_depth,
            } => {
                let _ = writeln!(
                    out,
                    "  map {} map[{}]{} (Swiss tables): {} keys, {} slots in {} tables \
                     (directory depth {}, groups of {} B)",
                    m.name, m.key, m.elem, m.count, capacity, tables, global_depth, group_size
                );
                let _ = writeln!(out, "    rebuilds: {} (grows and splits)", m.stats.growths);
            }
        }
        let _ = writeln!(
            out,
            "    allocated {}, of which garbage {}; live {}",
            human_bytes(m.stats.bytes_allocated),
            human_bytes(m.stats.bytes_garbage),
            human_bytes(m.live_bytes)
        );
    }
    for s in &o.slices {
        let _ = writeln!(
            out,
            "  slice {} []{}: len {}, cap {}; {}, {} of {} in all, garbage {}",
            s.name,
            s.elem,
            s.len,
            s.cap,
            super::plural(s.appends, "append"),
            super::plural(s.stats.allocs, "allocation"),
            human_bytes(s.stats.alloc_bytes),
            human_bytes(s.stats.garbage_bytes)
        );
    }
    let (stw_total, stw_max, _, p99) = pause_stats(&o.pauses_ns);
    let _ = writeln!(
        out,
        "  GC: {}{}, GC CPU {:.2}% of {} P, pauses total {} (max {}, p99 {}), peak heap {} (total memory {})",
        super::plural(o.gc.len() as u64, "cycle"),
        // Two pauses a cycle: one more is the sweep termination of a cycle the run ended in.
        if o.pauses_ns.len() > 2 * o.gc.len() {
            " (and one the run ended in)"
        } else {
            ""
        },
        gc_cpu_fraction(o) * 100.0,
        o.procs.max(1),
        human_ns(stw_total),
        human_ns(stw_max),
        human_ns(p99),
        human_bytes(o.peak_heap_bytes),
        human_bytes(o.peak_total_bytes)
    );
    let _ = writeln!(
        out,
        "  {} map operations, {} allocated in total, simulated time {}",
        o.work.ops,
        human_bytes(o.total_alloc_bytes),
        human_ns(o.sim_time_ns)
    );
    super::latency::human_requests(o, &mut out);
    if let Some(f) = &o.fatal {
        let _ = writeln!(out, "  {}", super::fatal_line(f));
        if let Some(d) = &o.fatal_detail {
            let _ = writeln!(out, "    {d}");
        }
    }
    out
}

/// Bytes with a binary unit, e.g. "1.50 MiB".
pub fn human_bytes(b: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut v = b as f64;
    let mut u = 0;
    while v >= 1024.0 && u < UNITS.len() - 1 {
        v /= 1024.0;
        u += 1;
    }
    if u == 0 {
        format!("{b} B")
    } else {
        format!("{v:.2} {}", UNITS[u])
    }
}

/// Nanoseconds with a readable unit, e.g. "1.234 ms".
pub fn human_ns(ns: u64) -> String {
    let v = ns as f64;
    if ns < 1_000 {
        format!("{ns} ns")
    } else if ns < 1_000_000 {
        format!("{:.3} us", v / 1e3)
    } else if ns < 1_000_000_000 {
        format!("{:.3} ms", v / 1e6)
    } else {
        format!("{:.3} s", v / 1e9)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn human_units() {
        assert_eq!(human_bytes(512), "512 B");
        assert_eq!(human_bytes(1536), "1.50 KiB");
        assert_eq!(human_ns(999), "999 ns");
        assert_eq!(human_ns(1_234_000), "1.234 ms");
    }
}
