//! Running schedules: one execution under a picker, many under a strategy, and replaying one
//! from its token.

use std::collections::BTreeMap;

use rand_chacha::rand_core::Rng;

use super::strategy::{PctState, Picker, Strategy, TimingCosts, TimingState};
use super::token::Token;
use super::trace::Trace;
use super::world::World;
use crate::engine::Stream;
use crate::engine::program::Unsupported;
use crate::scenario::types::Scenario;

/// What an exploration found.
#[derive(Debug, Clone, PartialEq)]
pub struct Exploration {
    pub strategy: Strategy,
    /// Schedules run.
    pub schedules: u64,
    /// Outcome ("ok" or Go's fatal message) → how many schedules ended so.
    pub outcomes: BTreeMap<&'static str, u64>,
    /// Schedules in which the happens-before detector saw a data race.
    pub races: u64,
    /// Schedules after which a map was corrupted (lost keys, count drift).
    pub corrupted: u64,
    /// The first schedule that died, with its replay token.
    pub first_failure: Option<(Token, Trace)>,
    /// The first schedule with a data race but no fatal error, with its token.
    pub first_silent_race: Option<(Token, Trace)>,
    /// PCT's guarantee 1/(n·k^(d−1)) for the steps k seen.
    pub pct_guarantee: Option<f64>,
    /// Exhaustive search: whether every schedule within the bound was explored.
    pub complete: Option<bool>,
}

/// Runs one execution of `sc` under `picker`.
pub fn run_once(sc: &Scenario, picker: &mut Picker) -> Result<Trace, Unsupported> {
    run_bounded(sc, picker, u32::MAX, usize::MAX)
}

/// [`run_once`], stopped (with no fatal error) once it takes more than `max_preemptions`
/// preemptions or `max_steps` steps: shrinking rejects such runs anyway.
pub(super) fn run_bounded(
    sc: &Scenario,
    picker: &mut Picker,
    max_preemptions: u32,
    max_steps: usize,
) -> Result<Trace, Unsupported> {
    let mut w = World::new(sc)?;
    let mut runnable = Vec::new();
    let mut decisions = Vec::new();
    let mut preemptions = 0;
    let mut last: Option<u32> = None;
    let mut index = 0u64;
    while !w.finished() {
        if preemptions > max_preemptions || index as usize >= max_steps {
            break;
        }
        w.runnable(&mut runnable);
        if runnable.is_empty() {
            w.deadlock();
            break;
        }
        let i = if runnable.len() > 1 || picker.sees_every_step() {
            let i = picker.pick(&runnable, &|g| w.in_op(g));
            if runnable.len() > 1 {
                decisions.push(i as u32);
            }
            i
        } else {
            0
        };
        let g = runnable[i];
        // A goroutine that left its P (gcStart) cannot go on: switching away from it is no
        // preemption.
        if last.is_some_and(|l| l != g && runnable.contains(&l) && w.yielded() != Some(l)) {
            preemptions += 1;
        }
        last = Some(g);
        let (t, p) = match picker {
            Picker::Timing(ts) => ts.now(),
            _ => (index, 0),
        };
        let before = w.trace.steps.len();
        w.step(g, t, p);
        if let (Picker::Timing(ts), Some(_)) = (&mut *picker, w.trace.steps.get(before)) {
            ts.advance(w.last_step_ns);
            if let Some(y) = w.yielded() {
                ts.deschedule(y);
            }
        }
        index += 1;
    }
    Ok(w.finish(decisions, preemptions))
}

/// The picker a token describes, for scenario `sc`.
pub fn picker_for(token: &Token, sc: &Scenario) -> Picker {
    let goroutines = sc.goroutines.iter().map(|g| g.count as usize).sum();
    match *token {
        Token::Timing { seed, .. } => Picker::Timing(TimingState::new(
            seed,
            goroutines,
            sc.runtime.gomaxprocs,
            TimingCosts::from_costs(&sc.costs),
        )),
        Token::Random { seed, .. } => Picker::Random(rand_chacha::ChaCha8Rng::from_seed_u64(seed)),
        Token::Pct {
            depth,
            max_steps,
            seed,
            ..
        } => Picker::Pct(PctState::new(seed, goroutines, depth, max_steps)),
        Token::Decisions { ref decisions, .. } => Picker::Replay {
            decisions: decisions.clone(),
            next: 0,
        },
    }
}

/// Replays the schedule of `token` on `sc` (whose seed the token sets).
pub fn replay(sc: &Scenario, token: &Token) -> Result<Trace, Unsupported> {
    let mut sc = sc.clone();
    sc.seed = token.scenario_seed();
    let mut picker = picker_for(token, &sc);
    run_once(&sc, &mut picker)
}

/// Explores `schedules` schedules of `sc` with `strategy`, seeded by `seed`.
pub fn explore(
    sc: &Scenario,
    strategy: Strategy,
    schedules: u64,
    seed: u64,
) -> Result<Exploration, Unsupported> {
    explore_observed(sc, strategy, schedules, seed, &mut |_| {})
}

/// [`explore`], telling `on_schedule` how many schedules are done after each one (for a
/// progress bar); the result does not depend on it.
pub fn explore_observed(
    sc: &Scenario,
    strategy: Strategy,
    schedules: u64,
    seed: u64,
    on_schedule: &mut impl FnMut(u64),
) -> Result<Exploration, Unsupported> {
    if let Strategy::Exhaustive { preemption_bound } = strategy {
        return super::exhaustive::explore(sc, preemption_bound, schedules, on_schedule);
    }
    let n: u32 = sc.goroutines.iter().map(|g| g.count).sum();
    let mut seeds = Stream::Scheduler.rng(seed);
    let mut ex = Exploration::new(strategy);
    // PCT needs the number of steps k: measure one run first.
    let mut max_steps = 0;
    if let Strategy::Pct { .. } = strategy {
        let probe = run_once(
            sc,
            &mut Picker::Replay {
                decisions: Vec::new(),
                next: 0,
            },
        )?;
        max_steps = probe.steps.len() as u64;
    }
    for _ in 0..schedules {
        let s = seeds.next_u64();
        let token = match strategy {
            Strategy::Timing => Token::Timing {
                scenario_seed: sc.seed,
                seed: s,
            },
            Strategy::Random => Token::Random {
                scenario_seed: sc.seed,
                seed: s,
            },
            Strategy::Pct { depth } => Token::Pct {
                scenario_seed: sc.seed,
                depth,
                max_steps,
                seed: s,
            },
            Strategy::Exhaustive { .. } => unreachable!("handled above"),
        };
        let mut picker = picker_for(&token, sc);
        let trace = run_once(sc, &mut picker)?;
        ex.record(token, trace);
        on_schedule(ex.schedules);
    }
    if let Strategy::Pct { depth } = strategy {
        ex.pct_guarantee = Some(PctState::guarantee(n as usize, max_steps, depth));
    }
    Ok(ex)
}

impl Exploration {
    pub fn new(strategy: Strategy) -> Self {
        Exploration {
            strategy,
            schedules: 0,
            outcomes: BTreeMap::new(),
            races: 0,
            corrupted: 0,
            first_failure: None,
            first_silent_race: None,
            pct_guarantee: None,
            complete: None,
        }
    }

    /// Counts one schedule's outcome.
    pub fn record(&mut self, token: Token, trace: Trace) {
        self.schedules += 1;
        *self.outcomes.entry(trace.outcome()).or_insert(0) += 1;
        if trace.race.is_some() {
            self.races += 1;
        }
        if !trace.corruption.is_empty() {
            self.corrupted += 1;
        }
        if trace.fatal.is_some() {
            if self.first_failure.is_none() {
                self.first_failure = Some((token, trace));
            }
        } else if trace.race.is_some() && self.first_silent_race.is_none() {
            self.first_silent_race = Some((token, trace));
        }
    }
}

/// A ChaCha8 generator from a u64, for pickers.
trait FromSeedU64 {
    fn from_seed_u64(seed: u64) -> Self;
}

impl FromSeedU64 for rand_chacha::ChaCha8Rng {
    fn from_seed_u64(seed: u64) -> Self {
        use rand_chacha::rand_core::SeedableRng;
        rand_chacha::ChaCha8Rng::seed_from_u64(seed)
    }
}
