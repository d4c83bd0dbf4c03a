//! Shrinking a failing schedule to one with the fewest preemptions and steps that still dies
//! with the same message. A schedule is seen as slices — a goroutine and how many steps it
//! runs before another takes over — and delta debugging drops slices and shortens them,
//! keeping any change after which the program still dies the same way.

use std::sync::atomic::{AtomicBool, Ordering};

use super::run::run_bounded;
use super::strategy::Picker;
use super::token::Token;
use super::trace::Trace;
use crate::engine::compile::Compiled;
use crate::engine::program::Unsupported;
use crate::scenario::types::Scenario;

/// Slices longer than this are shortened only by dropping others (bounds the replays).
const MAX_SCAN: usize = 4096;

/// Steps shrinking may replay in all; past them it keeps the smallest failure found so far
/// (a failure after 10^5..10^6 steps could otherwise take minutes, deterministically).
const SHRINK_STEPS: usize = 20_000_000;

/// Consecutive steps of one goroutine.
type Slice = (u32, usize);

/// The slices of a trace.
fn slices_of(trace: &Trace) -> Vec<Slice> {
    let mut out: Vec<Slice> = Vec::new();
    for s in &trace.steps {
        match out.last_mut() {
            Some((g, n)) if *g == s.goroutine => *n += 1,
            _ => out.push((s.goroutine, 1)),
        }
    }
    out
}

/// A schedule given as slices, for [`Picker::Slices`]: the slices run in order (one whose
/// goroutine cannot run is skipped; one that stops early ends early), then the last
/// goroutine goes on, or the lowest-numbered runnable one.
#[derive(Debug, Clone)]
pub struct SlicePlan {
    slices: Vec<Slice>,
    next: usize,
    left: usize,
    current: Option<u32>,
    last: Option<u32>,
}

impl SlicePlan {
    fn new(slices: Vec<Slice>) -> Self {
        SlicePlan {
            slices,
            next: 0,
            left: 0,
            current: None,
            last: None,
        }
    }

    /// The goroutine to step next; it must be told every step, even unforced ones.
    pub(super) fn pick(&mut self, runnable: &[u32]) -> u32 {
        // The current slice's goroutine while the slice lasts and it can run, else the next
        // slice whose goroutine can run, else the last one, else the lowest.
        let mut g = None;
        if self.left > 0 && self.current.is_some_and(|c| runnable.contains(&c)) {
            g = self.current;
        } else {
            while let Some(&(sg, n)) = self.slices.get(self.next) {
                self.next += 1;
                if runnable.contains(&sg) {
                    g = Some(sg);
                    self.current = Some(sg);
                    self.left = n;
                    break;
                }
            }
        }
        let g = g
            .or_else(|| self.last.filter(|l| runnable.contains(l)))
            .unwrap_or(runnable[0]);
        self.left = self.left.saturating_sub(1);
        self.last = Some(g);
        g
    }
}

/// Runs the schedule `slices` describes, giving up once it is worse than `best` (more
/// preemptions or steps): such a run cannot replace it.
/// `spent` counts the steps replayed.
fn run_slices(
    sc: &Compiled,
    slices: Vec<Slice>,
    best: &Trace,
    spent: &mut usize,
) -> Result<Trace, Unsupported> {
    let t = run_bounded(
        sc,
        &mut Picker::Slices(SlicePlan::new(slices)),
        best.preemptions,
        best.steps.len(),
    )?;
    *spent += t.steps.len().max(1);
    Ok(t)
}

/// `candidate` dies like `best` and is no worse in preemptions or steps.
fn keeps(best: &Trace, candidate: &Trace) -> bool {
    candidate.outcome() == best.outcome()
        && candidate.preemptions <= best.preemptions
        && candidate.steps.len() <= best.steps.len()
}

/// `candidate` keeps the failure and is strictly smaller: fewer preemptions, steps or
/// slices. Accepting only strict progress is what makes shrinking terminate.
fn improves(best: &Trace, best_slices: usize, candidate: &Trace) -> bool {
    keeps(best, candidate)
        && (candidate.preemptions < best.preemptions
            || candidate.steps.len() < best.steps.len()
            || slices_of(candidate).len() < best_slices)
}

/// Shrinks a failing `trace` of `sc`: the smallest schedule found that dies with the same
/// message, with no more preemptions or steps, and its replay token.
pub fn shrink(scenario: &Scenario, trace: &Trace) -> Result<(Token, Trace), Unsupported> {
    shrink_until(scenario, trace, &AtomicBool::new(false))
}

/// [`shrink`], stopping with the best schedule so far once `stop` is set (a time limit),
/// checked between candidate schedules.
pub fn shrink_until(
    scenario: &Scenario,
    trace: &Trace,
    stop: &AtomicBool,
) -> Result<(Token, Trace), Unsupported> {
    let sc = &Compiled::new(scenario)?;
    let out_of_budget = |spent: usize| spent > SHRINK_STEPS || stop.load(Ordering::Relaxed);
    let mut slices = slices_of(trace);
    let mut best = run_bounded(
        sc,
        &mut Picker::Slices(SlicePlan::new(slices.clone())),
        u32::MAX,
        usize::MAX,
    )?;
    if !keeps(trace, &best) {
        // Replaying as slices did not reproduce it: keep the original.
        best = trace.clone();
        slices = slices_of(trace);
    }
    let mut spent = best.steps.len();
    'shrink: loop {
        let mut changed = false;
        // Drop whole slices, first to last.
        let mut i = 0;
        while i < slices.len() {
            if out_of_budget(spent) {
                break 'shrink;
            }
            let mut candidate = slices.clone();
            candidate.remove(i);
            let t = run_slices(sc, candidate, &best, &mut spent)?;
            if improves(&best, slices.len(), &t) {
                slices = slices_of(&t);
                best = t;
                changed = true;
            } else {
                i += 1;
            }
        }
        // Shorten slices: the shortest length that still fails (failing lengths come in
        // windows — while some goroutine holds the flag — so halving alone would stall).
        for i in 0..slices.len() {
            for n in 1..slices[i].1.min(MAX_SCAN) {
                if out_of_budget(spent) {
                    break 'shrink;
                }
                let mut candidate = slices.clone();
                candidate[i].1 = n;
                let t = run_slices(sc, candidate, &best, &mut spent)?;
                if keeps(&best, &t) && t.steps.len() < best.steps.len() {
                    slices = slices_of(&t);
                    best = t;
                    changed = true;
                    break;
                }
            }
            if i + 1 >= slices.len() {
                break;
            }
        }
        if !changed {
            break;
        }
    }
    let token = Token::Decisions {
        scenario_seed: sc.seed,
        decisions: best.decisions.clone(),
    };
    Ok((token, best))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slices_compress_consecutive_steps() {
        use crate::explore::trace::TraceStep;
        use crate::model::sched::steps::StepKind;
        let step = |g| TraceStep {
            t_ns: 0,
            goroutine: g,
            p: 0,
            map: None,
            slice: None,
            kind: StepKind::Local,
            writing_before: false,
            writing_after: false,
            op: None,
            home: None,
        };
        let t = Trace {
            steps: vec![step(0), step(0), step(1), step(0)],
            ..Trace::default()
        };
        assert_eq!(slices_of(&t), vec![(0, 2), (1, 1), (0, 1)]);
    }
}
