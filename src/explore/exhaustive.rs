//! Every interleaving up to a preemption bound: a depth-first search by re-execution (as
//! tokio-rs/loom does). Without a bound (`UNBOUNDED`), sleep sets (Godefroid) keep steps that
//! commute from being explored in both orders. With a bound they are not used: sleep sets
//! hand an order over to a sibling subtree that may have fewer preemptions left to spend, so
//! together with a bound they can miss schedules (bounded POR needs more, Coons et al. 2013).
//! The count is exact: every schedule within the bound, or one per class of commuting orders.

/// No preemption bound: explore every interleaving, with sleep sets.
pub const UNBOUNDED: u32 = u32::MAX;

use super::run::Exploration;
use super::strategy::Strategy;
use super::token::Token;
use super::world::{Footprint, World};
use crate::engine::program::Unsupported;
use crate::scenario::types::Scenario;

/// A choice point of the search.
#[derive(Debug, Clone)]
struct Node {
    runnable: Vec<u32>,
    footprints: Vec<Footprint>,
    /// The goroutine that ran the step before this choice.
    last: Option<u32>,
    /// Preemptions on the path so far.
    preemptions: u32,
    /// Goroutines whose next step need not be tried here (sleep set).
    sleep: Vec<u32>,
    /// Goroutines already explored from here.
    done: Vec<u32>,
    choice: u32,
}

impl Node {
    fn footprint(&self, g: u32) -> Footprint {
        let i = self
            .runnable
            .iter()
            .position(|&r| r == g)
            .expect("runnable here");
        self.footprints[i]
    }

    /// Choosing `g` here costs a preemption: the last goroutine could have gone on.
    fn preempts(&self, g: u32) -> bool {
        self.last
            .is_some_and(|l| l != g && self.runnable.contains(&l))
    }

    fn allowed(&self, g: u32, bound: u32) -> bool {
        !self.sleep.contains(&g)
            && !self.done.contains(&g)
            && self.preemptions.saturating_add(u32::from(self.preempts(g))) <= bound
    }
}

/// Explores every schedule of `sc` with at most `bound` preemptions (and at most
/// `max_schedules` complete executions). `on_schedule` is told the count after each one.
pub fn explore(
    sc: &Scenario,
    bound: u32,
    max_schedules: u64,
    on_schedule: &mut impl FnMut(u64),
) -> Result<Exploration, Unsupported> {
    let mut ex = Exploration::new(Strategy::Exhaustive {
        preemption_bound: bound,
    });
    let mut stack: Vec<Node> = Vec::new();
    let mut runnable = Vec::new();
    loop {
        let mut w = World::new(sc)?;
        let mut depth = 0;
        let mut decisions = Vec::new();
        let mut blocked = false;
        while !w.finished() {
            w.runnable(&mut runnable);
            if runnable.is_empty() {
                w.deadlock();
                break;
            }
            if depth == stack.len() {
                let (last, preemptions, sleep) = match stack.last() {
                    None => (None, 0, Vec::new()),
                    Some(parent) => {
                        let ran = parent.choice;
                        let ran_fp = parent.footprint(ran);
                        // Sleep set of the child: what slept or was explored at the parent
                        // and commutes with the step just taken.
                        let sleep = if bound == UNBOUNDED {
                            parent
                                .sleep
                                .iter()
                                .chain(&parent.done)
                                .copied()
                                .filter(|&h| h != ran && !parent.footprint(h).conflicts(&ran_fp))
                                .collect()
                        } else {
                            Vec::new()
                        };
                        let pre = parent.preemptions + u32::from(parent.preempts(ran));
                        // A goroutine that left its P (gcStart) cannot go on: switching
                        // away from it is no preemption.
                        let last = Some(ran).filter(|&r| w.yielded() != Some(r));
                        (last, pre, sleep)
                    }
                };
                let footprints = runnable.iter().map(|&g| w.footprint(g)).collect();
                let mut node = Node {
                    runnable: runnable.clone(),
                    footprints,
                    last,
                    preemptions,
                    sleep,
                    done: Vec::new(),
                    choice: 0,
                };
                match runnable.iter().copied().find(|&g| node.allowed(g, bound)) {
                    Some(g) => node.choice = g,
                    None => {
                        // Every enabled step sleeps: an order already explored.
                        blocked = true;
                        break;
                    }
                }
                stack.push(node);
            }
            let node = &stack[depth];
            let g = node.choice;
            if runnable.len() > 1 {
                decisions.push(runnable.iter().position(|&r| r == g).expect("runnable") as u32);
            }
            w.step(g, depth as u64, 0);
            depth += 1;
        }
        if !blocked {
            let preemptions = stack
                .get(depth.saturating_sub(1))
                .map_or(0, |n| n.preemptions + u32::from(n.preempts(n.choice)));
            let trace = w.finish(decisions.clone(), preemptions);
            let token = Token::Decisions {
                scenario_seed: sc.seed,
                decisions,
            };
            ex.record(token, trace);
            on_schedule(ex.schedules);
            if ex.schedules >= max_schedules {
                ex.complete = Some(false);
                return Ok(ex);
            }
        }
        // Backtrack to the deepest choice point with an untried, allowed alternative.
        stack.truncate(depth);
        loop {
            let Some(node) = stack.last_mut() else {
                ex.complete = Some(true);
                return Ok(ex);
            };
            node.done.push(node.choice);
            let next = node
                .runnable
                .iter()
                .copied()
                .find(|&g| node.allowed(g, bound));
            if let Some(g) = next {
                node.choice = g;
                break;
            }
            stack.pop();
        }
    }
}
