//! A structure-aware fuzzer over scenarios (random programs, types, sizes, loops, locks,
//! requests, releases and limits) and over gctrace logs (the measured ones, mutated).
//!
//! Two ways to run them:
//! - through the CLI: each scenario through `check`, `run` and `race` as child processes
//!   under a 2 GiB address-space limit and a watchdog; a case fails when gomemsim panics,
//!   aborts, is killed, exits with a code other than 0, 1 or 2, or outlives the watchdog.
//!   `GOMEMSIM_FUZZ_CASES` (a short budget by default) and `GOMEMSIM_FUZZ_SEED`.
//! - in process, for millions of cases: a child of this test binary runs case after case
//!   through the library (parse, the up-front checks, run, race with shrinking, export-go,
//!   the result files' writers; for logs, the parser and calibrate's fit) under
//!   `catch_unwind`, a 2 GiB address-space limit and a watchdog that restarts it after the
//!   case that killed or hung it. `GOMEMSIM_FUZZ_INPROC_CASES` (a short budget by default)
//!   and `GOMEMSIM_FUZZ_SEED`; `GOMEMSIM_FUZZ_INPROC_CASES=1000000` for the long run.
//!
//! Failing cases are kept in `target/fuzz-findings/`.

mod common;

use std::fmt::Write as _;
use std::process::Command;
use std::time::Duration;

use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

use common::bin;

const KEYS: [&str; 12] = [
    "int8",
    "int16",
    "int32",
    "int64",
    "uint8",
    "uint64",
    "string",
    "[3]byte",
    "[32]byte",
    "[129]byte",
    "*int",
    "float64",
];
const ELEMS: [&str; 8] = [
    "int64",
    "uint8",
    "string",
    "[128]byte",
    "*int",
    "[]byte",
    "any",
    "[3]int32",
];
const SIZES: [&str; 10] = [
    "1B", "8B", "24B", "4KiB", "32KiB", "33KiB", "1MiB", "64MiB", "1GiB", "1TiB",
];
const TIMES: [&str; 6] = ["1ns", "20us", "1ms", "250ms", "10s", "1h"];

/// A count: mostly small, sometimes large, rarely absurd.
fn count(r: &mut ChaCha8Rng) -> u64 {
    match r.random_range(0..20) {
        0 => 0,
        1 => 1u64 << r.random_range(20..34),
        2 => u64::from(u32::MAX),
        3..=6 => r.random_range(100..5000),
        _ => r.random_range(1..100),
    }
}

fn size(r: &mut ChaCha8Rng, max: usize) -> &'static str {
    SIZES[r.random_range(0..max.min(SIZES.len()))]
}

/// One op of a program over `maps` maps, nested at most `depth` loops deeper.
fn op(r: &mut ChaCha8Rng, maps: usize, locks: &[&str], depth: u32, out: &mut String) {
    let map = |r: &mut ChaCha8Rng| format!("m{}", r.random_range(0..maps.max(1)));
    let kinds = if depth > 0 { 14 } else { 12 };
    match r.random_range(0..kinds) {
        0 | 1 => {
            let _ = write!(
                out,
                "{{ op = \"insert\", map = \"{}\", n = {} }}",
                map(r),
                count(r)
            );
        }
        2 => {
            let _ = write!(
                out,
                "{{ op = \"delete\", map = \"{}\", n = {} }}",
                map(r),
                count(r)
            );
        }
        3 => {
            let _ = write!(
                out,
                "{{ op = \"churn\", map = \"{}\", n = {} }}",
                map(r),
                count(r)
            );
        }
        4 => {
            let _ = write!(
                out,
                "{{ op = \"read\", map = \"{}\", n = {} }}",
                map(r),
                count(r)
            );
        }
        5 => {
            let _ = write!(out, "{{ op = \"iterate\", map = \"{}\" }}", map(r));
        }
        6 => {
            let rate = if r.random_bool(0.3) {
                format!(", rate = \"{}MiB/s\"", r.random_range(1..1000))
            } else {
                String::new()
            };
            let _ = write!(
                out,
                "{{ op = \"alloc\", bytes = \"{}\", size = \"{}\"{rate} }}",
                size(r, 9),
                size(r, 7)
            );
        }
        7 => {
            let _ = write!(
                out,
                "{{ op = \"retain\", bytes = \"{}\", size = \"{}\" }}",
                size(r, 8),
                size(r, 7)
            );
        }
        8 => {
            let _ = write!(out, "{{ op = \"free\", bytes = \"{}\" }}", size(r, 9));
        }
        9 => {
            let _ = write!(
                out,
                "{{ op = \"compute\", time = \"{}\" }}",
                TIMES[r.random_range(0..5)]
            );
        }
        10 | 11 => {
            let l = locks[r.random_range(0..locks.len())];
            let (a, b) = if r.random_bool(0.5) {
                ("lock", "unlock")
            } else {
                ("rlock", "runlock")
            };
            if r.random_bool(0.8) {
                let _ = write!(out, "{{ op = \"{a}\", name = \"{l}\" }}, ");
                op(r, maps, locks, depth.saturating_sub(1), out);
                let _ = write!(out, ", {{ op = \"{b}\", name = \"{l}\" }}");
            } else {
                // Unbalanced on purpose.
                let _ = write!(out, "{{ op = \"{b}\", name = \"{l}\" }}");
            }
        }
        12 => {
            let head = if r.random_bool(0.7) {
                format!("times = {}", [0, 1, 3, 1000, 1 << 20][r.random_range(0..5)])
            } else {
                format!("duration = \"{}\"", TIMES[r.random_range(1..5)])
            };
            let _ = write!(out, "{{ op = \"loop\", {head}, body = [");
            for i in 0..r.random_range(1..4) {
                if i > 0 {
                    out.push_str(", ");
                }
                op(r, maps, locks, depth - 1, out);
            }
            out.push_str("] }");
        }
        _ => {
            let _ = write!(
                out,
                "{{ op = \"request\", name = \"req{}\", body = [",
                r.random_range(0..2)
            );
            op(r, maps, locks, depth - 1, out);
            out.push_str("] }");
        }
    }
}

/// One random scenario.
fn scenario(seed: u64) -> String {
    let r = &mut ChaCha8Rng::seed_from_u64(seed);
    let mut s = format!("name = \"fuzz{seed}\"\nseed = {}\n", r.random::<u32>());
    if r.random_bool(0.2) {
        let _ = writeln!(s, "warmup = \"{}\"", TIMES[r.random_range(0..5)]);
    }
    s.push_str("\n[runtime]\n");
    let _ = writeln!(s, "go = \"1.{}\"", r.random_range(19..25));
    let _ = writeln!(
        s,
        "gomaxprocs = {}",
        [1, 2, 2, 4, 8, 64][r.random_range(0..6)]
    );
    match r.random_range(0..5) {
        0 => s.push_str("gogc = \"off\"\n"),
        1 => {
            let _ = writeln!(s, "gogc = {}", [0, 1, 10, 100000][r.random_range(0..4)]);
        }
        _ => {
            let _ = writeln!(s, "gogc = {}", r.random_range(25..400));
        }
    }
    if r.random_bool(0.3) {
        let _ = writeln!(s, "gomemlimit = \"{}\"", size(r, 10));
    }
    if r.random_bool(0.3) {
        let _ = writeln!(s, "\n[heap]\nlive = \"{}\"", size(r, 9));
    }
    let maps = r.random_range(0..4);
    for m in 0..maps {
        let _ = write!(
            s,
            "\n[[maps]]\nname = \"m{m}\"\nkey = \"{}\"\nelem = \"{}\"\n",
            KEYS[r.random_range(0..KEYS.len())],
            ELEMS[r.random_range(0..ELEMS.len())]
        );
        if r.random_bool(0.5) {
            let _ = writeln!(s, "hint = {}", count(r));
        }
        if r.random_bool(0.2) {
            s.push_str("impl = \"swiss\"\n");
        }
    }
    let locks = ["mu", "rw"];
    for g in 0..r.random_range(0..4) {
        let _ = write!(
            s,
            "\n[[goroutines]]\nname = \"g{g}\"\ncount = {}\n",
            [1, 1, 2, 3, 100][r.random_range(0..5)]
        );
        if r.random_bool(0.3) {
            s.push_str("start = \"together\"\n");
        }
        s.push_str("program = [\n  ");
        for i in 0..r.random_range(1..5) {
            if i > 0 {
                s.push_str(",\n  ");
            }
            op(r, maps, &locks, 2, &mut s);
        }
        s.push_str("\n]\n");
    }
    if r.random_bool(0.15) {
        let _ = write!(
            s,
            "\n[[arrivals]]\nname = \"web\"\nrate = \"{}/s\"\nduration = \"{}\"\nprogram = [ ",
            [1, 100, 10000, 1000000][r.random_range(0..4)],
            TIMES[r.random_range(1..4)]
        );
        op(r, maps, &locks, 1, &mut s);
        s.push_str(" ]\n");
    }
    s
}

/// Runs gomemsim `args` under 2 GiB of address space and a 20 s watchdog; `None` if it
/// behaved, else what went wrong.
fn misbehaves(args: &[&str]) -> Option<String> {
    match common::run_within(common::gomemsim_in_2gib(args), Duration::from_secs(20)) {
        None => Some("hung (killed after 20 s)".into()),
        Some((Some(0..=2), text)) if !text.contains("panicked") => None,
        Some((code, text)) => Some(format!(
            "exit {code:?}: {}",
            text.lines().take(3).collect::<Vec<_>>().join(" | ")
        )),
    }
}

#[test]
fn fuzzed_scenarios_never_panic_hang_or_blow_up() {
    let cases: u64 = env_u64("GOMEMSIM_FUZZ_CASES", 60);
    let first: u64 = env_u64("GOMEMSIM_FUZZ_SEED", 1);
    let findings_dir =
        std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/fuzz-findings");
    let mut findings = Vec::new();
    let mut valid = 0;
    for seed in first..first + cases {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("fuzz.toml");
        let text = scenario(seed);
        std::fs::write(&file, &text).unwrap();
        let f = file.to_str().unwrap();
        let out = dir.path().join("out");
        let o = out.to_str().unwrap();
        let race_out = dir.path().join("race");
        let ro = race_out.to_str().unwrap();
        let runs: [&[&str]; 3] = [
            &["check", f],
            &[
                "run",
                f,
                "--no-plots",
                "-q",
                "--time-limit",
                "3s",
                "--out",
                o,
            ],
            &[
                "race",
                f,
                "--schedules",
                "3",
                "--time-limit",
                "3s",
                "-q",
                "--out",
                ro,
            ],
        ];
        for args in runs {
            if let Some(what) = misbehaves(args) {
                std::fs::create_dir_all(&findings_dir).unwrap();
                let kept = findings_dir.join(format!("seed{seed}.toml"));
                std::fs::write(&kept, &text).unwrap();
                findings.push(format!("{} {}: {what}", args[0], kept.display()));
            }
        }
        if Command::new(bin())
            .args(["check", f])
            .output()
            .unwrap()
            .status
            .success()
        {
            valid += 1;
        }
    }
    eprintln!(
        "fuzz: {cases} scenarios from seed {first} ({valid} valid), 3 commands each: {} findings",
        findings.len()
    );
    assert!(findings.is_empty(), "{}", findings.join("\n"));
}

/// The environment variable `name` as a number, else `default`.
fn env_u64(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// A mutation of one of the measured gctrace logs: lines dropped, doubled, swapped, cut,
/// numbers changed to 0, huge or negative values, bytes flipped, garbage inserted.
fn gctrace_log(seed: u64) -> String {
    const LOGS: [&str; 2] = ["L64_gogc100_c4k.txt", "L64_gogcoff_mem128MiB_c4k.txt"];
    let r = &mut ChaCha8Rng::seed_from_u64(seed);
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/measured/gctrace");
    let name = LOGS[r.random_range(0..LOGS.len())];
    let text = std::fs::read_to_string(dir.join(name)).unwrap_or_default();
    let mut lines: Vec<String> = text.lines().map(String::from).collect();
    for _ in 0..r.random_range(0..6) {
        if lines.is_empty() {
            break;
        }
        let i = r.random_range(0..lines.len());
        match r.random_range(0..9) {
            0 => {
                lines.remove(i);
            }
            1 => {
                let l = lines[i].clone();
                lines.insert(i, l);
            }
            2 => {
                let j = r.random_range(0..lines.len());
                lines.swap(i, j);
            }
            3 => {
                let cut = r.random_range(0..=lines[i].len());
                let cut = (0..=cut)
                    .rev()
                    .find(|&c| lines[i].is_char_boundary(c))
                    .unwrap_or(0);
                lines[i].truncate(cut);
            }
            4 => lines.truncate(i),
            5 | 6 => {
                // A number replaced.
                let l = &lines[i];
                let digits: Vec<usize> = l
                    .char_indices()
                    .filter(|(_, c)| c.is_ascii_digit())
                    .map(|(k, _)| k)
                    .collect();
                if let Some(&k) = digits.get(r.random_range(0..digits.len().max(1))) {
                    let with = [
                        "0",
                        "99999999999999999999",
                        "-1",
                        "18446744073709551615",
                        "1e308",
                        "",
                    ][r.random_range(0..6)];
                    let end = l[k..]
                        .find(|c: char| !c.is_ascii_digit())
                        .map_or(l.len(), |e| k + e);
                    lines[i] = format!("{}{with}{}", &l[..k], &l[end..]);
                }
            }
            7 => {
                let junk = [
                    "GC forced",
                    "gc 1 @",
                    "\u{0}\u{ff}",
                    "gc 99999999999 @0s 0%: ",
                    "scvg: x",
                ];
                lines.insert(i, junk[r.random_range(0..junk.len())].to_string());
            }
            _ => {
                let mut b = lines[i].clone().into_bytes();
                if !b.is_empty() {
                    let k = r.random_range(0..b.len());
                    b[k] = r.random();
                }
                lines[i] = String::from_utf8_lossy(&b).into_owned();
            }
        }
    }
    lines.join("\n") + "\n"
}

/// Sets `stop` once `after` has passed, unless dropped first.
struct Deadline {
    done: std::sync::Arc<std::sync::atomic::AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Deadline {
    fn new(stop: &std::sync::Arc<std::sync::atomic::AtomicBool>, after: Duration) -> Self {
        use std::sync::atomic::Ordering;
        let done = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let (d, s) = (done.clone(), stop.clone());
        let thread = std::thread::spawn(move || {
            let end = std::time::Instant::now() + after;
            while !d.load(Ordering::Relaxed) {
                if std::time::Instant::now() >= end {
                    s.store(true, Ordering::Relaxed);
                    return;
                }
                std::thread::sleep(Duration::from_millis(2));
            }
        });
        Deadline {
            done,
            thread: Some(thread),
        }
    }
}

impl Drop for Deadline {
    fn drop(&mut self) {
        self.done.store(true, std::sync::atomic::Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Wall-clock budget of each stage of an in-process case (the CLI's `--time-limit`):
/// `GOMEMSIM_FUZZ_STAGE_MS`, 25 ms unless set. A stage stopped there has still built,
/// checked and run what it reached.
fn stage() -> Duration {
    let ms = env_u64("GOMEMSIM_FUZZ_STAGE_MS", 25);
    Duration::from_millis(ms)
}

/// Maps whose simulation needs more memory than this (bytes) are only checked in process.
const IN_PROCESS_FOOTPRINT: u64 = 64 << 20;

/// One scenario through the library, as `check`, `run`, `race` and `export-go` use it.
fn scenario_case(seed: u64) {
    use gomemsim::explore::{self, Strategy};
    use std::sync::Arc;
    use std::sync::atomic::AtomicBool;
    let text = scenario(seed);
    let sc = match gomemsim::scenario::parse_str(&text, "fuzz.toml", &[]) {
        Ok(sc) => sc,
        Err(e) => {
            let _ = e.to_string();
            return;
        }
    };
    if let Err(e) = gomemsim::check_memory(&sc) {
        let _ = e.to_string();
        return;
    }
    let work = sc.work_bound();
    let _ = gomemsim::resources::gc_cycles_estimate(&sc, &work);
    let _ = gomemsim::export::go_program(&sc).map_err(|e| e.to_string());
    if gomemsim::resources::sim_footprint_bytes(&sc) > IN_PROCESS_FOOTPRINT {
        // Seconds of page clearing to make the maps: left to the CLI fuzzer.
        return;
    }
    // `run --time-limit` raises the operation bound to what the time allows.
    let stop = Arc::new(AtomicBool::new(false));
    {
        let _deadline = Deadline::new(&stop, stage());
        let options = gomemsim::RunOptions {
            stop: Some(stop.clone()),
            ..Default::default()
        };
        if let Ok(o) = gomemsim::run_with(&sc, &options) {
            let _ = gomemsim::report::summary_json(&o);
            let _ = gomemsim::report::gc_cycles_csv(&o.gc[..o.gc.len().min(1000)]);
            let _ = gomemsim::report::gctrace_text(&o.gc[..o.gc.len().min(1000)]);
        }
    }
    let stop = Arc::new(AtomicBool::new(false));
    let _deadline = Deadline::new(&stop, stage());
    let strategy = [
        Strategy::Timing,
        Strategy::Random,
        Strategy::Pct { depth: 3 },
    ][(seed % 3) as usize];
    if let Ok(ex) = explore::explore_until(&sc, strategy, 3, seed, &mut |_| {}, &stop)
        && let Some((_, trace)) = &ex.first_failure
    {
        let _ = explore::shrink_until(&sc, trace, &stop);
    }
}

/// One mutated gctrace log through the parser and calibrate's fit.
fn gctrace_case(seed: u64) {
    use std::sync::Arc;
    use std::sync::atomic::AtomicBool;
    let text = gctrace_log(seed);
    let log = gomemsim::gctrace::read_gctrace(&text);
    let (cycles, split) = gomemsim::calibrate::runs::split_runs(&log.cycles);
    let _ = gomemsim::calibrate::warnings::log_warnings(&log, &split);
    let stop = Arc::new(AtomicBool::new(false));
    let _deadline = Deadline::new(&stop, stage());
    let opts = gomemsim::calibrate::Options {
        name: "fuzz".into(),
        go: "1.19".into(),
        gomaxprocs: None,
        gogc: None,
        gomemlimit: None,
        stop: Some(stop.clone()),
        known_costs: Vec::new(),
    };
    if let Ok(fit) = gomemsim::calibrate::fit(&cycles, &opts) {
        let _ = gomemsim::calibrate::warnings::all(&fit, &log, &split);
    }
}

/// Runs cases `from..to` in this process (one in 8 a gctrace log), printing `case N`
/// before each and `panic N: message` for each that panicked; `done` at the end.
fn run_cases_in_process(from: u64, to: u64) {
    use std::io::Write;
    // The panic message is printed by the hook already; the parent reads `panic` lines.
    let mut out = std::io::stdout().lock();
    for seed in from..to {
        let _ = writeln!(out, "case {seed}");
        let _ = out.flush();
        let result = std::panic::catch_unwind(|| {
            if seed % 8 == 7 {
                gctrace_case(seed);
            } else {
                scenario_case(seed);
            }
        });
        if let Err(e) = result {
            let msg = e
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| e.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default();
            let _ = writeln!(out, "panic {seed}: {}", msg.replace('\n', " "));
        }
    }
    let _ = writeln!(out, "done");
}

/// The child the in-process fuzzer starts: runs the cases its environment names.
#[test]
#[ignore = "run by fuzzed_cases_in_process_never_panic_hang_or_blow_up as its child"]
fn in_process_child() {
    if let Ok(seed) = std::env::var("GOMEMSIM_FUZZ_PRINT") {
        // The input of one case, to look at or to keep.
        let seed: u64 = seed.parse().unwrap();
        print!(
            "{}",
            if seed % 8 == 7 {
                gctrace_log(seed)
            } else {
                scenario(seed)
            }
        );
        return;
    }
    let range = std::env::var("GOMEMSIM_FUZZ_CHILD").expect("started by the fuzzer");
    let (a, b) = range.split_once("..").expect("FROM..TO");
    run_cases_in_process(a.parse().unwrap(), b.parse().unwrap());
}

#[test]
fn fuzzed_cases_in_process_never_panic_hang_or_blow_up() {
    use std::io::BufRead;
    use std::process::Stdio;
    let cases: u64 = env_u64("GOMEMSIM_FUZZ_INPROC_CASES", 400);
    let first: u64 = env_u64("GOMEMSIM_FUZZ_SEED", 1);
    let end = first + cases;
    let exe = std::env::current_exe().unwrap();
    let findings_dir =
        std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/fuzz-findings");
    let mut findings: Vec<String> = Vec::new();
    let keep = |seed: u64, what: String, findings: &mut Vec<String>| {
        std::fs::create_dir_all(&findings_dir).unwrap();
        let (text, ext) = if seed % 8 == 7 {
            (gctrace_log(seed), "txt")
        } else {
            (scenario(seed), "toml")
        };
        let kept = findings_dir.join(format!("inproc-seed{seed}.{ext}"));
        std::fs::write(&kept, text).unwrap();
        findings.push(format!("{}: {what}", kept.display()));
    };
    let started = std::time::Instant::now();
    let mut next = first;
    while next < end {
        // A child under 2 GiB of address space runs the cases from `next`; when it dies or
        // hangs, the case it was in is a finding and a new child goes on after it.
        let mut child = Command::new("sh")
            .arg("-c")
            .arg("ulimit -v 2097152 && exec \"$@\"")
            .arg("sh")
            .arg(&exe)
            .args([
                "in_process_child",
                "--exact",
                "--ignored",
                "--nocapture",
                "--test-threads=1",
            ])
            .env("GOMEMSIM_FUZZ_CHILD", format!("{next}..{end}"))
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let (tx, rx) = std::sync::mpsc::channel::<String>();
        let stdout = child.stdout.take().unwrap();
        std::thread::spawn(move || {
            for line in std::io::BufReader::new(stdout)
                .lines()
                .map_while(Result::ok)
            {
                if tx.send(line).is_err() {
                    return;
                }
            }
        });
        let mut current = None;
        let mut finished = false;
        loop {
            match rx.recv_timeout(Duration::from_secs(30)) {
                Ok(line) => {
                    if let Some(n) = line.strip_prefix("case ") {
                        current = n.parse::<u64>().ok();
                        if let Some(n) = current.filter(|n| (n - first) % 50_000 == 0 && *n > first)
                        {
                            // A long run says how far it got.
                            eprintln!(
                                "fuzz in process: {} cases in {:.0} s, {} findings",
                                n - first,
                                started.elapsed().as_secs_f64(),
                                findings.len()
                            );
                        }
                    } else if let Some(rest) = line.strip_prefix("panic ") {
                        let (n, msg) = rest.split_once(": ").unwrap_or((rest, ""));
                        keep(
                            n.parse().unwrap_or(0),
                            format!("panicked: {msg}"),
                            &mut findings,
                        );
                    } else if line == "done" {
                        finished = true;
                    }
                }
                Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {
                    let _ = child.kill();
                    if let Some(n) = current {
                        keep(n, "hung (no progress in 30 s)".into(), &mut findings);
                    }
                    break;
                }
                Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => break,
            }
        }
        let status = child.wait().unwrap();
        if finished {
            break;
        }
        match current {
            Some(n) => {
                if status.code() != Some(0) || !finished {
                    // Hung cases were kept above; this one died (abort, signal, OOM).
                    if findings
                        .last()
                        .is_none_or(|f| !f.contains(&format!("seed{n}.")))
                    {
                        keep(n, format!("the process died: {status}"), &mut findings);
                    }
                }
                next = n + 1;
            }
            None => panic!("the fuzz child did not start: {status}"),
        }
    }
    eprintln!(
        "fuzz in process: {cases} cases from seed {first} (1 in 8 a gctrace log) in {:.1} s: {} findings",
        started.elapsed().as_secs_f64(),
        findings.len()
    );
    assert!(findings.is_empty(), "{}", findings.join("\n"));
}
