//! Every interleaving up to a preemption bound: a depth-first search by re-execution (as
//! tokio-rs/loom does). Without a bound (`UNBOUNDED`), sleep sets (Godefroid) keep steps that
//! commute from being explored in both orders. With a bound they are not used: sleep sets
//! hand an order over to a sibling subtree that may have fewer preemptions left to spend, so
//! together with a bound they can miss schedules (bounded POR needs more, Coons et al. 2013).
//! The count is exact: every schedule within the bound, or one per class of commuting orders.

/// No preemption bound: explore every interleaving, with sleep sets.
pub const UNBOUNDED: u32 = u32::MAX;

use super::world::{Footprint, World};

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

/// The depth-first search over schedules, as a scheduler: at each step of an execution it
/// takes the choice on the current path (opening a new choice point below it), and between
/// executions it backtracks to the deepest choice point with an untried, allowed alternative.
#[derive(Debug, Clone)]
pub struct Dfs {
    bound: u32,
    stack: Vec<Node>,
    /// Choice points passed in the current execution.
    depth: usize,
    /// The search is over: every schedule within the bound was run.
    exhausted: bool,
}

impl Dfs {
    /// A search with at most `bound` preemptions per schedule ([`UNBOUNDED`]: none, with
    /// sleep sets).
    pub fn new(bound: u32) -> Self {
        Dfs {
            bound,
            stack: Vec::new(),
            depth: 0,
            exhausted: false,
        }
    }

    /// Whether every schedule within the bound has been run.
    pub fn exhausted(&self) -> bool {
        self.exhausted
    }

    /// How much of the search tree lies behind the search, estimated from its position
    /// (between executions): at each choice point on the path, the alternatives before the
    /// current one (run, or pruned) out of all, each level weighing as its share of the tree
    /// under uniform branching. 1 once exhausted.
    pub fn progress(&self) -> f64 {
        if self.exhausted {
            return 1.0;
        }
        let mut share = 1.0;
        let mut behind = 0.0;
        for node in &self.stack {
            let n = node.runnable.len().max(1) as f64;
            let pos = node
                .runnable
                .iter()
                .position(|&g| g == node.choice)
                .unwrap_or(0) as f64;
            behind += share * pos / n;
            share /= n;
        }
        behind
    }

    /// The goroutine to step next among `runnable` (an index into it), or `None` when every
    /// enabled step sleeps: an order already explored, so the execution is abandoned.
    pub(super) fn pick(&mut self, runnable: &[u32], w: &World) -> Option<usize> {
        if self.depth == self.stack.len() {
            let (last, preemptions, sleep) = match self.stack.last() {
                None => (None, 0, Vec::new()),
                Some(parent) => {
                    let ran = parent.choice;
                    let ran_fp = parent.footprint(ran);
                    // Sleep set of the child: what slept or was explored at the parent
                    // and commutes with the step just taken.
                    let sleep = if self.bound == UNBOUNDED {
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
                    // A goroutine that left its P (gcStart) cannot go on: switching away
                    // from it is no preemption.
                    let last = Some(ran).filter(|&r| w.yielded() != Some(r));
                    (last, pre, sleep)
                }
            };
            let mut node = Node {
                runnable: runnable.to_vec(),
                footprints: runnable.iter().map(|&g| w.footprint(g)).collect(),
                last,
                preemptions,
                sleep,
                done: Vec::new(),
                choice: 0,
            };
            node.choice = runnable
                .iter()
                .copied()
                .find(|&g| node.allowed(g, self.bound))?;
            self.stack.push(node);
        }
        let g = self.stack[self.depth].choice;
        self.depth += 1;
        runnable.iter().position(|&r| r == g)
    }

    /// Ends an execution and backtracks to the deepest choice point with an untried,
    /// allowed alternative; false when there is none left.
    pub(super) fn backtrack(&mut self) -> bool {
        self.stack.truncate(self.depth);
        self.depth = 0;
        loop {
            let Some(node) = self.stack.last_mut() else {
                self.exhausted = true;
                return false;
            };
            node.done.push(node.choice);
            let bound = self.bound;
            let next = node
                .runnable
                .iter()
                .copied()
                .find(|&g| node.allowed(g, bound));
            if let Some(g) = next {
                node.choice = g;
                return true;
            }
            self.stack.pop();
        }
    }
}
