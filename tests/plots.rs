//! The plots drawn from the CSV files of real runs and a real sweep.

use std::path::{Path, PathBuf};
use std::process::Command;

use gomemsim::report::plots::{draw_run_plots, draw_sweep_plots};

const PNG_SIGNATURE: &[u8] = b"\x89PNG\r\n\x1a\n";

fn gomemsim(args: &[&str]) {
    let out = Command::new(env!("CARGO_BIN_EXE_gomemsim"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("run gomemsim");
    assert!(
        out.status.success(),
        "gomemsim {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn run_into(scenario: &str, dir: &Path) {
    gomemsim(&["run", scenario, "--out", dir.to_str().unwrap()]);
}

fn sweep_into(dir: &Path) {
    gomemsim(&[
        "sweep",
        "scenarios/gc_service.toml",
        "--grid",
        "runtime.gogc=50..200*2",
        "--grid",
        "runtime.gomemlimit=off,256MiB",
        "--seeds",
        "1..2",
        "--set",
        "goroutines[0].program[1].bytes=1200MiB",
        "--out",
        dir.to_str().unwrap(),
        "-q",
    ]);
}

/// A text of an SVG: its box (left, top, right, bottom) as far as can be told without the
/// font (0.6 em a character in monospace, 0.52 em in the plots' sans-serif), and its content. Rotated texts (y-axis titles) are left out.
fn text_boxes(svg: &str) -> Vec<([f64; 4], String)> {
    let attr = |tag: &str, name: &str| -> Option<String> {
        let at = tag.find(&format!(" {name}=\""))? + name.len() + 3;
        Some(tag[at..at + tag[at..].find('"')?].to_string())
    };
    let mut out = Vec::new();
    let mut rest = svg;
    while let Some(i) = rest.find("<text") {
        rest = &rest[i..];
        let close = rest.find('>').unwrap();
        let tag = &rest[..close];
        let end = rest.find("</text>").unwrap();
        let content = rest[close + 1..end].trim();
        // A <title> inside a text (a tooltip) is not drawn.
        let content = match content.find("</title>") {
            Some(t) => content[t + 8..].trim(),
            None => content,
        };
        rest = &rest[end..];
        if tag.contains("rotate(") || content.is_empty() {
            continue;
        }
        let num = |n: &str, d: f64| {
            attr(tag, n)
                .and_then(|v| v.parse::<f64>().ok())
                .unwrap_or(d)
        };
        let (x, y) = (num("x", 0.0), num("y", 0.0));
        let size = num("font-size", 12.0);
        let chars = content
            .replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&amp;", "&")
            .chars()
            .count() as f64;
        let em = if tag.contains("sans-serif") {
            0.52
        } else {
            0.6
        };
        let w = chars * size * em;
        let x0 = match attr(tag, "text-anchor").as_deref() {
            Some("end") => x - w,
            Some("middle") => x - w / 2.0,
            _ => x,
        };
        // plotters writes the top (dy="0.76em"); a hand-written SVG the baseline.
        let top = if tag.contains("dy=\"0.76em\"") {
            y
        } else {
            y - size
        };
        out.push(([x0, top, x0 + w, top + size], content.to_string()));
    }
    out
}

/// Every text of `svg` lies inside the picture: none runs off an edge.
fn texts_inside(svg: &str, name: &str) {
    let dim = |n: &str| -> f64 {
        let at = svg.find(&format!(" {n}=\"")).unwrap() + n.len() + 3;
        svg[at..at + svg[at..].find('"').unwrap()].parse().unwrap()
    };
    let (w, h) = (dim("width"), dim("height"));
    for (b, text) in text_boxes(svg) {
        assert!(
            b[0] >= -1.0 && b[2] <= w + 1.0 && b[1] >= -1.0 && b[3] <= h + 1.0,
            "{name}.svg: {text:?} at {b:?} runs outside the {w}x{h} picture"
        );
    }
}

/// Checks `dir/name.svg` and `dir/name.png`, and that the SVG names every label.
fn check_plot(written: &[PathBuf], dir: &Path, name: &str, labels: &[&str]) -> String {
    let svg_path = dir.join(format!("{name}.svg"));
    let png_path = dir.join(format!("{name}.png"));
    assert!(written.contains(&svg_path), "{written:?} lacks {name}.svg");
    assert!(written.contains(&png_path), "{written:?} lacks {name}.png");
    let svg = std::fs::read_to_string(&svg_path).unwrap();
    assert!(
        svg.starts_with("<svg"),
        "{name}.svg: {}",
        &svg[..svg.len().min(80)]
    );
    assert!(svg.contains("</svg>"));
    for label in labels {
        assert!(svg.contains(label), "{name}.svg lacks the label {label:?}");
    }
    texts_inside(&svg, name);
    let png = std::fs::read(&png_path).unwrap();
    assert!(png.starts_with(PNG_SIGNATURE), "{name}.png is not a PNG");
    assert!(
        (10_000..20_000_000).contains(&png.len()),
        "{name}.png has {} bytes",
        png.len()
    );
    svg
}

/// No temporary file is left beside the outputs.
fn no_temporaries(dir: &Path) {
    for e in std::fs::read_dir(dir).unwrap() {
        let name = e.unwrap().file_name().to_string_lossy().into_owned();
        assert!(!name.contains(".tmp"), "left behind: {name}");
    }
}

#[test]
fn heap_timeline_from_a_run_with_gc_cycles() {
    let dir = tempfile::tempdir().unwrap();
    run_into("scenarios/gc_gogc.toml", dir.path());
    let written = draw_run_plots(dir.path()).unwrap();
    let labels = [
        "heap goal",
        "GC trigger",
        "mark phase",
        "STW pause",
        "heap at GC start",
        "heap at mark end",
        "marked (live after GC)",
        "time (s)",
        "heap (MiB)",
    ];
    let first = check_plot(&written, dir.path(), "heap_timeline", &labels);
    let again = draw_run_plots(dir.path()).unwrap();
    assert_eq!(written, again);
    let second = std::fs::read_to_string(dir.path().join("heap_timeline.svg")).unwrap();
    assert!(
        first == second,
        "heap_timeline.svg differs between two draws"
    );
    no_temporaries(dir.path());
}

#[test]
fn map_growth_from_a_run_with_map_events() {
    let dir = tempfile::tempdir().unwrap();
    run_into("scenarios/map_growth.toml", dir.path());
    let written = draw_run_plots(dir.path()).unwrap();
    let labels = [
        "B of map m",
        "grow_start",
        "grow_end",
        "evacuation span (m)",
    ];
    let first = check_plot(&written, dir.path(), "map_growth", &labels);
    // map_growth.toml stays under the minimum heap: no GC cycle, so no heap timeline.
    assert!(!dir.path().join("heap_timeline.svg").exists());
    assert_eq!(written.len(), 2, "{written:?}");
    draw_run_plots(dir.path()).unwrap();
    let second = std::fs::read_to_string(dir.path().join("map_growth.svg")).unwrap();
    assert!(first == second, "map_growth.svg differs between two draws");
    no_temporaries(dir.path());
}

#[test]
fn sweep_plots_from_a_gogc_by_memlimit_grid() {
    let dir = tempfile::tempdir().unwrap();
    sweep_into(dir.path());
    let written = draw_sweep_plots(dir.path()).unwrap();
    let stw = check_plot(
        &written,
        dir.path(),
        "stw_vs_throughput",
        &[
            "total STW (mean over seeds)",
            "max STW (mean over seeds)",
            "Pareto front",
            "gogc=50, gomemlimit=off",
            "gogc=200, gomemlimit=256MiB",
        ],
    );
    let cost = check_plot(
        &written,
        dir.path(),
        "gc_cost_vs_gogc",
        &[
            "gomemlimit=off",
            "gomemlimit=256MiB",
            "GC CPU (% of CPU)",
            "peak heap (MiB)",
            "GOGC",
        ],
    );
    let heat = check_plot(
        &written,
        dir.path(),
        "pause_heatmap",
        &[
            "Largest STW pause per 5% of the run, by GOGC",
            "gomemlimit=off",
            "gomemlimit=256MiB",
            "grey: no pause",
            "share of the run (5% buckets)",
            "GOGC",
        ],
    );
    assert_eq!(written.len(), 6, "{written:?}");
    // The points' labels (their numbers in the key) overlap neither each other nor the key.
    let boxes = text_boxes(&stw);
    let numbers: Vec<&([f64; 4], String)> = boxes
        .iter()
        .filter(|(_, t)| t.chars().all(|c| c.is_ascii_digit() || ", –".contains(c)))
        .filter(|(_, t)| t.chars().any(|c| c.is_ascii_digit()))
        .collect();
    assert!(!numbers.is_empty());
    for (i, (a, ta)) in numbers.iter().enumerate() {
        for (b, tb) in &numbers[i + 1..] {
            let overlap = a[0] < b[2] && b[0] < a[2] && a[1] < b[3] && b[1] < a[3];
            // Axis tick labels sit apart; point labels must too.
            assert!(
                !overlap,
                "stw_vs_throughput.svg: {ta:?} {a:?} overlaps {tb:?} {b:?}"
            );
        }
    }
    let png = std::fs::read(dir.path().join("pause_heatmap.png")).unwrap();
    draw_sweep_plots(dir.path()).unwrap();
    assert!(
        png == std::fs::read(dir.path().join("pause_heatmap.png")).unwrap(),
        "pause_heatmap.png differs between two draws"
    );
    for (name, before) in [
        ("stw_vs_throughput", stw),
        ("gc_cost_vs_gogc", cost),
        ("pause_heatmap", heat),
    ] {
        let after = std::fs::read_to_string(dir.path().join(format!("{name}.svg"))).unwrap();
        assert!(before == after, "{name}.svg differs between two draws");
    }
    no_temporaries(dir.path());
}

#[test]
fn empty_and_malformed_csv_files_do_not_panic() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // Headers only: nothing to draw, nothing written.
    std::fs::write(
        d.join("gc_cycles.csv"),
        "cycle,start_ns,heap_start_bytes,heap_end_bytes,heap_marked_bytes,heap_goal_bytes,\
         trigger_bytes,stw_sweep_term_ns,mark_ns,stw_mark_term_ns\n",
    )
    .unwrap();
    std::fs::write(
        d.join("map_events.csv"),
        "map,op,event,b_before,b_after,count,noverflow\n",
    )
    .unwrap();
    assert_eq!(draw_run_plots(d).unwrap(), Vec::<PathBuf>::new());
    // Empty files: skipped too.
    std::fs::write(d.join("gc_cycles.csv"), "").unwrap();
    std::fs::write(d.join("map_events.csv"), "").unwrap();
    std::fs::write(d.join("points.csv"), "").unwrap();
    assert!(draw_run_plots(d).unwrap().is_empty());
    assert!(draw_sweep_plots(d).unwrap().is_empty());
    // A missing column is an error naming it.
    std::fs::write(d.join("gc_cycles.csv"), "cycle,start_ns\n1,2\n").unwrap();
    let e = draw_run_plots(d).unwrap_err().to_string();
    assert!(e.contains("heap_start_bytes"), "{e}");
    // A field that is not a number, or a short row, is an error naming the line.
    std::fs::write(d.join("gc_cycles.csv"), "").unwrap();
    std::fs::write(
        d.join("map_events.csv"),
        "map,op,event,b_before,b_after\nm,9,grow_start,0,x\nm,10,grow_end\n",
    )
    .unwrap();
    let e = draw_run_plots(d).unwrap_err().to_string();
    assert!(e.contains("line 2") && e.contains("b_after"), "{e}");
    std::fs::write(
        d.join("map_events.csv"),
        "map,op,event,b_before,b_after\nm,9,grow_start\n",
    )
    .unwrap();
    assert!(draw_run_plots(d).is_err());
    // points.csv without the seeds column, or with no metric columns.
    std::fs::write(d.join("points.csv"), "a,b\n1,2\n").unwrap();
    let e = draw_sweep_plots(d).unwrap_err().to_string();
    assert!(e.contains("seeds"), "{e}");
    std::fs::write(
        d.join("points.csv"),
        "runtime.gogc,seeds,fatal_runs\n100,1,0\n",
    )
    .unwrap();
    assert!(draw_sweep_plots(d).is_err());
    // A missing file is an I/O error naming it.
    let e = draw_sweep_plots(&d.join("nowhere"))
        .unwrap_err()
        .to_string();
    assert!(e.contains("points.csv"), "{e}");
    // NaN metrics (every run of a point died) are left out, not drawn.
    let mut header = vec![
        "runtime.gogc".to_string(),
        "seeds".into(),
        "fatal_runs".into(),
    ];
    let metrics = [
        "stw_max_ns",
        "stw_total_ns",
        "gc_cpu_fraction",
        "mutator_utilization",
        "alloc_throughput_bytes_per_s",
        "peak_heap_bytes",
        "gc_cycles",
    ];
    for m in metrics {
        for s in ["mean", "p50", "p99", "max"] {
            header.push(format!("{m}_{s}"));
        }
    }
    let nan_row = ["off".to_string(), "1".into(), "1".into()]
        .into_iter()
        .chain(std::iter::repeat_n("NaN".to_string(), 28))
        .collect::<Vec<_>>();
    std::fs::write(
        d.join("points.csv"),
        format!("{}\n{}\n", header.join(","), nan_row.join(",")),
    )
    .unwrap();
    assert!(draw_sweep_plots(d).unwrap().is_empty());
}

#[test]
fn pause_heatmap_from_a_gogc_only_sweep() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    gomemsim(&[
        "sweep",
        "scenarios/gc_service.toml",
        "--grid",
        "runtime.gogc=50..200*2",
        "--seeds",
        "1..2",
        "--set",
        "goroutines[0].program[1].bytes=1200MiB",
        "--out",
        d.to_str().unwrap(),
        "-q",
    ]);
    // Every run has a 20-bucket timeline of whole nanoseconds, and some pause in it.
    let csv = std::fs::read_to_string(d.join("sweep.csv")).unwrap();
    let header: Vec<&str> = csv.lines().next().unwrap().split(',').collect();
    let col = header.iter().position(|h| *h == "stw_timeline_ns").unwrap();
    assert_eq!(header[col - 1], "assist_cpu_ns");
    for line in csv.lines().skip(1) {
        let buckets: Vec<u64> = line
            .split(',')
            .nth(col)
            .unwrap()
            .split(';')
            .map(|v| v.parse().unwrap())
            .collect();
        assert_eq!(buckets.len(), 20, "{line}");
        assert!(buckets.iter().any(|&v| v > 0), "{line}");
    }
    let written = draw_sweep_plots(d).unwrap();
    let first = check_plot(
        &written,
        d,
        "pause_heatmap",
        &[
            "Largest STW pause per 5% of the run, by GOGC (µs, max over seeds; grey: no pause)",
            "largest STW pause (µs)",
            "share of the run (5% buckets)",
        ],
    );
    assert!(!first.contains("only "), "no other axis to fix");
    let png = std::fs::read(d.join("pause_heatmap.png")).unwrap();
    draw_sweep_plots(d).unwrap();
    let second = std::fs::read_to_string(d.join("pause_heatmap.svg")).unwrap();
    assert!(
        first == second,
        "pause_heatmap.svg differs between two draws"
    );
    assert!(
        png == std::fs::read(d.join("pause_heatmap.png")).unwrap(),
        "pause_heatmap.png differs between two draws"
    );
    // Without the column (a sweep.csv from before it), the plot is skipped.
    let old: String = csv
        .lines()
        .map(|l| {
            let mut f: Vec<&str> = l.split(',').collect();
            f.remove(col);
            f.join(",") + "\n"
        })
        .collect();
    std::fs::remove_file(d.join("pause_heatmap.svg")).unwrap();
    std::fs::write(d.join("sweep.csv"), old).unwrap();
    let written = draw_sweep_plots(d).unwrap();
    assert!(!written.iter().any(|p| p.ends_with("pause_heatmap.svg")));
    no_temporaries(d);
}

/// race_minimal's swimlane: lanes only for the goroutines that took part (2 of 100, with a
/// note for the others), and every text, the captions included, inside the picture.
#[test]
fn swimlane_draws_only_the_goroutines_that_took_part() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_gomemsim"))
        .args(["race", "scenarios/race_minimal.toml", "-q", "--out"])
        .arg(dir.path())
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap();
    assert!(out.status.code().is_some_and(|c| c <= 1));
    let svg = std::fs::read_to_string(dir.path().join("swimlane.svg")).unwrap();
    let lanes = svg.matches("class=\"lane\"").count();
    assert!((2..100).contains(&lanes), "{lanes} lanes");
    assert!(
        svg.contains(&format!("{} other goroutines took no step", 100 - lanes)),
        "the note on the others"
    );
    texts_inside(&svg, "swimlane");
}

/// Two `[]int64` slices: `grow` appended to 1000 times from nil, `pre` made with room for
/// its 1000 first.
const TWO_SLICES_TOML: &str = r#"
name = "slices"
[[slices]]
name = "grow"
elem = "int64"
[[slices]]
name = "pre"
elem = "int64"
cap = 1000
[[goroutines]]
name = "main"
program = [
  { op = "append", slice = "grow", n = 1000 },
  { op = "append", slice = "pre", n = 1000 },
]
"#;

/// The two slices and, for the key to wrap and the appends to span six decades, a slice
/// with a long name, a `[]byte` appended to two million times, and a slice each of three
/// goroutines makes with capacity 10.
const MIXED_SLICES_TOML: &str = r#"
name = "slices"
[[slices]]
name = "grow"
elem = "int64"
[[slices]]
name = "pre"
elem = "int64"
cap = 1000
[[slices]]
name = "a_slice_with_a_rather_long_name_for_the_key"
elem = "string"
[[slices]]
name = "bytes"
elem = "byte"
[[slices]]
name = "local"
elem = "int64"
scope = "goroutine"
cap = 10
[[goroutines]]
name = "main"
program = [
  { op = "append", slice = "grow", n = 1000 },
  { op = "append", slice = "pre", n = 1000 },
  { op = "append", slice = "a_slice_with_a_rather_long_name_for_the_key", n = 300000 },
  { op = "append", slice = "bytes", n = 2000000 },
]
[[goroutines]]
name = "worker"
count = 3
program = [ { op = "append", slice = "local", n = 100000 } ]
"#;

/// The boxes of the texts of `svg` that read `text`.
fn boxes_of(svg: &str, text: &str) -> Vec<[f64; 4]> {
    text_boxes(svg)
        .into_iter()
        .filter(|(_, t)| t == text)
        .map(|(b, _)| b)
        .collect()
}

/// Attribute `name` of the element whose attributes start `tag`, as a number.
fn num_attr(tag: &str, name: &str) -> f64 {
    let at = tag.find(&format!(" {name}=\"")).unwrap() + name.len() + 3;
    tag[at..at + tag[at..].find('"').unwrap()].parse().unwrap()
}

/// Runs `toml` (a scenario with `slices` slices, `made` of them with a capacity) and checks
/// its slice_growth: the SVG and PNG, `labels`, drawn again the same; a dot for each growth
/// of slice_events.csv, a square at append 0 for each made array; no text outside the
/// picture, over another, or over a dot. Returns the SVG.
fn check_slice_growth(toml: &str, slices: usize, made: usize, labels: &[&str]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let scenario = dir.path().join("slices.toml");
    std::fs::write(&scenario, toml).unwrap();
    let out = dir.path().join("out");
    run_into(scenario.to_str().unwrap(), &out);
    // `run` drew it; the plots drawn again are the same bytes.
    let drawn = std::fs::read_to_string(out.join("slice_growth.svg")).unwrap();
    let written = draw_run_plots(&out).unwrap();
    let svg = check_plot(&written, &out, "slice_growth", labels);
    assert!(drawn == svg, "slice_growth.svg differs between two draws");
    // A dot for each growth slice_events.csv lists, and in the key one on each slice's line
    // and one for the growths.
    let events = std::fs::read_to_string(out.join("slice_events.csv")).unwrap();
    let growths = events.lines().skip(1).count();
    let dots: Vec<(f64, f64)> = svg
        .split("<circle")
        .skip(1)
        .map(|c| (num_attr(c, "cx"), num_attr(c, "cy")))
        .collect();
    assert_eq!(dots.len(), growths + slices + 1, "circles");
    // A square for each made array, at append 0 (under the x axis's 0), and the key's
    // (grey).
    let zero = boxes_of(&svg, "0")
        .iter()
        .map(|b| (b[0] + b[2]) / 2.0)
        .next()
        .expect("a 0 on the x axis");
    let squares: Vec<&str> = svg
        .split("<rect")
        .skip(1)
        .filter(|r| r.contains("fill=\"none\" stroke=\"#"))
        .collect();
    assert_eq!(squares.len(), made + 1, "squares");
    for sq in squares.iter().filter(|r| !r.contains("stroke=\"#5A5A5A\"")) {
        let x = num_attr(sq, "x") + num_attr(sq, "width") / 2.0;
        assert!(
            (x - zero).abs() <= 2.0,
            "a make square at x={x}, 0 at {zero}"
        );
    }
    // No text overlaps another, or hides a dot: the key sits apart from the data.
    let boxes = text_boxes(&svg);
    for (i, (a, ta)) in boxes.iter().enumerate() {
        for (b, tb) in &boxes[i + 1..] {
            let overlap = a[0] < b[2] && b[0] < a[2] && a[1] < b[3] && b[1] < a[3];
            assert!(
                !overlap,
                "slice_growth.svg: {ta:?} {a:?} overlaps {tb:?} {b:?}"
            );
        }
        for &(x, y) in &dots {
            let inside = a[0] < x && x < a[2] && a[1] < y && y < a[3];
            assert!(
                !inside,
                "slice_growth.svg: {ta:?} {a:?} covers the dot at ({x}, {y})"
            );
        }
    }
    no_temporaries(&out);
    svg
}

#[test]
fn slice_growth_from_a_run_with_slices() {
    // Go's growslice on a nil []int64, 1000 appends: the capacity doubles from 1 to 512 (10
    // arrays of 8 B to 4 KiB), then grows by (cap + 3*256)/4 rounded up to a size class:
    // 848 (6784 B) and 1280 (10240 B). 12 arrays, 8184 + 6784 + 10240 = 25208 B = 24.6 KiB.
    // make([]int64, 0, 1000): one 8000 B array in the 8192 B size class, and no growth.
    let facts = [
        "grow: 12 allocations, 24.6 KiB",
        "pre: 1 allocation, 8.00 KiB",
        "growth: a new array (growslice)",
        "make([]T, 0, cap) at append 0",
        "capacity (elements, log scale)",
    ];
    let two = check_slice_growth(
        TWO_SLICES_TOML,
        2,
        1,
        &[&facts[..], &["appends to the slice"]].concat(),
    );
    // Both end at append 1000: the appends on a linear axis.
    assert!(!two.contains("log scale from 1"));
    for tick in ["200", "1\u{2009}000"] {
        assert!(!boxes_of(&two, tick).is_empty(), "no tick {tick:?}");
    }
    // Appends from 1000 to two million: on a log axis, 0 kept for the made arrays.
    let mixed = check_slice_growth(
        MIXED_SLICES_TOML,
        5,
        2,
        &[
            &facts[..],
            &[
                "a_slice_with_a_rather_long_name_for_the_key: 34 allocations",
                "appends to the slice (log scale from 1, 0 at the left)",
            ],
        ]
        .concat(),
    );
    for tick in ["0", "1", "10", "1\u{2009}000", "1\u{2009}000\u{2009}000"] {
        assert!(!boxes_of(&mixed, tick).is_empty(), "no tick {tick:?}");
    }

    // A run whose slices allocate nothing draws no slice_growth.
    let dir = tempfile::tempdir().unwrap();
    let idle = dir.path().join("idle.toml");
    std::fs::write(
        &idle,
        "name = \"idle\"\n[[slices]]\nname = \"s\"\nelem = \"int64\"\n[[goroutines]]\n\
         name = \"main\"\nprogram = [ { op = \"compute\", time = \"1us\" } ]\n",
    )
    .unwrap();
    let idle_out = dir.path().join("idle");
    run_into(idle.to_str().unwrap(), &idle_out);
    assert!(idle_out.join("slice_events.csv").exists());
    assert!(!idle_out.join("slice_growth.svg").exists());
    assert!(draw_run_plots(&idle_out).unwrap().is_empty());
}
