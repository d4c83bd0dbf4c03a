//! Go's garbage collector as the pacer sees it: the heap goal and trigger
//! (runtime/mgcpacer.go), the cycle's phases and their cost (runtime/mgc.go), and the CPU
//! limiter (runtime/mgclimit.go).

pub mod cycle;
pub mod limiter;
pub mod pacer;
pub mod release;

pub use cycle::GcCycle;
pub use release::{ConsMarkSmoothing, PacerRules};
