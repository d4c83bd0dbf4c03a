//! Slices end to end: `[[slices]]` and the append, reset and drop ops through `gomemsim run`,
//! against capacities worked out by hand from go1.19 runtime/slice.go (growslice) and the size
//! classes of runtime/sizeclasses.go; and the bad inputs that must be refused.

mod common;

use std::process::Command;

use common::bin;

/// go1.19 growslice for []int64 appended one at a time from nil: doublecap below 256, then
/// newcap += (newcap + 768) / 4, rounded up to a size class (832 * 8 = 6656 B -> 6784 B = 848;
/// 1252 * 8 = 10016 B -> 10240 B = 1280). (len that needed it, cap before, cap after).
const INT64_GROWTHS: [(u64, u64, u64); 12] = [
    (1, 0, 1),
    (2, 1, 2),
    (3, 2, 4),
    (5, 4, 8),
    (9, 8, 16),
    (17, 16, 32),
    (33, 32, 64),
    (65, 64, 128),
    (129, 128, 256),
    (257, 256, 512),
    (513, 512, 848),
    (849, 848, 1280),
];

fn write(dir: &std::path::Path, name: &str, text: &str) -> std::path::PathBuf {
    let f = dir.join(name);
    std::fs::write(&f, text).unwrap();
    f
}

fn gomemsim(args: &[&str]) -> std::process::Output {
    Command::new(bin()).args(args).output().unwrap()
}

fn summary(dir: &std::path::Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(dir.join("summary.json")).unwrap()).unwrap()
}

const TWO_SLICES: &str = r#"name = "two"
[[slices]]
name = "grown"
elem = "int64"
[[slices]]
name = "presized"
elem = "int64"
cap = 1000
[[goroutines]]
name = "main"
program = [
  { op = "append", slice = "grown", n = 1000 },
  { op = "append", slice = "presized", n = 1000 },
]
"#;

#[test]
fn appends_grow_as_go1_19_growslice_does() {
    let dir = tempfile::tempdir().unwrap();
    let f = write(dir.path(), "two.toml", TWO_SLICES);
    let out = dir.path().join("out");
    let o = gomemsim(&[
        "run",
        "--no-plots",
        "-q",
        f.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    common::assert_ok(&o);
    let events = std::fs::read_to_string(out.join("slice_events.csv")).unwrap();
    let mut lines = events.lines();
    assert_eq!(
        lines.next(),
        Some("slice,op,event,len,cap_before,cap_after,bytes_before,bytes_after")
    );
    let rows: Vec<Vec<String>> = lines
        .map(|l| l.split(',').map(String::from).collect())
        .collect();
    // Only the nil slice grows: the presized one never fills its 1000.
    assert_eq!(rows.len(), INT64_GROWTHS.len(), "{events}");
    for (row, &(len, before, after)) in rows.iter().zip(&INT64_GROWTHS) {
        assert_eq!(row[0], "grown");
        assert_eq!(row[1], len.to_string(), "op = the append that grew it");
        assert_eq!(row[2], "grow");
        let nums: Vec<u64> = row[3..].iter().map(|x| x.parse().unwrap()).collect();
        // Every capacity here times 8 B is a size class, so the bytes are cap * 8.
        assert_eq!(
            nums,
            vec![len, before, after, before * 8, after * 8],
            "{row:?}"
        );
    }
    let s = summary(&out);
    let grown = &s["slices"]["grown"];
    let bytes: u64 = INT64_GROWTHS.iter().map(|g| g.2 * 8).sum();
    assert_eq!(grown["len"], 1000);
    assert_eq!(grown["cap"], 1280);
    assert_eq!(grown["allocs"], 12);
    assert_eq!(grown["alloc_bytes"], bytes);
    // Every array but the last is garbage.
    assert_eq!(grown["garbage_bytes"], bytes - 1280 * 8);
    // make([]int64, 0, 1000): 8000 B in the 8192 B size class, cap stays 1000.
    let pre = &s["slices"]["presized"];
    assert_eq!(
        (
            &pre["cap"],
            &pre["allocs"],
            &pre["alloc_bytes"],
            &pre["garbage_bytes"]
        ),
        (&1000.into(), &1.into(), &8192.into(), &0.into())
    );
    // The heap saw the same bytes: the two slices are all the program allocates.
    assert_eq!(s["total_alloc_bytes"], bytes + 8192);
}

#[test]
fn reset_keeps_the_array_and_drop_starts_over() {
    let dir = tempfile::tempdir().unwrap();
    let f = write(
        dir.path(),
        "r.toml",
        r#"name = "r"
[[slices]]
name = "s"
elem = "[24]byte"
[[goroutines]]
name = "main"
program = [
  { op = "loop", times = 3, body = [ { op = "append", slice = "s", n = 10 }, { op = "reset", slice = "s" } ] },
  { op = "drop", slice = "s" },
  { op = "append", slice = "s", n = 10 },
]
"#,
    );
    let out = dir.path().join("out");
    let o = gomemsim(&[
        "run",
        "--no-plots",
        "-q",
        f.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    common::assert_ok(&o);
    // [24]byte: 24 B is a class, so caps 1, 2, 4, 8, 16 (24, 48, 96, 192, 384 B). The first
    // 10 appends grow 5 times; after each reset the 16 hold the next 10; after the drop the
    // last 10 grow 5 times again.
    let s = &summary(&out)["slices"]["s"];
    assert_eq!(s["allocs"], 10);
    assert_eq!(s["alloc_bytes"], 2 * (24 + 48 + 96 + 192 + 384));
    assert_eq!(s["garbage_bytes"], 2 * (24 + 48 + 96 + 192) + 384);
    assert_eq!(
        (&s["len"], &s["cap"], &s["appends"]),
        (&10.into(), &16.into(), &40.into())
    );
}

/// `scope = "goroutine"`: each arrival's goroutine builds its own slice, so every request
/// allocates what one slice of 1000 appends does (12 arrays from nil, 1 when presized), and
/// pre-sizing leaves less garbage for the GC.
#[test]
fn each_request_builds_its_own_slice() {
    let file = common::bundled("slice_prealloc.toml");
    let dir = tempfile::tempdir().unwrap();
    let run = |out: &str, set: &[&str]| {
        let out = dir.path().join(out);
        let mut args = vec!["run", "--no-plots", "-q", file.to_str().unwrap()];
        args.extend(set);
        args.extend(["--out", out.to_str().unwrap()]);
        common::assert_ok(&gomemsim(&args));
        summary(&out)
    };
    let grown = run("grown", &[]);
    let presized = run("presized", &["--set", "slices[0].cap=1000"]);
    for (s, allocs, bytes) in [(&grown, 12, 25_208u64), (&presized, 1, 8192)] {
        let requests = s["slices"]["ids"]["appends"].as_u64().unwrap() / 1000;
        assert!(requests > 50_000, "{s}");
        assert_eq!(
            s["slices"]["ids"]["allocs"].as_u64(),
            Some(allocs * requests)
        );
        assert_eq!(
            s["slices"]["ids"]["alloc_bytes"].as_u64(),
            Some(bytes * requests)
        );
        // Each request's arrays are garbage once it ends.
        assert_eq!(
            s["slices"]["ids"]["garbage_bytes"],
            s["slices"]["ids"]["alloc_bytes"]
        );
    }
    let cycles = |s: &serde_json::Value| s["gc_cycles"].as_u64().unwrap();
    assert!(cycles(&grown) > 2 * cycles(&presized), "{grown} {presized}");
}

#[test]
fn an_append_past_max_alloc_panics_as_go_does() {
    let dir = tempfile::tempdir().unwrap();
    // 2^48 / 100 = 2,814,749,767,106 [100]byte at most (runtime/malloc.go: maxAlloc).
    let f = write(
        dir.path(),
        "p.toml",
        r#"name = "p"
[[slices]]
name = "s"
elem = "[100]byte"
cap = 2814749767106
[[goroutines]]
name = "main"
program = [ { op = "append", slice = "s", n = 2814749767107 } ]
"#,
    );
    let out = dir.path().join("out");
    let o = gomemsim(&[
        "run",
        "--no-plots",
        "-q",
        f.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("panic: runtime error: growslice: cap out of range"),
        "{err}"
    );
    assert_eq!(
        summary(&out)["fatal"],
        "runtime error: growslice: cap out of range"
    );
}

#[test]
fn bad_slices_are_refused_with_the_field_and_what_is_allowed() {
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        (
            TWO_SLICES.replace("slice = \"presized\"", "slice = \"nope\""),
            "goroutines[0].program[1].slice: slice `nope` is not declared (allowed: grown, presized)",
        ),
        (
            TWO_SLICES.replace("name = \"presized\"", "name = \"grown\""),
            "slices[1].name: duplicate slice name `grown` (first declared as slices[0])",
        ),
        (
            TWO_SLICES.replace("cap = 1000", "cap = 35184372088833"),
            "slices[1].cap: make([]int64, 0, 35184372088833) takes more than 2^48 bytes",
        ),
        (
            TWO_SLICES.replace("n = 1000 },\n  { op", "n = 1000, map = \"m\" },\n  { op"),
            "goroutines[0].program[0].map: unknown field `map` (allowed: op, slice, n)",
        ),
        (
            TWO_SLICES.replace("cap = 1000", "cap = 1000\nscope = \"request\""),
            "slices[1].scope",
        ),
        (
            TWO_SLICES.replace(
                "elem = \"int64\"\n[[slices]]",
                "elem = \"int65\"\n[[slices]]",
            ),
            "slices[0].elem",
        ),
    ];
    for (i, (text, want)) in cases.iter().enumerate() {
        let f = write(dir.path(), &format!("bad{i}.toml"), text);
        let o = gomemsim(&["check", f.to_str().unwrap()]);
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{want}: {err}");
        assert!(err.contains(want), "want {want:?} in {err}");
        assert!(!err.contains("panicked"), "{err}");
    }
}

const RACING_APPENDS: &str = r#"name = "racing_appends"
[runtime]
gomaxprocs = 2
[[slices]]
name = "s"
elem = "int64"
[[goroutines]]
name = "writer"
count = 2
program = [ { op = "append", slice = "s", n = 10 } ]
"#;

fn race_json(dir: &std::path::Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(dir.join("race.json")).unwrap()).unwrap()
}

/// Two goroutines appending to one slice: Go has no check that crashes, `-race` reports the
/// unordered accesses to `s`, and an append whose load and store another goroutine's store
/// falls between is lost. The replayed schedule shows the lost ones.
#[test]
fn racing_appends_are_reported_and_lose_elements() {
    let dir = tempfile::tempdir().unwrap();
    let f = write(dir.path(), "r.toml", RACING_APPENDS);
    let out = dir.path().join("out");
    let o = gomemsim(&[
        "race",
        "-q",
        "--strategy",
        "exhaustive",
        "--preemption-bound",
        "1",
        f.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    common::assert_ok(&o);
    let r = race_json(&out);
    // The schedule's table names slices as such, with no map flag column.
    let schedule = std::fs::read_to_string(out.join("schedule.txt")).unwrap();
    let header = schedule.lines().find(|l| l.starts_with("step  ")).unwrap();
    assert_eq!(
        header.split_whitespace().collect::<Vec<_>>(),
        ["step", "time", "goroutine", "P", "slice", "step"]
    );
    // Every schedule completes: a slice has no concurrent-use check to die of.
    assert_eq!(r["outcomes"], serde_json::json!({ "ok": r["schedules"] }));
    assert_eq!(
        r["data_races"], r["schedules"],
        "the two writers never synchronize"
    );
    assert!(r["corrupted"].as_u64().unwrap() > 0, "{r}");
    let lost = r["first_silent_race"]["corruption"][0]
        .as_str()
        .unwrap()
        .to_string();
    let (len, rest) = lost
        .strip_prefix("slice s: len ")
        .and_then(|x| x.split_once(" after 20 appends: "))
        .unwrap_or_else(|| panic!("{lost}"));
    let len: u64 = len.parse().unwrap();
    assert!(len < 20 && rest == format!("{} lost", 20 - len), "{lost}");
    let schedule = std::fs::read_to_string(out.join("schedule.txt")).unwrap();
    assert!(
        schedule.contains("data race: on slice s between"),
        "{schedule}"
    );
    assert!(schedule.contains("WARNING: DATA RACE"), "{schedule}");
    // The token replays the same loss.
    let token = r["first_silent_race"]["token"].as_str().unwrap();
    let rep = dir.path().join("rep");
    let o = gomemsim(&[
        "replay",
        f.to_str().unwrap(),
        "--schedule",
        token,
        "--out",
        rep.to_str().unwrap(),
    ]);
    common::assert_ok(&o);
    let said = String::from_utf8_lossy(&o.stdout);
    assert!(said.contains(&lost), "{said}");
    assert!(
        said.contains("data race (happens-before) on slice s"),
        "{said}"
    );
}

/// The same appends under a mutex: no schedule races or loses an element.
#[test]
fn appends_under_a_mutex_neither_race_nor_lose() {
    let dir = tempfile::tempdir().unwrap();
    let f = write(
        dir.path(),
        "m.toml",
        &RACING_APPENDS.replace(
            r#"program = [ { op = "append", slice = "s", n = 10 } ]"#,
            r#"program = [ { op = "loop", times = 10, body = [
  { op = "lock" }, { op = "append", slice = "s", n = 1 }, { op = "unlock" } ] } ]"#,
        ),
    );
    let out = dir.path().join("out");
    let o = gomemsim(&[
        "race",
        "-q",
        "--strategy",
        "exhaustive",
        "--preemption-bound",
        "2",
        f.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    common::assert_ok(&o);
    let r = race_json(&out);
    assert!(r["schedules"].as_u64().unwrap() > 1, "{r}");
    assert_eq!(
        (&r["data_races"], &r["corrupted"]),
        (&0.into(), &0.into()),
        "{r}"
    );
}

/// One `append` op of many elements and a loop of single appends are the same program: the
/// GC stops the world between two appends either way (only growslice cannot be preempted),
/// so they give the same cycles and pauses, and no cycle's GC CPU passes 100%.
#[test]
fn one_append_op_stops_for_the_gc_as_a_loop_of_single_appends_does() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = |name: &str, program: &str| {
        write(
            dir.path(),
            &format!("{name}.toml"),
            &format!(
                "name = \"{name}\"\n[runtime]\ngomaxprocs = 2\n[[slices]]\nname = \"s\"\n\
                 elem = \"int64\"\n[[goroutines]]\nname = \"main\"\nprogram = [ {program} ]\n"
            ),
        )
    };
    let one = scenario("one", r#"{ op = "append", slice = "s", n = 2000000 }"#);
    let looped = scenario(
        "looped",
        r#"{ op = "loop", times = 2000000, body = [ { op = "append", slice = "s", n = 1 } ] }"#,
    );
    let mut results = Vec::new();
    for f in [&one, &looped] {
        let out = dir.path().join(f.file_stem().unwrap());
        let o = gomemsim(&[
            "run",
            "--no-plots",
            "-q",
            f.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ]);
        common::assert_ok(&o);
        let s = summary(&out);
        results.push((s["gc_cycles"].clone(), s["stw_max_ns"].clone()));
        for line in std::fs::read_to_string(out.join("gctrace.txt"))
            .unwrap()
            .lines()
        {
            // gc N @T.TTTs P%: ...
            let pct: u64 = line
                .split_whitespace()
                .nth(3)
                .unwrap()
                .trim_end_matches("%:")
                .parse()
                .unwrap();
            assert!(pct <= 100, "{line}");
        }
    }
    assert!(results[0].0.as_u64().unwrap() > 3, "{results:?}");
    assert_eq!(results[0], results[1]);
}

/// A growslice panic under `race` is printed as Go prints a runtime error: `panic:`, not
/// `fatal error:`, and thrown from runtime.growslice.
#[test]
fn race_prints_a_growslice_panic_as_go_does() {
    let dir = tempfile::tempdir().unwrap();
    // One element of 2^48 + 1 bytes: past maxAlloc at the first append.
    let f = write(
        dir.path(),
        "p.toml",
        "name = \"p\"\n[[slices]]\nname = \"s\"\nelem = \"[281474976710657]byte\"\n\
         [[goroutines]]\nname = \"main\"\nprogram = [ { op = \"append\", slice = \"s\", n = 1 } ]\n",
    );
    let out = dir.path().join("race");
    let o = gomemsim(&[
        "race",
        f.to_str().unwrap(),
        "--schedules",
        "1",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(1));
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(
        text.contains("first failure: panic: runtime error: growslice: cap out of range"),
        "{text}"
    );
    let schedule = std::fs::read_to_string(out.join("schedule.txt")).unwrap();
    assert!(
        schedule.contains("panic: runtime error: growslice: cap out of range\n\ngoroutine 1 [running]:\nruntime.growslice(...)"),
        "{schedule}"
    );
    assert!(!schedule.contains("fatal error"), "{schedule}");
}

/// `check` counts the array `make([]T, 0, cap)` allocates: 1,000,000 int64 = 7.63 MiB.
#[test]
fn check_counts_a_presized_slice() {
    let dir = tempfile::tempdir().unwrap();
    let f = write(
        dir.path(),
        "c.toml",
        "name = \"c\"\n[[slices]]\nname = \"s\"\nelem = \"int64\"\ncap = 1000000\n\
         [[goroutines]]\nname = \"main\"\nprogram = [ { op = \"append\", slice = \"s\", n = 1 } ]\n",
    );
    let o = gomemsim(&["check", f.to_str().unwrap()]);
    common::assert_ok(&o);
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(text.contains("7.63 MiB allocated"), "{text}");
}

/// `replay` writes what `run` writes, slice_events.csv and the GC's files among them. The
/// schedule that loses ten of race_append's twenty appends: the first goroutine makes nine
/// appends and loads a tenth header, the second makes its ten from the stored header (length
/// 9), then the first stores its tenth (length 10, the old cap-16 array). Appends are numbered
/// in the order they loaded the header: the first goroutine's 1, 2, 3, 5 and 9 grow the slice
/// as go1.19 growslice does from nil, and the second's eighth, append 18, needs length 17 of
/// the cap-16 array.
#[test]
fn a_replayed_schedule_writes_its_slices_growths_and_its_gc_cycles() {
    let dir = tempfile::tempdir().unwrap();
    common::cli_into(
        &["replay", "-q", "--schedule", "s1-d(0*19)(1*20)"],
        &common::bundled("race_append.toml"),
        dir.path(),
        &[],
    );
    let events = std::fs::read_to_string(dir.path().join("slice_events.csv")).unwrap();
    let rows: Vec<(u64, u64, u64, u64)> = events
        .lines()
        .skip(1)
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            assert_eq!((f[0], f[2]), ("s", "grow"), "{l}");
            let n = |i: usize| f[i].parse::<u64>().unwrap();
            assert_eq!((n(6), n(7)), (n(4) * 8, n(5) * 8), "{l}");
            (n(1), n(3), n(4), n(5))
        })
        .collect();
    let mut want: Vec<(u64, u64, u64, u64)> = INT64_GROWTHS[..5]
        .iter()
        .map(|&(len, before, after)| (len, len, before, after))
        .collect();
    want.push((18, 17, 16, 32));
    assert_eq!(rows, want);
    let s = summary(dir.path());
    assert_eq!(
        s["corruption"][0],
        "slice s: len 10 after 20 appends: 10 lost"
    );
    // No cycle in twenty appends: the GC's files are there, with no row.
    let cycles = std::fs::read_to_string(dir.path().join("gc_cycles.csv")).unwrap();
    assert_eq!(cycles.lines().count(), 1, "{cycles}");
    assert_eq!(
        std::fs::read_to_string(dir.path().join("gctrace.txt")).unwrap(),
        ""
    );
}

/// A replayed schedule's summary.json counts the pauses and GC CPU of its cycles, as
/// gc_cycles.csv lists them (it said 0 whatever the cycles were).
#[test]
fn a_replayed_schedules_pauses_are_its_cycles() {
    let dir = tempfile::tempdir().unwrap();
    let f = write(
        dir.path(),
        "gc.toml",
        r#"name = "gc"
[runtime]
gomaxprocs = 2
[[slices]]
name = "buf"
elem = "int64"
[[goroutines]]
name = "worker"
count = 2
program = [
  { op = "loop", times = 20, body = [{ op = "alloc", bytes = "1MiB", size = "64KiB" }] },
  { op = "append", slice = "buf", n = 3 },
]
"#,
    );
    let out = dir.path().join("out");
    common::cli_into(&["replay", "-q", "--schedule", "s1-t1"], &f, &out, &[]);
    let (h, rows) = common::read_csv_at(&out.join("gc_cycles.csv"));
    assert!(rows.len() >= 2, "{} cycles", rows.len());
    let column = |c: &str| -> Vec<u64> {
        rows.iter()
            .map(|r| common::col(&h, r, c).parse().unwrap())
            .collect()
    };
    let sum = |c: &str| -> u64 { column(c).iter().sum() };
    let max = |c: &str| -> u64 { column(c).into_iter().max().unwrap() };
    let s = summary(&out);
    assert_eq!(s["gc_cycles"], rows.len() as u64);
    assert_eq!(
        s["stw_total_ns"],
        sum("stw_sweep_term_ns") + sum("stw_mark_term_ns")
    );
    assert_eq!(
        s["stw_max_ns"],
        max("stw_sweep_term_ns").max(max("stw_mark_term_ns"))
    );
    let gc_cpu = (sum("gc_cpu_ns") - sum("cpu_idle_ns")) as f64;
    let cpu = s["sim_time_ns"].as_u64().unwrap() as f64 * 2.0;
    let frac = s["gc_cpu_fraction"].as_f64().unwrap();
    assert!(frac > 0.0 && (frac - gc_cpu / cpu).abs() < 1e-6, "{frac}");
    let trace = std::fs::read_to_string(out.join("gctrace.txt")).unwrap();
    assert_eq!(trace.lines().count(), rows.len());
}

/// A goroutine's own slice is followed, in `replay` as in `run`, in the first goroutine to
/// append to it: one that only resets its instance first does not take it over.
#[test]
fn a_replay_follows_the_same_goroutine_own_slice_as_run() {
    let dir = tempfile::tempdir().unwrap();
    let f = write(
        dir.path(),
        "own.toml",
        r#"name = "own"
[runtime]
gomaxprocs = 1
[[slices]]
name = "buf"
elem = "int64"
scope = "goroutine"
[[goroutines]]
name = "appender"
program = [ { op = "append", slice = "buf", n = 20 } ]
[[goroutines]]
name = "resetter"
program = [ { op = "reset", slice = "buf" } ]
"#,
    );
    let (ran, replayed) = (dir.path().join("run"), dir.path().join("replay"));
    common::run_cli_into(&f, &ran, &[]);
    common::cli_into(
        &["replay", "-q", "--schedule", "s1-d(1)"],
        &f,
        &replayed,
        &[],
    );
    let events = |d: &std::path::Path| std::fs::read_to_string(d.join("slice_events.csv")).unwrap();
    assert_eq!(
        events(&replayed).lines().count(),
        1 + 6,
        "{}",
        events(&replayed)
    );
    assert_eq!(events(&replayed), events(&ran));
}
