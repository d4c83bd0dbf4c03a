//! Sweeps: one scenario over a grid of settings and seeds, run in parallel, written as tidy
//! CSV (sweep.csv, a row per run; points.csv, a row per grid point aggregated over seeds).
//! Results are collected in input order, so the bytes do not depend on the thread count,
//! and a sweep can be cut into shards whose merge is byte-identical to the whole.

pub mod grid;
pub mod journal;
pub mod summary;
pub mod table;

use rayon::prelude::*;

pub use grid::{Axis, Grid, GridError};
pub use summary::summary_table;
pub use table::{Row, points_csv, rows_from_csv, sweep_csv};

use crate::scenario::{self, Override};

/// What to sweep.
#[derive(Debug, Clone)]
pub struct Sweep {
    /// The scenario file's text.
    pub text: String,
    /// The scenario file's label for errors.
    pub label: String,
    /// `--set` overrides applied to every run, before the grid's.
    pub base: Vec<Override>,
    /// The grid points and seeds to run.
    pub grid: Grid,
}

impl Sweep {
    /// The overrides of run `r`: the base ones, the point's values, the seed.
    fn overrides(&self, r: usize) -> Vec<Override> {
        let (point, seed) = self.grid.run(r);
        let mut o = self.base.clone();
        for (axis, value) in self.grid.axes.iter().zip(self.grid.point(point)) {
            o.push(Override {
                key: axis.field.clone(),
                value: value.to_string(),
            });
        }
        o.push(Override {
            key: "seed".into(),
            value: seed.to_string(),
        });
        o
    }

    /// What makes this sweep itself, for telling its shards from another sweep's: a 64-bit
    /// FNV-1a hash of the scenario text, the `--set` overrides, the grid and the seeds.
    pub fn identity(&self) -> String {
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        let mut eat = |s: &str| {
            for b in s.bytes().chain(std::iter::once(0)) {
                h ^= u64::from(b);
                h = h.wrapping_mul(0x0000_0100_0000_01b3);
            }
        };
        eat(&self.text);
        for o in &self.base {
            eat(&o.key);
            eat(&o.value);
        }
        for a in &self.grid.axes {
            eat(&a.field);
            for v in &a.values {
                eat(v);
            }
        }
        for seed in &self.grid.seeds {
            eat(&seed.to_string());
        }
        format!("{h:016x}")
    }

    /// Checks that every grid point makes a valid scenario that fits in memory and is
    /// estimated at no more than `max_ops` operations, before anything runs.
    pub fn validate(&self, max_ops: u64) -> Result<(), crate::Error> {
        let seeds = self.grid.seeds.len();
        for p in 0..self.grid.points() {
            let sc = scenario::parse_str(&self.text, &self.label, &self.overrides(p * seeds))
                .map_err(|mut e| {
                    // A grid value's error is --grid's, not --set's.
                    if let Some(rest) = e.file.strip_prefix("--set ")
                        && self
                            .grid
                            .axes
                            .iter()
                            .any(|a| rest.starts_with(&format!("{}=", a.field)))
                    {
                        e.file = format!("--grid {rest}");
                    }
                    e
                })?;
            let at = || {
                let settings: Vec<String> = self
                    .grid
                    .axes
                    .iter()
                    .zip(self.grid.point(p))
                    .map(|(a, v)| format!("{}={v}", a.field))
                    .collect();
                format!("{} at grid point {}", self.label, settings.join(" "))
            };
            crate::check_memory(&sc).map_err(|e| e.in_file(at()))?;
            crate::check_work(&sc, max_ops).map_err(|e| e.in_file(at()))?;
        }
        Ok(())
    }

    /// Whether any grid point's scenario draws on the seed ([`scenario::Scenario::draws_on_seed`]):
    /// if none does, its seeds give identical runs.
    pub fn draws_on_seed(&self) -> bool {
        let seeds = self.grid.seeds.len();
        (0..self.grid.points()).any(|p| {
            scenario::parse_str(&self.text, &self.label, &self.overrides(p * seeds))
                .is_ok_and(|sc| sc.draws_on_seed())
        })
    }

    /// Runs run `r` and returns its row.
    pub fn run(&self, r: usize) -> Result<Row, crate::Error> {
        Ok(self
            .run_until(r, None)?
            .expect("a run without a stop flag ends"))
    }

    /// [`Sweep::run`], stopped where it is once `stop` is set: `None` then (a run cut short
    /// has no row).
    pub fn run_until(
        &self,
        r: usize,
        stop: Option<&std::sync::Arc<std::sync::atomic::AtomicBool>>,
    ) -> Result<Option<Row>, crate::Error> {
        let sc = scenario::parse_str(&self.text, &self.label, &self.overrides(r))?;
        let (point, seed) = self.grid.run(r);
        let values = self
            .grid
            .point(point)
            .iter()
            .map(|v| v.to_string())
            .collect();
        let options = crate::RunOptions {
            stop: stop.cloned(),
            ..Default::default()
        };
        let row = match crate::run_with(&sc, &options) {
            Ok(o) if o.stopped => return Ok(None),
            Ok(o) => Row::from_outcome(r, point, seed, values, &o),
            Err(crate::Error::TooLong) => {
                Row::failed(r, point, seed, values, "virtual clock overflow")
            }
            Err(crate::Error::TooManyCycles { .. }) => {
                Row::failed(r, point, seed, values, "GC cycle limit")
            }
            Err(e) => return Err(e),
        };
        Ok(Some(row))
    }

    /// Runs `runs` in parallel (on the current rayon pool) and returns their rows in the
    /// order of `runs`; `done` is called after each run (for progress).
    pub fn run_all(
        &self,
        runs: &[usize],
        done: &(dyn Fn(&Row) -> Result<(), crate::Error> + Sync),
    ) -> Result<Vec<Row>, crate::Error> {
        self.run_all_until(runs, done, None)
    }

    /// [`Sweep::run_all`] until `stop` is set: runs not started then are skipped, and a run
    /// in progress is abandoned; the rows returned are those of the runs that finished.
    pub fn run_all_until(
        &self,
        runs: &[usize],
        done: &(dyn Fn(&Row) -> Result<(), crate::Error> + Sync),
        stop: Option<&std::sync::Arc<std::sync::atomic::AtomicBool>>,
    ) -> Result<Vec<Row>, crate::Error> {
        let stopped = || stop.is_some_and(|s| s.load(std::sync::atomic::Ordering::Relaxed));
        let rows: Vec<Option<Row>> = runs
            .par_iter()
            .map(|&r| {
                if stopped() {
                    return Ok(None);
                }
                let row = self.run_until(r, stop)?;
                if let Some(row) = &row {
                    done(row)?;
                }
                Ok(row)
            })
            .collect::<Result<_, crate::Error>>()?;
        Ok(rows.into_iter().flatten().collect())
    }
}

/// Which slice of a sweep a process runs: shard `index` (0-based) of `count`, each run
/// going to shard `run % count`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    /// This shard, 0-based.
    pub index: usize,
    /// How many shards the sweep is cut into.
    pub count: usize,
}

impl Shard {
    /// The runs of this shard among `total`.
    pub fn runs(&self, total: usize) -> Vec<usize> {
        (0..total)
            .filter(|r| r % self.count == self.index)
            .collect()
    }
}

/// A `--shard` that does not parse or cannot be read from the environment.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("--shard {text}: {message}")]
pub struct ShardError {
    /// The `--shard` text.
    pub text: String,
    /// What is wrong with it.
    pub message: String,
}

impl Shard {
    /// Parses `I/N` (1-based I), `auto` (Slurm: SLURM_ARRAY_TASK_ID − SLURM_ARRAY_TASK_MIN
    /// of SLURM_ARRAY_TASK_COUNT) or `auto/N` (Kubernetes Indexed Job: JOB_COMPLETION_INDEX
    /// of N). `env` looks up environment variables.
    pub fn parse(text: &str, env: &dyn Fn(&str) -> Option<String>) -> Result<Shard, ShardError> {
        let err = |message: String| ShardError {
            text: text.to_string(),
            message,
        };
        let num = |name: &str| -> Result<usize, ShardError> {
            let v = env(name).ok_or_else(|| err(format!("{name} is not set")))?;
            v.trim()
                .parse()
                .map_err(|_| err(format!("{name}={v} is not a whole number")))
        };
        let shard = if text == "auto" {
            let id = num("SLURM_ARRAY_TASK_ID")?;
            let min = env("SLURM_ARRAY_TASK_MIN").map_or(Ok(0), |_| num("SLURM_ARRAY_TASK_MIN"))?;
            let count = num("SLURM_ARRAY_TASK_COUNT")?;
            Shard {
                index: id
                    .checked_sub(min)
                    .ok_or_else(|| err("task id below the array's minimum".into()))?,
                count,
            }
        } else if let Some(n) = text.strip_prefix("auto/") {
            let count = n.parse().map_err(|_| err("expected auto/N".into()))?;
            Shard {
                index: num("JOB_COMPLETION_INDEX")?,
                count,
            }
        } else {
            let (i, n) = text
                .split_once('/')
                .ok_or_else(|| err("expected I/N, auto or auto/N".into()))?;
            let i: usize = i
                .parse()
                .map_err(|_| err("I must be a whole number".into()))?;
            let count: usize = n
                .parse()
                .map_err(|_| err("N must be a whole number".into()))?;
            if i == 0 {
                return Err(err("shards are numbered from 1".into()));
            }
            Shard {
                index: i - 1,
                count,
            }
        };
        if shard.count == 0 || shard.index >= shard.count {
            return Err(err(format!(
                "shard {} of {} does not exist",
                shard.index + 1,
                shard.count
            )));
        }
        Ok(shard)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_from_flags_and_environment() {
        let none = |_: &str| None;
        assert_eq!(
            Shard::parse("2/4", &none).unwrap(),
            Shard { index: 1, count: 4 }
        );
        assert!(Shard::parse("0/4", &none).is_err());
        assert!(Shard::parse("5/4", &none).is_err());
        assert!(Shard::parse("auto", &none).is_err());
        let slurm = |k: &str| match k {
            "SLURM_ARRAY_TASK_ID" => Some("3".into()),
            "SLURM_ARRAY_TASK_MIN" => Some("1".into()),
            "SLURM_ARRAY_TASK_COUNT" => Some("8".into()),
            _ => None,
        };
        assert_eq!(
            Shard::parse("auto", &slurm).unwrap(),
            Shard { index: 2, count: 8 }
        );
        let k8s = |k: &str| (k == "JOB_COMPLETION_INDEX").then(|| "0".to_string());
        assert_eq!(
            Shard::parse("auto/5", &k8s).unwrap(),
            Shard { index: 0, count: 5 }
        );
        assert_eq!(Shard { index: 1, count: 3 }.runs(8), vec![1, 4, 7]);
    }
}
