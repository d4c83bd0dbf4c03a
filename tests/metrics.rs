//! `gomemsim run --metrics`: metrics.om, the simulated process's client_golang series as
//! OpenMetrics text, backfilled by `promtool tsdb create-blocks-from openmetrics` (skipped,
//! with a note, without promtool; CI sets GOMEMSIM_REQUIRE_PROMTOOL and installs it).

mod common;

use std::process::Command;

use common::bundled_scenarios;

/// Scrapes fall every interval from 0 and once more at the end; the counters only grow, and
/// at the end they are the run's totals.
#[test]
fn scrapes_follow_the_run_and_end_at_its_totals() {
    let sc = gomemsim::scenario::load(&common::bundled("gc_gogc.toml"), &[]).unwrap();
    let interval = 100_000_000;
    let o = gomemsim::run_with(
        &sc,
        &gomemsim::RunOptions {
            scrape_interval_ns: Some(interval),
            ..Default::default()
        },
    )
    .unwrap();
    let m = &o.metrics;
    let end = m.last().unwrap();
    assert_eq!(end.t_ns, o.sim_time_ns);
    assert_eq!(m.len() as u64, o.sim_time_ns.div_ceil(interval) + 1);
    for (i, s) in m[..m.len() - 1].iter().enumerate() {
        assert_eq!(s.t_ns, i as u64 * interval);
    }
    for w in m.windows(2) {
        assert!(w[1].total_alloc >= w[0].total_alloc && w[1].gc_cycles >= w[0].gc_cycles);
    }
    assert_eq!(end.gc_cycles, o.gc.len() as u64);
    assert_eq!(end.total_alloc, o.total_alloc_bytes);
    assert_eq!(end.mallocs, o.total_alloc_objects);
    assert!(
        gomemsim::run(&sc).unwrap().metrics.is_empty(),
        "only when asked"
    );
}

/// promtool backfills metrics.om of every bundled scenario into a TSDB block.
#[test]
fn promtool_backfills_the_metrics_of_every_bundled_scenario() {
    let Some(promtool) = common::promtool("promtool_backfills_the_metrics") else {
        return;
    };
    for file in bundled_scenarios() {
        let dir = tempfile::tempdir().unwrap();
        common::run_cli_into(
            &file,
            dir.path(),
            &["--metrics", "--scrape-interval", "50ms"],
        );
        let om = dir.path().join("metrics.om");
        let text = std::fs::read_to_string(&om).unwrap();
        assert!(text.ends_with("# EOF\n"));
        let o = Command::new(&promtool)
            .args(["tsdb", "create-blocks-from", "openmetrics"])
            .arg(&om)
            .arg(dir.path().join("tsdb"))
            .output()
            .unwrap();
        let out = String::from_utf8_lossy(&o.stdout);
        assert!(
            o.status.success(),
            "{}: {out}{}",
            file.display(),
            String::from_utf8_lossy(&o.stderr)
        );
        // The block's line: ULID, min and max time, duration, samples, chunks, series, size.
        let series: u64 = out
            .lines()
            .nth(1)
            .and_then(|l| l.split_whitespace().nth(6))
            .and_then(|n| n.parse().ok())
            .unwrap_or(0);
        assert!(series >= 20, "{}: {out}", file.display());
    }
}
