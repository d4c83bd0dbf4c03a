//! What a fit does not know, in words: lines of the log it set aside, runs it dropped, too
//! few cycles, settings the heap goals cannot pin down, and quantities it misses by more than
//! [`ERROR_LIMIT`], with what in the model is likely responsible. `calibrate` prints them on
//! stderr (`warning: ...`) and writes them into fit.json's `warnings`.

use std::fmt::Write as _;

use super::observed::{Compared, describe};
use super::runs::{CutReason, Split};
use super::settings::MIN_MARKED_MIB;
use super::{Fit, Source, WEAK_CYCLES, compare};
use crate::gctrace::{GctraceLog, LineTally};
use crate::scenario::{Bytes, Gogc, MemLimit, Op};

/// A compared quantity whose relative error exceeds this is warned about.
pub const ERROR_LIMIT: f64 = 0.10;

/// Longest excerpt of a log line quoted in a warning, in characters.
const QUOTE: usize = 160;

/// `text` in backquotes, cut to [`QUOTE`] characters.
fn quote(text: &str) -> String {
    let text = text.trim();
    match text.char_indices().nth(QUOTE) {
        Some((at, _)) => format!("`{}...`", &text[..at]),
        None => format!("`{text}`"),
    }
}

/// `n` and the noun, plural unless `n` is 1.
fn count(n: impl Into<u64>, noun: &str) -> String {
    let n = n.into();
    format!("{n} {noun}{}", if n == 1 { "" } else { "s" })
}

/// "N <what>: <why>; the first is line L: `text`".
fn tally(t: &LineTally, what: &str, why: &str) -> Option<String> {
    let (line, text) = t.first.as_ref()?;
    Some(format!(
        "{}: {why}; the first is line {line}: {}",
        count(t.count as u64, what),
        quote(text)
    ))
}

/// The log reader's and the run split's warnings: lines left out, runs dropped, cycles
/// missing inside the run used.
pub fn log_warnings(log: &GctraceLog, split: &Split) -> Vec<String> {
    let mut w = Vec::new();
    w.extend(tally(
        &log.garbled,
        "garbled line",
        "a GC cycle header without a whole cycle line (torn by other output, truncated or \
         garbled), left out",
    ));
    w.extend(tally(
        &log.duplicates,
        "duplicate line",
        "an exact repeat of the cycle line before, read once",
    ));
    w.extend(tally(
        &log.skipped,
        "line",
        "not a GC cycle line (program output, scavenger or pacer lines), skipped",
    ));
    let odd: Vec<_> = log
        .cycles
        .iter()
        .filter(|c| !c.cycle.unknown.is_empty())
        .collect();
    if let Some(first) = odd.first() {
        w.push(format!(
            "{}: fields calibrate does not know, ignored; the first is line {}: {}",
            count(odd.len() as u64, "cycle line"),
            first.line,
            quote(&first.cycle.unknown.join(", "))
        ));
    }
    if split.runs.len() > 1 {
        let mut s = format!(
            "the log holds {} runs, cut where the cycle numbers do not grow: ",
            split.runs.len()
        );
        for (i, c) in split.cuts.iter().take(3).enumerate() {
            let why = match c.reason {
                CutReason::Restart => "they restart at gc 1 (another process)",
                CutReason::Backwards => "they go backwards",
                CutReason::Repeat => "a cycle number repeats with other values",
            };
            let _ = write!(
                s,
                "{}line {} has gc {} after gc {} on line {}: {why}",
                if i > 0 { "; " } else { "" },
                c.after.0,
                c.after.1,
                c.before.1,
                c.before.0,
            );
        }
        if split.cuts.len() > 3 {
            let _ = write!(
                s,
                "; and {} more",
                count(split.cuts.len() as u64 - 3, "cut")
            );
        }
        let r = &split.runs[split.used];
        let _ = write!(
            s,
            ". The fit uses run {} of {}, the longest (lines {}-{}, gc {}-{}, {}), and drops \
             the other runs' {}",
            split.used + 1,
            split.runs.len(),
            r.first.0,
            r.last.0,
            r.first.1,
            r.last.1,
            count(r.cycles as u64, "cycle"),
            count(split.dropped_cycles() as u64, "cycle"),
        );
        w.push(s);
    }
    if let Some((before, after)) = split.gaps.first {
        w.push(format!(
            "cycle numbers skip {} in the run used, {} missing from the log (the first gap: gc \
             {} on line {}, then gc {} on line {}); the allocation across a gap is \
             undercounted and the log's cycle count is short",
            match split.gaps.places {
                1 => "once".to_string(),
                n => format!("{n} times"),
            },
            count(split.gaps.missing, "cycle"),
            before.1,
            before.0,
            after.1,
            after.0,
        ));
    }
    w
}

/// A warning when the run used is short enough to make the fit weak.
pub fn cycle_warnings(cycles: usize) -> Vec<String> {
    if cycles >= WEAK_CYCLES {
        return Vec::new();
    }
    vec![format!(
        "only {} in the run used: the fit is weak (fewer than {WEAK_CYCLES}); its costs and \
         settings rest on few samples, and a log of a few hundred cycles fits far better",
        count(cycles as u64, "cycle")
    )]
}

fn gogc_text(g: Gogc) -> String {
    match g {
        Gogc::Off => "off".to_string(),
        Gogc::Percent(p) => p.to_string(),
    }
}

fn limit_text(l: MemLimit) -> String {
    match l {
        MemLimit::Off => "off".to_string(),
        MemLimit::Limit(b) => b.to_string(),
    }
}

/// Warnings on the settings the heap goals cannot pin down: goals that fit both a GOGC and a
/// memory limit, goals that fit neither, or goals too small to read. Quiet when the user gave
/// GOGC or GOMEMLIMIT.
pub fn settings_warnings(fit: &Fit) -> Vec<String> {
    if fit.gogc_source == Source::Given || fit.gomemlimit_source == Source::Given {
        return Vec::new();
    }
    let r = &fit.readings;
    let rt = &fit.scenario.runtime;
    let fitted = format!(
        "GOGC={}, GOMEMLIMIT={}",
        gogc_text(rt.gogc),
        limit_text(rt.gomemlimit)
    );
    let mut w = Vec::new();
    if r.pairs == 0 {
        w.push(format!(
            "the heap goals cannot tell GOGC or GOMEMLIMIT: no two consecutive cycles with a \
             marked heap of {MIN_MARKED_MIB} MiB or more; fitted with Go's defaults \
             ({fitted}); pass --gogc and --gomemlimit if the program set them"
        ));
    } else if fit.gogc_under_limit {
        // Goals under a flat top followed one GOGC, the top a limit: neither reading alone
        // explains them, both together do.
    } else if r.ambiguous() {
        let g = fit.implied_gogc.unwrap_or(100);
        let limit = match (rt.gomemlimit, fit.alternative_limit) {
            (MemLimit::Limit(b), _) => Some(b),
            (MemLimit::Off, Some(b)) => Some(Bytes(b)),
            (MemLimit::Off, None) => None,
        };
        let limit = limit.map_or("a limit".to_string(), |b| b.to_string());
        let (chosen, other) = match rt.gomemlimit {
            MemLimit::Limit(_) => (
                format!("the fitted GOMEMLIMIT={limit} (with GOGC=off)"),
                format!("GOGC={g} without a limit"),
            ),
            MemLimit::Off => (
                format!("the fitted GOGC={g} (no limit)"),
                format!("GOMEMLIMIT={limit} with GOGC=off (or any GOGC of {g} or more)"),
            ),
        };
        w.push(format!(
            "GOGC or GOMEMLIMIT? The heap goals fit both: they stay flat at {} MiB while the \
             marked heap stayed within {}-{} MiB, too little for a GOGC to move the goal by a \
             printed MiB, so {other} explains this log as well as {chosen}. To tell them \
             apart, pass the settings the program ran with (--gogc {g} --gomemlimit off, or \
             --gogc off --gomemlimit {limit}: its GOGC and GOMEMLIMIT environment, or its \
             debug.SetGCPercent / SetMemoryLimit calls), or log a stretch where the live heap \
             moves: under GOGC the goal follows the marked heap, under a limit it stays put",
            match r.flat_goal_mib {
                (lo, hi) if lo == hi => lo.to_string(),
                (lo, hi) => format!("{lo}-{hi}"),
            },
            r.marked_mib.0,
            r.marked_mib.1,
        ));
    } else if !r.gogc_explains() && !r.flat_explains() {
        w.push(format!(
            "the heap goals fit neither a GOGC nor a memory limit well: one GOGC explains {:.0}% \
             of them, one flat goal {:.0}%; both may be acting (a limit that binds at times), \
             or the settings changed during the run (debug.SetGCPercent, SetMemoryLimit). \
             Fitted as {fitted}; pass --gogc and --gomemlimit if you know them",
            r.gogc_share * 100.0,
            r.flat_share * 100.0,
        ));
    }
    w
}

/// Windows of the fitted program that allocate as fast as the costs allow, and all of them.
fn flat_out_windows(fit: &Fit) -> (usize, usize) {
    let ops = fit
        .scenario
        .goroutines
        .iter()
        .flat_map(|g| g.program.iter());
    ops.fold((0, 0), |(flat, all), op| match op {
        Op::Alloc { rate: None, .. } => (flat + 1, all + 1),
        Op::Alloc { .. } => (flat, all + 1),
        _ => (flat, all),
    })
}

/// What in the model is likely behind a miss on quantity `name` (see [`fit_warnings`]).
fn likely_cause(fit: &Fit, name: &str, all: &[(&'static str, Compared)]) -> String {
    let c = &fit.scenario.costs;
    let ms = |d: crate::scenario::Dur| format!("{:.3} ms", d.as_ns_f64() / 1e6);
    let err = |q: &str| {
        all.iter()
            .find(|(n, _)| *n == q)
            .map_or(0.0, |(_, c)| c.relative_error)
    };
    let rt = &fit.scenario.runtime;
    let settings = format!(
        "GOGC={} ({}), GOMEMLIMIT={} ({})",
        gogc_text(rt.gogc),
        fit.gogc_source.as_str(),
        limit_text(rt.gomemlimit),
        fit.gomemlimit_source.as_str()
    );
    let inferred = fit.gogc_source != Source::Given && fit.gomemlimit_source != Source::Given;
    match name {
        "gc_cycles" => {
            let in_mark = err("mean_mark_alloc_bytes");
            let marks = if in_mark.abs() > ERROR_LIMIT {
                format!(
                    ", and the program's allocation during each mark, here off by {:+.1}% \
                     (mean_mark_alloc_bytes): it is marked, so it sets the next goal and trigger \
                     (too little gives too many cycles, too much too few)",
                    in_mark * 100.0
                )
            } else {
                String::new()
            };
            format!(
                "the cycle count follows the settings ({settings}) and the allocation replayed \
                 between cycles{marks}{}",
                if inferred {
                    "; if these are not the program's settings, pass --gogc and --gomemlimit"
                } else {
                    ""
                }
            )
        }
        "mean_heap_goal_bytes" => format!(
            "the goal follows the settings ({settings}) and the marked heap{}",
            if inferred {
                "; if these are not the program's settings, pass --gogc and --gomemlimit"
            } else {
                ""
            }
        ),
        "stw_total_ns" => format!(
            "each pause is the log's mean for its phase (costs.stw_sweep_term {}, \
             costs.stw_mark_term {}), so the total follows the cycle count (off by {:+.1}%)",
            ms(c.stw_sweep_term),
            ms(c.stw_mark_term),
            err("gc_cycles") * 100.0
        ),
        "gc_cpu_fraction" => {
            let d = err("duration_ns");
            format!(
                "GC CPU is the fitted mark CPU per KiB (costs.mark_per_kib {:.3} ns) and the \
                 pauses, over the simulated run; the model runs the program as one goroutine, \
                 so its assists and idle marking are those of one busy goroutine{}",
                c.mark_per_kib.as_ns_f64(),
                if d.abs() > ERROR_LIMIT {
                    format!(
                        ", and the simulated run is {:.1}% {} than the log's",
                        d.abs() * 100.0,
                        if d > 0.0 { "longer" } else { "shorter" }
                    )
                } else {
                    String::new()
                }
            )
        }
        "mean_marked_bytes" => "the marked heap is the reachable heap the fit replays (each \
             cycle's marked heap less what it allocated during its mark) plus what the model \
             allocates black during its own marks"
            .to_string(),
        "peak_heap_bytes" => "the peak is one cycle's heap at the end of its mark (H1), the \
             log's extreme: its trigger plus what the program allocated during that mark; the \
             model replays each interval's allocation evenly and runs its own pacer and mark, \
             so one cycle's extreme is not reproduced"
            .to_string(),
        "stw_max_ns" => format!(
            "the model pauses each phase for the log's mean (costs.stw_sweep_term {}, \
             costs.stw_mark_term {}), so the log's longest single pause, an outlier, is not \
             modelled",
            ms(c.stw_sweep_term),
            ms(c.stw_mark_term)
        ),
        "mean_mark_ns" => format!(
            "the mark's wall time follows from the mark CPU per KiB (costs.mark_per_kib {:.3} \
             ns) and the workers' shares fitted as means over the log \
             (costs.background_mark_utilization {}, costs.idle_mark_utilization {}); the model \
             spreads the fractional worker and the assists evenly over the mark, where Go runs \
             them in lumps",
            c.mark_per_kib.as_ns_f64(),
            c.background_mark_utilization,
            c.idle_mark_utilization
        ),
        "mean_mark_alloc_bytes" => format!(
            "what the program allocates during a mark is allocated black, marked and part of \
             the next goal, so a projection to another GOGC follows it (too little here gives \
             too many cycles at a lower GOGC, too much too few); the model slows the program \
             during a mark by its assists and by the fractional worker's share of its P \
             (costs.fractional_mutator_share {}, fitted where the program allocated flat out \
             and no memory limit holds it back in assists at the goal; kept at 1 when even \
             that leaves it allocating too much or none would let it allocate enough)",
            c.fractional_mutator_share
        ),
        "duration_ns" => {
            let (flat, all) = flat_out_windows(fit);
            if flat > 0 {
                format!(
                    "{flat} of {all} allocation windows allocated flat out in the log and run \
                     as fast as the model's allocation costs allow (costs.alloc_object, \
                     alloc_per_kib, sweep_per_kib, scaled together toward the log's duration), \
                     so those costs and the GC's pauses and assists set their length"
                )
            } else {
                "the program allocates at each interval's logged rate, so the difference is \
                 the model's GC (assists, pauses) slowing it down otherwise than the real one"
                    .to_string()
            }
        }
        _ => String::new(),
    }
}

/// A warning per compared quantity whose relative error exceeds [`ERROR_LIMIT`]: which, by
/// how much, both values, and what in the model is likely responsible.
pub fn fit_warnings(fit: &Fit) -> Vec<String> {
    let all = compare(&fit.observed, &fit.simulated);
    let mut w = Vec::new();
    for (name, c) in &all {
        if c.relative_error.abs() <= ERROR_LIMIT {
            continue;
        }
        let (label, unit) = describe(name);
        let by = if c.relative_error.is_finite() {
            format!("{:+.1}%", c.relative_error * 100.0)
        } else {
            "an unbounded margin".to_string()
        };
        w.push(format!(
            "{label} ({name}) is off by {by}: simulated {} against {} in the log; {}",
            unit.show(c.simulated),
            unit.show(c.observed),
            likely_cause(fit, name, &all)
        ));
    }
    w
}

/// Every warning, in the order they are printed: the log, the cycle count, the settings,
/// then the quantities missed.
pub fn all(fit: &Fit, log: &GctraceLog, split: &Split) -> Vec<String> {
    let mut w = log_warnings(log, split);
    w.extend(cycle_warnings(fit.cycles_read));
    w.extend(settings_warnings(fit));
    w.extend(fit_warnings(fit));
    w
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::calibrate::runs::split_runs;
    use crate::gctrace::read_gctrace;

    fn line(n: u32) -> String {
        format!(
            "gc {n} @{n}.000s 1%: 0.01+1.0+0.02 ms clock, 0.02+0.1/0.5/0.3+0.04 ms cpu, \
             10->11->5 MB, 10 MB goal, 0 MB stacks, 0 MB globals, 4 P"
        )
    }

    #[test]
    fn the_log_reader_says_what_it_set_aside() {
        let text = [
            "starting".to_string(),
            line(1),
            line(1),
            "gc 2 @2.000s 1%: 0.01+1.0".to_string(),
            format!("{}, 3 widgets", line(3)),
            line(4),
            line(2),
            String::new(),
        ]
        .join("\n");
        let log = read_gctrace(&text);
        let (_, split) = split_runs(&log.cycles);
        let w = log_warnings(&log, &split);
        assert_eq!(w.len(), 6, "{w:#?}");
        assert!(w[0].starts_with("1 garbled line: ") && w[0].contains("line 4: `gc 2 @2.000s"));
        assert!(w[1].contains("line 3: `gc 1 @1.000s"), "{}", w[1]);
        assert!(w[2].contains("line 1: `starting`"), "{}", w[2]);
        assert!(w[3].contains("line 5: `3 widgets`"), "{}", w[3]);
        assert!(w[4].contains("line 7 has gc 2 after gc 4 on line 6: they go backwards"));
        assert!(w[4].contains("run 1 of 2") && w[4].contains("drops the other runs' 1 cycle"));
        assert!(w[5].contains("skip once") && w[5].contains("1 cycle missing"));
    }

    #[test]
    fn long_lines_are_cut_in_quotes() {
        let long = "x".repeat(500);
        assert_eq!(quote(&long).chars().count(), QUOTE + 5);
        assert_eq!(quote(" ab "), "`ab`");
    }

    #[test]
    fn few_cycles_weaken_the_fit() {
        assert!(cycle_warnings(WEAK_CYCLES).is_empty());
        assert!(cycle_warnings(WEAK_CYCLES - 1)[0].starts_with("only 9 cycles"));
    }
}
