//! Questions callers ask of a loaded scenario.

use super::types::{Op, Scenario};

impl Scenario {
    /// An upper bound on the map-writing operations (insert, delete, churn units) the
    /// scenario performs, through loops and replicas; saturating.
    pub fn map_write_budget(&self) -> u64 {
        fn ops(list: &[Op]) -> u64 {
            list.iter().fold(0u64, |sum, op| {
                let n = match op {
                    Op::Insert { n, .. } | Op::Delete { n, .. } | Op::Churn { n, .. } => *n,
                    Op::Loop { times, body } => times.saturating_mul(ops(body)),
                    _ => 0,
                };
                sum.saturating_add(n)
            })
        }
        self.goroutines.iter().fold(0u64, |sum, g| {
            sum.saturating_add(u64::from(g.count).saturating_mul(ops(&g.program)))
        })
    }

    /// Whether any goroutine locks a mutex.
    pub fn has_locks(&self) -> bool {
        fn any(ops: &[Op]) -> bool {
            ops.iter().any(|op| match op {
                Op::Lock { .. } | Op::Unlock { .. } | Op::Rlock { .. } | Op::Runlock { .. } => true,
                Op::Loop { body, .. } => any(body),
                _ => false,
            })
        }
        self.goroutines.iter().any(|g| any(&g.program))
    }

    /// The position of the map called `name` in `maps`.
    pub fn map_index(&self, name: &str) -> Option<usize> {
        self.maps.iter().position(|m| m.name == name)
    }

    /// For each map, in order, an upper bound on the keys it holds at once: over all
    /// goroutines, `count` × the keys each op can add, multiplied through enclosing loops'
    /// `times`. An `insert` adds its `n` fresh keys. A `churn` deletes a random existing key
    /// before each fresh insert, so it adds a key only when it finds the map empty: at most 1
    /// per execution, whatever its `n`. Deletes are not subtracted. Saturates at `u64::MAX`.
    /// Lets a caller refuse scenarios too big for the machine's memory before running them.
    pub fn key_budget(&self) -> Vec<u64> {
        let mut budget = vec![0u64; self.maps.len()];
        for g in &self.goroutines {
            self.add_keys(&g.program, u64::from(g.count), &mut budget);
        }
        budget
    }

    fn add_keys(&self, ops: &[Op], times: u64, budget: &mut [u64]) {
        for op in ops {
            let (map, added) = match op {
                Op::Insert { map, n } => (map, *n),
                Op::Churn { map, n } => (map, (*n).min(1)),
                Op::Loop { times: t, body } => {
                    self.add_keys(body, times.saturating_mul(*t), budget);
                    continue;
                }
                _ => continue,
            };
            if let Some(slot) = self.map_index(map).and_then(|i| budget.get_mut(i)) {
                *slot = slot.saturating_add(times.saturating_mul(added));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::scenario::parse_str;

    #[test]
    fn budget_counts_inserts_and_at_most_one_key_per_churn_through_loops() {
        let text = r#"
name = "b"
[[maps]]
name = "a"
key = "int64"
elem = "int64"
[[maps]]
name = "b"
key = "string"
elem = "int64"
[[goroutines]]
name = "w"
program = [
  { op = "insert", map = "a", n = 10 },
  { op = "delete", map = "a", n = 5 },
  { op = "read", map = "b", n = 7 },
  { op = "churn", map = "a", n = 0 },
  { op = "loop", times = 3, body = [
    { op = "churn", map = "b", n = 2000000 },
    { op = "loop", times = 4, body = [{ op = "insert", map = "a", n = 1 }] },
  ] },
]
"#;
        let s = parse_str(text, "b.toml", &[]).unwrap();
        // Each of the 3 churns adds a key only if it finds `b` empty; an empty churn adds none.
        assert_eq!(s.key_budget(), vec![10 + 3 * 4, 3]);
        assert_eq!(s.map_index("b"), Some(1));
        assert_eq!(s.map_index("c"), None);
    }

    #[test]
    fn budget_of_churn_saturates_through_loops_only() {
        let text = r#"
name = "c"
[[maps]]
name = "m"
key = "int64"
elem = "int64"
[[goroutines]]
name = "w"
program = [
  { op = "churn", map = "m", n = 9223372036854775807 },
  { op = "loop", times = 9223372036854775807, body = [
    { op = "loop", times = 3, body = [{ op = "churn", map = "m", n = 5 }] },
  ] },
]
"#;
        let s = parse_str(text, "c.toml", &[]).unwrap();
        assert_eq!(s.key_budget(), vec![u64::MAX]);
        let first = parse_str(
            &text.replace("times = 9223372036854775807", "times = 0"),
            "c.toml",
            &[],
        )
        .unwrap();
        assert_eq!(first.key_budget(), vec![1]);
    }

    #[test]
    fn budget_saturates() {
        let text = r#"
name = "big"
[[maps]]
name = "m"
key = "int64"
elem = "int64"
[[goroutines]]
name = "w"
program = [
  { op = "loop", times = 9223372036854775807, body = [
    { op = "loop", times = 9223372036854775807, body = [{ op = "insert", map = "m", n = 2 }] },
    { op = "loop", times = 0, body = [{ op = "insert", map = "m", n = 2 }] },
  ] },
]
"#;
        let s = parse_str(text, "big.toml", &[]).unwrap();
        assert_eq!(s.key_budget(), vec![u64::MAX]);
    }
}
