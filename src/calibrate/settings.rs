//! Which GOGC and GOMEMLIMIT a log ran under, read from its heap goals when the user does not
//! say. Only the goal's shape is used: under GOGC it follows the marked heap, under a binding
//! memory limit it stays flat whatever the marked heap does.

use crate::gctrace::ParsedCycle;
use crate::scenario::Gogc;

use super::observed::MIB;

/// Smallest previous marked heap whose goal is used to infer GOGC: below this, whole-MiB
/// truncation makes the ratio too coarse (and runtime/mgcpacer.go: heapMinimum, 4 MiB at
/// GOGC=100, may set the goal instead).
pub const MIN_MARKED_MIB: u64 = 8;

/// A size printed by gctrace (`v` MiB truncated) as its most likely value in bytes: the middle
/// of the MiB it stands for.
pub fn mib_mid(v: u64) -> f64 {
    (v as f64 + 0.5) * MIB
}

/// Scannable roots of a cycle in bytes: `S MB stacks` + `X MB globals`, with a line's `0 MB`
/// read as the small runtime's own (under a MiB; 128 KiB).
pub fn roots_bytes(c: &ParsedCycle) -> f64 {
    let part = |v: Option<u64>, zero: f64| match v {
        Some(0) | None => zero,
        Some(v) => mib_mid(v),
    };
    part(c.stacks_mb, 8.0 * 1024.0) + part(c.globals_mb, 120.0 * 1024.0)
}

/// What the heap goals say about the settings.
#[derive(Debug, Clone, PartialEq)]
pub struct GoalShape {
    /// GOGC implied by each goal and the previous cycle's marked heap
    /// (runtime/mgcpacer.go: commit — goal = marked + (marked + stacks + globals) × GOGC/100).
    pub gogc: Option<u32>,
    /// The goals do not follow the marked heap but stay flat: a binding memory limit sets
    /// them (runtime/mgcpacer.go: memoryLimitHeapGoal).
    pub limit_bound: bool,
    /// The median goal, in bytes.
    pub median_goal_bytes: f64,
    /// `gogc` set the goals that stay under a flat top the limit holds (both acting): see
    /// [`gogc_under_limit`].
    pub gogc_under_limit: bool,
}

fn median(mut v: Vec<f64>) -> Option<f64> {
    if v.is_empty() {
        return None;
    }
    v.sort_by(f64::total_cmp);
    Some(v[v.len() / 2])
}

/// Consecutive cycles whose goal the previous one's marked heap set, at a size where
/// gctrace's MiB truncation leaves the ratio readable: (previous, next).
fn goal_pairs(cycles: &[ParsedCycle]) -> impl Iterator<Item = (&ParsedCycle, &ParsedCycle)> {
    cycles
        .windows(2)
        .map(|w| (&w[0], &w[1]))
        .filter(|(prev, c)| prev.heap_marked_mb >= MIN_MARKED_MIB && c.n == prev.n + 1)
}

/// The GOGC a pair implies from the middle of each printed MiB
/// (runtime/mgcpacer.go: commit — goal = marked + (marked + stacks + globals) × GOGC/100).
fn implied_gogc(prev: &ParsedCycle, c: &ParsedCycle) -> f64 {
    let marked = mib_mid(prev.heap_marked_mb);
    100.0 * (mib_mid(c.goal_mb) - marked) / (marked + roots_bytes(c))
}

/// The GOGCs (as fractions) a pair admits: the true marked heap lies in [m, m+1), the goal
/// in [g, g+1), the roots in their printed range, all in MiB.
fn admitted_gogc(prev: &ParsedCycle, c: &ParsedCycle) -> (f64, f64) {
    let (m, g) = (prev.heap_marked_mb as f64, c.goal_mb as f64);
    let (lo, hi) = roots_mib_range(c);
    ((g - m - 1.0) / (m + 1.0 + hi), (g + 1.0 - m) / (m + lo))
}

/// Reads the settings' fingerprints off the goals of consecutive cycles.
pub fn goal_shape(cycles: &[ParsedCycle]) -> GoalShape {
    let mut implied = Vec::new();
    let mut pairs = Vec::new();
    for (prev, c) in goal_pairs(cycles) {
        implied.push(implied_gogc(prev, c));
        pairs.push((
            mib_mid(prev.heap_marked_mb),
            roots_bytes(c),
            mib_mid(c.goal_mb),
        ));
    }
    let goals: Vec<f64> = cycles.iter().map(|c| mib_mid(c.goal_mb)).collect();
    let median_goal_bytes = median(goals).unwrap_or(0.0);
    let Some(g) = median(implied) else {
        return GoalShape {
            gogc: None,
            limit_bound: false,
            median_goal_bytes,
            gogc_under_limit: false,
        };
    };
    if let Some(g) = gogc_under_limit(cycles, median_goal_bytes) {
        return GoalShape {
            gogc: Some(g),
            limit_bound: true,
            median_goal_bytes,
            gogc_under_limit: true,
        };
    }
    // How far each explanation is from the goals: GOGC at the median implied value, or one
    // flat goal. A flat goal wins only when it explains the goals clearly better; a log whose
    // marked heap never moves cannot tell the two apart and keeps GOGC.
    let rel = |pred: f64, goal: f64| ((pred - goal) / goal).abs();
    let err_gogc = median(
        pairs
            .iter()
            .map(|&(m, r, goal)| rel(m + (m + r) * g / 100.0, goal))
            .collect(),
    )
    .unwrap_or(0.0);
    let err_flat = median(
        pairs
            .iter()
            .map(|&(_, _, goal)| rel(median_goal_bytes, goal))
            .collect(),
    )
    .unwrap_or(0.0);
    let limit_bound = err_gogc > 0.01 && err_flat < err_gogc / 2.0;
    GoalShape {
        gogc: Some(snap_gogc(g)),
        limit_bound,
        median_goal_bytes,
        gogc_under_limit: false,
    }
}

/// The GOGC of a log where both settings acted: goals that follow one GOGC while the heap is
/// small, then a flat top where that GOGC's goal would lie higher — the memory limit's goal,
/// which runtime/mgcpacer.go: heapGoal takes when it is the lower of the two. Read off the
/// pairs at least 2 MiB under the top (two or more, agreeing on one GOGC up to gctrace's
/// truncation), when at least half the pairs sit on the top and nine in ten of those would
/// have a goal more than 2 MiB above it under that GOGC. None otherwise.
pub fn gogc_under_limit(cycles: &[ParsedCycle], median_goal_bytes: f64) -> Option<u32> {
    let top = (median_goal_bytes / MIB).floor() as u64;
    let (mut below, mut on_top) = (Vec::new(), Vec::new());
    for (prev, c) in goal_pairs(cycles) {
        if c.goal_mb + 2 <= top {
            below.push((prev, c));
        } else if c.goal_mb <= top + 1 {
            on_top.push((prev, c));
        }
    }
    let pairs = below.len() + on_top.len();
    if below.len() < 2 || on_top.len() * 2 < pairs {
        return None;
    }
    // The GOGCs each pair under the top admits (true sizes lie within their printed MiB).
    let (mut lo, mut hi) = (f64::MIN, f64::MAX);
    let mut implied = Vec::new();
    for &(prev, c) in &below {
        let (l, h) = admitted_gogc(prev, c);
        (lo, hi) = (lo.max(l), hi.min(h));
        implied.push(implied_gogc(prev, c));
    }
    if lo > hi || hi <= 0.0 {
        return None;
    }
    // As people set it: the multiple of 10 nearest the median that every pair admits, if any.
    let (lo, hi) = (lo.max(0.0) * 100.0, hi * 100.0);
    let mid = median(implied)?.clamp(lo, hi);
    let round = (lo / 10.0).ceil() * 10.0;
    let gogc = if round <= hi {
        let tens = ((mid / 10.0).round() * 10.0).clamp(round, (hi / 10.0).floor() * 10.0);
        tens.max(10.0) as u32
    } else {
        snap_gogc(mid)
    };
    // On the top, that GOGC's goal would have been higher: the limit held it.
    let g = f64::from(gogc) / 100.0;
    let held = on_top
        .iter()
        .filter(|&&(prev, c)| {
            let (m, (rlo, _)) = (prev.heap_marked_mb as f64, roots_mib_range(c));
            m + (m + rlo) * g > c.goal_mb as f64 + 2.0
        })
        .count();
    (held as f64 >= EXPLAINS * on_top.len() as f64).then_some(gogc)
}

/// Share of the goals a reading must explain to count as an explanation of the log: all of a
/// short log's, all but one in ten of a long one's (forced cycles, a changed setting).
pub const EXPLAINS: f64 = 0.9;

/// How well each reading of the settings explains the heap goals, exactly up to gctrace's
/// truncation of every size to whole MiB: a GOGC (goal = marked + (marked + roots) ×
/// GOGC/100 from the previous cycle's marked heap), or one flat goal, as a binding memory
/// limit sets. When both explain the goals the log cannot tell the settings apart: the
/// marked heap moved too little for a GOGC to move the goals by a printed MiB.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Readings {
    /// Consecutive cycles compared (the same pairs as [`goal_shape`]'s).
    pub pairs: usize,
    /// Largest share of their goals a single GOGC explains: each pair admits the GOGCs that
    /// map some marked heap in its printed MiB (and roots in theirs) to some goal in its
    /// printed MiB.
    pub gogc_share: f64,
    /// Largest share of the goals lying within one MiB of each other.
    pub flat_share: f64,
    /// Smallest and largest printed goal of that flat stretch, in MiB (at most one apart).
    pub flat_goal_mib: (u64, u64),
    /// Smallest and largest previous marked heap of the pairs, in MiB.
    pub marked_mib: (u64, u64),
}

impl Readings {
    /// A single GOGC explains the goals.
    pub fn gogc_explains(&self) -> bool {
        self.pairs > 0 && self.gogc_share >= EXPLAINS
    }

    /// A flat goal (a binding memory limit) explains the goals.
    pub fn flat_explains(&self) -> bool {
        self.pairs > 0 && self.flat_share >= EXPLAINS
    }

    /// Both readings explain the goals: the log cannot tell GOGC from a memory limit.
    pub fn ambiguous(&self) -> bool {
        self.gogc_explains() && self.flat_explains()
    }
}

/// The roots (stacks + globals) in MiB as the range their printed values allow: each field
/// is truncated to whole MiB, and a missing one counts as `0 MB`.
fn roots_mib_range(c: &ParsedCycle) -> (f64, f64) {
    let printed = c.stacks_mb.unwrap_or(0) + c.globals_mb.unwrap_or(0);
    (printed as f64, printed as f64 + 2.0)
}

/// Weighs both readings of the settings against the goals (see [`Readings`]).
pub fn readings(cycles: &[ParsedCycle]) -> Readings {
    let mut intervals = Vec::new();
    let mut goals = Vec::new();
    let mut marked = Vec::new();
    for (prev, c) in goal_pairs(cycles) {
        intervals.push(admitted_gogc(prev, c));
        goals.push(c.goal_mb);
        marked.push(prev.heap_marked_mb);
    }
    let pairs = goals.len();
    if pairs == 0 {
        return Readings::default();
    }
    // The GOGC inside the most intervals: sweep their ends, closing before opening.
    let mut ends: Vec<(f64, i32)> = intervals
        .iter()
        .flat_map(|&(lo, hi)| [(lo, 1), (hi, -1)])
        .collect();
    ends.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
    let (mut open, mut most) = (0i32, 0i32);
    for (_, d) in ends {
        open += d;
        most = most.max(open);
    }
    // The pair of neighbouring MiB values holding the most goals, the lower of equals.
    let mut by_value = std::collections::BTreeMap::<u64, usize>::new();
    for &g in &goals {
        *by_value.entry(g).or_default() += 1;
    }
    let in_window = |v: u64| by_value[&v] + by_value.get(&(v + 1)).copied().unwrap_or(0);
    let (low, flat) = by_value
        .keys()
        .map(|&v| (v, in_window(v)))
        .max_by_key(|&(v, n)| (n, std::cmp::Reverse(v)))
        .unwrap_or((0, 0));
    let high = if by_value.contains_key(&(low + 1)) {
        low + 1
    } else {
        low
    };
    Readings {
        pairs,
        gogc_share: most as f64 / pairs as f64,
        flat_share: flat as f64 / pairs as f64,
        flat_goal_mib: (low, high),
        marked_mib: (
            marked.iter().copied().min().unwrap_or(0),
            marked.iter().copied().max().unwrap_or(0),
        ),
    }
}

/// An implied GOGC as people set it: a multiple of 10 when within 3% of one (the goals'
/// MiB truncation makes the implied value wander by about that much), else the nearest whole
/// number.
pub fn snap_gogc(g: f64) -> u32 {
    let round10 = (g / 10.0).round() * 10.0;
    if round10 > 0.0 && ((g - round10) / round10).abs() <= 0.03 {
        round10 as u32
    } else {
        g.round().max(1.0) as u32
    }
}

/// The GOGC a fit uses when the user gave none: the implied one, `off` when a memory limit
/// sets the goals (the GOGC under it when one set the smaller goals), 100 (Go's default)
/// when the log cannot tell.
pub fn inferred_gogc(shape: &GoalShape) -> Gogc {
    match (shape.limit_bound, shape.gogc) {
        (true, Some(g)) if shape.gogc_under_limit => Gogc::Percent(g),
        (true, _) => Gogc::Off,
        (false, Some(g)) => Gogc::Percent(g),
        (false, None) => Gogc::Percent(100),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gctrace::parse_gctrace;

    fn line(n: u32, marked: u64, goal: u64) -> String {
        format!(
            "gc {n} @{n}.000s 1%: 0.01+1.0+0.02 ms clock, 0.02+0.1/0.5/0.3+0.04 ms cpu, \
             {goal}->{goal}->{marked} MB, {goal} MB goal, 0 MB stacks, 0 MB globals, 4 P\n"
        )
    }

    /// GOGC=50 over a moving marked heap: each goal is 1.5 × the previous marked heap.
    fn gogc50_log() -> String {
        let marked = [100, 120, 90, 150, 110, 130, 100];
        (0..marked.len())
            .map(|i| {
                let prev = if i == 0 { 100 } else { marked[i - 1] };
                line(i as u32 + 1, marked[i], prev * 3 / 2)
            })
            .collect()
    }

    #[test]
    fn gogc_from_goals_that_follow_the_marked_heap() {
        // goal = marked x 1.5 (+ tiny roots): GOGC=50.
        let text = gogc50_log();
        let shape = goal_shape(&parse_gctrace(&text));
        assert_eq!(shape.gogc, Some(50));
        assert!(!shape.limit_bound);
        assert_eq!(inferred_gogc(&shape), Gogc::Percent(50));
    }

    #[test]
    fn a_flat_goal_over_a_moving_marked_heap_is_a_memory_limit() {
        let marked = [60, 70, 55, 80, 65, 75, 60];
        let text: String = (0..marked.len())
            .map(|i| line(i as u32 + 1, marked[i], 113))
            .collect();
        let shape = goal_shape(&parse_gctrace(&text));
        assert!(shape.limit_bound);
        assert_eq!(shape.median_goal_bytes, mib_mid(113));
        assert_eq!(inferred_gogc(&shape), Gogc::Off);
    }

    #[test]
    fn implied_gogc_snaps_to_round_values_nearby() {
        assert_eq!(snap_gogc(101.3), 100);
        assert_eq!(snap_gogc(48.9), 50);
        assert_eq!(snap_gogc(75.0), 75);
        assert_eq!(snap_gogc(137.0), 140);
        assert_eq!(snap_gogc(134.4), 134);
        assert_eq!(snap_gogc(0.2), 1);
    }

    #[test]
    fn readings_tell_a_moving_heap_from_a_steady_one() {
        // GOGC=50 over a moving marked heap: only GOGC explains the goals.
        let text = gogc50_log();
        let r = readings(&parse_gctrace(&text));
        assert_eq!(r.pairs, 6);
        assert!(r.gogc_explains() && !r.flat_explains() && !r.ambiguous());
        assert_eq!(r.marked_mib, (90, 150));
        // A flat goal over a moving heap: only the limit.
        let text: String = [60, 70, 55, 80, 65, 75, 60]
            .iter()
            .enumerate()
            .map(|(i, &m)| line(i as u32 + 1, m, 113))
            .collect();
        let r = readings(&parse_gctrace(&text));
        assert!(r.flat_explains() && !r.gogc_explains());
        assert_eq!((r.flat_goal_mib, r.flat_share), ((113, 113), 1.0));
        // A flat goal over a marked heap within a MiB: both, the log cannot tell.
        let text: String = [66, 67, 66, 67, 67, 66]
            .iter()
            .enumerate()
            .map(|(i, &m)| line(i as u32 + 1, m, 113))
            .collect();
        let r = readings(&parse_gctrace(&text));
        assert!(r.ambiguous(), "{r:?}");
        assert_eq!(r.marked_mib, (66, 67));
    }

    /// The goals of go1.19.8 with GOGC=100 and GOMEMLIMIT=96MiB as 64 MiB of live heap is
    /// built (tests/data/gctrace_xeon/gc_gogc_gogc100_mem96MiB.txt): marked → next goal
    /// doubles (15 → 31, 27 → 55) until the limit's goal, 82 MiB, holds every later one.
    fn gogc100_under_96mib_log() -> String {
        let steps = [(3, 4), (7, 7), (15, 15), (27, 31), (47, 55), (65, 82)];
        let top = [69, 66, 67, 68, 67, 67, 68, 67, 66, 67, 68, 67];
        let marked = steps.iter().map(|s| s.0).chain(top);
        let goals = steps.iter().map(|s| s.1).chain(top.iter().map(|_| 82));
        marked
            .zip(goals)
            .enumerate()
            .map(|(i, (m, g))| line(i as u32 + 1, m, g))
            .collect()
    }

    #[test]
    fn goals_doubling_under_a_flat_top_are_gogc_100_under_a_limit() {
        let cycles = parse_gctrace(&gogc100_under_96mib_log());
        let shape = goal_shape(&cycles);
        assert_eq!(shape.gogc, Some(100));
        assert!(shape.limit_bound && shape.gogc_under_limit);
        assert_eq!(shape.median_goal_bytes, mib_mid(82));
        assert_eq!(inferred_gogc(&shape), Gogc::Percent(100));
        // Neither reading alone: one GOGC near 20 explains the flat top, not the doubling.
        let r = readings(&cycles);
        assert!(!r.gogc_explains(), "{r:?}");
        assert_eq!(r.flat_goal_mib, (82, 82));
    }

    #[test]
    fn a_top_that_gogc_explains_is_not_a_limit() {
        // GOGC=100 throughout: the steady goals are the GOGC's, not held below it.
        let marked = [15, 27, 47, 66, 67, 66, 68, 67, 66, 67, 66];
        let text: String = (0..marked.len())
            .map(|i| {
                let goal = if i == 0 { 15 } else { 2 * marked[i - 1] + 1 };
                line(i as u32 + 1, marked[i], goal)
            })
            .collect();
        assert_eq!(gogc_under_limit(&parse_gctrace(&text), mib_mid(133)), None);
        let shape = goal_shape(&parse_gctrace(&text));
        assert!(!shape.gogc_under_limit);
        assert_eq!(inferred_gogc(&shape), Gogc::Percent(100));
        // GOGC=off under a limit whose goal drifts a MiB: no pairs under the top.
        let text: String = [66, 67, 66, 68, 67, 66]
            .iter()
            .zip([81, 82, 82, 82, 83, 82])
            .enumerate()
            .map(|(i, (&m, g))| line(i as u32 + 1, m, g))
            .collect();
        let cycles = parse_gctrace(&text);
        assert_eq!(gogc_under_limit(&cycles, mib_mid(82)), None);
        assert!(!goal_shape(&cycles).gogc_under_limit);
    }

    #[test]
    fn small_heaps_say_nothing() {
        let text: String = (1..5).map(|n| line(n, 3, 4)).collect();
        let shape = goal_shape(&parse_gctrace(&text));
        assert_eq!(shape.gogc, None);
        assert_eq!(inferred_gogc(&shape), Gogc::Percent(100));
        assert_eq!(readings(&parse_gctrace(&text)).pairs, 0);
    }
}
