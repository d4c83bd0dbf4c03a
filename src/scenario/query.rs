//! Questions callers ask of a loaded scenario.

use super::types::{Op, Scenario};

impl Scenario {
    /// The position of the map called `name` in `maps`.
    pub fn map_index(&self, name: &str) -> Option<usize> {
        self.maps.iter().position(|m| m.name == name)
    }

    /// For each map, in order, an upper bound on the fresh keys ever inserted into it: over
    /// all goroutines, `count` × the `n` of its `insert` and `churn` ops, multiplied through
    /// enclosing loops' `times`. Saturates at `u64::MAX`. Lets a caller refuse scenarios too
    /// big for the machine's memory before running them.
    pub fn key_budget(&self) -> Vec<u64> {
        let mut budget = vec![0u64; self.maps.len()];
        for g in &self.goroutines {
            self.add_fresh_keys(&g.program, u64::from(g.count), &mut budget);
        }
        budget
    }

    fn add_fresh_keys(&self, ops: &[Op], times: u64, budget: &mut [u64]) {
        for op in ops {
            match op {
                Op::Insert { map, n } | Op::Churn { map, n } => {
                    if let Some(slot) = self.map_index(map).and_then(|i| budget.get_mut(i)) {
                        *slot = slot.saturating_add(times.saturating_mul(*n));
                    }
                }
                Op::Loop { times: t, body } => {
                    self.add_fresh_keys(body, times.saturating_mul(*t), budget);
                }
                _ => {}
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::scenario::parse_str;

    #[test]
    fn budget_counts_inserts_and_churns_through_loops() {
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
  { op = "loop", times = 3, body = [
    { op = "churn", map = "b", n = 2 },
    { op = "loop", times = 4, body = [{ op = "insert", map = "a", n = 1 }] },
  ] },
]
"#;
        let s = parse_str(text, "b.toml", &[]).unwrap();
        assert_eq!(s.key_budget(), vec![10 + 3 * 4, 3 * 2]);
        assert_eq!(s.map_index("b"), Some(1));
        assert_eq!(s.map_index("c"), None);
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
