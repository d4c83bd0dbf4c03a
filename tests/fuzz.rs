//! A structure-aware fuzzer over scenarios: random programs, types, sizes, loops, locks,
//! requests, releases and limits, each run through `check`, `run` and `race` as a child
//! process under a 2 GiB address-space limit and a watchdog. A case fails when gomemsim
//! panics, aborts, is killed, exits with a code other than 0, 1 or 2, or outlives the
//! watchdog. `GOMEMSIM_FUZZ_CASES` sets the number of cases (a short budget by default),
//! `GOMEMSIM_FUZZ_SEED` the first seed; failing cases are kept in `target/fuzz-findings/`.

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
    let cases: u64 = std::env::var("GOMEMSIM_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(60);
    let first: u64 = std::env::var("GOMEMSIM_FUZZ_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1);
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
