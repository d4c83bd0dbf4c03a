//! Slices against real Go: every capacity append gives a slice, through `gomemsim export-go`
//! and the exported program's `-sliceevents` log, and testing.AllocsPerRun of append loops
//! with and without a pre-sized capacity, in a hand-written program. Both compare exactly.
//! Skipped, with a note, without a Go toolchain (`GO` or `go` on PATH); failing instead under
//! `GOMEMSIM_REQUIRE_GO=1`.
//!
//! The scenarios model the toolchain's own release (go1.19 here): from go1.22 a pointerful
//! array above 512 B carries a malloc header, which changes its capacities.

mod common;
mod go_toolchain;

use std::fmt::Write as _;
use std::process::Command;
use std::time::Duration;

use common::{assert_ok, bin};
use go_toolchain::{GO_RUNS, Go, run_with_limit};
use gomemsim::model::malloc::Malloc;
use gomemsim::model::slice::Slice;
use gomemsim::scenario::GoType;

/// The toolchain and the release the model is to follow: the toolchain's, if gomemsim
/// models it (1.19 .. 1.24).
fn toolchain(test: &str) -> Option<(Go, u32)> {
    let go = Go::find(test)?;
    match go.minor() {
        Some(minor @ 19..=24) => Some((go, minor)),
        v => {
            go_toolchain::skip(
                test,
                &format!("gomemsim models go1.19 .. go1.24, found {v:?}"),
            );
            None
        }
    }
}

/// A struct with pointers, as a slice element (a map key or element may not be one).
const STRUCT: &str = "struct{p *int; n int64}";

/// The element types of the growth comparison.
const ELEMS: [&str; 7] = [
    "int64",
    "byte",
    "[3]byte",
    "[24]byte",
    "[100]byte",
    "string",
    STRUCT,
];

/// Three slices of `elem`: one nil, one made with capacity 1000, each appended 5000 times;
/// and one appended, reset, appended, dropped and appended again.
fn scenario(i: usize, elem: &str, minor: u32) -> String {
    format!(
        r#"name = "slices{i}"
[runtime]
go = "1.{minor}"
[[slices]]
name = "nil"
elem = "{elem}"
[[slices]]
name = "made"
elem = "{elem}"
cap = 1000
[[slices]]
name = "churn"
elem = "{elem}"
[[goroutines]]
name = "main"
program = [
  {{ op = "append", slice = "nil", n = 5000 }},
  {{ op = "append", slice = "made", n = 5000 }},
  {{ op = "append", slice = "churn", n = 3000 }},
  {{ op = "reset", slice = "churn" }},
  {{ op = "append", slice = "churn", n = 4000 }},
  {{ op = "drop", slice = "churn" }},
  {{ op = "loop", times = 2, body = [{{ op = "append", slice = "churn", n = 300 }}] }},
]
"#
    )
}

/// The rows of slice_events.csv of the slice `name`.
fn rows_of<'a>(csv: &'a str, name: &str) -> Vec<&'a str> {
    csv.lines()
        .skip(1)
        .filter(|l| l.split(',').next() == Some(name))
        .collect()
}

#[test]
fn every_capacity_of_every_growth_is_real_go_s() {
    let test = "every_capacity_of_every_growth_is_real_go_s";
    let Some((go, minor)) = toolchain(test) else {
        return;
    };
    // unsafe.Sizeof and Alignof of the struct on amd64: 16 and 8, with a pointer.
    let st = GoType::parse_elem(STRUCT).unwrap();
    assert_eq!((st.size(), st.align(), st.has_pointers()), (16, 8, true));
    let _serial = GO_RUNS.lock().unwrap_or_else(|e| e.into_inner());
    let mut table = String::new();
    for (i, elem) in ELEMS.iter().enumerate() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("slices.toml");
        std::fs::write(&file, scenario(i, elem, minor)).unwrap();
        let o = Command::new(bin())
            .args(["run", "--no-plots", "-q", "--out"])
            .arg(dir.path().join("sim"))
            .arg(&file)
            .output()
            .unwrap();
        assert_ok(&o);
        let sim = std::fs::read_to_string(dir.path().join("sim/slice_events.csv")).unwrap();

        let prog = go.export_and_build(&file, dir.path(), &[]);
        let events = dir.path().join("go_events.csv");
        let mut cmd = Command::new(&prog);
        cmd.arg("-sliceevents").arg(&events);
        let o = run_with_limit(cmd, Duration::from_secs(60));
        assert_eq!(
            o.status.code(),
            Some(0),
            "{elem}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        let real = std::fs::read_to_string(&events).unwrap();
        // One goroutine appends to one slice after another, so Go logs the growths in
        // gomemsim's order, slice by slice: the files are equal, byte for byte.
        assert_eq!(
            real, sim,
            "{elem}: real go1.{minor} (left) and gomemsim (right) differ"
        );
        // Not vacuous: every slice grew, and the one made with 1000 first at 1001.
        let (grown, made, churn) = (
            rows_of(&sim, "nil"),
            rows_of(&sim, "made"),
            rows_of(&sim, "churn"),
        );
        assert!(grown.len() >= 8, "{elem}: {sim}");
        assert!(
            made[0].starts_with("made,1001,grow,1001,1000,"),
            "{elem}: {sim}"
        );
        assert!(
            churn.len() > grown.len(),
            "{elem}: the drop starts over: {sim}"
        );
        let caps: Vec<&str> = grown.iter().map(|r| r.split(',').nth(5).unwrap()).collect();
        let _ = writeln!(
            table,
            "{elem:>10}: {} growths from nil, caps {}",
            grown.len(),
            caps.join(" ")
        );
    }
    println!("{table}");
}

/// Element types of the AllocsPerRun program: Go spelling, size, whether it has pointers.
const ALLOC_ELEMS: [(&str, u64, bool); 4] = [
    ("int64", 8, false),
    ("[24]byte", 24, false),
    ("string", 16, true),
    ("struct {\n\tp *int\n\tn int64\n}", 16, true),
];

const NS: [u64; 4] = [10, 100, 1000, 10000];

/// A Go program that prints, for each element type and n, the size of the element and
/// testing.AllocsPerRun(100, …) of n appends to `var s []T` and to `make([]T, 0, n)`.
fn allocs_program() -> String {
    let mut p =
        String::from("package main\n\nimport (\n\t\"fmt\"\n\t\"testing\"\n\t\"unsafe\"\n)\n\n");
    for (i, (t, _, _)) in ALLOC_ELEMS.iter().enumerate() {
        let _ = write!(
            p,
            "type elem{i} {t}\n\n\
             // sink{i} keeps the slice reachable: escape analysis cannot keep it on the stack.\n\
             var sink{i} []elem{i}\n\n\
             //go:noinline\n\
             func fill{i}(n int, presize bool) {{\n\
             \tvar s []elem{i}\n\
             \tif presize {{\n\
             \t\ts = make([]elem{i}, 0, n)\n\
             \t}}\n\
             \tvar x elem{i}\n\
             \tfor j := 0; j < n; j++ {{\n\
             \t\ts = append(s, x)\n\
             \t}}\n\
             \tsink{i} = s\n\
             }}\n\n"
        );
    }
    p.push_str("func main() {\n\tns := []int{");
    p.push_str(&NS.iter().map(u64::to_string).collect::<Vec<_>>().join(", "));
    p.push_str("}\n");
    for i in 0..ALLOC_ELEMS.len() {
        let _ = write!(
            p,
            "\tfor _, n := range ns {{\n\
             \t\tfor _, presize := range []bool{{false, true}} {{\n\
             \t\t\ta := testing.AllocsPerRun(100, func() {{ fill{i}(n, presize) }})\n\
             \t\t\tfmt.Println({i}, unsafe.Sizeof(*new(elem{i})), n, presize, a)\n\
             \t\t}}\n\
             \t}}\n"
        );
    }
    p.push_str("}\n");
    p
}

/// The model's allocations for `n` appends: a nil slice, or one made with capacity `n`.
fn model_allocs(size: u64, pointers: bool, n: u64, presize: bool, malloc: Malloc) -> u64 {
    let mut s = Slice::make(size, !pointers, if presize { n } else { 0 }, malloc);
    s.append(n, |_| {}).unwrap();
    s.stats().allocs
}

#[test]
fn allocs_per_run_of_append_loops_are_the_model_s() {
    let test = "allocs_per_run_of_append_loops_are_the_model_s";
    let Some((go, minor)) = toolchain(test) else {
        return;
    };
    let malloc = if minor >= 22 {
        Malloc::GO1_22
    } else {
        Malloc::GO1_19
    };
    let _serial = GO_RUNS.lock().unwrap_or_else(|e| e.into_inner());
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("main.go"), allocs_program()).unwrap();
    go.ok(dir.path(), &["vet", "main.go"]);
    go.ok(dir.path(), &["build", "-o", "allocs", "main.go"]);
    let o = run_with_limit(
        Command::new(dir.path().join("allocs")),
        Duration::from_secs(120),
    );
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let stdout = String::from_utf8(o.stdout).unwrap();
    let mut seen = 0;
    let mut table =
        String::from("elem, n: AllocsPerRun without make / with make (model the same)\n");
    let mut mismatches = Vec::new();
    for line in stdout.lines() {
        let f: Vec<&str> = line.split(' ').collect();
        let [i, size, n, presize, allocs] = f[..] else {
            panic!("unexpected line {line:?} in\n{stdout}");
        };
        let (t, want_size, pointers) = ALLOC_ELEMS[i.parse::<usize>().unwrap()];
        assert_eq!(
            size.parse::<u64>().unwrap(),
            want_size,
            "unsafe.Sizeof of {t}"
        );
        let n: u64 = n.parse().unwrap();
        let presize = presize == "true";
        let real: f64 = allocs.parse().unwrap();
        let model = model_allocs(want_size, pointers, n, presize, malloc);
        if real != model as f64 {
            mismatches.push(format!(
                "{t} n={n} presize={presize}: go {real}, model {model}"
            ));
        }
        let name = t
            .replace(" {\n\t", "{")
            .replace("\n\t", "; ")
            .replace("\n}", "}");
        if presize {
            let _ = writeln!(table, " / {real}");
        } else {
            let _ = write!(table, "{name:>28}, {n:>5}: {real}");
        }
        seen += 1;
    }
    println!("{table}");
    assert_eq!(seen, ALLOC_ELEMS.len() * NS.len() * 2, "{stdout}");
    assert!(mismatches.is_empty(), "{}\n{table}", mismatches.join("\n"));
}

/// Every slice op in one program beside a map, requests and arrivals: shared slices, a
/// goroutine's own (in goroutine functions and in an arrival), and zero-size elements.
const MIXED: &str = r#"name = "mixed"
[runtime]
gomaxprocs = 2
[[maps]]
name = "m"
key = "int64"
elem = "int64"
[[slices]]
name = "shared"
elem = "int64"
[[slices]]
name = "buf"
elem = "[24]byte"
cap = 4
scope = "goroutine"
[[slices]]
name = "empty"
elem = "struct{}"
[[goroutines]]
name = "writer"
program = [
  { op = "insert", map = "m", n = 100 },
  { op = "append", slice = "shared", n = 3000 },
  { op = "reset", slice = "shared" },
  { op = "append", slice = "shared", n = 4000 },
  { op = "append", slice = "empty", n = 100 },
  { op = "request", name = "req", body = [
    { op = "append", slice = "buf", n = 50 },
    { op = "reset", slice = "buf" },
    { op = "append", slice = "buf", n = 60 },
    { op = "drop", slice = "buf" },
    { op = "append", slice = "buf", n = 3 },
  ] },
]
[[goroutines]]
name = "handler"
count = 2
program = [{ op = "drop", slice = "buf" }, { op = "append", slice = "buf", n = 100 }]
[[arrivals]]
name = "tick"
rate = "1000/s"
process = "constant"
duration = "20ms"
body = [{ op = "append", slice = "buf", n = 10 }, { op = "drop", slice = "buf" }]
"#;

/// The rows of `name` without their op column (the append's number, which depends on how
/// goroutines sharing a slice's numbering interleave), sorted, once each.
fn growths_of(csv: &str, name: &str) -> Vec<String> {
    let mut rows: Vec<String> = rows_of(csv, name)
        .iter()
        .map(|r| {
            let mut f: Vec<&str> = r.split(',').collect();
            f.remove(1);
            f.join(",")
        })
        .collect();
    rows.sort();
    rows.dedup();
    rows
}

#[test]
fn programs_with_every_slice_op_are_gofmt_clean_and_log_as_gomemsim_does() {
    let test = "programs_with_every_slice_op_are_gofmt_clean_and_log_as_gomemsim_does";
    let Some((go, minor)) = toolchain(test) else {
        return;
    };
    let _serial = GO_RUNS.lock().unwrap_or_else(|e| e.into_inner());
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("mixed.toml");
    let text = MIXED.replace(
        "gomaxprocs = 2",
        &format!("gomaxprocs = 2\ngo = \"1.{minor}\""),
    );
    std::fs::write(&file, text).unwrap();
    let o = Command::new(bin())
        .args(["run", "--no-plots", "-q", "--out"])
        .arg(dir.path().join("sim"))
        .arg(&file)
        .output()
        .unwrap();
    assert_ok(&o);
    let sim = std::fs::read_to_string(dir.path().join("sim/slice_events.csv")).unwrap();
    let prog = go.export_and_build(&file, dir.path(), &[]);
    if let Some(gofmt) = go.gofmt() {
        let o = Command::new(gofmt)
            .args(["-l", "main.go"])
            .current_dir(dir.path())
            .output()
            .unwrap();
        assert!(o.status.success() && o.stdout.is_empty(), "not gofmt-clean");
    }
    // The slice events on stdout, the map's in a file: the request results move to stderr.
    let mut cmd = Command::new(&prog);
    cmd.args(["-sliceevents", "-", "-mapevents"])
        .arg(dir.path().join("maps.csv"));
    let o = run_with_limit(cmd, Duration::from_secs(60));
    let (real, err) = (
        String::from_utf8(o.stdout).unwrap(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    );
    assert_eq!(o.status.code(), Some(0), "{err}");
    assert!(
        err.contains("request req count=") && !real.contains("request "),
        "{err}"
    );
    assert_eq!(real.lines().next(), sim.lines().next(), "the same header");
    // One goroutine appends to the shared slice: its rows are equal, op numbers too.
    assert_eq!(
        rows_of(&real, "shared"),
        rows_of(&sim, "shared"),
        "{real}\n{sim}"
    );
    assert!(rows_of(&sim, "shared").len() > 10, "{sim}");
    // Zero-size elements allocate nothing: no row in either.
    assert!(rows_of(&real, "empty").is_empty() && rows_of(&sim, "empty").is_empty());
    // Each goroutine's own: both logs follow the first instance made, numbered by its own
    // appends (make(…, 4): 4 -> 8 -> 16 …, [24]byte elements). Which goroutine makes the
    // first depends on the schedule, in real Go from run to run: a handler's (100 appends),
    // the writer's request (50, a reset, 60, a drop, then 3 from nil) or a tick's (10).
    let grow = |op: u64, len: u64, before: u64, after: u64| {
        format!(
            "buf,{op},grow,{len},{before},{after},{},{}",
            before * 24,
            after * 24
        )
    };
    let doublings = |last: u64| -> Vec<String> {
        let mut rows = Vec::new();
        let mut cap = 4;
        while cap < last {
            rows.push(grow(cap + 1, cap + 1, cap, cap * 2));
            cap *= 2;
        }
        rows
    };
    let handler = doublings(100);
    let mut writer = doublings(60);
    writer.extend([grow(111, 1, 0, 1), grow(112, 2, 1, 2), grow(113, 3, 2, 4)]);
    let tick = doublings(10);
    let histories = [handler, writer, tick];
    let history =
        |csv: &str| -> Vec<String> { rows_of(csv, "buf").iter().map(|r| r.to_string()).collect() };
    assert!(histories.contains(&history(&sim)), "{sim}");
    assert!(histories.contains(&history(&real)), "{real}\n{sim}");
    // The log is of one run.
    let mut cmd = Command::new(&prog);
    cmd.args(["-sliceevents", "-", "-repeat", "2"]);
    let o = run_with_limit(cmd, Duration::from_secs(60));
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("-sliceevents records one run"));
}

/// The bundled slice_prealloc.toml, a request's 1000 appends to its own `[]int64` at
/// 50000 requests/s for 2 s, from nil and pre-sized (`--set slices[0].cap=1000`): real Go
/// grows the first request's slice as gomemsim does, and both log that one slice's growths.
#[test]
fn slice_prealloc_grows_as_in_real_go() {
    let test = "slice_prealloc_grows_as_in_real_go";
    let Some((go, minor)) = toolchain(test) else {
        return;
    };
    if minor != 19 {
        go_toolchain::skip(test, "slice_prealloc.toml models go1.19");
        return;
    }
    let _serial = GO_RUNS.lock().unwrap_or_else(|e| e.into_inner());
    let file = common::bundled("slice_prealloc.toml");
    for set in [&[][..], &["--set", "slices[0].cap=1000"][..]] {
        let dir = tempfile::tempdir().unwrap();
        let o = Command::new(bin())
            .args(["run", "--no-plots", "-q", "--out"])
            .arg(dir.path().join("sim"))
            .arg(&file)
            .args(set)
            .output()
            .unwrap();
        assert_ok(&o);
        let sim = std::fs::read_to_string(dir.path().join("sim/slice_events.csv")).unwrap();
        let prog = go.export_and_build(&file, dir.path(), set);
        let events = dir.path().join("go_events.csv");
        let mut cmd = Command::new(&prog);
        cmd.arg("-sliceevents").arg(&events);
        let o = run_with_limit(cmd, Duration::from_secs(120));
        assert_eq!(
            o.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&o.stderr)
        );
        let real = std::fs::read_to_string(&events).unwrap();
        let rows = sim.lines().count() - 1;
        if set.is_empty() {
            // The log follows one request's slice: 12 growths, numbered by that slice's
            // appends (1, 2, 3, 5, 9, .., 849), to 1, 2, 4, .., 512, 848, 1280.
            let cols = |n: usize| -> Vec<u64> {
                rows_of(&sim, "ids")
                    .iter()
                    .map(|r| r.split(',').nth(n).unwrap().parse().unwrap())
                    .collect()
            };
            assert_eq!(cols(1), [1, 2, 3, 5, 9, 17, 33, 65, 129, 257, 513, 849]);
            assert_eq!(cols(5), [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 848, 1280]);
        } else {
            assert_eq!(rows, 0, "pre-sized, nothing grows: {sim}");
        }
        // One instance's rows, in order: the same bytes.
        assert_eq!(real, sim);
        assert_eq!(real.lines().count() - 1, rows, "as many rows");
        assert_eq!(growths_of(&real, "ids"), growths_of(&sim, "ids"));
    }
}
