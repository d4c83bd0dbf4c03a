//! sweep.csv (a row per run) and points.csv (a row per grid point, over its seeds). Metrics
//! are formatted once, when a run ends, so rows read back from a shard or a resumed sweep
//! write out byte for byte as they were computed.

use crate::engine::Outcome;
use crate::report::pause_stats;

/// The per-run metrics of sweep.csv, in column order.
pub const METRICS: [&str; 22] = [
    "sim_time_ns",
    "gc_cycles",
    "total_alloc_bytes",
    "peak_heap_bytes",
    "peak_total_bytes",
    "stw_total_ns",
    "stw_max_ns",
    "stw_p50_ns",
    "stw_p99_ns",
    "gc_cpu_fraction",
    "mutator_utilization",
    "alloc_throughput_bytes_per_s",
    "assist_cpu_ns",
    "stw_timeline_ns",
    // Over every request of the run whatever its name (summary.json has them by name);
    // empty when the scenario has no requests.
    "requests",
    "request_throughput_rps",
    "request_mean_ns",
    "request_p50_ns",
    "request_p90_ns",
    "request_p99_ns",
    "request_p999_ns",
    "request_max_ns",
];

/// The number of equal time buckets of `stw_timeline_ns`.
pub const TIMELINE_BUCKETS: u64 = 20;

/// The metrics points.csv aggregates over seeds (mean, p50, p99, max of each).
pub const AGGREGATED: [&str; 11] = [
    "stw_max_ns",
    "stw_total_ns",
    "gc_cpu_fraction",
    "mutator_utilization",
    "alloc_throughput_bytes_per_s",
    "peak_heap_bytes",
    "gc_cycles",
    "request_throughput_rps",
    "request_p50_ns",
    "request_p99_ns",
    "request_p999_ns",
];

/// One run of a sweep.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    /// The run's index in the sweep, 0-based.
    pub run: usize,
    /// The grid point's index, 0-based.
    pub point: usize,
    /// The seed the run used.
    pub seed: u64,
    /// The grid values, one per axis.
    pub values: Vec<String>,
    /// Formatted metrics, in [`METRICS`] order.
    pub metrics: Vec<String>,
    /// Go's fatal message if the simulated program died, else empty.
    pub fatal: String,
}

impl Row {
    /// The row of a finished run.
    pub fn from_outcome(
        run: usize,
        point: usize,
        seed: u64,
        values: Vec<String>,
        o: &Outcome,
    ) -> Row {
        let (total, max, p50, p99) = pause_stats(&o.pauses_ns);
        let cpu = o.sim_time_ns as f64 * f64::from(o.procs.max(1));
        let frac = if cpu > 0.0 {
            o.total_gc_cpu_ns as f64 / cpu
        } else {
            0.0
        };
        let secs = o.sim_time_ns as f64 / 1e9;
        let tput = if secs > 0.0 {
            o.total_alloc_bytes as f64 / secs
        } else {
            0.0
        };
        let mut metrics = vec![
            o.sim_time_ns.to_string(),
            o.gc.len().to_string(),
            o.total_alloc_bytes.to_string(),
            o.peak_heap_bytes.to_string(),
            o.peak_total_bytes.to_string(),
            total.to_string(),
            max.to_string(),
            p50.to_string(),
            p99.to_string(),
            format!("{frac:.6}"),
            format!("{:.6}", 1.0 - frac),
            format!("{tput:.0}"),
            o.assist_ns.to_string(),
            stw_timeline(o),
        ];
        metrics.extend(request_metrics(o));
        Row {
            run,
            point,
            seed,
            values,
            metrics,
            fatal: o.fatal.clone().unwrap_or_default(),
        }
    }

    /// The row of a run that could not finish.
    pub fn failed(run: usize, point: usize, seed: u64, values: Vec<String>, why: &str) -> Row {
        Row {
            run,
            point,
            seed,
            values,
            metrics: vec![String::new(); METRICS.len()],
            fatal: why.to_string(),
        }
    }

    /// A metric of [`METRICS`] as a number; `None` for the timeline or a failed run.
    pub fn metric(&self, name: &str) -> Option<f64> {
        if name == "stw_timeline_ns" {
            return None;
        }
        let i = METRICS.iter().position(|m| *m == name)?;
        self.metrics[i].parse().ok()
    }
}

/// The request columns: count, throughput and latency statistics of all requests together,
/// or empty strings for a scenario without requests.
fn request_metrics(o: &Outcome) -> Vec<String> {
    if o.requests.is_empty() {
        return vec![String::new(); 8];
    }
    let mut all = crate::engine::Histogram::new();
    for r in &o.requests {
        all.merge(&r.latency);
    }
    let span = o.sim_time_ns.saturating_sub(o.warmup_ns);
    let tput = if span > 0 {
        all.count() as f64 * 1e9 / span as f64
    } else {
        0.0
    };
    vec![
        all.count().to_string(),
        format!("{tput:.3}"),
        all.mean().to_string(),
        all.quantile(0.5).to_string(),
        all.quantile(0.9).to_string(),
        all.quantile(0.99).to_string(),
        all.quantile(0.999).to_string(),
        all.max().to_string(),
    ]
}

/// The largest STW pause in each of [`TIMELINE_BUCKETS`] equal time buckets of the run, as
/// integers joined by `;`. Both pauses of a cycle count at its start.
fn stw_timeline(o: &Outcome) -> String {
    let mut max = [0u64; TIMELINE_BUCKETS as usize];
    for c in &o.gc {
        let b = if o.sim_time_ns > 0 {
            (u128::from(c.start_ns) * u128::from(TIMELINE_BUCKETS) / u128::from(o.sim_time_ns))
                .min(u128::from(TIMELINE_BUCKETS - 1)) as usize
        } else {
            0
        };
        max[b] = max[b].max(c.stw_sweep_term_ns).max(c.stw_mark_term_ns);
    }
    max.iter().map(u64::to_string).collect::<Vec<_>>().join(";")
}

fn writer() -> csv::Writer<Vec<u8>> {
    csv::Writer::from_writer(Vec::new())
}

/// sweep.csv: `run`, the axes, `seed`, every metric, `fatal`; rows in run order.
pub fn sweep_csv(axes: &[String], rows: &[Row]) -> Vec<u8> {
    let mut w = writer();
    let mut header = vec!["run".to_string()];
    header.extend(axes.iter().cloned());
    header.push("seed".into());
    header.extend(METRICS.iter().map(|m| m.to_string()));
    header.push("fatal".into());
    w.write_record(&header).expect("in-memory CSV");
    for r in rows {
        let mut rec = vec![r.run.to_string()];
        rec.extend(r.values.iter().cloned());
        rec.push(r.seed.to_string());
        rec.extend(r.metrics.iter().cloned());
        rec.push(r.fatal.clone());
        w.write_record(&rec).expect("in-memory CSV");
    }
    w.into_inner().expect("in-memory CSV")
}

/// Reads sweep.csv back: the axis names and the rows (their `point` left 0: points are
/// told apart by their grid values).
pub fn rows_from_csv(text: &[u8]) -> Result<(Vec<String>, Vec<Row>), String> {
    let mut r = csv::Reader::from_reader(text);
    let header: Vec<String> = r
        .headers()
        .map_err(|e| e.to_string())?
        .iter()
        .map(String::from)
        .collect();
    let n_axes = header
        .len()
        .checked_sub(3 + METRICS.len())
        .ok_or("not a sweep.csv: too few columns")?;
    if header.first().map(String::as_str) != Some("run") || header[n_axes + 1] != "seed" {
        return Err("not a sweep.csv: expected `run`, the axes, then `seed`".into());
    }
    let axes = header[1..=n_axes].to_vec();
    let mut rows = Vec::new();
    for rec in r.records() {
        let rec = rec.map_err(|e| e.to_string())?;
        let f: Vec<&str> = rec.iter().collect();
        if f.len() != header.len() {
            return Err(format!(
                "a row has {} fields, the header {}",
                f.len(),
                header.len()
            ));
        }
        let run: usize = f[0]
            .parse()
            .map_err(|_| format!("bad run index `{}`", f[0]))?;
        let seed: u64 = f[n_axes + 1]
            .parse()
            .map_err(|_| format!("bad seed `{}`", f[n_axes + 1]))?;
        rows.push(Row {
            run,
            point: 0,
            seed,
            values: f[1..=n_axes].iter().map(|s| s.to_string()).collect(),
            metrics: f[n_axes + 2..n_axes + 2 + METRICS.len()]
                .iter()
                .map(|s| s.to_string())
                .collect(),
            fatal: f[f.len() - 1].to_string(),
        });
    }
    Ok((axes, rows))
}

/// Mean, p50, p99 and max (nearest rank) of `v`.
fn stats(v: &mut [f64]) -> [f64; 4] {
    if v.is_empty() {
        return [0.0; 4];
    }
    v.sort_by(f64::total_cmp);
    let rank = |q: f64| v[((q * v.len() as f64).ceil() as usize).clamp(1, v.len()) - 1];
    let mean = v.iter().sum::<f64>() / v.len() as f64;
    [mean, rank(0.5), rank(0.99), v[v.len() - 1]]
}

/// points.csv: per grid point (rows grouped by point, in order), the axes, the number of
/// seeds, runs that died, and mean/p50/p99/max over seeds of each [`AGGREGATED`] metric.
pub fn points_csv(axes: &[String], rows: &[Row]) -> Vec<u8> {
    let mut w = writer();
    let mut header: Vec<String> = axes.to_vec();
    header.push("seeds".into());
    header.push("fatal_runs".into());
    for m in AGGREGATED {
        for s in ["mean", "p50", "p99", "max"] {
            header.push(format!("{m}_{s}"));
        }
    }
    w.write_record(&header).expect("in-memory CSV");
    let mut i = 0;
    while i < rows.len() {
        // The seeds of a point are consecutive runs with the same grid values.
        let values = &rows[i].values;
        let j = rows[i..]
            .iter()
            .position(|r| &r.values != values)
            .map_or(rows.len(), |k| i + k);
        let group = &rows[i..j];
        let mut rec: Vec<String> = group[0].values.clone();
        rec.push(group.len().to_string());
        rec.push(
            group
                .iter()
                .filter(|r| !r.fatal.is_empty())
                .count()
                .to_string(),
        );
        for m in AGGREGATED {
            let mut v: Vec<f64> = group.iter().filter_map(|r| r.metric(m)).collect();
            if v.is_empty() && m.starts_with("request") {
                // No requests in this scenario: nothing to aggregate.
                rec.extend(std::iter::repeat_n(String::new(), 4));
                continue;
            }
            for x in stats(&mut v) {
                rec.push(format!("{x:.6}"));
            }
        }
        w.write_record(&rec).expect("in-memory CSV");
        i = j;
    }
    w.into_inner().expect("in-memory CSV")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(run: usize, point: usize, seed: u64, cycles: u64) -> Row {
        let mut metrics = vec!["0".to_string(); METRICS.len()];
        metrics[1] = cycles.to_string();
        Row {
            run,
            point,
            seed,
            values: vec![format!("v{point}")],
            metrics,
            fatal: String::new(),
        }
    }

    #[test]
    fn sweep_csv_round_trips_and_points_aggregate_over_seeds() {
        let rows = vec![
            row(0, 0, 1, 10),
            row(1, 0, 2, 20),
            row(2, 1, 1, 5),
            row(3, 1, 2, 7),
        ];
        let axes = vec!["runtime.gogc".to_string()];
        let text = sweep_csv(&axes, &rows);
        let (a, back) = rows_from_csv(&text).unwrap();
        assert_eq!(a, axes);
        assert_eq!(
            back.iter()
                .map(|r| (r.run, r.seed, r.values.clone()))
                .collect::<Vec<_>>(),
            rows.iter()
                .map(|r| (r.run, r.seed, r.values.clone()))
                .collect::<Vec<_>>()
        );
        let points = String::from_utf8(points_csv(&axes, &back)).unwrap();
        let lines: Vec<_> = points.lines().collect();
        assert_eq!(lines.len(), 3);
        assert!(lines[0].starts_with("runtime.gogc,seeds,fatal_runs,stw_max_ns_mean,"));
        // gc_cycles over seeds of point 0: mean 15, p50 10, p99 20, max 20 (the four
        // before the request columns, all 0 here).
        assert!(
            lines[1].contains(",15.000000,10.000000,20.000000,20.000000,"),
            "{}",
            lines[1]
        );
    }
}
