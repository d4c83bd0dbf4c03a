//! The discrete-event engine: one virtual clock in integer nanoseconds, one event queue
//! ordered by (time, sequence number), RNG streams derived from the scenario seed, and the
//! `Sim` that dispatches events to the models. Pure: no I/O, no printing.

mod arrivals;
pub(crate) mod compile;
pub(crate) mod gc;
pub mod latency;
mod outcome;
pub(crate) mod program;
mod queue;
pub mod rng;
pub mod sched;
pub mod sim;
mod step;
pub mod sync;

pub use latency::Histogram;
pub use program::Unsupported;
pub use rng::Stream;
pub use sim::{MapOutcome, Outcome, RequestOutcome};
pub(crate) use sim::{Sim, SimConfig};

/// Bytes of the slice header that holds each retained object (a `[][]byte` element), which
/// the GC scans.
pub(crate) const HOLDER_BYTES: u64 = 24;
