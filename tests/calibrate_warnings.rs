//! What `gomemsim calibrate` says it does not know: the table in MiB, ms and percent,
//! warnings for quantities off by more than 10%, for a log that fits both a GOGC and a
//! memory-limit reading, for lines left out, for a log cut into runs, and for too few cycles.

mod common;

use std::path::Path;

use common::{assert_ok, calibrate, col, fit_json, gctrace_log, read_csv, rel, warnings};
use serde_json::Value;

/// The numbers of a real cycle line: (clock phases in ms, marked MB, goal MB).
fn cycle_numbers(line: &str) -> (Vec<f64>, u64, u64) {
    let clock = line
        .split(": ")
        .nth(1)
        .unwrap()
        .split(" ms clock")
        .next()
        .unwrap();
    let clock = clock.split('+').map(|v| v.parse().unwrap()).collect();
    let parts: Vec<&str> = line.split(", ").collect();
    let heap = parts[2].strip_suffix(" MB").unwrap();
    let marked = heap.rsplit("->").next().unwrap().parse().unwrap();
    let goal = parts[3].strip_suffix(" MB goal").unwrap().parse().unwrap();
    (clock, marked, goal)
}

fn log_lines(name: &str) -> Vec<String> {
    std::fs::read_to_string(gctrace_log(name))
        .unwrap()
        .lines()
        .map(String::from)
        .collect()
}

/// Writes `lines` as a log in `dir` and calibrates it into `dir/out`.
fn calibrate_lines(dir: &Path, lines: &[String]) -> (std::process::Output, Option<Value>) {
    let path = dir.join("edited.log");
    std::fs::write(&path, lines.join("\n") + "\n").unwrap();
    let out = dir.join("out");
    let o = calibrate(&path, &out, &[]);
    let fit = out.join("fit.json").exists().then(|| fit_json(&out));
    (o, fit)
}

#[test]
fn the_table_speaks_in_mib_ms_percent_and_counts() {
    let dir = tempfile::tempdir().unwrap();
    let o = calibrate(&gctrace_log("L64_gogc100_c4k.txt"), dir.path(), &[]);
    assert_ok(&o);
    let stdout = String::from_utf8_lossy(&o.stdout);
    let row = |label: &str| -> Vec<String> {
        let line = stdout
            .lines()
            .find(|l| l.starts_with(&format!("  {label}  ")))
            .unwrap_or_else(|| panic!("no row {label}:\n{stdout}"));
        line[2 + label.len()..]
            .split_whitespace()
            .map(String::from)
            .collect()
    };
    // The observed column, computed here from the log's own lines.
    let lines = log_lines("L64_gogc100_c4k.txt");
    let cycles: Vec<_> = lines.iter().map(|l| cycle_numbers(l)).collect();
    let n = cycles.len() as f64;
    let goal = cycles.iter().map(|c| c.2 as f64).sum::<f64>() / n;
    let marked = cycles.iter().map(|c| c.1 as f64).sum::<f64>() / n;
    let stw: f64 = cycles.iter().map(|c| c.0[0] + c.0[2]).sum();
    let longest = cycles
        .iter()
        .map(|c| c.0[0].max(c.0[2]))
        .fold(0.0, f64::max);
    let mark = cycles.iter().map(|c| c.0[1]).sum::<f64>() / n;
    assert_eq!(row("GC cycles")[0], lines.len().to_string());
    assert_eq!(
        row("mean heap goal")[..2],
        [format!("{goal:.1}"), "MiB".into()]
    );
    assert_eq!(
        row("mean marked heap")[..2],
        [format!("{marked:.1}"), "MiB".into()]
    );
    assert_eq!(row("total STW")[..2], [format!("{stw:.3}"), "ms".into()]);
    assert_eq!(
        row("longest pause")[..2],
        [format!("{longest:.3}"), "ms".into()]
    );
    assert_eq!(
        row("mean mark time")[..2],
        [format!("{mark:.3}"), "ms".into()]
    );
    // GC CPU as a percent, both columns; then the error.
    let cpu = row("GC CPU");
    assert!(cpu[0].ends_with('%') && cpu[1].ends_with('%'), "{cpu:?}");
    let fit = fit_json(dir.path());
    let observed = fit["gc_cpu_fraction"]["observed"].as_f64().unwrap();
    assert_eq!(cpu[0], format!("{:.2}%", observed * 100.0));
    for label in ["peak heap", "duration"] {
        let r = row(label);
        assert_eq!(r.len(), 5, "{r:?}");
        assert!(r[4].ends_with('%'), "{r:?}");
    }
    // No raw floats: byte counts and nanoseconds have no place in the table.
    assert!(!stdout.contains("138928376"), "{stdout}");
    assert!(!stdout.contains("9942000"), "{stdout}");
    // fit.json keeps its machine-readable fields.
    let bytes = fit["mean_heap_goal_bytes"]["observed"].as_f64().unwrap();
    assert!(
        (bytes / (goal * 1_048_576.0) - 1.0).abs() < 1e-12,
        "{bytes}"
    );
    assert_eq!(fit["gc_cycles"]["observed"], n);
}

#[test]
fn quantities_missed_by_more_than_ten_percent_are_warned_with_their_cause() {
    let dir = tempfile::tempdir().unwrap();
    let o = calibrate(&gctrace_log("L64_gogc100_c4k.txt"), dir.path(), &[]);
    assert_ok(&o);
    let fit = fit_json(dir.path());
    let w = warnings(&o);
    assert_eq!(fit["warnings"], serde_json::json!(w));
    // The model pauses each phase for the log's mean pause, so its longest pause is a mean
    // and misses the log's longest by far more than 10%: both figures from the log.
    let cycles: Vec<_> = log_lines("L64_gogc100_c4k.txt")
        .iter()
        .map(|l| cycle_numbers(l))
        .collect();
    let mean = |i: usize| cycles.iter().map(|c| c.0[i]).sum::<f64>() / cycles.len() as f64;
    let longest = cycles
        .iter()
        .map(|c| c.0[0].max(c.0[2]))
        .fold(0.0, f64::max);
    assert!(mean(0).max(mean(2)) < 0.9 * longest);
    let pause = w
        .iter()
        .find(|w| w.starts_with("longest pause (stw_max_ns) is off by -"))
        .unwrap_or_else(|| panic!("{w:#?}"));
    assert!(
        pause.contains(&format!("against {longest:.3} ms in the log")),
        "{pause}"
    );
    assert!(
        pause.contains(&format!("costs.stw_sweep_term {:.3} ms", mean(0)))
            && pause.contains(&format!("costs.stw_mark_term {:.3} ms", mean(2)))
            && pause.contains("not modelled"),
        "{pause}"
    );
    // Every quantity beyond 10% is warned about with its error, and no other.
    for q in [
        "gc_cycles",
        "mean_heap_goal_bytes",
        "stw_total_ns",
        "gc_cpu_fraction",
        "mean_marked_bytes",
        "peak_heap_bytes",
        "stw_max_ns",
        "mean_mark_ns",
        "mean_mark_alloc_bytes",
        "duration_ns",
    ] {
        let e = rel(&fit, q);
        let warned = w.iter().find(|w| w.contains(&format!(" ({q}) is off by ")));
        assert_eq!(warned.is_some(), e.abs() > 0.10, "{q}: {e} {w:#?}");
        if let Some(warned) = warned {
            assert!(
                warned.contains(&format!("off by {:+.1}%: ", e * 100.0)),
                "{warned}"
            );
        }
    }
    // A clean log from the program's start: nothing set aside, settings clear.
    assert!(w.iter().all(|w| w.contains(" is off by ")), "{w:#?}");
}

#[test]
fn goals_that_fit_both_gogc_and_a_limit_are_called_ambiguous() {
    // From the GOGC=off, GOMEMLIMIT=128MiB log, the longest stretch whose marked heap stays
    // within one printed MiB: the goal stays flat as the limit keeps it, and a GOGC would
    // keep it flat too.
    let lines = log_lines("L64_gogcoff_mem128MiB_c4k.txt");
    let marked: Vec<u64> = lines.iter().map(|l| cycle_numbers(l).1).collect();
    let mut best = (0, 0);
    for i in 0..marked.len() {
        let mut j = i;
        let (mut lo, mut hi) = (marked[i], marked[i]);
        while j < marked.len() && hi.max(marked[j]) - lo.min(marked[j]) <= 1 {
            (lo, hi) = (lo.min(marked[j]), hi.max(marked[j]));
            j += 1;
        }
        if j - i > best.1 - best.0 {
            best = (i, j);
        }
    }
    let stretch = &lines[best.0..best.1];
    assert!(stretch.len() >= 10, "{best:?}");
    let numbers: Vec<_> = stretch.iter().map(|l| cycle_numbers(l)).collect();
    let goal = numbers[0].2;
    assert!(numbers.iter().all(|c| c.2 == goal));
    let lo = numbers.iter().map(|c| c.1).min().unwrap();
    let hi = numbers.iter().map(|c| c.1).max().unwrap();
    // The GOGC that maps the middle of that marked heap to that goal.
    let mid = (lo + hi) as f64 / 2.0 + 0.5;
    let implied = 100.0 * (goal as f64 + 0.5 - mid) / mid;
    // The limit the run really had (tests/data/measured/gc_summary.csv).
    let (header, rows) = read_csv("gc_summary.csv");
    let run = rows
        .iter()
        .find(|r| col(&header, r, "run") == "L64_gogcoff_mem128MiB_c4k")
        .unwrap();
    let limit_mib: f64 = col(&header, run, "memlimit")
        .strip_suffix("MiB")
        .unwrap()
        .parse()
        .unwrap();

    let dir = tempfile::tempdir().unwrap();
    let (o, fit) = calibrate_lines(dir.path(), stretch);
    assert_ok(&o);
    let w = warnings(&o);
    assert_eq!(fit.unwrap()["warnings"], serde_json::json!(w));
    let amb = w
        .iter()
        .find(|w| w.starts_with("GOGC or GOMEMLIMIT? The heap goals fit both"))
        .unwrap_or_else(|| panic!("{w:#?}"));
    assert!(amb.contains(&format!("flat at {goal} MiB")), "{amb}");
    assert!(amb.contains(&format!("within {lo}-{hi} MiB")), "{amb}");
    // Both readings, and how to tell them apart.
    let after = |key: &str| -> f64 {
        let rest = &amb[amb.find(key).unwrap_or_else(|| panic!("{key}: {amb}")) + key.len()..];
        let v: String = rest
            .chars()
            .take_while(|c| c.is_ascii_digit() || *c == '.')
            .collect();
        v.parse().unwrap()
    };
    let g = after("--gogc ");
    assert!(
        (g - implied).abs() <= 5.0,
        "GOGC {g}, implied {implied:.1}: {amb}"
    );
    assert!(
        amb.contains(&format!("--gogc {g} --gomemlimit off")),
        "{amb}"
    );
    let l = after("--gogc off --gomemlimit ");
    assert!(
        (l - limit_mib).abs() <= 2.0,
        "limit {l}, ran with {limit_mib}: {amb}"
    );
    assert!(
        amb.contains("under GOGC the goal follows the marked heap"),
        "{amb}"
    );

    // Told the settings, the fit has nothing to doubt.
    let path = dir.path().join("edited.log");
    let given = calibrate(
        &path,
        &dir.path().join("given"),
        &["--gogc", "off", "--gomemlimit", "128MiB"],
    );
    assert_ok(&given);
    assert!(!warnings(&given).iter().any(|w| w.starts_with("GOGC or")));

    // The whole log, whose marked heap moves under the flat goal, is not ambiguous.
    let o = calibrate(
        &gctrace_log("L64_gogcoff_mem128MiB_c4k.txt"),
        &dir.path().join("all"),
        &[],
    );
    assert_ok(&o);
    assert!(!warnings(&o).iter().any(|w| w.starts_with("GOGC or")));
}

#[test]
fn a_duplicated_line_is_read_once_and_drops_no_cycle() {
    // The first 23 cycles with cycle 8's line written twice.
    let real = log_lines("L64_gogc100_c4k.txt");
    let mut lines: Vec<String> = real[..23].to_vec();
    lines.insert(8, real[7].clone());
    let dir = tempfile::tempdir().unwrap();
    let (o, fit) = calibrate_lines(dir.path(), &lines);
    assert_ok(&o);
    let fit = fit.unwrap();
    assert_eq!(fit["runs_in_log"], 1);
    assert_eq!(fit["gc_cycles"]["observed"], 23.0);
    let w = warnings(&o);
    assert!(
        w.iter().any(|w| w.starts_with("1 duplicate line: ")
            && w.contains(&format!("the first is line 9: `{}`", real[7]))),
        "{w:#?}"
    );
    assert!(!w.iter().any(|w| w.contains("runs")), "{w:#?}");
}

#[test]
fn a_garbled_line_is_left_out_and_said() {
    // A torn copy of cycle 11's line (its first half) before the line itself.
    let real = log_lines("L64_gogc100_c4k.txt");
    let torn = real[10][..real[10].len() / 2].to_string();
    let mut lines = real.clone();
    lines.insert(10, torn.clone());
    let dir = tempfile::tempdir().unwrap();
    let (o, fit) = calibrate_lines(dir.path(), &lines);
    assert_ok(&o);
    assert_eq!(fit.unwrap()["gc_cycles"]["observed"], real.len() as f64);
    let w = warnings(&o);
    assert!(
        w.iter().any(|w| w.starts_with("1 garbled line: ")
            && w.contains(&format!("the first is line 11: `{torn}`"))),
        "{w:#?}"
    );

    // Cycle 15's line lost: the gap is said.
    let mut lines = real[..40].to_vec();
    lines.remove(14);
    let (o, _) = calibrate_lines(dir.path(), &lines);
    assert_ok(&o);
    assert!(
        warnings(&o)
            .iter()
            .any(|w| w.starts_with("cycle numbers skip once")
                && w.contains("1 cycle missing")
                && w.contains("gc 14 on line 14, then gc 16 on line 15")),
        "{:#?}",
        warnings(&o)
    );
}

#[test]
fn a_log_cut_into_runs_says_why_and_what_it_dropped() {
    let gogc = log_lines("L64_gogc100_c4k.txt");
    let limit = log_lines("L64_gogcoff_mem128MiB_c4k.txt");
    let dir = tempfile::tempdir().unwrap();
    // Two processes: 30 cycles of one, then 12 of another starting at gc 1.
    let mut lines = gogc[..30].to_vec();
    lines.extend_from_slice(&limit[..12]);
    let (o, fit) = calibrate_lines(dir.path(), &lines);
    assert_ok(&o);
    let fit = fit.unwrap();
    assert_eq!(
        (fit["runs_in_log"].as_u64(), fit["cycles_used"].as_u64()),
        (Some(2), Some(30))
    );
    let w = warnings(&o);
    assert!(
        w.iter().any(|w| w.starts_with("the log holds 2 runs")
            && w.contains("line 31 has gc 1 after gc 30 on line 30: they restart at gc 1")
            && w.contains("uses run 1 of 2")
            && w.contains("drops the other runs' 12 cycles")),
        "{w:#?}"
    );
    // Cycles 10 to 20 again after cycle 30: the numbers go backwards.
    let mut lines = gogc[..30].to_vec();
    lines.extend_from_slice(&gogc[9..20]);
    let (o, _) = calibrate_lines(dir.path(), &lines);
    assert_ok(&o);
    assert!(
        warnings(&o).iter().any(|w| w
            .contains("line 31 has gc 10 after gc 30 on line 30: they go backwards")
            && w.contains("drops the other runs' 11 cycles")),
        "{:#?}",
        warnings(&o)
    );
}

#[test]
fn too_few_cycles_are_refused_and_few_are_weak() {
    let real = log_lines("L64_gogc100_c4k.txt");
    let dir = tempfile::tempdir().unwrap();
    for n in [1, 4] {
        let (o, fit) = calibrate_lines(dir.path(), &real[..n]);
        assert_eq!(o.status.code(), Some(2), "{n} cycles");
        let err = String::from_utf8_lossy(&o.stderr);
        let s = if n == 1 { "" } else { "s" };
        assert!(err.contains(&format!("found {n} GC cycle{s}")), "{err}");
        assert!(err.contains("at least 5 are needed"), "{err}");
        assert!(fit.is_none());
    }
    for n in [5, 9] {
        let (o, _) = calibrate_lines(dir.path(), &real[..n]);
        assert_ok(&o);
        assert!(
            warnings(&o).iter().any(
                |w| w.starts_with(&format!("only {n} cycles in the run used: the fit is weak"))
            ),
            "{:#?}",
            warnings(&o)
        );
    }
    let (o, _) = calibrate_lines(dir.path(), &real[..10]);
    assert_ok(&o);
    assert!(!warnings(&o).iter().any(|w| w.contains("the fit is weak")));
}
