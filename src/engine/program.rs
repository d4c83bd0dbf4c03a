//! Goroutine programs compiled to a flat instruction list, so that running one is a program
//! counter and a small loop stack: no recursion and no allocation per step.

use crate::model::malloc::roundupsize;
use crate::scenario::types::Op;

/// One instruction. Map operations carry the map's index and a repeat count; loops are a
/// pair of markers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Instr {
    Insert {
        map: u32,
        n: u64,
    },
    Delete {
        map: u32,
        n: u64,
    },
    Churn {
        map: u32,
        n: u64,
    },
    Read {
        map: u32,
        n: u64,
    },
    Iterate {
        map: u32,
    },
    /// `n` single-element appends to slice `slice`.
    Append {
        slice: u32,
        n: u64,
    },
    /// `s = s[:0]`.
    Reset {
        slice: u32,
    },
    /// `s = nil`.
    Drop {
        slice: u32,
    },
    /// `objects` objects of `size` bytes (size-class rounded) of garbage; `interval_ps` > 0
    /// paces them (the op's `rate`).
    Alloc {
        objects: u64,
        size: u64,
        interval_ps: u64,
    },
    /// `objects` objects of `size` bytes that stay reachable.
    Retain {
        objects: u64,
        size: u64,
    },
    /// Drops `bytes` of retained memory.
    Free {
        bytes: u64,
    },
    /// CPU work for `ps` picoseconds.
    Compute {
        ps: u64,
    },
    /// sync.Mutex / RWMutex operations on the program's `lock`-th lock name (in the order
    /// they appear in the program).
    Lock {
        lock: u32,
    },
    Unlock {
        lock: u32,
    },
    Rlock {
        lock: u32,
    },
    Runlock {
        lock: u32,
    },

    /// Runs the body up to the matching `EndLoop` `times` times (always at least once:
    /// loops that run zero times are dropped when compiling).
    Loop {
        times: u64,
    },
    /// Runs the body up to the matching `EndLoop` at index `end` while the goroutine's clock
    /// is less than `ps` past its start (checked before each execution).
    LoopFor {
        ps: u64,
        end: u32,
    },
    /// Closes the loop that starts at index `start`.
    EndLoop {
        start: u32,
    },
    /// A request named by index `req` into the program set's request names starts ...
    RequestStart {
        req: u32,
    },
    /// ... and ends.
    RequestEnd {
        req: u32,
    },
}

/// A compiled goroutine program.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Program {
    pub instrs: Vec<Instr>,
    /// For each instruction, the op it came from: its path in the goroutine's program and
    /// what it does (`program[1].body[0] insert m`), for profiles.
    pub labels: Vec<String>,
    /// The mutex name of each lock instruction, by its `lock` index.
    pub locks: Vec<String>,
}

/// Where a goroutine stands in its program: the instruction, the units of it still to run,
/// and for each loop it is in, the iterations left or (time loops) the deadline.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Cursor {
    pub pc: u32,
    rem: u64,
    loops: Vec<LoopState>,
}

/// One loop being run: where its body starts, and what ends it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct LoopState {
    start: u32,
    /// Iterations left, or the deadline in ps of a time loop.
    left: u64,
    timed: bool,
}

impl Instr {
    /// Units of work: map operations and objects repeat, everything else is one.
    fn units(self) -> u64 {
        match self {
            Instr::Insert { n, .. }
            | Instr::Delete { n, .. }
            | Instr::Churn { n, .. }
            | Instr::Read { n, .. }
            | Instr::Append { n, .. } => n,
            Instr::Alloc { objects, .. } | Instr::Retain { objects, .. } => objects,
            _ => 1,
        }
    }
}

impl Cursor {
    /// The instruction at the cursor and the units of it left, after stepping over loop
    /// markers and instructions with nothing to do; `None` at the program's end. `now_ps` is
    /// the goroutine's clock and `start_ps` when it started, for loops with a duration.
    pub fn current_at(
        &mut self,
        prog: &Program,
        now_ps: u64,
        start_ps: u64,
    ) -> Option<(Instr, u64)> {
        loop {
            let instr = *prog.instrs.get(self.pc as usize)?;
            match instr {
                Instr::Loop { times } => {
                    self.loops.push(LoopState {
                        start: self.pc,
                        left: times,
                        timed: false,
                    });
                    self.pc += 1;
                }
                Instr::LoopFor { ps, end } => {
                    let deadline = start_ps.saturating_add(ps);
                    if now_ps >= deadline {
                        self.pc = end + 1;
                    } else {
                        self.loops.push(LoopState {
                            start: self.pc,
                            left: deadline,
                            timed: true,
                        });
                        self.pc += 1;
                    }
                }
                Instr::EndLoop { start } => {
                    let top = self.loops.last_mut().expect("loop stack matches markers");
                    let again = if top.timed {
                        now_ps < top.left
                    } else {
                        top.left -= 1;
                        top.left > 0
                    };
                    if again {
                        self.pc = start + 1;
                    } else {
                        self.loops.pop();
                        self.pc += 1;
                    }
                }
                _ => {
                    if self.rem == 0 {
                        let n = instr.units();
                        if n == 0 {
                            self.pc += 1;
                            continue;
                        }
                        self.rem = n;
                    }
                    return Some((instr, self.rem));
                }
            }
        }
    }

    /// Units of the current instruction left (0 before the cursor has stood at it).
    #[inline]
    pub fn left(&self) -> u64 {
        self.rem
    }

    /// Marks `k` units of the current instruction done (all of them: `u64::MAX`).
    #[inline]
    pub fn advance(&mut self, k: u64) {
        self.rem = self.rem.saturating_sub(k);
        if self.rem == 0 {
            self.pc += 1;
        }
    }
}

/// An op the engine cannot run (validation refuses these first; this keeps the engine safe
/// when driven through the library without validation).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{op}` is not supported {by}")]
pub struct Unsupported {
    /// What is not supported: an op as the scenario names it (`insert`), or a feature
    /// (`[[arrivals]]`).
    pub op: &'static str,
    /// Where it is not supported, and what to use instead.
    pub by: &'static str,
}

const BY_ENGINE: &str = "by this engine yet";

/// What a name in an op refers to: maps and slices have names of their own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Named {
    Map,
    Slice,
}

/// The distinct mutex names of `programs`, in order of first use, and for each program the
/// index into them of each of its lock instructions.
pub fn lock_table(programs: &[Program]) -> (Vec<String>, Vec<Vec<u32>>) {
    let mut names: Vec<String> = Vec::new();
    let of = programs
        .iter()
        .map(|p| {
            p.locks
                .iter()
                .map(|n| match names.iter().position(|x| x == n) {
                    Some(i) => i as u32,
                    None => {
                        names.push(n.clone());
                        names.len() as u32 - 1
                    }
                })
                .collect()
        })
        .collect();
    (names, of)
}

impl Program {
    /// Compiles `ops`, resolving map and slice names with `map_index` and request names
    /// into `requests` (a name seen first is appended). Empty loops are dropped, so the
    /// engine never spins without advancing the clock.
    pub fn compile(
        ops: &[Op],
        map_index: &impl Fn(&str, Named) -> Option<usize>,
        requests: &mut Vec<String>,
    ) -> Result<Program, Unsupported> {
        let mut p = Program::default();
        p.emit(ops, "program", map_index, requests)?;
        debug_assert_eq!(p.instrs.len(), p.labels.len());
        Ok(p)
    }

    fn next_lock(&mut self, name: &str) -> u32 {
        self.locks.push(name.to_string());
        self.locks.len() as u32 - 1
    }

    fn push(&mut self, instr: Instr, label: &str) {
        self.instrs.push(instr);
        self.labels.push(label.to_string());
    }

    fn emit(
        &mut self,
        ops: &[Op],
        prefix: &str,
        map_index: &impl Fn(&str, Named) -> Option<usize>,
        requests: &mut Vec<String>,
    ) -> Result<(), Unsupported> {
        let idx = |name: &str, op: &'static str| -> Result<u32, Unsupported> {
            map_index(name, Named::Map)
                .map(|i| i as u32)
                .ok_or(Unsupported { op, by: BY_ENGINE })
        };
        let slice = |name: &str, op: &'static str| -> Result<u32, Unsupported> {
            map_index(name, Named::Slice)
                .map(|i| i as u32)
                .ok_or(Unsupported { op, by: BY_ENGINE })
        };
        for (i, op) in ops.iter().enumerate() {
            let path = format!("{prefix}[{i}]");
            let label = op_label(&path, op);
            let instr = match op {
                Op::Insert { map, n } => Instr::Insert {
                    map: idx(map, "insert")?,
                    n: *n,
                },
                Op::Delete { map, n } => Instr::Delete {
                    map: idx(map, "delete")?,
                    n: *n,
                },
                Op::Churn { map, n } => Instr::Churn {
                    map: idx(map, "churn")?,
                    n: *n,
                },
                Op::Read { map, n } => Instr::Read {
                    map: idx(map, "read")?,
                    n: *n,
                },
                Op::Iterate { map } => Instr::Iterate {
                    map: idx(map, "iterate")?,
                },
                Op::Append { slice: name, n } => Instr::Append {
                    slice: slice(name, "append")?,
                    n: *n,
                },
                Op::Reset { slice: name } => Instr::Reset {
                    slice: slice(name, "reset")?,
                },
                Op::Drop { slice: name } => Instr::Drop {
                    slice: slice(name, "drop")?,
                },
                Op::Loop {
                    times,
                    duration,
                    body,
                } => {
                    let start = self.instrs.len();
                    let locks = self.locks.len();
                    self.push(
                        match duration {
                            Some(d) => Instr::LoopFor {
                                ps: d.as_ps(),
                                end: 0,
                            },
                            None => Instr::Loop { times: *times },
                        },
                        &label,
                    );
                    self.emit(body, &format!("{path}.body"), map_index, requests)?;
                    if self.instrs.len() == start + 1 || *times == 0 {
                        self.instrs.truncate(start);
                        self.labels.truncate(start);
                        self.locks.truncate(locks);
                    } else {
                        let end = self.instrs.len() as u32;
                        if let Instr::LoopFor { end: e, .. } = &mut self.instrs[start] {
                            *e = end;
                        }
                        self.push(
                            Instr::EndLoop {
                                start: start as u32,
                            },
                            &label,
                        );
                    }
                    continue;
                }
                Op::Request { name, body } => {
                    let req = match requests.iter().position(|r| r == name) {
                        Some(i) => i,
                        None => {
                            requests.push(name.clone());
                            requests.len() - 1
                        }
                    } as u32;
                    self.push(Instr::RequestStart { req }, &label);
                    self.emit(body, &format!("{path}.body"), map_index, requests)?;
                    self.push(Instr::RequestEnd { req }, &label);
                    continue;
                }
                Op::Alloc { bytes, size, rate } => {
                    let size = size.0.max(1);
                    let obj = roundupsize(size);
                    // rate in bytes/s: one object every obj / rate seconds.
                    let interval_ps = rate.map_or(0, |r| {
                        (u128::from(obj) * 1_000_000_000_000 / u128::from(r.0.max(1))) as u64
                    });
                    Instr::Alloc {
                        objects: bytes.0.div_ceil(size),
                        size: obj,
                        interval_ps,
                    }
                }
                Op::Retain { bytes, size } => {
                    let size = size.0.max(1);
                    Instr::Retain {
                        objects: bytes.0.div_ceil(size),
                        size: roundupsize(size),
                    }
                }
                Op::Free { bytes } => Instr::Free { bytes: bytes.0 },
                Op::Compute { time } => Instr::Compute { ps: time.as_ps() },
                Op::Lock { name } => Instr::Lock {
                    lock: self.next_lock(name),
                },
                Op::Unlock { name } => Instr::Unlock {
                    lock: self.next_lock(name),
                },
                Op::Rlock { name } => Instr::Rlock {
                    lock: self.next_lock(name),
                },
                Op::Runlock { name } => Instr::Runlock {
                    lock: self.next_lock(name),
                },
            };
            // An op with nothing to do (n = 0, bytes = 0) is dropped, so a loop of them is
            // empty and dropped too.
            if instr.units() > 0 {
                self.push(instr, &label);
            }
        }
        Ok(())
    }
}

/// An op's label for profiles: its path and what it does, e.g. `program[1].body[0] insert m`.
fn op_label(path: &str, op: &Op) -> String {
    match op {
        Op::Insert { map, .. } => format!("{path} insert {map}"),
        Op::Delete { map, .. } => format!("{path} delete {map}"),
        Op::Churn { map, .. } => format!("{path} churn {map}"),
        Op::Read { map, .. } => format!("{path} read {map}"),
        Op::Iterate { map } => format!("{path} iterate {map}"),
        Op::Append { slice, .. } => format!("{path} append {slice}"),
        Op::Reset { slice } => format!("{path} reset {slice}"),
        Op::Drop { slice } => format!("{path} drop {slice}"),
        Op::Loop { .. } => format!("{path} loop"),
        Op::Request { name, .. } => format!("{path} request {name}"),
        Op::Alloc { .. } => format!("{path} alloc"),
        Op::Retain { .. } => format!("{path} retain"),
        Op::Free { .. } => format!("{path} free"),
        Op::Compute { .. } => format!("{path} compute"),
        Op::Lock { name } => format!("{path} lock {name}"),
        Op::Unlock { name } => format!("{path} unlock {name}"),
        Op::Rlock { name } => format!("{path} rlock {name}"),
        Op::Runlock { name } => format!("{path} runlock {name}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ins(n: u64) -> Op {
        Op::Insert { map: "m".into(), n }
    }

    #[test]
    fn loops_become_markers_and_empty_loops_vanish() {
        let ops = vec![
            ins(1),
            Op::Loop {
                times: 3,
                duration: None,
                body: vec![
                    ins(2),
                    Op::Loop {
                        times: 5,
                        duration: None,
                        body: vec![],
                    },
                ],
            },
            Op::Loop {
                times: 0,
                duration: None,
                body: vec![ins(9)],
            },
        ];
        let p = Program::compile(&ops, &|n, _| (n == "m").then_some(0), &mut Vec::new()).unwrap();
        assert_eq!(
            p.instrs,
            vec![
                Instr::Insert { map: 0, n: 1 },
                Instr::Loop { times: 3 },
                Instr::Insert { map: 0, n: 2 },
                Instr::EndLoop { start: 1 },
            ]
        );
    }
}
