//! Scenario files: the TOML contract of DESIGN.md ("Scenario files"), read into typed values,
//! checked, and located precisely when wrong (file, line, column, field, what is allowed).
//!
//! [`load`] / [`parse_str`] read a scenario with optional `--set key=value` [`Override`]s;
//! [`Scenario::to_toml_string`] writes one back.

// `ScenarioError`'s public fields make it 128 bytes; it is only built on the error path, and
// those fields are the contract callers match on, so it is returned unboxed.
#![allow(clippy::result_large_err)]

pub mod gotype;
pub mod types;
pub mod units;

mod error;
mod load;
mod locate;
mod op_de;
mod overrides;
mod path;
mod query;
mod shape;
mod validate;
mod write;

pub use error::ScenarioError;
pub use gotype::GoType;
pub use load::{load, parse_str};
pub use overrides::Override;
pub use query::WorkBound;
pub use types::{
    ArrivalSpec, Costs, Gogc, GoroutineSpec, Heap, MapImpl, MapSpec, MemLimit, Op, Process,
    Runtime, Scenario, Start,
};
pub use units::{Bytes, Dur, Frequency, Rate};
