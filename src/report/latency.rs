//! Request latencies: summary.json's `requests` object and latency.csv, a log-scale
//! histogram of each request name.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::Serialize;

use crate::engine::{Outcome, RequestOutcome};

/// One request name's statistics, as summary.json's `requests` holds them; the latencies
/// are null when no request of that name started after the warm-up.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct RequestStats {
    /// Requests that started after the warm-up and completed.
    pub count: u64,
    /// Completed per second of virtual time from the warm-up to the end of the run.
    pub throughput_rps: f64,
    pub mean_ns: Option<u64>,
    pub p50_ns: Option<u64>,
    pub p90_ns: Option<u64>,
    pub p99_ns: Option<u64>,
    pub p999_ns: Option<u64>,
    pub max_ns: Option<u64>,
}

impl RequestStats {
    /// The statistics of `r` in a run of `o`.
    pub fn of(r: &RequestOutcome, o: &Outcome) -> RequestStats {
        let h = &r.latency;
        let some = |v: u64| (h.count() > 0).then_some(v);
        RequestStats {
            count: h.count(),
            throughput_rps: (r.throughput_rps(o.sim_time_ns, o.warmup_ns) * 1000.0).round()
                / 1000.0,
            mean_ns: some(h.mean()),
            p50_ns: some(h.quantile(0.5)),
            p90_ns: some(h.quantile(0.9)),
            p99_ns: some(h.quantile(0.99)),
            p999_ns: some(h.quantile(0.999)),
            max_ns: some(h.max()),
        }
    }
}

/// summary.json's `requests`: request name → statistics, in name order.
pub fn request_stats(o: &Outcome) -> BTreeMap<&str, RequestStats> {
    o.requests
        .iter()
        .map(|r| (r.name.as_str(), RequestStats::of(r, o)))
        .collect()
}

/// latency.csv: per request name, its histogram on a log scale (8 buckets per power of
/// two), one row per non-empty bucket, with the fraction of requests at or below it.
pub fn latency_csv(o: &Outcome) -> Vec<u8> {
    let mut out = String::from("request,bucket_low_ns,bucket_high_ns,count,cumulative_fraction\n");
    for r in &o.requests {
        let total = r.latency.count().max(1) as f64;
        let mut seen = 0u64;
        for (low, high, count) in r.latency.coarse_buckets() {
            seen += count;
            let _ = writeln!(
                out,
                "{},{low},{high},{count},{:.6}",
                r.name,
                seen as f64 / total
            );
        }
    }
    out.into_bytes()
}

/// Lines of the human summary for requests.
pub fn human_requests(o: &Outcome, out: &mut String) {
    use super::summary::human_ns;
    for r in &o.requests {
        let s = RequestStats::of(r, o);
        let (Some(p50), Some(p99), Some(p999), Some(max)) =
            (s.p50_ns, s.p99_ns, s.p999_ns, s.max_ns)
        else {
            let _ = writeln!(
                out,
                "  requests {}: none started after the warm-up ({})",
                r.name,
                human_ns(o.warmup_ns)
            );
            continue;
        };
        let _ = writeln!(
            out,
            "  requests {}: {} ({:.0}/s), p50 {}, p99 {}, p99.9 {}, max {}",
            r.name,
            s.count,
            s.throughput_rps,
            human_ns(p50),
            human_ns(p99),
            human_ns(p999),
            human_ns(max)
        );
    }
}
