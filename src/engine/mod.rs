//! The discrete-event engine: one virtual clock in integer nanoseconds, one event queue
//! ordered by (time, sequence number), RNG streams derived from the scenario seed, and the
//! `Sim` that dispatches events to the models. Pure: no I/O, no printing.

mod arrivals;
pub(crate) mod compile;
pub mod exectrace;
pub(crate) mod gc;
pub mod latency;
mod outcome;
pub mod profile;
pub(crate) mod program;
mod queue;
pub mod rng;
pub mod sched;
pub mod scrape;
pub mod sim;
pub mod slices;
mod step;
mod sweep;
pub mod sync;

pub use latency::Histogram;
pub use program::Unsupported;
pub use rng::Stream;
pub use sim::{MapOutcome, Outcome, RequestOutcome};
pub(crate) use sim::{Sim, SimConfig, key_list_ps};

/// Bytes of the slice header that holds each retained object (a `[][]byte` element), which
/// the GC scans.
pub(crate) const HOLDER_BYTES: u64 = 24;

/// `free` of `bytes` of the memory `retain` holds (`retained`: its bytes and the pointer
/// words among them): they, and their share of the pointer words, stop being reachable.
pub(crate) fn free_retained(retained: &mut (u64, u64), gc: &mut gc::Gc, bytes: u64) {
    let (held, scan) = *retained;
    let drop = bytes.min(held);
    let drop_scan = if held == 0 {
        0
    } else {
        (u128::from(scan) * u128::from(drop) / u128::from(held)) as u64
    };
    *retained = (held - drop, scan - drop_scan);
    gc.heap.drop_reachable(drop, drop_scan);
}
