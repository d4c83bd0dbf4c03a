//! Reads Go's `GODEBUG=gctrace=1` logs: a tolerant parser for Go 1.19 through the current release.

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
    /// `H0` of `H0->H1->H2 MB`: the heap when the cycle started.
    pub heap_start_mb: u64,
    /// `H1`: the heap at mark termination.
    pub heap_end_mb: u64,
    /// `H2`: the heap marked live.
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
    text.lines()
        .filter_map(|l| parse_line(l).map(|(p, _)| p))
        .collect()
}

/// Lines of one kind that a log reader set aside: how many, and the first of them.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct LineTally {
    /// How many lines.
    pub count: usize,
    /// The first one: its line number (from 1) and its text.
    pub first: Option<(usize, String)>,
}

impl LineTally {
    /// Counts line `number`, keeping its text if it is the first.
    fn add(&mut self, number: usize, text: &str) {
        self.count += 1;
        if self.first.is_none() {
            self.first = Some((number, text.to_string()));
        }
    }
}

/// A GC cycle line and where it stood in its log.
#[derive(Debug, Clone, PartialEq)]
pub struct CycleLine {
    /// Its line number in the log, from 1.
    pub line: usize,
    /// The cycle it reads as.
    pub cycle: ParsedCycle,
}

/// A gctrace log read line by line, saying what became of every line: the whole cycle lines
/// in order, and the lines set aside.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct GctraceLog {
    /// Lines in the log.
    pub lines: usize,
    /// The whole cycle lines (header, `ms clock`, heap `MB` and `MB goal` fields), in order.
    pub cycles: Vec<CycleLine>,
    /// Exact repeats of the cycle line before them (a log shipped twice), left out.
    pub duplicates: LineTally,
    /// Lines that hold a cycle header (`gc N @`) but not a whole cycle line: torn by other
    /// output, truncated or garbled. Left out.
    pub garbled: LineTally,
    /// Other lines that are not blank (scavenger and pacer lines, `GC forced`, program
    /// output), skipped.
    pub skipped: LineTally,
}

/// Reads a gctrace log as [`parse_gctrace`] does, but keeps only whole cycle lines and says
/// what became of every other line (see [`GctraceLog`]). Never panics.
pub fn read_gctrace(text: &str) -> GctraceLog {
    let mut log = GctraceLog::default();
    let mut previous: Option<&str> = None;
    for (i, raw) in text.lines().enumerate() {
        let number = i + 1;
        let line = raw.trim_end_matches(['\r', '\n']);
        log.lines = number;
        match parse_line(line) {
            Some((cycle, seen)) if seen.whole() => {
                if previous == Some(line) {
                    log.duplicates.add(number, line);
                } else {
                    log.cycles.push(CycleLine {
                        line: number,
                        cycle,
                    });
                    previous = Some(line);
                }
            }
            _ if has_cycle_header(line) => log.garbled.add(number, line),
            _ if line.trim().is_empty() => {}
            _ => log.skipped.add(number, line),
        }
    }
    log
}

/// The line holds `gc N @`, the start of a cycle line's header.
fn has_cycle_header(line: &str) -> bool {
    line.match_indices("gc ").any(|(at, _)| {
        let rest = &line[at + 3..];
        let d = rest.bytes().take_while(u8::is_ascii_digit).count();
        d > 0 && rest[d..].starts_with(" @")
    })
}

/// Which of the fields a cycle needs a line carried.
#[derive(Debug, Clone, Copy, Default)]
struct Seen {
    clock: bool,
    heap: bool,
    goal: bool,
}

impl Seen {
    /// The line carries the wall-clock phases, the heap triple and the goal.
    fn whole(self) -> bool {
        self.clock && self.heap && self.goal
    }
}

/// One line, if it is a GC cycle line, and which fields it carried.
fn parse_line(line: &str) -> Option<(ParsedCycle, Seen)> {
    let line = line.trim_end_matches(['\r', '\n']);
    line.match_indices("gc ")
        .find_map(|(at, _)| parse_cycle(&line[at..]))
}

/// A cycle starting at `gc `, or `None` if the header does not fit.
fn parse_cycle(s: &str) -> Option<(ParsedCycle, Seen)> {
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
    let mut seen = Seen::default();
    for field in rest.split(',') {
        parse_field(field.trim(), &mut p, &mut seen);
    }
    Some((p, seen))
}

/// Reads one comma-separated field of a cycle line into `p`, noting in `seen` the fields a
/// cycle needs.
fn parse_field(field: &str, p: &mut ParsedCycle, seen: &mut Seen) {
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
        ms_list(v).map(|v| {
            seen.clock = v.len() == 3;
            p.clock_ms = v;
        })
    } else if let Some(v) = f.strip_suffix(" ms cpu") {
        ms_list(v).map(|v| p.cpu_ms = v)
    } else if let Some(v) = f.strip_suffix(" MB goal") {
        mb(v).map(|v| {
            seen.goal = true;
            p.goal_mb = v;
        })
    } else if let Some(v) = f.strip_suffix(" MB stacks") {
        mb(v).map(|v| p.stacks_mb = Some(v))
    } else if let Some(v) = f.strip_suffix(" MB globals") {
        mb(v).map(|v| p.globals_mb = Some(v))
    } else if let Some(v) = f.strip_suffix(" MB") {
        heap_triple(v).map(|(a, b, c)| {
            seen.heap = true;
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
    fn parses_the_line_gomemsim_writes() {
        // The line report::gctrace_line writes for its test sample (pinned there by
        // full_line_by_hand).
        let p = parse_gctrace(
            "gc 7 @12.345s 2%: 0.045+2.3+0 ms clock, 0.091+0.12/10/0+0.001 ms cpu, \
             100->104->64 MB, 128 MB goal, 0 MB stacks, 3 MB globals, 8 P (forced)",
        );
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
    fn the_reader_says_what_became_of_each_line() {
        let cycle = |n: u32| {
            format!(
                "gc {n} @0.{n}s 1%: 0.01+0.1+0.01 ms clock, 0.02+0/0.1/0+0.02 ms cpu, \
                 4->4->1 MB, 5 MB goal, 4 P"
            )
        };
        let text = [
            "hello".to_string(),
            cycle(1),
            String::new(),
            cycle(1),
            "gc 2 @0.2s 1%: 0.01+0.1+0.01 ms clock, 0.02+0/0.1/0+0.02 ms cpu".to_string(),
            "gc 3 @x.5s 0%: nonsense".to_string(),
            format!("{}\r", cycle(3)),
            "scvg: 0 MB released".to_string(),
        ]
        .join("\n");
        let log = read_gctrace(&text);
        assert_eq!(log.lines, 8);
        let kept: Vec<(usize, u32)> = log.cycles.iter().map(|c| (c.line, c.cycle.n)).collect();
        assert_eq!(kept, [(2, 1), (7, 3)]);
        assert_eq!(log.duplicates.count, 1);
        assert_eq!(log.duplicates.first, Some((4, cycle(1))));
        // A line cut before its heap fields, and one whose header does not parse.
        assert_eq!(log.garbled.count, 2);
        assert_eq!(log.garbled.first.as_ref().map(|f| f.0), Some(5));
        assert_eq!(log.skipped.count, 2);
        assert_eq!(log.skipped.first, Some((1, "hello".to_string())));
        // parse_gctrace still takes every header that parses.
        assert_eq!(parse_gctrace(&text).len(), 4);
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
