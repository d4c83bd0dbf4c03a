//! gctrace.txt against real go1.19.8 gctrace logs: the parser reads every cycle line of the
//! measured logs, our lines have the same field layout, values survive a print/parse round
//! trip, and the measured gc_cycles.csv agrees with the parse of the logs it was derived from.

use std::collections::BTreeMap;
use std::path::PathBuf;

use gomemsim::gctrace::{ParsedCycle, parse_gctrace};
use gomemsim::model::gc::GcCycle;
use gomemsim::report::{gctrace_line, gctrace_text};
use proptest::prelude::*;

fn data_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/measured/gctrace")
}

/// (file stem, text) of every measured log, by name.
fn logs() -> Vec<(String, String)> {
    let mut logs: Vec<(String, String)> = std::fs::read_dir(data_dir())
        .expect("tests/data/measured/gctrace present")
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "txt"))
        .map(|p| {
            let stem = p.file_stem().unwrap().to_string_lossy().into_owned();
            (stem, std::fs::read_to_string(&p).unwrap())
        })
        .collect();
    logs.sort();
    assert_eq!(logs.len(), 2, "both measured gctrace logs");
    logs
}

/// Which fields a cycle line carries.
#[derive(Debug, PartialEq)]
struct Layout {
    clock_fields: usize,
    cpu_fields: usize,
    stacks: bool,
    globals: bool,
    procs: bool,
}

fn layout(p: &ParsedCycle) -> Layout {
    Layout {
        clock_fields: p.clock_ms.len(),
        cpu_fields: p.cpu_ms.len(),
        stacks: p.stacks_mb.is_some(),
        globals: p.globals_mb.is_some(),
        procs: p.procs > 0,
    }
}

fn sample_cycles() -> Vec<GcCycle> {
    let a = GcCycle {
        n: 1,
        forced: false,
        user_forced: false,
        start_ns: 3_456_789,
        stw_sweep_term_ns: 100_000,
        mark_ns: 530_000,
        stw_mark_term_ns: 46_000,
        cpu_stw_sweep_term_ns: 200_000,
        cpu_assist_ns: 96_000,
        cpu_background_ns: 100_000,
        cpu_idle_ns: 260_000,
        cpu_stw_mark_term_ns: 93_000,
        heap_start_bytes: 3 << 20,
        heap_end_bytes: (4 << 20) + 5,
        heap_marked_bytes: (4 << 20) - 5,
        heap_goal_bytes: 4 << 20,
        trigger_bytes: (3 << 20) + 777,
        stacks_bytes: 12_345,
        globals_bytes: 54_321,
        procs: 2,
        gc_cpu_fraction: 0.0612,
    };
    let b = GcCycle {
        n: 2,
        forced: false,
        user_forced: true,
        start_ns: 125_000_999_999,
        stw_sweep_term_ns: 999,
        mark_ns: 12_345_678_901,
        stw_mark_term_ns: 10_000_000,
        cpu_stw_sweep_term_ns: 1_000,
        cpu_assist_ns: 0,
        cpu_background_ns: 9_999_999,
        cpu_idle_ns: 99_999,
        cpu_stw_mark_term_ns: 100_000,
        heap_start_bytes: 17 << 30,
        heap_end_bytes: (18 << 30) - 1,
        heap_marked_bytes: 9 << 30,
        heap_goal_bytes: 18 << 30,
        trigger_bytes: 17 << 30,
        stacks_bytes: 3 << 20,
        globals_bytes: (1 << 20) + 1,
        procs: 64,
        gc_cpu_fraction: 0.999,
    };
    let c = GcCycle {
        user_forced: false,
        n: 3,
        procs: 1,
        ..GcCycle::default()
    };
    vec![a, b, c]
}

#[test]
fn every_real_cycle_line_parses_consecutively_with_our_layout() {
    let ours = parse_gctrace(&gctrace_text(&sample_cycles()));
    assert_eq!(ours.len(), 3);
    let our_layout = layout(&ours[0]);
    assert!(ours.iter().all(|p| layout(p) == our_layout));
    assert_eq!(
        our_layout,
        Layout {
            clock_fields: 3,
            cpu_fields: 5,
            stacks: true,
            globals: true,
            procs: true
        }
    );
    for (name, text) in logs() {
        let cycle_lines = text.lines().filter(|l| l.starts_with("gc ")).count();
        assert!(cycle_lines > 100, "{name}: {cycle_lines} cycle lines");
        let parsed = parse_gctrace(&text);
        assert_eq!(parsed.len(), cycle_lines, "{name}: every cycle line parses");
        for (i, p) in parsed.iter().enumerate() {
            assert_eq!(
                p.n as usize,
                i + 1,
                "{name}: cycle numbers consecutive from 1"
            );
            assert_eq!(layout(p), our_layout, "{name}: gc {}", p.n);
            assert!(p.unknown.is_empty(), "{name}: gc {}: {:?}", p.n, p.unknown);
            assert!(!p.forced, "{name}: gc {}", p.n);
        }
        // Time runs forward.
        assert!(parsed.windows(2).all(|w| w[0].at_s <= w[1].at_s), "{name}");
    }
}

#[test]
fn spot_checks_of_real_lines() {
    let logs: BTreeMap<String, Vec<ParsedCycle>> = logs()
        .into_iter()
        .map(|(name, text)| (name, parse_gctrace(&text)))
        .collect();

    // gc 1 @0.003s 6%: 0.10+0.53+0.046 ms clock, 0.20+0.096/0.10/0.26+0.093 ms cpu,
    // 3->4->3 MB, 4 MB goal, 0 MB stacks, 0 MB globals, 2 P
    let g = &logs["L64_gogc100_c4k"];
    let first = &g[0];
    assert_eq!((first.n, first.at_s, first.cpu_pct), (1, 0.003, 6));
    assert_eq!(first.clock_ms, [0.10, 0.53, 0.046]);
    assert_eq!(first.cpu_ms, [0.20, 0.096, 0.10, 0.26, 0.093]);
    let heap = (first.heap_start_mb, first.heap_end_mb, first.heap_marked_mb);
    assert_eq!(heap, (3, 4, 3));
    assert_eq!(first.goal_mb, 4);
    assert_eq!((first.stacks_mb, first.globals_mb), (Some(0), Some(0)));
    assert_eq!((first.procs, first.forced), (2, false));

    // gc 132 @1.806s 2%: 0.027+1.7+0.003 ms clock, 0.055+0.48/0.038/0.055+0.006 ms cpu,
    // 126->133->71 MB, 133 MB goal, 0 MB stacks, 0 MB globals, 2 P
    let last = g.last().unwrap();
    assert_eq!((last.n, last.at_s, last.cpu_pct), (132, 1.806, 2));
    assert_eq!(last.clock_ms, [0.027, 1.7, 0.003]);
    assert_eq!(last.cpu_ms, [0.055, 0.48, 0.038, 0.055, 0.006]);
    let heap = (last.heap_start_mb, last.heap_end_mb, last.heap_marked_mb);
    assert_eq!((heap, last.goal_mb), ((126, 133, 71), 133));

    // gc 1 @0.084s 0%: 0.010+1.4+0.054 ms clock, 0.021+0.10/0.80/0.26+0.10 ms cpu,
    // 109->110->65 MB, 113 MB goal, 0 MB stacks, 0 MB globals, 2 P
    let l = &logs["L64_gogcoff_mem128MiB_c4k"];
    let first = &l[0];
    assert_eq!((first.n, first.at_s, first.cpu_pct), (1, 0.084, 0));
    assert_eq!(first.clock_ms, [0.010, 1.4, 0.054]);
    assert_eq!(first.cpu_ms, [0.021, 0.10, 0.80, 0.26, 0.10]);
    let heap = (first.heap_start_mb, first.heap_end_mb, first.heap_marked_mb);
    assert_eq!((heap, first.goal_mb), ((109, 110, 65), 113));
    assert_eq!(
        (first.stacks_mb, first.globals_mb, first.procs),
        (Some(0), Some(0), 2)
    );

    // gc 194 @1.861s 3%: 0.014+0.66+0.049 ms clock, 0.028+0.045/0.054/0.40+0.099 ms cpu,
    // 101->105->68 MB, 113 MB goal, 0 MB stacks, 0 MB globals, 2 P
    let last = l.last().unwrap();
    assert_eq!((last.n, last.at_s, last.cpu_pct), (194, 1.861, 3));
    assert_eq!(last.cpu_ms, [0.028, 0.045, 0.054, 0.40, 0.099]);
    let heap = (last.heap_start_mb, last.heap_end_mb, last.heap_marked_mb);
    assert_eq!((heap, last.goal_mb), ((101, 105, 68), 113));

    // An idle time below one microsecond prints as a bare "0" (fmtNSAsMS).
    assert!(g.iter().any(|p| p.cpu_ms[3] == 0.0));
}

/// The printed precision of a fmtNSAsMS value: the step of its last digit.
fn step_ms(v: f64) -> f64 {
    if v >= 10.0 {
        1.0
    } else if v >= 1.0 {
        0.1
    } else if v >= 0.1 {
        0.01
    } else {
        0.001
    }
}

/// A printed ms value `v` is `ns` truncated to the printed precision.
fn assert_ms(v: f64, ns: u64, what: &str) {
    let exact = ns as f64 / 1e6;
    let err = exact - v;
    assert!(
        err > -1e-9 && err < step_ms(v) + 1e-9,
        "{what}: printed {v} ms for {ns} ns"
    );
}

fn assert_round_trip(c: &GcCycle) {
    let line = gctrace_line(c);
    let parsed = parse_gctrace(&line);
    assert_eq!(parsed.len(), 1, "{line}");
    let p = &parsed[0];
    assert!(p.unknown.is_empty(), "{line}: {:?}", p.unknown);
    assert_eq!(p.n, c.n, "{line}");
    assert_eq!((p.procs, p.forced), (c.procs, c.user_forced), "{line}");
    let heap = (p.heap_start_mb, p.heap_end_mb, p.heap_marked_mb);
    let want = (
        c.heap_start_bytes >> 20,
        c.heap_end_bytes >> 20,
        c.heap_marked_bytes >> 20,
    );
    assert_eq!(heap, want, "{line}");
    assert_eq!(p.goal_mb, c.heap_goal_bytes >> 20, "{line}");
    assert_eq!(p.stacks_mb, Some(c.stacks_bytes >> 20), "{line}");
    assert_eq!(p.globals_mb, Some(c.globals_bytes >> 20), "{line}");
    assert_eq!(
        (p.at_s * 1000.0).round() as u64,
        c.start_ns / 1_000_000,
        "{line}"
    );
    assert_eq!(
        p.cpu_pct as i64,
        (c.gc_cpu_fraction * 100.0) as i64,
        "{line}"
    );
    let clock = [c.stw_sweep_term_ns, c.mark_ns, c.stw_mark_term_ns];
    assert_eq!(p.clock_ms.len(), clock.len(), "{line}");
    for (v, ns) in p.clock_ms.iter().zip(clock) {
        assert_ms(*v, ns, &line);
    }
    let cpu = [
        c.cpu_stw_sweep_term_ns,
        c.cpu_assist_ns,
        c.cpu_background_ns,
        c.cpu_idle_ns,
        c.cpu_stw_mark_term_ns,
    ];
    assert_eq!(p.cpu_ms.len(), cpu.len(), "{line}");
    for (v, ns) in p.cpu_ms.iter().zip(cpu) {
        assert_ms(*v, ns, &line);
    }
}

#[test]
fn round_trip_of_chosen_cycles() {
    for c in sample_cycles() {
        assert_round_trip(&c);
    }
    let text = gctrace_text(&sample_cycles());
    let ns: Vec<u32> = parse_gctrace(&text).iter().map(|p| p.n).collect();
    assert_eq!(ns, [1, 2, 3]);
}

/// Durations spread over every fmtNSAsMS regime: sub-µs, µs, sub-ms, ms, ≥ 10 ms.
fn duration() -> impl Strategy<Value = u64> {
    prop_oneof![
        0u64..1_000,
        1_000u64..100_000,
        100_000u64..1_000_000,
        1_000_000u64..10_000_000,
        10_000_000u64..1_000_000_000_000,
    ]
}

prop_compose! {
    fn cycle()(
        n in 1u32..=u32::MAX,
        forced in any::<bool>(),
        start_ns in 0u64..10_000_000_000_000,
        clock in proptest::array::uniform3(duration()),
        cpu in proptest::array::uniform5(duration()),
        heap in proptest::array::uniform4(0u64..1 << 44),
        scan in proptest::array::uniform2(0u64..1 << 34),
        procs in 1u32..1024,
        gc_cpu_fraction in 0.0f64..1.0,
    ) -> GcCycle {
        GcCycle {
            n,
            forced: false,
            user_forced: forced,
            start_ns,
            stw_sweep_term_ns: clock[0],
            mark_ns: clock[1],
            stw_mark_term_ns: clock[2],
            cpu_stw_sweep_term_ns: cpu[0],
            cpu_assist_ns: cpu[1],
            cpu_background_ns: cpu[2],
            cpu_idle_ns: cpu[3],
            cpu_stw_mark_term_ns: cpu[4],
            heap_start_bytes: heap[0],
            heap_end_bytes: heap[1],
            heap_marked_bytes: heap[2],
            heap_goal_bytes: heap[3],
            trigger_bytes: heap[3] / 2,
            stacks_bytes: scan[0],
            globals_bytes: scan[1],
            procs,
            gc_cpu_fraction,
        }
    }
}

proptest! {
    #[test]
    fn round_trip_of_any_cycle(c in cycle()) {
        assert_round_trip(&c);
    }

    #[test]
    fn parser_never_panics(text in "(gc [0-9]{1,3} @[0-9.]{0,6}s? [0-9-]{0,3}%:? )?[ -~\u{e9}\u{2192}\n\r]{0,200}") {
        let _ = parse_gctrace(&text);
    }

    #[test]
    fn parser_never_panics_on_mangled_lines(cut in 0usize..200, junk in "[ -~]{0,8}") {
        let line = gctrace_line(&sample_cycles()[1]);
        let cut = cut.min(line.len());
        let mangled = format!("{}{}{}", &line[..cut], junk, &line[cut..]);
        let _ = parse_gctrace(&mangled);
    }
}

#[test]
fn measured_csv_agrees_with_the_raw_logs() {
    let parsed: BTreeMap<String, Vec<ParsedCycle>> = logs()
        .into_iter()
        .map(|(name, text)| (name, parse_gctrace(&text)))
        .collect();
    let mut r = csv::Reader::from_path(data_dir().join("gc_cycles.csv")).expect("gc_cycles.csv");
    let header: Vec<String> = r.headers().unwrap().iter().map(String::from).collect();
    let col = |name: &str| {
        header
            .iter()
            .position(|h| h == name)
            .unwrap_or_else(|| panic!("column {name}"))
    };
    let (run, cycle) = (col("run"), col("cycle"));
    let mb_cols = [
        ("heap_start_mb", 0),
        ("heap_end_mb", 1),
        ("heap_live_mb", 2),
        ("goal_mb", 3),
        ("stacks_mb", 4),
        ("globals_mb", 5),
        ("procs", 6),
        ("forced", 7),
        ("cpu_pct", 8),
    ]
    .map(|(name, i)| (name, col(name), i));
    let clock_cols = [("stw1_ms", 0), ("conc_ms", 1), ("stw2_ms", 2)].map(|(n, i)| (n, col(n), i));
    let cpu_cols = [
        ("cpu_stw1_ms", 0),
        ("cpu_assist_ms", 1),
        ("cpu_bg_ms", 2),
        ("cpu_idle_ms", 3),
        ("cpu_stw2_ms", 4),
    ]
    .map(|(n, i)| (n, col(n), i));
    let at_s = col("at_s");

    let mut rows_per_run: BTreeMap<String, usize> = BTreeMap::new();
    for rec in r.records() {
        let rec = rec.unwrap();
        let name = &rec[run];
        let n: usize = rec[cycle].parse().unwrap();
        let p = &parsed[name][n - 1];
        assert_eq!(p.n as usize, n);
        *rows_per_run.entry(name.to_string()).or_default() += 1;
        let ints = [
            p.heap_start_mb,
            p.heap_end_mb,
            p.heap_marked_mb,
            p.goal_mb,
            p.stacks_mb.unwrap(),
            p.globals_mb.unwrap(),
            u64::from(p.procs),
            u64::from(p.forced),
            u64::from(p.cpu_pct),
        ];
        for (col_name, i, k) in mb_cols {
            let csv: u64 = rec[i].parse().unwrap();
            assert_eq!(csv, ints[k], "{name} gc {n}: {col_name}");
        }
        let close = |a: f64, b: f64| (a - b).abs() < 1e-9;
        for (col_name, i, k) in clock_cols {
            let csv: f64 = rec[i].parse().unwrap();
            assert!(close(csv, p.clock_ms[k]), "{name} gc {n}: {col_name}");
        }
        for (col_name, i, k) in cpu_cols {
            let csv: f64 = rec[i].parse().unwrap();
            assert!(close(csv, p.cpu_ms[k]), "{name} gc {n}: {col_name}");
        }
        let csv: f64 = rec[at_s].parse().unwrap();
        assert!(close(csv, p.at_s), "{name} gc {n}: at_s");
    }
    // Every cycle of every log has its row, and no more.
    let cycles_per_run: BTreeMap<String, usize> =
        parsed.iter().map(|(k, v)| (k.clone(), v.len())).collect();
    assert_eq!(rows_per_run, cycles_per_run);
}
