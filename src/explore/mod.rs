//! Exploring schedules: run a scenario's goroutines at the level of the runtime's steps under
//! a scheduling strategy, many times, and report what happened — Go's fatal errors, data
//! races, corrupted maps — with a token that replays any run exactly.

pub mod exhaustive;
pub mod run;
pub mod shrink;
pub mod strategy;
pub mod token;
pub mod trace;
pub mod world;

pub use exhaustive::UNBOUNDED;
pub use run::{
    Exploration, ReplayError, explore, explore_observed, explore_until, replay, replay_recording,
};
pub use shrink::{shrink, shrink_until};
pub use strategy::Strategy;
pub use token::{Token, TokenError, shell_word};
pub use trace::{Fatal, Trace, TraceStep};
pub use world::{RecordOptions, World};
