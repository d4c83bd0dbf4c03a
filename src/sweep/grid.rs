//! Parameter grids: axes over any scenario field (`runtime.gogc=25..400*2`), their cartesian
//! product, and seeds (`1..8`). Values stay text: each is applied as a `--set` override, so any
//! field and any unit the scenario accepts can be swept.

use crate::scenario::units::Bytes;

/// One axis: a scenario field and the values it takes, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Axis {
    /// The scenario field path, as `--set` takes it.
    pub field: String,
    /// The values, as override text.
    pub values: Vec<String>,
}

/// A grid or seed range that does not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{flag} {text}: {message}")]
pub struct GridError {
    /// The option it was given to: `--grid` or `--seeds`.
    pub flag: &'static str,
    /// The text that does not parse.
    pub text: String,
    /// What is wrong with it.
    pub message: String,
}

/// The largest grid, in runs: beyond it a sweep is surely a typo.
pub const MAX_RUNS: u64 = 10_000_000;

impl Axis {
    /// Parses `field=v1,v2,...`, `field=a..b*k` (geometric: a, a·k, … up to b) or
    /// `field=a..b+k` (arithmetic). Endpoints are integers or sizes (`64MiB..1GiB*2`).
    pub fn parse(text: &str) -> Result<Axis, GridError> {
        let err = |message: &str| GridError {
            flag: "--grid",
            text: text.to_string(),
            message: message.to_string(),
        };
        let (field, spec) = text
            .split_once('=')
            .ok_or_else(|| err("expected FIELD=VALUES, e.g. runtime.gogc=50,100,200"))?;
        let field = field.trim();
        if field.is_empty() {
            return Err(err("the field name is empty"));
        }
        let values = parse_values(spec.trim()).map_err(|m| err(&m))?;
        if values.is_empty() {
            return Err(err("no values"));
        }
        Ok(Axis {
            field: field.to_string(),
            values,
        })
    }
}

/// The values of one axis.
fn parse_values(spec: &str) -> Result<Vec<String>, String> {
    if let Some((from, rest)) = spec.split_once("..") {
        let (to, step, geometric) = if let Some((to, k)) = rest.split_once('*') {
            (to, k, true)
        } else if let Some((to, k)) = rest.split_once('+') {
            (to, k, false)
        } else {
            return Err("a range needs a step: a..b*k (geometric) or a..b+k (arithmetic)".into());
        };
        let (a, unit) = number(from)?;
        let (b, unit_b) = number(to)?;
        if unit != unit_b {
            return Err("both ends of a range must be numbers, or both sizes".into());
        }
        let k: u64 = step
            .trim()
            .parse()
            .map_err(|_| format!("the step `{step}` must be a whole number"))?;
        if b < a {
            return Err("a range must go up: a <= b".into());
        }
        if (geometric && k < 2) || (!geometric && k == 0) {
            return Err("the step must grow the value (*k with k >= 2, +k with k >= 1)".into());
        }
        let mut out = Vec::new();
        let mut v = a;
        while v <= b {
            out.push(if unit {
                Bytes(v).to_string()
            } else {
                v.to_string()
            });
            if out.len() as u64 > MAX_RUNS {
                return Err(format!("more than {MAX_RUNS} values"));
            }
            v = if geometric {
                if v == 0 {
                    return Err("a geometric range cannot start at 0".into());
                }
                match v.checked_mul(k) {
                    Some(n) => n,
                    None => break,
                }
            } else {
                match v.checked_add(k) {
                    Some(n) => n,
                    None => break,
                }
            };
        }
        return Ok(out);
    }
    Ok(spec
        .split(',')
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty())
        .collect())
}

/// A range endpoint: an integer, or a size (then true).
fn number(text: &str) -> Result<(u64, bool), String> {
    let t = text.trim();
    if let Ok(n) = t.parse::<u64>() {
        return Ok((n, false));
    }
    t.parse::<Bytes>()
        .map(|b| (b.0, true))
        .map_err(|_| format!("`{t}` is neither a whole number nor a size such as 64MiB"))
}

/// Parses `--seeds`: `N` (1..N), `a..b` (inclusive) or a list `1,5,9`.
pub fn parse_seeds(text: &str) -> Result<Vec<u64>, GridError> {
    let err = |message: &str| GridError {
        flag: "--seeds",
        text: text.to_string(),
        message: message.to_string(),
    };
    let t = text.trim();
    let seeds: Vec<u64> = if let Some((a, b)) = t.split_once("..") {
        let a: u64 = a
            .trim()
            .parse()
            .map_err(|_| err("expected a..b of whole numbers"))?;
        let b: u64 = b
            .trim()
            .parse()
            .map_err(|_| err("expected a..b of whole numbers"))?;
        if b < a {
            return Err(err("a seed range must go up"));
        }
        if b - a >= MAX_RUNS {
            return Err(err("too many seeds"));
        }
        (a..=b).collect()
    } else if t.contains(',') {
        t.split(',')
            .map(|s| s.trim().parse().map_err(|_| err("seeds are whole numbers")))
            .collect::<Result<_, _>>()?
    } else {
        let n: u64 = t.parse().map_err(|_| err("expected N, a..b or a list"))?;
        if n == 0 || n > MAX_RUNS {
            return Err(err(&format!(
                "the number of seeds must be from 1 to {MAX_RUNS}"
            )));
        }
        (1..=n).collect()
    };
    Ok(seeds)
}

/// A grid: the axes' cartesian product (the first axis varies slowest), times the seeds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grid {
    /// The axes, the first varying slowest.
    pub axes: Vec<Axis>,
    /// The seeds each grid point runs with.
    pub seeds: Vec<u64>,
}

impl Grid {
    /// Number of grid points (without seeds).
    pub fn points(&self) -> usize {
        self.axes.iter().map(|a| a.values.len()).product()
    }

    /// The values of point `p`, one per axis.
    pub fn point(&self, mut p: usize) -> Vec<&str> {
        let mut out = vec![""; self.axes.len()];
        for (i, axis) in self.axes.iter().enumerate().rev() {
            let n = axis.values.len();
            out[i] = &axis.values[p % n];
            p /= n;
        }
        out
    }

    /// Number of runs: points × seeds.
    pub fn runs(&self) -> usize {
        self.points() * self.seeds.len()
    }

    /// Run `r` as (point, seed): the seeds of a point are consecutive runs.
    pub fn run(&self, r: usize) -> (usize, u64) {
        (r / self.seeds.len(), self.seeds[r % self.seeds.len()])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_and_lists() {
        let a = Axis::parse("runtime.gogc=25..400*2").unwrap();
        assert_eq!(a.field, "runtime.gogc");
        assert_eq!(a.values, ["25", "50", "100", "200", "400"]);
        assert_eq!(
            Axis::parse("x=10..50+10").unwrap().values,
            ["10", "20", "30", "40", "50"]
        );
        assert_eq!(
            Axis::parse("runtime.gomemlimit=off, 256MiB")
                .unwrap()
                .values,
            ["off", "256MiB"]
        );
        assert_eq!(
            Axis::parse("heap.live=64MiB..256MiB*2").unwrap().values,
            ["64MiB", "128MiB", "256MiB"]
        );
        for bad in [
            "gogc", "=1,2", "x=1..9", "x=9..1+1", "x=1..9*1", "x=0..9*2", "x=a..b+1",
        ] {
            assert!(Axis::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn seeds_and_the_cartesian_order() {
        assert_eq!(parse_seeds("3").unwrap(), [1, 2, 3]);
        assert_eq!(parse_seeds("5..7").unwrap(), [5, 6, 7]);
        assert_eq!(parse_seeds("9,2").unwrap(), [9, 2]);
        assert!(parse_seeds("0").is_err() && parse_seeds("7..5").is_err());
        let g = Grid {
            axes: vec![
                Axis::parse("a=1,2").unwrap(),
                Axis::parse("b=x,y,z").unwrap(),
            ],
            seeds: vec![1, 2],
        };
        assert_eq!((g.points(), g.runs()), (6, 12));
        assert_eq!(g.point(0), ["1", "x"]);
        assert_eq!(g.point(4), ["2", "y"]);
        assert_eq!(g.run(5), (2, 2));
    }
}
