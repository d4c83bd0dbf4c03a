//! schedule.txt: the step-by-step interleaving of one explored schedule, to be read next to
//! runtime/map.go, followed by the crash or the race report it ended in, as Go prints them.

use std::borrow::Cow;
use std::fmt::Write as _;

use crate::explore::trace::{Access, Trace, TraceStep};
use crate::model::sched::steps::{FATAL_ITER_WRITE, FATAL_READ_WRITE, StepKind};

/// The name of goroutine `g` (its index when the trace does not name it).
pub(super) fn goroutine_name(trace: &Trace, g: u32) -> Cow<'_, str> {
    match trace.goroutines.get(g as usize) {
        Some(name) => Cow::Borrowed(name.as_str()),
        None => Cow::Owned(format!("g{g}")),
    }
}

/// The name of map `m` (its index when the trace does not name it).
pub(super) fn map_name(trace: &Trace, m: u32) -> Cow<'_, str> {
    match trace.maps.get(m as usize) {
        Some(name) => Cow::Borrowed(name.as_str()),
        None => Cow::Owned(format!("map{m}")),
    }
}

/// The schedule of `trace` as text: a header (goroutines, maps, the replay `token`, the
/// outcome), one table row per step, then the fatal error as Go prints it, the `-race`
/// report, and what the map's invariants say after the run.
pub fn schedule_txt(trace: &Trace, token: &str) -> String {
    let mut out = String::new();
    header(&mut out, trace, token);
    out.push('\n');
    table(&mut out, trace);
    if let Some(text) = fatal_text(trace) {
        out.push('\n');
        out.push_str(&text);
    }
    if let Some(text) = race_text(trace) {
        out.push('\n');
        out.push_str(&text);
    }
    if !trace.corruption.is_empty() {
        out.push('\n');
        for line in &trace.corruption {
            let _ = writeln!(out, "corruption: {line}");
        }
    }
    out
}

/// The fatal error as Go prints it: the message, then the traceback's first frame.
pub(super) fn fatal_text(trace: &Trace) -> Option<String> {
    let fatal = trace.fatal.as_ref()?;
    Some(format!(
        "{}\n\ngoroutine {} [running]:\n{}(...)\n",
        super::fatal_line(fatal.message),
        fatal.goroutine + 1,
        fatal_function(trace)
    ))
}

/// The `-race` report of the first data race, as the race detector prints it.
pub(super) fn race_text(trace: &Trace) -> Option<String> {
    let race = trace.race.as_ref()?;
    Some(format!(
        "==================\nWARNING: DATA RACE\n{}\n{}\n==================\n",
        access_line(trace, &race.current, ""),
        access_line(trace, &race.previous, "Previous ")
    ))
}

/// What the schedule says beside step `i`: the fatal error it fired, its part in the data
/// race, the GC cycle it started.
pub(super) fn step_marks(trace: &Trace, i: usize) -> Vec<String> {
    let mut marks = Vec::new();
    if let Some(f) = &trace.fatal
        && f.step == i
    {
        marks.push(super::fatal_line(f.message));
    }
    if trace
        .race
        .is_some_and(|r| r.previous.step == i || r.current.step == i)
    {
        marks.push("data race".to_string());
    }
    if trace
        .steps
        .get(i)
        .is_some_and(|s| s.kind == StepKind::GcStart)
    {
        marks.extend(gc_start_mark(trace, i));
    }
    marks
}

fn header(out: &mut String, trace: &Trace, token: &str) {
    let _ = writeln!(
        out,
        "schedule: {}, {}, {}, {}",
        super::plural(trace.steps.len() as u64, "step"),
        super::plural(trace.goroutines.len() as u64, "goroutine"),
        super::plural(u64::from(trace.preemptions), "preemption"),
        super::plural(trace.decisions.len() as u64, "scheduling decision")
    );
    let goroutines: Vec<String> = (0..trace.goroutines.len() as u32)
        .map(|g| format!("{} (goroutine {})", goroutine_name(trace, g), g + 1))
        .collect();
    let _ = writeln!(out, "goroutines: {}", goroutines.join(", "));
    if !trace.maps.is_empty() || trace.slices.is_empty() {
        let _ = writeln!(out, "maps: {}", trace.maps.join(", "));
    }
    if !trace.slices.is_empty() {
        let _ = writeln!(out, "slices: {}", trace.slices.join(", "));
    }
    let _ = writeln!(
        out,
        "replay: --schedule {}",
        crate::explore::shell_word(token)
    );
    match &trace.fatal {
        Some(f) => {
            let _ = writeln!(
                out,
                "outcome: {} (step {}, {})",
                super::fatal_line(f.message),
                f.step,
                goroutine_name(trace, f.goroutine)
            );
        }
        None => {
            let _ = writeln!(out, "outcome: ok");
        }
    }
    if let Some(r) = &trace.race {
        let (kind, name) = trace.variable_name(r.map);
        let _ = writeln!(
            out,
            "data race: on {kind} {name} between step {} ({}) and step {} ({})",
            r.previous.step,
            goroutine_name(trace, r.previous.goroutine),
            r.current.step,
            goroutine_name(trace, r.current.goroutine)
        );
    }
}

const COLUMNS: [&str; 7] = [
    "step",
    "time",
    "goroutine",
    "P",
    "map",
    "step",
    "hashWriting",
];

/// Schedules up to this many steps are listed whole; longer ones around what matters.
pub const MAX_LISTED: usize = 1000;
/// Steps listed before and after each step that matters in a long schedule.
const CONTEXT_BEFORE: usize = 40;
const CONTEXT_AFTER: usize = 8;

/// The ranges of steps listed: all of them, or, in a long schedule, those around its first
/// and last steps, the fatal step, the racing accesses and the first 20 GC starts.
pub(super) fn listed(trace: &Trace) -> Vec<std::ops::Range<usize>> {
    let n = trace.steps.len();
    if n <= MAX_LISTED {
        return std::iter::once(0..n).collect();
    }
    let mut marks = vec![0, n - 1];
    marks.extend(trace.fatal.as_ref().map(|f| f.step));
    if let Some(r) = &trace.race {
        marks.extend([r.previous.step, r.current.step]);
    }
    // The first GC starts only: under a tiny memory limit a schedule can start millions.
    marks.extend(trace.gc_starts.iter().take(20).map(|&(step, _)| step));
    marks.sort_unstable();
    let mut out: Vec<std::ops::Range<usize>> = Vec::new();
    for m in marks.into_iter().filter(|&m| m < n) {
        let r = m.saturating_sub(CONTEXT_BEFORE)..(m + CONTEXT_AFTER + 1).min(n);
        match out.last_mut() {
            Some(last) if r.start <= last.end => last.end = last.end.max(r.end),
            _ => out.push(r),
        }
    }
    out
}

/// What the table says beside a gcStart step that started a cycle.
fn gc_start_mark(trace: &Trace, i: usize) -> Option<String> {
    // gc_starts is in step order: a search, not a scan (a run can start millions).
    let k = trace
        .gc_starts
        .binary_search_by_key(&i, |&(step, _)| step)
        .ok()?;
    let g = goroutine_name(trace, trace.steps[i].goroutine);
    Some(if trace.gc_starts[k].1 {
        format!(
            "GC cycle {}: the heap reached the trigger in mallocgc; gcBgMarkStartWorkers takes {g} off its P",
            k + 1
        )
    } else {
        format!(
            "GC cycle {}: the heap reached the trigger in mallocgc",
            k + 1
        )
    })
}

fn table(out: &mut String, trace: &Trace) {
    let ranges = listed(trace);
    let rows: Vec<Option<[String; 8]>> = ranges
        .iter()
        .enumerate()
        .flat_map(|(k, r)| {
            // A gap between two ranges is one row of its own.
            let gap = (k > 0).then_some(None);
            gap.into_iter()
                .chain(r.clone().map(|i| Some((i, &trace.steps[i]))))
        })
        .map(|row| {
            let (i, s) = row?;
            let (map, writing) = match s.map {
                Some(m) => (
                    map_name(trace, m).into_owned(),
                    format!("{}→{}", s.writing_before as u8, s.writing_after as u8),
                ),
                // The map column names the variable a step touches: a slice too.
                None => match s.slice {
                    Some(v) => (
                        trace.variable_name(trace.maps.len() as u32 + v).1,
                        String::new(),
                    ),
                    None => ("-".to_string(), String::new()),
                },
            };
            let marks = step_marks(trace, i);
            let marker = if marks.is_empty() {
                String::new()
            } else {
                format!("<-- {}", marks.join(", "))
            };
            Some([
                i.to_string(),
                s.t_ns.to_string(),
                goroutine_name(trace, s.goroutine).into_owned(),
                s.p.to_string(),
                map,
                trace.step_name(s).to_string(),
                writing,
                marker,
            ])
        })
        .collect();
    // The flag column is named for the maps' flag: a Swiss map's is `writing`.
    let mut columns = COLUMNS;
    if !trace.swiss.is_empty() && trace.swiss.iter().all(|&s| s) {
        columns[6] = "writing";
    }
    // The variable column names what the program has: maps, slices or both; a slice has
    // no flag.
    if !trace.slices.is_empty() {
        columns[4] = if trace.maps.is_empty() {
            "slice"
        } else {
            "variable"
        };
        if trace.maps.is_empty() {
            columns[6] = "";
        }
    }
    let mut widths = columns.map(|c| c.chars().count());
    for row in rows.iter().flatten() {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    // Numbers right-aligned, text left-aligned.
    let right = [true, true, false, true, false, false, false];
    let line = |cells: &[&str]| {
        let mut l = String::new();
        for (c, cell) in cells.iter().enumerate() {
            if c > 0 {
                l.push_str("  ");
            }
            match widths.get(c) {
                Some(&w) if right[c] => {
                    let _ = write!(l, "{cell:>w$}");
                }
                Some(&w) => {
                    let _ = write!(l, "{cell:<w$}");
                }
                None => l.push_str(cell),
            }
        }
        l.truncate(l.trim_end().len());
        l
    };
    let _ = writeln!(out, "{}", line(&columns));
    let rule: Vec<String> = widths.iter().map(|&w| "-".repeat(w)).collect();
    let _ = writeln!(
        out,
        "{}",
        line(&rule.iter().map(String::as_str).collect::<Vec<_>>())
    );
    let mut ranges = ranges.iter();
    let mut prev_end = ranges.next().map_or(0, |r| r.end);
    for row in &rows {
        match row {
            Some(row) => {
                let cells: Vec<&str> = row.iter().map(String::as_str).collect();
                let _ = writeln!(out, "{}", line(&cells));
            }
            None => {
                let next = ranges.next().cloned().unwrap_or(prev_end..prev_end);
                let skipped = next.start - prev_end;
                let _ = writeln!(
                    out,
                    "{:>w$}  ({skipped} steps not listed)",
                    "…",
                    w = widths[0]
                );
                prev_end = next.end;
            }
        }
    }
}

fn access_line(trace: &Trace, a: &Access, prefix: &str) -> String {
    let what = match (prefix.is_empty(), a.write) {
        (true, true) => "Write",
        (true, false) => "Read",
        (false, true) => "write",
        (false, false) => "read",
    };
    format!(
        "{prefix}{what} by goroutine {} (step {}, {})",
        goroutine_name(trace, a.goroutine),
        a.step,
        a.function
    )
}

/// The runtime function Go's traceback shows for the fatal error.
fn fatal_function(trace: &Trace) -> &'static str {
    let Some(f) = &trace.fatal else {
        return "runtime.mapassign";
    };
    if f.message == crate::model::slice::GROWSLICE_PANIC {
        return "runtime.growslice";
    }
    // These two messages are thrown from one place each.
    if f.message == FATAL_READ_WRITE {
        return "runtime.mapaccess1";
    }
    if f.message == FATAL_ITER_WRITE {
        return "runtime.mapiternext";
    }
    match step_function(trace, f.step) {
        Some(func) => func,
        // mapdelete starts with the count check, mapassign with the entry check.
        None if came_from_count_check(trace, f.step) => "runtime.mapdelete",
        None => "runtime.mapassign",
    }
}

/// Where a step falls in the sequences of runtime/map.go.
enum Place {
    /// A step only one function has.
    Only(&'static str),
    /// A step before the bucket work, shared by several functions.
    Before,
    /// A step after the bucket work (count update, exit check, flag clear).
    After,
    /// Not a map step.
    Other,
}

fn place(kind: StepKind) -> Place {
    match kind {
        StepKind::AssignFind | StepKind::AssignStore => Place::Only("runtime.mapassign"),
        StepKind::DeleteFind | StepKind::DeleteClear => Place::Only("runtime.mapdelete"),
        StepKind::Lookup => Place::Only("runtime.mapaccess1"),
        StepKind::IterInit => Place::Only("runtime.mapiterinit"),
        StepKind::IterNext => Place::Only("runtime.mapiternext"),
        StepKind::CountCheck
        | StepKind::EntryCheck
        | StepKind::Hash
        | StepKind::XorLoad
        | StepKind::XorStore => Place::Before,
        StepKind::CountLoad
        | StepKind::CountStore
        | StepKind::ExitCheck
        | StepKind::ClearLoad
        | StepKind::ClearStore => Place::After,
        StepKind::Lock
        | StepKind::Unlock
        | StepKind::RLock
        | StepKind::RUnlock
        | StepKind::Local
        | StepKind::SliceLoad
        | StepKind::SliceStore
        | StepKind::SliceSet
        | StepKind::GcStart => Place::Other,
    }
}

/// The runtime function step `i` belongs to: its own kind when only one function has it,
/// otherwise the bucket work of the same operation (the same goroutine's neighbouring steps
/// on the same map), looked for forwards from the steps before it and backwards from the
/// steps after it.
pub(super) fn step_function(trace: &Trace, i: usize) -> Option<&'static str> {
    let s = trace.steps.get(i)?;
    let own = |t: &&TraceStep| t.goroutine == s.goroutine;
    match place(s.kind) {
        Place::Only(func) => Some(func),
        Place::Before => find_only(trace.steps[i + 1..].iter().filter(own), s.map, |p| {
            matches!(p, Place::Before)
        }),
        Place::After => find_only(trace.steps[..i].iter().rev().filter(own), s.map, |p| {
            matches!(p, Place::After)
        }),
        Place::Other => None,
    }
}

/// The first step with a function of its own in `steps`, passing over steps on the same map
/// that `pass` accepts.
fn find_only<'a>(
    steps: impl Iterator<Item = &'a TraceStep>,
    map: Option<u32>,
    pass: fn(&Place) -> bool,
) -> Option<&'static str> {
    for t in steps {
        // gcStart runs inside mallocgc, called from the map function's bucket work.
        if t.kind == StepKind::GcStart {
            continue;
        }
        if t.map != map {
            return None;
        }
        match place(t.kind) {
            Place::Only(func) => return Some(func),
            p if pass(&p) => {}
            _ => return None,
        }
    }
    None
}

/// Whether the same goroutine's steps on the same map just before step `i` include the count
/// check that mapdelete and mapaccess1 start with.
fn came_from_count_check(trace: &Trace, i: usize) -> bool {
    let Some(s) = trace.steps.get(i) else {
        return false;
    };
    if s.kind == StepKind::CountCheck {
        return true;
    }
    for t in trace.steps[..i]
        .iter()
        .rev()
        .filter(|t| t.goroutine == s.goroutine)
    {
        if t.map != s.map {
            return false;
        }
        match t.kind {
            StepKind::CountCheck => return true,
            k if matches!(place(k), Place::Before) && k != StepKind::EntryCheck => {}
            _ => return false,
        }
    }
    false
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::explore::trace::{Fatal, Race};
    use crate::model::sched::steps::{ASSIGN, DELETE, FATAL_WRITES};

    pub(crate) fn step(i: usize, g: u32, kind: StepKind, before: bool, after: bool) -> TraceStep {
        TraceStep {
            t_ns: i as u64,
            goroutine: g,
            p: 0,
            map: Some(0),
            slice: None,
            kind,
            writing_before: before,
            writing_after: after,
            op: None,
            home: None,
        }
    }

    /// Two writers on one map lose an update of the flag: both load it clear, both store it
    /// set, writer#1 finishes its mapassign and clears it, and writer#0's exit check finds
    /// it clear and throws.
    pub(crate) fn fatal_trace(names: [&str; 2]) -> Trace {
        let mut steps = Vec::new();
        let mut flag = false;
        let mut loaded = [false; 2];
        let mut push = |g: u32, kind: StepKind| {
            let before = flag;
            match kind {
                StepKind::XorLoad => loaded[g as usize] = flag,
                StepKind::XorStore => flag = !loaded[g as usize],
                StepKind::ClearStore => flag = false,
                _ => {}
            }
            steps.push(step(steps.len(), g, kind, before, flag));
        };
        // Both: entry check, hash, xor load (the flag is clear).
        for g in 0..2 {
            for &k in &ASSIGN[..3] {
                push(g, k);
            }
        }
        // Both store the flag set.
        push(0, StepKind::XorStore);
        push(1, StepKind::XorStore);
        // writer#1 finishes, clearing the flag.
        for &k in &ASSIGN[4..] {
            push(1, k);
        }
        // writer#0: find slot ... exit check.
        for &k in &ASSIGN[4..9] {
            push(0, k);
        }
        let last = steps.len() - 1;
        Trace {
            goroutines: names.iter().map(|s| s.to_string()).collect(),
            maps: vec!["m".into()],
            steps,
            fatal: Some(Fatal {
                message: FATAL_WRITES,
                goroutine: 0,
                step: last,
            }),
            race: Some(Race {
                map: 0,
                current: Access {
                    goroutine: 1,
                    step: 3,
                    write: true,
                    function: "runtime.mapassign",
                },
                previous: Access {
                    goroutine: 0,
                    step: 0,
                    write: true,
                    function: "runtime.mapassign",
                },
            }),
            corruption: vec!["map m: count 1, 2 keys reachable".into()],
            decisions: vec![0, 1, 0],
            preemptions: 2,
            ..Trace::default()
        }
    }

    #[test]
    fn fatal_and_race_report() {
        let trace = fatal_trace(["writer#0", "writer#1"]);
        let txt = schedule_txt(&trace, "pct-1-abc");
        let lines: Vec<&str> = txt.lines().collect();
        assert!(txt.ends_with('\n'));
        assert_eq!(
            lines[0],
            "schedule: 20 steps, 2 goroutines, 2 preemptions, 3 scheduling decisions"
        );
        assert_eq!(
            lines[1],
            "goroutines: writer#0 (goroutine 1), writer#1 (goroutine 2)"
        );
        assert_eq!(lines[2], "maps: m");
        assert_eq!(lines[3], "replay: --schedule pct-1-abc");
        assert_eq!(
            lines[4],
            "outcome: fatal error: concurrent map writes (step 19, writer#0)"
        );
        assert_eq!(
            lines[5],
            "data race: on map m between step 0 (writer#0) and step 3 (writer#1)"
        );
        assert_eq!(lines[6], "");
        let table = [
            "step  time  goroutine  P  map  step               hashWriting",
            "----  ----  ---------  -  ---  -----------------  -----------",
            "   0     0  writer#0   0  m    entry check        0→0          <-- data race",
            "   1     1  writer#0   0  m    hash               0→0",
            "   2     2  writer#0   0  m    flags ^= (load)    0→0",
            "   3     3  writer#1   0  m    entry check        0→0          <-- data race",
            "   4     4  writer#1   0  m    hash               0→0",
            "   5     5  writer#1   0  m    flags ^= (load)    0→0",
            "   6     6  writer#0   0  m    flags ^= (store)   0→1",
            "   7     7  writer#1   0  m    flags ^= (store)   1→1",
            "   8     8  writer#1   0  m    find slot          1→1",
            "   9     9  writer#1   0  m    write slot         1→1",
            "  10    10  writer#1   0  m    count (load)       1→1",
            "  11    11  writer#1   0  m    count (store)      1→1",
            "  12    12  writer#1   0  m    exit check         1→1",
            "  13    13  writer#1   0  m    flags &^= (load)   1→1",
            "  14    14  writer#1   0  m    flags &^= (store)  1→0",
            "  15    15  writer#0   0  m    find slot          0→0",
            "  16    16  writer#0   0  m    write slot         0→0",
            "  17    17  writer#0   0  m    count (load)       0→0",
            "  18    18  writer#0   0  m    count (store)      0→0",
            "  19    19  writer#0   0  m    exit check         0→0          \
             <-- fatal error: concurrent map writes",
        ];
        assert_eq!(&lines[7..29], table);
        let tail = &lines[29..];
        assert_eq!(
            tail,
            [
                "",
                "fatal error: concurrent map writes",
                "",
                "goroutine 1 [running]:",
                "runtime.mapassign(...)",
                "",
                "==================",
                "WARNING: DATA RACE",
                "Write by goroutine writer#1 (step 3, runtime.mapassign)",
                "Previous write by goroutine writer#0 (step 0, runtime.mapassign)",
                "==================",
                "",
                "corruption: map m: count 1, 2 keys reachable",
            ]
        );
    }

    #[test]
    fn ok_trace_has_no_reports() {
        let mut trace = fatal_trace(["a", "b"]);
        trace.fatal = None;
        trace.race = None;
        trace.corruption.clear();
        let mut local = step(20, 1, StepKind::Local, false, false);
        local.map = None;
        trace.steps.push(local);
        let txt = schedule_txt(&trace, "t");
        assert!(txt.contains("outcome: ok\n"));
        assert!(!txt.contains("fatal error"));
        assert!(!txt.contains("DATA RACE"));
        assert!(!txt.contains("<--"));
        let last = txt.lines().last().unwrap();
        assert_eq!(last, "  20    20  b          0  -    compute");
        assert_eq!(txt, schedule_txt(&trace, "t"));
    }

    #[test]
    fn a_swiss_map_s_steps_use_its_own_names() {
        // go1.24 internal/runtime/maps: the flag is m.writing, toggled with ^= 1 at both
        // ends, and the count is m.used.
        let steps: Vec<TraceStep> = ASSIGN
            .iter()
            .enumerate()
            .map(|(i, &k)| step(i, 0, k, false, false))
            .collect();
        let trace = Trace {
            goroutines: vec!["w".into()],
            maps: vec!["m".into()],
            swiss: vec![true],
            steps,
            ..Trace::default()
        };
        let text = schedule_txt(&trace, "s1-d");
        for name in [
            "writing ^= (load)",
            "writing ^= (store)",
            "used (load)",
            "writing ^= (end, store)",
        ] {
            assert!(text.contains(name), "{name}:\n{text}");
        }
        assert!(!text.contains("flags"), "{text}");
        assert!(text.contains("step                     writing"), "{text}");
    }

    #[test]
    fn fatal_function_follows_the_operation() {
        // A delete whose entry check throws: mapdelete, found from its count check.
        let steps: Vec<TraceStep> = DELETE[..2]
            .iter()
            .enumerate()
            .map(|(i, &k)| step(i, 0, k, true, true))
            .collect();
        let mut trace = Trace {
            goroutines: vec!["d".into()],
            maps: vec!["m".into()],
            steps,
            fatal: Some(Fatal {
                message: FATAL_WRITES,
                goroutine: 0,
                step: 1,
            }),
            ..Trace::default()
        };
        assert_eq!(fatal_function(&trace), "runtime.mapdelete");
        // An assign's entry check throwing: nothing before it, so mapassign.
        trace.steps = vec![step(0, 0, StepKind::EntryCheck, true, true)];
        trace.fatal.as_mut().unwrap().step = 0;
        assert_eq!(fatal_function(&trace), "runtime.mapassign");
        // A reader's entry check: the message alone says mapaccess1.
        trace.fatal.as_mut().unwrap().message = FATAL_READ_WRITE;
        assert_eq!(fatal_function(&trace), "runtime.mapaccess1");
        trace.fatal.as_mut().unwrap().message = FATAL_ITER_WRITE;
        assert_eq!(fatal_function(&trace), "runtime.mapiternext");
        // A delete's exit check: its bucket work is behind it.
        trace.steps = DELETE[..10]
            .iter()
            .enumerate()
            .map(|(i, &k)| step(i, 0, k, true, true))
            .collect();
        trace.fatal = Some(Fatal {
            message: FATAL_WRITES,
            goroutine: 0,
            step: 9,
        });
        assert_eq!(fatal_function(&trace), "runtime.mapdelete");
        let txt = schedule_txt(&trace, "x");
        assert!(txt.contains("\ngoroutine 1 [running]:\nruntime.mapdelete(...)\n"));
    }

    #[test]
    fn step_function_looks_ahead_and_back() {
        let trace = fatal_trace(["a", "b"]);
        // writer#0's hash at step 1: its bucket work comes after writer#1's whole operation.
        assert_eq!(step_function(&trace, 1), Some("runtime.mapassign"));
        assert_eq!(step_function(&trace, 19), Some("runtime.mapassign"));
        assert_eq!(step_function(&trace, 99), None);
    }
}
