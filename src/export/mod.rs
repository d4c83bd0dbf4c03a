//! Scenarios as Go programs (`gomemsim export-go`): the same workload on a real toolchain,
//! so that the simulator's growth points and crashes can be watched in real Go. Pure: text
//! in, text out; the CLI writes it.

mod go;
mod keys;
mod plan;
mod support;
mod syntax;
#[cfg(test)]
mod tests;

pub use go::go_program;

/// Why a scenario cannot be exported faithfully: the field at fault and the reason.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct ExportProblem {
    /// A dotted field path such as `maps[0].key`.
    pub field: String,
    /// Why the field cannot be exported.
    pub message: String,
}
