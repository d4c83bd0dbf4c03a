//! Which GOGC and GOMEMLIMIT a log ran under, read from its heap goals when the user does not
//! say. Only the goal's shape is used: under GOGC it follows the marked heap, under a binding
//! memory limit it stays flat whatever the marked heap does.

use crate::gctrace::ParsedCycle;
use crate::scenario::Gogc;

use super::observed::MIB;

/// Smallest previous marked heap whose goal is used to infer GOGC: below this, whole-MiB
/// truncation makes the ratio too coarse (and runtime/mgcpacer.go: heapMinimum, 4 MiB at
/// GOGC=100, may set the goal instead).
const MIN_MARKED_MIB: u64 = 8;

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
}

fn median(mut v: Vec<f64>) -> Option<f64> {
    if v.is_empty() {
        return None;
    }
    v.sort_by(f64::total_cmp);
    Some(v[v.len() / 2])
}

/// Reads the settings' fingerprints off the goals of consecutive cycles.
pub fn goal_shape(cycles: &[ParsedCycle]) -> GoalShape {
    let mut implied = Vec::new();
    let mut pairs = Vec::new();
    for w in cycles.windows(2) {
        let (prev, c) = (&w[0], &w[1]);
        if prev.heap_marked_mb < MIN_MARKED_MIB || c.n != prev.n + 1 {
            continue;
        }
        let marked = mib_mid(prev.heap_marked_mb);
        let goal = mib_mid(c.goal_mb);
        implied.push(100.0 * (goal - marked) / (marked + roots_bytes(c)));
        pairs.push((marked, roots_bytes(c), goal));
    }
    let goals: Vec<f64> = cycles.iter().map(|c| mib_mid(c.goal_mb)).collect();
    let median_goal_bytes = median(goals).unwrap_or(0.0);
    let Some(g) = median(implied) else {
        return GoalShape {
            gogc: None,
            limit_bound: false,
            median_goal_bytes,
        };
    };
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
/// sets the goals, 100 (Go's default) when the log cannot tell.
pub fn inferred_gogc(shape: &GoalShape) -> Gogc {
    match (shape.limit_bound, shape.gogc) {
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

    #[test]
    fn gogc_from_goals_that_follow_the_marked_heap() {
        // goal = marked x 1.5 (+ tiny roots): GOGC=50.
        let marked = [100, 120, 90, 150, 110, 130, 100];
        let text: String = (0..marked.len())
            .map(|i| {
                let prev = if i == 0 { 100 } else { marked[i - 1] };
                line(i as u32 + 1, marked[i], prev * 3 / 2)
            })
            .collect();
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
    fn small_heaps_say_nothing() {
        let text: String = (1..5).map(|n| line(n, 3, 4)).collect();
        let shape = goal_shape(&parse_gctrace(&text));
        assert_eq!(shape.gogc, None);
        assert_eq!(inferred_gogc(&shape), Gogc::Percent(100));
    }
}
