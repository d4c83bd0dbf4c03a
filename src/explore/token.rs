//! Replay tokens: a short printable name for one schedule. `s<seed>-t<hex>` is a timing run,
//! `-r<hex>` a random one, `-p<depth>.<steps>.<hex>` a PCT one, `-d<decisions>` an explicit
//! list of decisions (each the index of the chosen goroutine among the runnable ones, one
//! base-36 digit, or `(n)` past 35; `(d*k)` is decision d taken k times in a row, for the
//! long runs of one goroutine). `<seed>` is the scenario's seed.

use std::fmt;
use std::str::FromStr;

/// One schedule, replayable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Token {
    /// A run of the timing strategy.
    Timing {
        /// The scenario's seed.
        scenario_seed: u64,
        /// The seed of the run's jitter.
        seed: u64,
    },
    /// A run of the random strategy.
    Random {
        /// The scenario's seed.
        scenario_seed: u64,
        /// The seed of the run's choices.
        seed: u64,
    },
    /// A run of PCT.
    Pct {
        /// The scenario's seed.
        scenario_seed: u64,
        /// PCT's depth d.
        depth: u32,
        /// PCT's k: the steps of one run, measured before the exploration.
        max_steps: u64,
        /// The seed of the run's priorities and change points.
        seed: u64,
    },
    /// A schedule given decision by decision (the exhaustive search's, a shrunk one's).
    Decisions {
        /// The scenario's seed.
        scenario_seed: u64,
        /// At each step with more than one runnable goroutine, the index of the chosen one
        /// among them; past the end, the first.
        decisions: Vec<u32>,
    },
}

impl Token {
    /// The scenario's seed the schedule ran with.
    pub fn scenario_seed(&self) -> u64 {
        match *self {
            Token::Timing { scenario_seed, .. }
            | Token::Random { scenario_seed, .. }
            | Token::Pct { scenario_seed, .. }
            | Token::Decisions { scenario_seed, .. } => scenario_seed,
        }
    }
}

impl fmt::Display for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Token::Timing {
                scenario_seed,
                seed,
            } => write!(f, "s{scenario_seed}-t{seed:x}"),
            Token::Random {
                scenario_seed,
                seed,
            } => write!(f, "s{scenario_seed}-r{seed:x}"),
            Token::Pct {
                scenario_seed,
                depth,
                max_steps,
                seed,
            } => write!(f, "s{scenario_seed}-p{depth}.{max_steps}.{seed:x}"),
            Token::Decisions {
                scenario_seed,
                decisions,
            } => {
                write!(f, "s{scenario_seed}-d")?;
                for run in decisions.chunk_by(|a, b| a == b) {
                    let d = run[0];
                    if run.len() >= RUN_MIN {
                        write!(f, "({d}*{})", run.len())?;
                        continue;
                    }
                    for _ in run {
                        if d < 36 {
                            let c = char::from_digit(d, 36).expect("below 36");
                            write!(f, "{c}")?;
                        } else {
                            write!(f, "({d})")?;
                        }
                    }
                }
                Ok(())
            }
        }
    }
}

/// Runs of one decision at least this long are written `(d*k)`.
const RUN_MIN: usize = 8;

/// Most decisions a token may hold (a bound on what a typed-in token can make replay
/// allocate).
const MAX_DECISIONS: usize = 1 << 28;

/// `token` as a shell word: quoted when it holds characters a shell would read (the
/// parentheses of decision runs), so that a printed replay command can be pasted.
pub fn shell_word(token: &str) -> std::borrow::Cow<'_, str> {
    if token
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_'))
    {
        std::borrow::Cow::Borrowed(token)
    } else {
        std::borrow::Cow::Owned(format!("'{token}'"))
    }
}

/// A token that does not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "invalid schedule token `{0}`: expected s<seed>-t<hex>, s<seed>-r<hex>, \
     s<seed>-p<depth>.<steps>.<hex> or s<seed>-d<decisions>, as `gomemsim race` prints them"
)]
pub struct TokenError(pub String);

impl FromStr for Token {
    type Err = TokenError;

    fn from_str(s: &str) -> Result<Token, TokenError> {
        let bad = || TokenError(s.to_string());
        let rest = s.strip_prefix('s').ok_or_else(bad)?;
        let (seed, body) = rest.split_once('-').ok_or_else(bad)?;
        let scenario_seed: u64 = seed.parse().map_err(|_| bad())?;
        let mut chars = body.chars();
        let kind = chars.next().ok_or_else(bad)?;
        let payload = chars.as_str();
        let hex = |t: &str| u64::from_str_radix(t, 16).map_err(|_| bad());
        match kind {
            't' => Ok(Token::Timing {
                scenario_seed,
                seed: hex(payload)?,
            }),
            'r' => Ok(Token::Random {
                scenario_seed,
                seed: hex(payload)?,
            }),
            'p' => {
                let mut parts = payload.split('.');
                let depth = parts.next().and_then(|p| p.parse().ok()).ok_or_else(bad)?;
                let max_steps = parts.next().and_then(|p| p.parse().ok()).ok_or_else(bad)?;
                let seed = hex(parts.next().ok_or_else(bad)?)?;
                if parts.next().is_some() {
                    return Err(bad());
                }
                Ok(Token::Pct {
                    scenario_seed,
                    depth,
                    max_steps,
                    seed,
                })
            }
            'd' => {
                let mut decisions = Vec::new();
                let mut it = payload.chars();
                while let Some(c) = it.next() {
                    if c == '(' {
                        let n: String = it.by_ref().take_while(|&c| c != ')').collect();
                        let (d, k) = match n.split_once('*') {
                            Some((d, k)) => (d, k.parse::<usize>().map_err(|_| bad())?),
                            None => (n.as_str(), 1),
                        };
                        let d: u32 = d.parse().map_err(|_| bad())?;
                        if k > MAX_DECISIONS - decisions.len() {
                            return Err(bad());
                        }
                        decisions.extend(std::iter::repeat_n(d, k));
                    } else {
                        decisions.push(c.to_digit(36).ok_or_else(bad)?);
                    }
                    if decisions.len() > MAX_DECISIONS {
                        return Err(bad());
                    }
                }
                Ok(Token::Decisions {
                    scenario_seed,
                    decisions,
                })
            }
            _ => Err(bad()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_round_trip() {
        for t in [
            Token::Timing {
                scenario_seed: 1,
                seed: 0xdead_beef,
            },
            Token::Random {
                scenario_seed: 7,
                seed: 0,
            },
            Token::Pct {
                scenario_seed: 3,
                depth: 3,
                max_steps: 240,
                seed: u64::MAX,
            },
            Token::Decisions {
                scenario_seed: 1,
                decisions: vec![0, 1, 35, 36, 1000, 2],
            },
            Token::Decisions {
                scenario_seed: 2,
                decisions: [vec![0; 100_000], vec![1], vec![40; 9], vec![3; 7]].concat(),
            },
        ] {
            let text = t.to_string();
            assert_eq!(text.parse::<Token>(), Ok(t), "{text}");
        }
        assert_eq!(
            Token::Decisions {
                scenario_seed: 1,
                decisions: vec![1, 0, 10, 36]
            }
            .to_string(),
            "s1-d10a(36)"
        );
        // Runs of 8 or more are counted; shorter ones are spelled out.
        assert_eq!(
            Token::Decisions {
                scenario_seed: 1,
                decisions: [vec![0; 8], vec![1; 7], vec![36; 8]].concat()
            }
            .to_string(),
            "s1-d(0*8)1111111(36*8)"
        );
        assert_eq!(shell_word("s1-t3f2a9c"), "s1-t3f2a9c");
        assert_eq!(shell_word("s1-d(1*8)22"), "'s1-d(1*8)22'");
        for bad in [
            "",
            "x",
            "s1",
            "s1-q0",
            "s1-tzz",
            "s1-p3.x.1",
            "s1-d!",
            "s1-d(1*x)",
            "s1-d(1*99999999999)",
            "sx-t1",
        ] {
            assert!(bad.parse::<Token>().is_err(), "{bad}");
        }
    }
}
