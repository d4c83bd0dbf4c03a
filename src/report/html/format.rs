//! Numbers as a reader wants them: bytes in KiB/MiB/GiB, nanoseconds in µs/ms/s, fractions
//! in %, counts with thousands separators; each chosen by the name of the field or column
//! (`*_bytes`, `*_ns`, `*_fraction`), the naming DESIGN.md fixes for every output.

/// How a field's value reads, from its name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Unit {
    Bytes,
    BytesPerSecond,
    Nanoseconds,
    Fraction,
    PerSecond,
    Count,
    Plain,
}

/// The unit a field or column name implies (a sweep's `_mean`, `_p99`... suffix aside).
pub(super) fn unit_of(name: &str) -> Unit {
    let base = ["_mean", "_p50", "_p99", "_max"]
        .iter()
        .find_map(|s| name.strip_suffix(s))
        .unwrap_or(name);
    if base.ends_with("_bytes_per_s") {
        Unit::BytesPerSecond
    } else if base.ends_with("_bytes") || base.starts_with("bytes_") {
        Unit::Bytes
    } else if base.ends_with("_ns") {
        Unit::Nanoseconds
    } else if base.ends_with("_fraction") || base == "mutator_utilization" {
        Unit::Fraction
    } else if base.ends_with("_rps") {
        Unit::PerSecond
    } else if base.starts_with("runtime.") || base == "seed" || base == "cycle" {
        Unit::Plain
    } else {
        Unit::Count
    }
}

/// `value` (as written in a CSV or JSON file) in `unit`; text that is not a number is
/// returned as it is.
pub(super) fn format(value: &str, unit: Unit) -> String {
    let Ok(x) = value.trim().parse::<f64>() else {
        return value.to_string();
    };
    if !x.is_finite() {
        return value.to_string();
    }
    match unit {
        Unit::Bytes => bytes(x),
        Unit::BytesPerSecond => format!("{}/s", bytes(x)),
        Unit::Nanoseconds => duration(x),
        Unit::Fraction => format!("{:.2}%", x * 100.0),
        Unit::PerSecond => format!("{}/s", count(x.round())),
        Unit::Count => count(x),
        Unit::Plain => value.to_string(),
    }
}

/// Bytes with a binary prefix, three significant digits.
pub(crate) fn bytes(x: f64) -> String {
    match crate::resources::binary_scaled(x) {
        (_, "B") => format!("{} B", count(x)),
        (v, unit) => format!("{} {unit}", significant(v)),
    }
}

/// A duration given in ns, in the largest unit that keeps it above 1.
pub(super) fn duration(ns: f64) -> String {
    let a = ns.abs();
    if a >= 1e9 {
        format!("{} s", significant(ns / 1e9))
    } else if a >= 1e6 {
        format!("{} ms", significant(ns / 1e6))
    } else if a >= 1e3 {
        format!("{} µs", significant(ns / 1e3))
    } else if ns.fract() == 0.0 {
        format!("{ns} ns")
    } else {
        format!("{} ns", significant(ns))
    }
}

/// Three significant digits, no exponent.
fn significant(v: f64) -> String {
    let a = v.abs();
    let decimals = if a >= 100.0 {
        0
    } else if a >= 10.0 {
        1
    } else {
        2
    };
    format!("{v:.decimals$}")
}

/// A count with thin-space thousands separators; a fractional count keeps two decimals.
pub(super) fn count(x: f64) -> String {
    if x.fract() != 0.0 && x.abs() < 1e15 {
        let whole = count(x.trunc());
        let frac = format!("{:.2}", x.abs().fract());
        return format!("{whole}{}", &frac[1..]);
    }
    let digits = format!("{:.0}", x.abs());
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push('\u{2009}');
        }
        out.push(c);
    }
    if x < 0.0 { format!("-{out}") } else { out }
}

/// The order fields are shown in: the run as a whole, then the GC, memory, the maps;
/// a request's count, throughput, then its latency percentiles rising.
const ORDER: &[&str] = &[
    "scenario",
    "seed",
    "token",
    "outcome",
    "fatal",
    "sim_time_ns",
    "gomaxprocs",
    "gc_cycles",
    "gc_cpu_fraction",
    "mutator_utilization",
    "stw_total_ns",
    "stw_max_ns",
    "stw_p50_ns",
    "stw_p99_ns",
    "peak_heap_bytes",
    "peak_total_bytes",
    "total_alloc_bytes",
    "total_alloc_objects",
    "alloc_throughput_bytes_per_s",
    "gc_cpu_ns",
    "assist_cpu_ns",
    "gc_limited_cycles",
    "max_goroutines",
    "map_ops",
    "name",
    "key",
    "elem",
    "implementation",
    "count",
    "b",
    "buckets",
    "bucket_size_bytes",
    "live_bytes",
    "throughput_rps",
    "mean_ns",
    "p50_ns",
    "p90_ns",
    "p99_ns",
    "p999_ns",
    "max_ns",
];

/// A field's place in [`ORDER`]; the others come after, in their own order (sort stably).
pub(super) fn order_of(name: &str) -> usize {
    ORDER.iter().position(|o| *o == name).unwrap_or(ORDER.len())
}

/// A field name as a label: words, with the unit the value now carries left out.
pub(super) fn label(name: &str) -> String {
    let known = match name {
        "sim_time_ns" => "simulated time",
        "gc_cycles" => "GC cycles",
        "total_alloc_bytes" => "allocated in all",
        "total_alloc_objects" => "objects allocated",
        "peak_heap_bytes" => "peak heap in use",
        "peak_total_bytes" => "peak memory (heap, stacks, runtime)",
        "stw_total_ns" => "stop-the-world, total",
        "stw_max_ns" => "longest stop-the-world pause",
        "stw_p50_ns" => "stop-the-world pause, median",
        "stw_p99_ns" => "stop-the-world pause, p99",
        "gc_cpu_fraction" => "GC share of CPU",
        "gc_cpu_ns" => "GC CPU time",
        "assist_cpu_ns" => "mark assist CPU time",
        "mutator_utilization" => "mutator utilization",
        "alloc_throughput_bytes_per_s" => "allocation throughput",
        "gc_limited_cycles" => "cycles the GC CPU limiter capped",
        "max_goroutines" => "most goroutines at once",
        "map_ops" => "map operations",
        "gomaxprocs" => "GOMAXPROCS",
        "fatal_runs" => "runs that died",
        "request_throughput_rps" => "requests/s",
        "request_mean_ns" => "request mean",
        "request_p50_ns" => "request p50",
        "request_p99_ns" => "request p99",
        "request_p999_ns" => "request p99.9",
        "cycles_per_gib" => "GC cycles per GiB",
        "throughput_rps" => "throughput",
        "p999_ns" => "p99.9",
        "mean_ns" => "mean",
        "allocs" => "allocations",
        "alloc_bytes" => "bytes allocated",
        _ => "",
    };
    if !known.is_empty() {
        return known.to_string();
    }
    let trimmed = ["_bytes_per_s", "_bytes", "_ns", "_rps"]
        .iter()
        .find_map(|s| name.strip_suffix(s))
        .unwrap_or(name);
    trimmed.replace('_', " ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units_follow_the_field_names() {
        assert_eq!(format("142548992", unit_of("peak_heap_bytes")), "136 MiB");
        assert_eq!(format("49820", unit_of("stw_max_ns")), "49.8 µs");
        assert_eq!(format("3500053552", unit_of("sim_time_ns")), "3.50 s");
        assert_eq!(format("0.01774", unit_of("gc_cpu_fraction")), "1.77%");
        assert_eq!(
            format("3339121", unit_of("total_alloc_objects")),
            "3\u{2009}339\u{2009}121"
        );
        assert_eq!(
            format(
                "210611391.000000",
                unit_of("alloc_throughput_bytes_per_s_mean")
            ),
            "201 MiB/s"
        );
        assert_eq!(format("25", unit_of("runtime.gogc")), "25");
        assert_eq!(format("off", unit_of("runtime.gomemlimit")), "off");
        assert_eq!(format("", unit_of("request_p99_ns_mean")), "");
        assert_eq!(bytes(512.0), "512 B");
        assert_eq!(count(-1234.5), "-1\u{2009}234.50");
    }

    #[test]
    fn labels_drop_the_unit_the_value_carries() {
        assert_eq!(label("stw_max_ns"), "longest stop-the-world pause");
        assert_eq!(label("request_p999_ns"), "request p99.9");
        assert_eq!(label("heap_goal_bytes"), "heap goal");
        assert_eq!(
            label("overflow_buckets_allocated"),
            "overflow buckets allocated"
        );
    }
}
