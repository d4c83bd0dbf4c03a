//! gctrace.txt: GC cycles in the exact line format go1.19 prints with `GODEBUG=gctrace=1`
//! (runtime/mgc.go: gcMarkTermination).

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
    let mut out = Vec::with_capacity(cycles.len() * 160);
    // Writing to a Vec cannot fail, and every line is ASCII.
    write_gctrace(&mut out, cycles).expect("in-memory text");
    String::from_utf8(out).expect("ASCII")
}

/// [`gctrace_text`] written to `out` line by line.
pub fn write_gctrace(mut out: impl std::io::Write, cycles: &[GcCycle]) -> std::io::Result<()> {
    for c in cycles {
        if c.forced {
            out.write_all(b"GC forced\n")?;
        }
        out.write_all(gctrace_line(c).as_bytes())?;
        out.write_all(b"\n")?;
    }
    Ok(())
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
}
