//! Pure models of Go runtime structures. No I/O, no clap, no printing: the engine drives them
//! and the report layer reads what they record.

pub mod gc;
pub mod gomap;
pub mod heap;
pub mod malloc;
pub mod sched;
pub mod slice;
