//! A log's cycle lines cut into program runs: cycle numbers only grow within one process, so
//! a number that does not (`gc 1` again, or any smaller or equal number) starts another run.
//! The fit uses the longest run; the cuts, and the cycles missing inside the run used, are
//! kept to be reported.

use crate::gctrace::{CycleLine, ParsedCycle};

/// Why the log was cut between two cycle lines.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CutReason {
    /// The numbers start again at `gc 1`: another process.
    Restart,
    /// The number went down, not to 1: logs joined out of order, or two processes mixed.
    Backwards,
    /// The same number again, on a line that is not an exact repeat.
    Repeat,
}

/// Two consecutive cycle lines whose numbers do not grow: the second starts a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cut {
    /// Line number (from 1) and cycle number of the last line of the run before.
    pub before: (usize, u32),
    /// Line number and cycle number of the first line of the run after.
    pub after: (usize, u32),
    /// Why the numbers say it is another run.
    pub reason: CutReason,
}

/// One run of cycle lines with growing numbers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Run {
    /// Line number and cycle number of its first line.
    pub first: (usize, u32),
    /// Line number and cycle number of its last line.
    pub last: (usize, u32),
    /// Its cycle lines.
    pub cycles: usize,
}

/// Cycle numbers that skip inside the run used: lines lost from the log.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Gaps {
    /// Places where the numbers skip.
    pub places: usize,
    /// Cycles missing in all.
    pub missing: u64,
    /// The first place: line and cycle number before it, line and cycle number after it.
    pub first: Option<((usize, u32), (usize, u32))>,
}

/// How the log's cycle lines were cut into runs, and which run the fit uses.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Split {
    /// The runs in log order.
    pub runs: Vec<Run>,
    /// The cuts between them, in log order (one fewer than the runs).
    pub cuts: Vec<Cut>,
    /// Index in `runs` of the run used: the longest, the earliest of equals.
    pub used: usize,
    /// Cycle numbers that skip inside the run used.
    pub gaps: Gaps,
}

impl Split {
    /// Cycle lines of the runs not used.
    pub fn dropped_cycles(&self) -> usize {
        let all: usize = self.runs.iter().map(|r| r.cycles).sum();
        all - self.runs.get(self.used).map_or(0, |r| r.cycles)
    }
}

/// Cuts `lines` into runs and returns the cycles of the longest with how the log was cut.
pub fn split_runs(lines: &[CycleLine]) -> (Vec<ParsedCycle>, Split) {
    let mut split = Split::default();
    let mut bounds: Vec<(usize, usize)> = Vec::new();
    for (i, l) in lines.iter().enumerate() {
        let at = (l.line, l.cycle.n);
        match i.checked_sub(1).map(|j| &lines[j]) {
            Some(prev) if l.cycle.n > prev.cycle.n => {
                if let (Some(b), Some(r)) = (bounds.last_mut(), split.runs.last_mut()) {
                    b.1 = i + 1;
                    r.last = at;
                    r.cycles += 1;
                }
            }
            prev => {
                if let Some(prev) = prev {
                    let reason = match l.cycle.n {
                        1 => CutReason::Restart,
                        n if n == prev.cycle.n => CutReason::Repeat,
                        _ => CutReason::Backwards,
                    };
                    split.cuts.push(Cut {
                        before: (prev.line, prev.cycle.n),
                        after: at,
                        reason,
                    });
                }
                bounds.push((i, i + 1));
                split.runs.push(Run {
                    first: at,
                    last: at,
                    cycles: 1,
                });
            }
        }
    }
    // The longest run; `max_by_key` keeps the last of equals, so reversed, the earliest.
    split.used = (0..split.runs.len())
        .rev()
        .max_by_key(|&i| split.runs[i].cycles)
        .unwrap_or(0);
    let Some(&(from, to)) = bounds.get(split.used) else {
        return (Vec::new(), split);
    };
    let used = &lines[from..to];
    for w in used.windows(2) {
        let skipped = u64::from(w[1].cycle.n - w[0].cycle.n - 1);
        if skipped > 0 {
            let g = &mut split.gaps;
            g.places += 1;
            g.missing += skipped;
            g.first
                .get_or_insert(((w[0].line, w[0].cycle.n), (w[1].line, w[1].cycle.n)));
        }
    }
    (used.iter().map(|l| l.cycle.clone()).collect(), split)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gctrace::read_gctrace;

    fn line(n: u32) -> String {
        format!(
            "gc {n} @{n}.000s 1%: 0.01+1.0+0.02 ms clock, 0.02+0.1/0.5/0.3+0.04 ms cpu, \
             10->11->5 MB, 10 MB goal, 0 MB stacks, 0 MB globals, 4 P\n"
        )
    }

    fn log(ns: &[u32]) -> String {
        ns.iter().map(|&n| line(n)).collect()
    }

    #[test]
    fn one_run_no_cut() {
        let (cycles, split) = split_runs(&read_gctrace(&log(&[1, 2, 3])).cycles);
        assert_eq!(cycles.len(), 3);
        assert_eq!((split.runs.len(), split.cuts.len(), split.used), (1, 0, 0));
        assert_eq!(split.dropped_cycles(), 0);
        assert_eq!(split.gaps, Gaps::default());
    }

    #[test]
    fn cuts_say_why_and_the_longest_run_is_used() {
        // The last line repeats gc 3 at another time: not an exact repeat, another run.
        let text = log(&[1, 2, 1, 2, 3, 4, 2, 3]) + &line(3).replace("@3.000s", "@9.000s");
        let (cycles, split) = split_runs(&read_gctrace(&text).cycles);
        assert_eq!(cycles.iter().map(|c| c.n).collect::<Vec<_>>(), [1, 2, 3, 4]);
        assert_eq!(split.used, 1);
        assert_eq!(split.runs[1].first, (3, 1));
        assert_eq!(split.runs[1].last, (6, 4));
        let reasons: Vec<CutReason> = split.cuts.iter().map(|c| c.reason).collect();
        assert_eq!(
            reasons,
            [CutReason::Restart, CutReason::Backwards, CutReason::Repeat]
        );
        assert_eq!(split.cuts[1].before, (6, 4));
        assert_eq!(split.cuts[1].after, (7, 2));
        assert_eq!(split.dropped_cycles(), 5);
    }

    #[test]
    fn ties_keep_the_earliest_run_and_gaps_are_counted() {
        let (cycles, split) = split_runs(&read_gctrace(&log(&[3, 5, 9, 1, 2, 3])).cycles);
        assert_eq!(split.used, 0);
        assert_eq!(cycles[0].n, 3);
        assert_eq!(split.gaps.places, 2);
        assert_eq!(split.gaps.missing, 4);
        assert_eq!(split.gaps.first, Some(((1, 3), (2, 5))));
    }
}
