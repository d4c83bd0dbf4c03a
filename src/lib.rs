#![deny(missing_docs)]
//! gomemsim: a deterministic discrete-event simulator of the Go runtime's memory behaviour.
//!
//! Load a scenario ([`load`]), run it ([`run`]) and write its outputs ([`report::write_run`]).
//! The binary is a thin layer over these calls.
//!
//! Layers point inward: `engine` drives `model`; `report` reads an engine [`Outcome`];
//! `scenario` turns files into validated values. `model` and `engine` do no I/O.

pub mod calibrate;
pub mod engine;
pub mod explore;
pub mod export;
pub mod gctrace;
pub mod model;
pub mod report;
pub mod resources;
pub mod scenario;
pub mod sweep;

use std::path::Path;

pub use engine::Outcome;
pub use resources::ResourceError;
pub use resources::{WorkError, check_memory, check_work};
pub use scenario::{Override, Scenario, ScenarioError};

/// Everything that can stop a run before it produces results.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The scenario file or an override is invalid.
    #[error(transparent)]
    Scenario(Box<ScenarioError>),
    /// The scenario would need more memory than this machine has.
    #[error(transparent)]
    Resources(#[from] ResourceError),
    /// The scenario uses something this engine cannot run.
    #[error(transparent)]
    Unsupported(#[from] engine::program::Unsupported),
    /// The scenario is estimated at more work than a run may take.
    #[error(transparent)]
    Work(#[from] WorkError),
    /// A schedule token that does not fit the scenario.
    #[error(transparent)]
    Replay(#[from] explore::ReplayError),
    /// An output could not be written.
    #[error(transparent)]
    Report(#[from] report::ReportError),
    /// A plot could not be drawn from its CSVs.
    #[error(transparent)]
    Plot(#[from] report::plots::PlotError),
    /// report.html could not be made from a result directory.
    #[error(transparent)]
    Html(#[from] report::html::HtmlError),
    /// A command-line value that is not valid (grid, seeds, shard, files to merge).
    #[error("{0}")]
    Usage(String),
    /// The simulated program would run longer than the virtual clock can count.
    #[error(
        "the simulated program runs longer than 2^63 ps (106 days of virtual time); \
         reduce the op counts or the [costs]"
    )]
    TooLong,
    /// The run passed the most GC cycles gomemsim records.
    #[error(
        "the simulated program passed {} GC cycles (at {at_ns} ns of virtual time), the most \
         gomemsim records; raise GOMEMLIMIT or GOGC, or allocate less",
        engine::sim::MAX_GC_CYCLES
    )]
    TooManyCycles {
        /// Virtual time when the limit was reached (ns).
        at_ns: u64,
    },
}

impl Error {
    /// The error, naming the scenario file `file` when it does not already.
    pub fn in_file(self, file: &str) -> Error {
        match self {
            Error::TooLong | Error::TooManyCycles { .. } => Error::Usage(format!("{file}: {self}")),
            Error::Resources(e) => Error::Resources(e.in_file(file)),
            e => e,
        }
    }
}

impl From<ScenarioError> for Error {
    fn from(e: ScenarioError) -> Self {
        Error::Scenario(Box::new(e))
    }
}

/// Reads, overrides and validates a scenario file.
pub fn load(path: &Path, overrides: &[Override]) -> Result<Scenario, Error> {
    Ok(scenario::load(path, overrides)?)
}

/// Runs a validated scenario to its end. Refuses up front a scenario whose simulation would
/// not fit in this machine's memory.
pub fn run(scenario: &Scenario) -> Result<Outcome, Error> {
    run_with(scenario, &RunOptions::default())
}

/// What a run records beyond its outcome's fixed parts, and how it can be stopped.
#[derive(Debug, Clone, Default)]
pub struct RunOptions {
    /// Scrape the process's metrics every this many ns of virtual time
    /// ([`Outcome::metrics`]).
    pub scrape_interval_ns: Option<u64>,
    /// Once set (by another thread: a time limit), the run stops where it is and its
    /// outcome says so ([`Outcome::stopped`]).
    pub stop: Option<std::sync::Arc<std::sync::atomic::AtomicBool>>,
    /// Record an execution trace of this window of virtual time (ns), at most this many
    /// events ([`Outcome::exec_trace`]).
    pub trace: Option<TraceOptions>,
    /// Where the run reports how far it got: the virtual time reached (ns), updated every
    /// few thousand events, for a progress display on another thread.
    pub progress: Option<std::sync::Arc<std::sync::atomic::AtomicU64>>,
}

/// What of a run an execution trace records.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TraceOptions {
    /// Virtual time (ns) from which events are kept.
    pub from_ns: u64,
    /// Virtual time (ns) up to which events are kept.
    pub to_ns: u64,
    /// Events kept at most; the trace is cut there.
    pub max_events: u64,
}

impl Default for TraceOptions {
    fn default() -> Self {
        TraceOptions {
            from_ns: 0,
            to_ns: u64::MAX,
            max_events: engine::exectrace::DEFAULT_MAX_EVENTS,
        }
    }
}

/// [`run`] with `options`.
pub fn run_with(scenario: &Scenario, options: &RunOptions) -> Result<Outcome, Error> {
    resources::check_memory(scenario)?;
    let compiled = engine::compile::Compiled::new(scenario)?;
    let mut sim = match options.trace {
        Some(t) => engine::Sim::traced(&compiled, t.from_ns, t.to_ns, t.max_events),
        None => engine::Sim::new(&compiled),
    };
    if let Some(interval) = options.scrape_interval_ns {
        sim = sim.scrape_every(interval);
    }
    sim.stop = options.stop.clone();
    sim.progress = options.progress.clone();
    let outcome = sim.run();
    if outcome.overflowed {
        return Err(Error::TooLong);
    }
    if outcome.gc.len() >= engine::sim::MAX_GC_CYCLES {
        return Err(Error::TooManyCycles {
            at_ns: outcome.sim_time_ns,
        });
    }
    Ok(outcome)
}
