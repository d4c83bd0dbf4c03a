//! gctrace.txt: GC cycles in the exact line format go1.19 prints with `GODEBUG=gctrace=1`
//! (runtime/mgc.go: gcMarkTermination), and a tolerant parser for real gctrace logs from Go 1.19
//! through the current release.

use std::fmt::Write as _;

use crate::model::gc::GcCycle;

/// One cycle in gctrace's line format, without the trailing newline:
///
/// `gc N @S.SSSs P%: a+b+c ms clock, d+e/f/g+h ms cpu, H0->H1->H2 MB, G MB goal, S MB stacks,
/// X MB globals, P P` and ` (forced)` when the cycle was forced.
pub fn gctrace_line(c: &GcCycle) -> String {
    let mut s = String::with_capacity(160);
    // runtime/mgc.go: util := int(memstats.gc_cpu_fraction * 100); Go converts a float to an
    // int by truncating toward zero.
    let util = (c.gc_cpu_fraction * 100.0) as i64;
    // runtime/mgc.go: "gc ", memstats.numgc, " @", itoaDiv((tSweepTerm-runtimeInitTime)/1e6, 3),
    // "s ", util, "%: "
    let _ = write!(
        s,
        "gc {} @{}s {}%: ",
        c.n,
        itoa_div(c.start_ns / 1_000_000, 3),
        util
    );
    // runtime/mgc.go: the three wall-clock phases, joined by "+", then " ms clock, ".
    let clock = [c.stw_sweep_term_ns, c.mark_ns, c.stw_mark_term_ns];
    for (i, ns) in clock.into_iter().enumerate() {
        if i != 0 {
            s.push('+');
        }
        s.push_str(&fmt_ns_as_ms(ns));
    }
    s.push_str(" ms clock, ");
    // runtime/mgc.go: sweep-termination CPU, assist, background (dedicated + fractional), idle,
    // mark-termination CPU; the mark components (indexes 2 and 3) are preceded by "/".
    let cpu = [
        c.cpu_stw_sweep_term_ns,
        c.cpu_assist_ns,
        c.cpu_background_ns,
        c.cpu_idle_ns,
        c.cpu_stw_mark_term_ns,
    ];
    for (i, ns) in cpu.into_iter().enumerate() {
        if i == 2 || i == 3 {
            s.push('/');
        } else if i != 0 {
            s.push('+');
        }
        s.push_str(&fmt_ns_as_ms(ns));
    }
    // runtime/mgc.go: heap0>>20 "->" heap1>>20 "->" heap2>>20 " MB, ", lastHeapGoal>>20
    // " MB goal, ", maxStackScan>>20 " MB stacks, ", globalsScan>>20 " MB globals, ",
    // maxprocs " P"
    let _ = write!(
        s,
        " ms cpu, {}->{}->{} MB, {} MB goal, {} MB stacks, {} MB globals, {} P",
        c.heap_start_bytes >> 20,
        c.heap_end_bytes >> 20,
        c.heap_marked_bytes >> 20,
        c.heap_goal_bytes >> 20,
        c.stacks_bytes >> 20,
        c.globals_bytes >> 20,
        c.procs
    );
    // runtime/mgc.go: if work.userForced { print(" (forced)") }
    if c.user_forced {
        s.push_str(" (forced)");
    }
    s
}

/// The whole gctrace.txt: one line per cycle, each ending in "\n", and before a periodic
/// forced cycle the `GC forced` line that runtime/proc.go: forcegchelper prints.
pub fn gctrace_text(cycles: &[GcCycle]) -> String {
    let mut s = String::with_capacity(cycles.len() * 160);
    for c in cycles {
        if c.forced {
            s.push_str("GC forced\n");
        }
        s.push_str(&gctrace_line(c));
        s.push('\n');
    }
    s
}

/// runtime/mgc.go: itoaDiv — `val` in decimal with a '.' placed `dec` digits from the right,
/// zero-padded to at least one digit before the point. With `dec == 0` the loop still emits one
/// extra leading digit for a single-digit value (itoaDiv(5, 0) is "05"); fmtNSAsMS never calls
/// it that way, since it uses dec 0 only for values of 10 or more.
fn itoa_div(mut val: u64, dec: usize) -> String {
    // runtime/mgc.go: var sbuf [24]byte
    let mut buf = [0u8; 24];
    let mut i = buf.len() as isize - 1;
    let idec = i - dec as isize;
    while val >= 10 || i >= idec {
        buf[i as usize] = b'0' + (val % 10) as u8;
        i -= 1;
        if i == idec {
            buf[i as usize] = b'.';
            i -= 1;
        }
        val /= 10;
    }
    buf[i as usize] = b'0' + val as u8;
    String::from_utf8_lossy(&buf[i as usize..]).into_owned()
}

/// runtime/mgc.go: fmtNSAsMS — `ns` as milliseconds: whole milliseconds from 10 ms up,
/// otherwise the microseconds truncated to two significant digits with at most three decimals
/// ("0" below one microsecond).
fn fmt_ns_as_ms(ns: u64) -> String {
    if ns >= 10_000_000 {
        return itoa_div(ns / 1_000_000, 0);
    }
    let mut x = ns / 1_000;
    if x == 0 {
        return "0".to_string();
    }
    let mut dec = 3;
    while x >= 100 {
        x /= 10;
        dec -= 1;
    }
    itoa_div(x, dec)
}

/// One cycle line read back from a gctrace log. Fields the line does not carry keep their
/// default (0, empty, `None`).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ParsedCycle {
    /// The cycle number (`gc N`).
    pub n: u32,
    /// When the cycle started, in seconds since the program started (`@S.SSSs`).
    pub at_s: f64,
    /// Cumulative GC CPU percentage (`P%`).
    pub cpu_pct: u32,
    /// Wall-clock phases in ms: sweep termination, concurrent mark, mark termination.
    pub clock_ms: Vec<f64>,
    /// CPU times in ms, in order: sweep termination, assist, background, idle, mark
    /// termination (every field the line gives).
    pub cpu_ms: Vec<f64>,
    /// `H0->H1->H2 MB`: heap at the start, at the end, and marked live.
    pub heap_start_mb: u64,
    pub heap_end_mb: u64,
    pub heap_marked_mb: u64,
    /// `G MB goal`.
    pub goal_mb: u64,
    /// `S MB stacks` (Go 1.18 and later).
    pub stacks_mb: Option<u64>,
    /// `X MB globals` (Go 1.18 and later).
    pub globals_mb: Option<u64>,
    /// `P P`: GOMAXPROCS.
    pub procs: u32,
    /// The line ends in ` (forced)`.
    pub forced: bool,
    /// Fields that were not recognised, verbatim.
    pub unknown: Vec<String>,
}

/// Every GC cycle line of a gctrace log, in order. Everything else — scavenger (`scvg…`) and
/// `pacer:` lines, `GC forced` notices, program output, blank lines — is skipped. A cycle line
/// may carry a prefix (a timestamp, or program output that had no newline); it is found by its
/// `gc N @S.SSSs P%:` header. Never panics.
pub fn parse_gctrace(text: &str) -> Vec<ParsedCycle> {
    text.lines().filter_map(parse_line).collect()
}

/// One line, if it is a GC cycle line.
fn parse_line(line: &str) -> Option<ParsedCycle> {
    let line = line.trim_end_matches(['\r', '\n']);
    line.match_indices("gc ")
        .find_map(|(at, _)| parse_cycle(&line[at..]))
}

/// A cycle starting at `gc `, or `None` if the header does not fit.
fn parse_cycle(s: &str) -> Option<ParsedCycle> {
    // runtime/mgc.go: "gc ", numgc, " @", seconds, "s ", util, "%: "
    let rest = s.strip_prefix("gc ")?;
    let (n, rest) = rest.split_once(" @")?;
    let n = digits(n)?.parse::<u32>().ok()?;
    let (at, rest) = rest.split_once("s ")?;
    let at_s = decimal(at)?;
    let (pct, rest) = rest.split_once('%')?;
    let rest = rest.strip_prefix(':')?;
    let mut p = ParsedCycle {
        n,
        at_s,
        ..ParsedCycle::default()
    };
    let pct = pct.trim();
    match pct.parse::<u32>() {
        Ok(v) => p.cpu_pct = v,
        // A negative or overlong percentage (Go's int of a NaN fraction) is kept verbatim.
        Err(_) if pct.parse::<i64>().is_ok() => p.unknown.push(format!("{pct}%")),
        Err(_) => return None,
    }
    for field in rest.split(',') {
        parse_field(field.trim(), &mut p);
    }
    Some(p)
}

/// Reads one comma-separated field of a cycle line into `p`.
fn parse_field(field: &str, p: &mut ParsedCycle) {
    if field.is_empty() {
        return;
    }
    let mut f = field;
    // runtime/mgc.go: " (forced)" follows the last field.
    if let Some(head) = f.strip_suffix("(forced)") {
        p.forced = true;
        f = head.trim_end();
        if f.is_empty() {
            return;
        }
    }
    let known = if let Some(v) = f.strip_suffix(" ms clock") {
        ms_list(v).map(|v| p.clock_ms = v)
    } else if let Some(v) = f.strip_suffix(" ms cpu") {
        ms_list(v).map(|v| p.cpu_ms = v)
    } else if let Some(v) = f.strip_suffix(" MB goal") {
        mb(v).map(|v| p.goal_mb = v)
    } else if let Some(v) = f.strip_suffix(" MB stacks") {
        mb(v).map(|v| p.stacks_mb = Some(v))
    } else if let Some(v) = f.strip_suffix(" MB globals") {
        mb(v).map(|v| p.globals_mb = Some(v))
    } else if let Some(v) = f.strip_suffix(" MB") {
        heap_triple(v).map(|(a, b, c)| {
            p.heap_start_mb = a;
            p.heap_end_mb = b;
            p.heap_marked_mb = c;
        })
    } else if let Some(v) = f.strip_suffix(" P") {
        digits(v.trim())
            .and_then(|d| d.parse::<u32>().ok())
            .map(|v| p.procs = v)
    } else {
        None
    };
    if known.is_none() {
        p.unknown.push(field.to_string());
    }
}

/// `a+b/c/d+e`: the numbers between `+` and `/`, in order.
fn ms_list(s: &str) -> Option<Vec<f64>> {
    s.trim().split(['+', '/']).map(decimal).collect()
}

/// `H0->H1->H2`.
fn heap_triple(s: &str) -> Option<(u64, u64, u64)> {
    let mut it = s.trim().split("->").map(mb);
    let t = (it.next()??, it.next()??, it.next()??);
    match it.next() {
        None => Some(t),
        Some(_) => None,
    }
}

/// A whole number of MB.
fn mb(s: &str) -> Option<u64> {
    digits(s.trim())?.parse().ok()
}

/// `s` if it is one or more ASCII digits.
fn digits(s: &str) -> Option<&str> {
    (!s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())).then_some(s)
}

/// A plain decimal number as Go's itoaDiv writes it: digits with at most one '.'.
fn decimal(s: &str) -> Option<f64> {
    let (int, frac) = s.split_once('.').unwrap_or((s, ""));
    let plain = digits(int).is_some() && (frac.is_empty() || digits(frac).is_some());
    if plain && !s.ends_with('.') {
        s.parse().ok()
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn itoa_div_places_the_point() {
        // runtime/mgc.go: itoaDiv, traced by hand.
        assert_eq!(itoa_div(0, 3), "0.000");
        assert_eq!(itoa_div(3, 3), "0.003");
        assert_eq!(itoa_div(45, 3), "0.045");
        assert_eq!(itoa_div(999, 3), "0.999");
        assert_eq!(itoa_div(1_000, 3), "1.000");
        assert_eq!(itoa_div(12_345, 3), "12.345");
        assert_eq!(itoa_div(12, 2), "0.12");
        assert_eq!(itoa_div(23, 1), "2.3");
        assert_eq!(itoa_div(10, 0), "10");
        assert_eq!(itoa_div(1_234, 0), "1234");
        // The dec == 0 quirk: one padding digit for a single-digit value.
        assert_eq!(itoa_div(5, 0), "05");
        assert_eq!(itoa_div(0, 0), "00");
        assert_eq!(itoa_div(u64::MAX, 0), "18446744073709551615");
        assert_eq!(itoa_div(u64::MAX, 3), "18446744073709551.615");
    }

    #[test]
    fn fmt_ns_as_ms_edges() {
        // Below one microsecond: "0".
        assert_eq!(fmt_ns_as_ms(0), "0");
        assert_eq!(fmt_ns_as_ms(999), "0");
        // x < 100 µs: three decimals.
        assert_eq!(fmt_ns_as_ms(1_000), "0.001");
        assert_eq!(fmt_ns_as_ms(1_999), "0.001");
        assert_eq!(fmt_ns_as_ms(9_999), "0.009");
        assert_eq!(fmt_ns_as_ms(10_000), "0.010");
        assert_eq!(fmt_ns_as_ms(99_999), "0.099");
        // 100 µs ≤ x < 1 ms: two decimals, two significant digits (truncated).
        assert_eq!(fmt_ns_as_ms(100_000), "0.10");
        assert_eq!(fmt_ns_as_ms(123_456), "0.12");
        assert_eq!(fmt_ns_as_ms(999_999), "0.99");
        // 1 ms ≤ x < 10 ms: one decimal.
        assert_eq!(fmt_ns_as_ms(1_000_000), "1.0");
        assert_eq!(fmt_ns_as_ms(2_345_678), "2.3");
        assert_eq!(fmt_ns_as_ms(9_999_999), "9.9");
        // From 10 ms: whole milliseconds, truncated.
        assert_eq!(fmt_ns_as_ms(10_000_000), "10");
        assert_eq!(fmt_ns_as_ms(10_999_999), "10");
        assert_eq!(fmt_ns_as_ms(1_234_567_890), "1234");
        assert_eq!(fmt_ns_as_ms(u64::MAX), "18446744073709");
    }

    fn sample() -> GcCycle {
        GcCycle {
            n: 7,
            forced: false,
            user_forced: true,
            start_ns: 12_345_678_901,
            stw_sweep_term_ns: 45_678,
            mark_ns: 2_345_678,
            stw_mark_term_ns: 999,
            cpu_stw_sweep_term_ns: 91_356,
            cpu_assist_ns: 123_456,
            cpu_background_ns: 10_000_000,
            cpu_idle_ns: 0,
            cpu_stw_mark_term_ns: 1_998,
            heap_start_bytes: (100 << 20) + 12_345,
            heap_end_bytes: (105 << 20) - 1,
            heap_marked_bytes: 64 << 20,
            heap_goal_bytes: (128 << 20) + (1 << 19),
            trigger_bytes: 120 << 20,
            stacks_bytes: (1 << 20) - 1,
            globals_bytes: 3 << 20,
            procs: 8,
            gc_cpu_fraction: 0.0299,
        }
    }

    #[test]
    fn full_line_by_hand() {
        // @: 12_345_678_901 ns → 12345 ms → itoaDiv(12345, 3) = "12.345".
        // %: int(0.0299 * 100) = int(2.99) = 2.
        // clock: 45_678 → x=45 → "0.045"; 2_345_678 → x=2345→234→23, dec 1 → "2.3";
        //        999 → x=0 → "0".
        // cpu: 91_356 → "0.091"; 123_456 → x=123→12, dec 2 → "0.12"; 10_000_000 → "10";
        //      0 → "0"; 1_998 → x=1 → "0.001".
        // MB: (100 MiB + 12345) >> 20 = 100; (105 MiB - 1) >> 20 = 104; 64; 128.5 MiB → 128;
        //     stacks 1 MiB - 1 → 0; globals 3; 8 P; forced.
        assert_eq!(
            gctrace_line(&sample()),
            "gc 7 @12.345s 2%: 0.045+2.3+0 ms clock, 0.091+0.12/10/0+0.001 ms cpu, \
             100->104->64 MB, 128 MB goal, 0 MB stacks, 3 MB globals, 8 P (forced)"
        );
    }

    #[test]
    fn line_of_a_default_cycle() {
        assert_eq!(
            gctrace_line(&GcCycle::default()),
            "gc 0 @0.000s 0%: 0+0+0 ms clock, 0+0/0/0+0 ms cpu, 0->0->0 MB, 0 MB goal, \
             0 MB stacks, 0 MB globals, 0 P"
        );
    }

    #[test]
    fn percentage_truncates_like_go() {
        // float64(0.29) * 100 = 28.999999999999996 in IEEE double, so Go prints 28%.
        let mut c = sample();
        c.gc_cpu_fraction = 0.29;
        assert!(gctrace_line(&c).contains(" 28%: "));
        c.gc_cpu_fraction = 0.999;
        assert!(gctrace_line(&c).contains(" 99%: "));
        c.gc_cpu_fraction = 1.0;
        assert!(gctrace_line(&c).contains(" 100%: "));
    }

    #[test]
    fn text_is_one_line_per_cycle() {
        let mut b = sample();
        b.n = 8;
        b.user_forced = false;
        b.forced = true;
        let t = gctrace_text(&[sample(), b]);
        // The periodic forced cycle is announced by its own `GC forced` line
        // (runtime/proc.go: forcegchelper).
        assert_eq!(t.lines().count(), 3);
        assert_eq!(t.lines().nth(1), Some("GC forced"));
        assert!(t.ends_with(" 8 P\n"));
        assert_eq!(gctrace_text(&[]), "");
    }

    #[test]
    fn parses_its_own_line() {
        let p = parse_gctrace(&gctrace_line(&sample()));
        assert_eq!(p.len(), 1);
        let p = &p[0];
        assert_eq!((p.n, p.at_s, p.cpu_pct), (7, 12.345, 2));
        assert_eq!(p.clock_ms, [0.045, 2.3, 0.0]);
        assert_eq!(p.cpu_ms, [0.091, 0.12, 10.0, 0.0, 0.001]);
        assert_eq!(
            (p.heap_start_mb, p.heap_end_mb, p.heap_marked_mb),
            (100, 104, 64)
        );
        assert_eq!(
            (p.goal_mb, p.stacks_mb, p.globals_mb),
            (128, Some(0), Some(3))
        );
        assert_eq!((p.procs, p.forced), (8, true));
        assert!(p.unknown.is_empty());
    }

    #[test]
    fn parses_older_and_prefixed_lines_and_skips_the_rest() {
        let log = "\
hello from the program
GC forced
scvg0: inuse: 3, idle: 0, sys: 3, released: 0, consumed: 3 (MB)
pacer: assist ratio=+1.2e+000 (scan 0 MB in 4->4 MB) workers=1++0.000000e+000

2024-05-01T10:00:00Z gc 1 @0.012s 2%: 0.015+0.61+0.056 ms clock, 0.030+0.21/0.37/0.61+0.11 ms cpu, 4->4->0 MB, 5 MB goal, 4 P\r
outputgc 2 @1.5s 0%: 12+0.61+0.056 ms clock, 0.030+0.21/0.37/0.61+0.11 ms cpu, 4->4->0 MB, 5 MB goal, 9 MB frobs, 4 P (forced)
gc 3 @x.5s 0%: nonsense
";
        let p = parse_gctrace(log);
        assert_eq!(p.len(), 2);
        assert_eq!((p[0].n, p[0].at_s, p[0].procs), (1, 0.012, 4));
        assert_eq!((p[0].stacks_mb, p[0].globals_mb), (None, None));
        assert!(!p[0].forced && p[0].unknown.is_empty());
        assert_eq!((p[1].n, p[1].clock_ms[0], p[1].forced), (2, 12.0, true));
        assert_eq!(p[1].unknown, ["9 MB frobs"]);
    }

    #[test]
    fn survives_odd_input() {
        for s in [
            "",
            "gc",
            "gc ",
            "gc 1",
            "gc 1 @",
            "gc 1 @0.1s",
            "gc 1 @0.1s 5%",
            "gc 1 @0.1s 5%:",
            "gc 1 @0.1s -9223372036854775808%: , , ->->, MB, (forced), P",
            "gc 99999999999 @0.1s 5%:",
            "gc 1 @.s 5%:",
            "gc 1 @1.s 5%:",
            "gc é @ş 5%: ü ms clock",
            "gc gc gc 1 @0.5s 1%: +/+ ms cpu",
        ] {
            let _ = parse_gctrace(s);
        }
        let p = parse_gctrace("gc 1 @0.1s -9223372036854775808%: 1+2+3 ms clock");
        assert_eq!(p[0].unknown, ["-9223372036854775808%"]);
        let p = parse_gctrace("gc gc 1 @0.5s 1%: +/+ ms cpu");
        assert_eq!((p[0].n, p[0].unknown.len()), (1, 1));
    }
}
