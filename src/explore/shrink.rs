//! Shrinking a failing schedule to one with the fewest preemptions and steps that still dies
//! with the same message. A schedule is seen as slices — a goroutine and how many steps it
//! runs before another takes over — and delta debugging drops slices and shortens them,
//! keeping any change after which the program still dies the same way.

use super::token::Token;
use super::trace::Trace;
use super::world::World;
use crate::engine::program::Unsupported;
use crate::scenario::types::Scenario;

/// Slices longer than this are shortened only by dropping others (bounds the replays).
const MAX_SCAN: usize = 4096;

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

/// Runs `slices` in order (a slice whose goroutine cannot run is skipped; one that stops
/// early ends early), then lets the last goroutine go on, or the lowest-numbered runnable one.
fn run_slices(sc: &Scenario, slices: &[Slice]) -> Result<Trace, Unsupported> {
    let mut w = World::new(sc)?;
    let mut runnable = Vec::new();
    let mut decisions = Vec::new();
    let mut preemptions = 0;
    let mut last: Option<u32> = None;
    let mut index = 0u64;
    let mut plan = slices.iter().copied();
    let mut left = 0usize;
    let mut current: Option<u32> = None;
    while !w.finished() {
        w.runnable(&mut runnable);
        if runnable.is_empty() {
            w.deadlock();
            break;
        }
        // Next goroutine: the current slice's while it lasts and can run, else the next
        // slice whose goroutine can run, else keep going with the last one, else the lowest.
        let mut g = None;
        if left > 0 && current.is_some_and(|c| runnable.contains(&c)) {
            g = current;
        } else {
            for (sg, n) in plan.by_ref() {
                if runnable.contains(&sg) {
                    g = Some(sg);
                    current = Some(sg);
                    left = n;
                    break;
                }
            }
        }
        let g = g
            .or_else(|| last.filter(|l| runnable.contains(l)))
            .unwrap_or(runnable[0]);
        left = left.saturating_sub(1);
        if runnable.len() > 1 {
            decisions.push(runnable.iter().position(|&r| r == g).expect("runnable") as u32);
        }
        if last.is_some_and(|l| l != g && runnable.contains(&l)) {
            preemptions += 1;
        }
        last = Some(g);
        w.step(g, index, 0);
        index += 1;
    }
    Ok(w.finish(decisions, preemptions))
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
pub fn shrink(sc: &Scenario, trace: &Trace) -> Result<(Token, Trace), Unsupported> {
    let mut slices = slices_of(trace);
    let mut best = run_slices(sc, &slices)?;
    if !keeps(trace, &best) {
        // Replaying as slices did not reproduce it: keep the original.
        best = trace.clone();
        slices = slices_of(trace);
    }
    loop {
        let mut changed = false;
        // Drop whole slices, first to last.
        let mut i = 0;
        while i < slices.len() {
            let mut candidate = slices.clone();
            candidate.remove(i);
            let t = run_slices(sc, &candidate)?;
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
                let mut candidate = slices.clone();
                candidate[i].1 = n;
                let t = run_slices(sc, &candidate)?;
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
            kind: StepKind::Local,
            writing_before: false,
            writing_after: false,
        };
        let t = Trace {
            steps: vec![step(0), step(0), step(1), step(0)],
            ..Trace::default()
        };
        assert_eq!(slices_of(&t), vec![(0, 2), (1, 1), (0, 1)]);
    }
}
