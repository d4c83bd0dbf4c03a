//! Running schedules: one execution under a picker, many under a strategy, and replaying one
//! from its token.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};

use rand_chacha::rand_core::Rng;

use rand_chacha::ChaCha8Rng;

use super::exhaustive::Dfs;
use super::strategy::{PctState, Picker, Strategy, TimingCosts, TimingState};
use super::token::Token;
use super::trace::Trace;
use super::world::{RecordOptions, World};
use crate::engine::Stream;
use crate::engine::compile::Compiled;
use crate::engine::program::Unsupported;
use crate::scenario::types::Scenario;

/// What an exploration found.
#[derive(Debug, Clone, PartialEq)]
pub struct Exploration {
    /// The strategy the schedules ran under.
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
    /// Exhaustive search: the share of its tree behind it when it ended, estimated from its
    /// position ([`crate::explore::exhaustive::Dfs::progress`]); 1 when complete.
    pub progress: Option<f64>,
    /// The search was stopped from outside (`explore_until`) before it ended.
    pub stopped: bool,
}

/// Steps beyond which an execution stops, cut (its trace would outgrow memory: a few
/// hundred MB of steps here). The outcome says so: "step limit".
pub const MAX_EXECUTION_STEPS: usize = 1 << 22;

/// One execution of compiled scenario `sc` under `picker`, stopped (with no fatal error)
/// once it takes more than `max_preemptions` preemptions or `max_steps` steps: shrinking
/// rejects such runs anyway.
pub(super) fn run_bounded(
    sc: &Compiled,
    picker: &mut Picker,
    max_preemptions: u32,
    max_steps: usize,
) -> Result<Trace, Unsupported> {
    Ok(execute(sc, picker, max_preemptions, max_steps, None, None)?.0)
}

/// The one runner loop every strategy goes through (as awslabs/shuttle's): the world offers
/// its runnable goroutines, the picker chooses, the world steps. Returns the trace and
/// whether the picker abandoned the execution (an order the exhaustive search has seen).
///
/// `stop`, checked every 1024 steps, abandons the execution once set.
fn execute(
    sc: &Compiled,
    picker: &mut Picker,
    max_preemptions: u32,
    max_steps: usize,
    stop: Option<&AtomicBool>,
    record: Option<RecordOptions>,
) -> Result<(Trace, bool), Unsupported> {
    let mut w = World::recording(sc, record)?;
    let mut runnable = Vec::new();
    let mut decisions = Vec::new();
    let mut preemptions = 0;
    let mut last: Option<u32> = None;
    let mut index = 0u64;
    // The interleaving strategies' clock: the steps run one after another, each taking what
    // `[costs]` says it takes (the timing strategy keeps a clock per P instead).
    let mut clock = 0u64;
    while !w.finished() {
        if preemptions > max_preemptions || index as usize >= max_steps {
            break;
        }
        if index as usize >= MAX_EXECUTION_STEPS {
            w.trace.cut = true;
            break;
        }
        if index % 1024 == 0 && stop.is_some_and(|s| s.load(Ordering::Relaxed)) {
            return Ok((w.finish(decisions, preemptions), true));
        }
        w.runnable(&mut runnable);
        if runnable.is_empty() {
            w.deadlock();
            break;
        }
        let i = if runnable.len() > 1 || picker.sees_every_step() {
            let Some(i) = picker.pick(&runnable, &w) else {
                return Ok((w.finish(decisions, preemptions), true));
            };
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
            _ => (clock, 0),
        };
        let before = w.trace.steps.len();
        w.step(g, t, p);
        if let (Picker::Timing(ts), Some(_)) = (&mut *picker, w.trace.steps.get(before)) {
            ts.advance(w.last_step_ns);
            if let Some(y) = w.yielded() {
                ts.deschedule(y);
            }
        }
        clock = clock.saturating_add(w.last_step_ns.max(1));
        index += 1;
    }
    Ok((w.finish(decisions, preemptions), false))
}

/// The picker a token describes, for compiled scenario `sc`.
fn picker_for(token: &Token, sc: &Compiled) -> Picker {
    let goroutines = sc.goroutine_count() as usize;
    match *token {
        Token::Timing { seed, .. } => Picker::Timing(Box::new(TimingState::new(
            seed,
            &sc.groups,
            sc.procs,
            TimingCosts::from_sched(&sc.sched),
        ))),
        Token::Random { seed, .. } => {
            Picker::Random(Box::new(rand_chacha::ChaCha8Rng::from_seed_u64(seed)))
        }
        Token::Pct {
            depth,
            max_steps,
            seed,
            ..
        } => Picker::Pct(PctState::new(seed, goroutines, depth, max_steps)),
        Token::Decisions { ref decisions, .. } => Picker::Replay {
            decisions: decisions.clone(),
            next: 0,
            beyond: None,
        },
    }
}

/// Replays the schedule of `token` on `sc` (whose seed the token sets).
pub fn replay(sc: &Scenario, token: &Token) -> Result<Trace, ReplayError> {
    replay_recording(sc, token, None)
}

/// [`replay`], recording what `record` asks for ([`Trace::alloc_profile`],
/// [`Trace::metrics`]).
pub fn replay_recording(
    sc: &Scenario,
    token: &Token,
    record: Option<RecordOptions>,
) -> Result<Trace, ReplayError> {
    let mut sc = sc.clone();
    sc.seed = token.scenario_seed();
    let c = Compiled::new(&sc)?;
    let mut picker = picker_for(token, &c);
    let trace = execute(&c, &mut picker, u32::MAX, usize::MAX, None, record)?.0;
    // A list of decisions must be this scenario's: each names a goroutine that could run,
    // and the schedule takes them all.
    if let Picker::Replay {
        decisions,
        next,
        beyond,
    } = picker
    {
        if let Some((index, value, runnable)) = beyond {
            return Err(ReplayError::Decision {
                index,
                value,
                runnable,
            });
        }
        if next < decisions.len() {
            return Err(ReplayError::Unused {
                taken: next,
                given: decisions.len(),
            });
        }
    }
    Ok(trace)
}

/// A schedule that cannot be replayed.
#[derive(Debug, thiserror::Error)]
pub enum ReplayError {
    /// The scenario uses something `race` cannot explore.
    #[error(transparent)]
    Unsupported(#[from] Unsupported),
    /// A decision of the token names a goroutine beyond those that could run.
    #[error(
        "the token's decision {index} is {value}, but only {runnable} goroutines could run \
         there: the token belongs to another scenario (or has a typo)"
    )]
    Decision {
        /// Which decision, 0-based.
        index: usize,
        /// Its value.
        value: u32,
        /// How many goroutines could run at that point.
        runnable: usize,
    },
    /// The schedule ended before taking all of the token's decisions.
    #[error(
        "the schedule ended after {taken} of the token's {given} decisions: the token belongs \
         to another scenario (or has a typo)"
    )]
    Unused {
        /// Decisions taken.
        taken: usize,
        /// Decisions the token gives.
        given: usize,
    },
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
    explore_until(
        sc,
        strategy,
        schedules,
        seed,
        on_schedule,
        &AtomicBool::new(false),
    )
}

/// [`explore_observed`], stopped as soon as `stop` is set (the execution under way is left
/// out; [`Exploration::stopped`] says so).
pub fn explore_until(
    sc: &Scenario,
    strategy: Strategy,
    schedules: u64,
    seed: u64,
    on_schedule: &mut impl FnMut(u64),
    stop: &AtomicBool,
) -> Result<Exploration, Unsupported> {
    let c = Compiled::new(sc)?;
    let mut scheduler = Scheduler::new(&c, strategy, schedules, seed, stop)?;
    let mut ex = Exploration::new(strategy);
    while let Some(mut picker) = scheduler.new_execution(ex.schedules) {
        if stop.load(Ordering::Relaxed) {
            ex.stopped = true;
            scheduler.put_back(picker);
            break;
        }
        let (trace, abandoned) = execute(&c, &mut picker, u32::MAX, usize::MAX, Some(stop), None)?;
        if abandoned && stop.load(Ordering::Relaxed) {
            ex.stopped = true;
            scheduler.put_back(picker);
            break;
        }
        let token = scheduler.token(&trace);
        scheduler.end_execution(picker);
        if !abandoned {
            ex.record(token, trace);
            on_schedule(ex.schedules);
        }
    }
    ex.complete = scheduler.complete();
    ex.progress = scheduler.progress();
    if let Strategy::Pct { depth } = strategy {
        let n = c.goroutine_count() as usize;
        ex.pct_guarantee = Some(PctState::guarantee(n, scheduler.max_steps, depth));
    }
    Ok(ex)
}

/// A strategy over executions (awslabs/shuttle's `Scheduler`): it gives each execution its
/// picker, and says when there are no more.
struct Scheduler<'a> {
    sc: &'a Compiled,
    strategy: Strategy,
    /// Executions to run at most.
    schedules: u64,
    /// Seeds of the sampling strategies' executions, one after another.
    seeds: ChaCha8Rng,
    /// The seed of the current execution.
    seed: u64,
    /// PCT's k: the steps of one run, measured first.
    max_steps: u64,
    /// The exhaustive search, between its executions.
    dfs: Option<Box<Dfs>>,
}

impl<'a> Scheduler<'a> {
    fn new(
        sc: &'a Compiled,
        strategy: Strategy,
        schedules: u64,
        seed: u64,
        stop: &AtomicBool,
    ) -> Result<Self, Unsupported> {
        // PCT needs the number of steps k: measure one run first. The stop flag cuts it
        // too (the exploration then stops before its first schedule).
        let mut max_steps = 0;
        if let Strategy::Pct { .. } = strategy {
            let mut first = Picker::Replay {
                decisions: Vec::new(),
                next: 0,
                beyond: None,
            };
            let (probe, _) = execute(sc, &mut first, u32::MAX, usize::MAX, Some(stop), None)?;
            max_steps = probe.steps.len() as u64;
        }
        let dfs = match strategy {
            Strategy::Exhaustive { preemption_bound } => Some(Box::new(Dfs::new(preemption_bound))),
            _ => None,
        };
        Ok(Scheduler {
            sc,
            strategy,
            schedules,
            seeds: Stream::Scheduler.rng(seed),
            seed: 0,
            max_steps,
            dfs,
        })
    }

    /// The picker of the next execution, or `None` when `done` executions are enough or the
    /// search is over.
    fn new_execution(&mut self, done: u64) -> Option<Picker> {
        if done >= self.schedules {
            return None;
        }
        if let Some(dfs) = &self.dfs {
            if dfs.exhausted() {
                return None;
            }
            return self.dfs.take().map(Picker::Exhaustive);
        }
        self.seed = self.seeds.next_u64();
        Some(picker_for(&self.token(&Trace::default()), self.sc))
    }

    /// The token of the execution just run, which produced `trace`.
    fn token(&self, trace: &Trace) -> Token {
        let scenario_seed = self.sc.seed;
        let seed = self.seed;
        match self.strategy {
            Strategy::Timing => Token::Timing {
                scenario_seed,
                seed,
            },
            Strategy::Random => Token::Random {
                scenario_seed,
                seed,
            },
            Strategy::Pct { depth } => Token::Pct {
                scenario_seed,
                depth,
                max_steps: self.max_steps,
                seed,
            },
            Strategy::Exhaustive { .. } => Token::Decisions {
                scenario_seed,
                decisions: trace.decisions.clone(),
            },
        }
    }

    /// Takes the picker back after its execution: the exhaustive search backtracks.
    fn end_execution(&mut self, picker: Picker) {
        if let Picker::Exhaustive(mut dfs) = picker {
            dfs.backtrack();
            self.dfs = Some(dfs);
        }
    }

    /// For the exhaustive search: whether every schedule within its bound was run.
    fn complete(&self) -> Option<bool> {
        self.dfs.as_ref().map(|d| d.exhausted())
    }

    /// Takes the picker back from an execution that was stopped, as it is (the search's
    /// position stays where the stopped execution was).
    fn put_back(&mut self, picker: Picker) {
        if let Picker::Exhaustive(dfs) = picker {
            self.dfs = Some(dfs);
        }
    }

    /// For the exhaustive search: the share of its tree behind it.
    fn progress(&self) -> Option<f64> {
        self.dfs.as_ref().map(|d| d.progress())
    }
}

impl Exploration {
    fn new(strategy: Strategy) -> Self {
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
            progress: None,
            stopped: false,
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
        } else if trace.race.is_some() {
            // The first silent race, or the first that did harm (a corrupted map, lost
            // appends) once one did: that is the schedule worth replaying.
            let harmless = self
                .first_silent_race
                .as_ref()
                .map(|(_, t)| t.corruption.is_empty());
            if harmless.is_none() || (harmless == Some(true) && !trace.corruption.is_empty()) {
                self.first_silent_race = Some((token, trace));
            }
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
