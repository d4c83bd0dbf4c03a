//! Questions callers ask of a loaded scenario.

use super::types::{ArrivalSpec, Op, Scenario};

/// An upper bound on the work of a run ([`Scenario::work_bound`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct WorkBound {
    /// Operations the engine steps through one at a time.
    pub ops: u64,
    /// Bytes allocated by `alloc` and `retain`.
    pub alloc_bytes: u64,
    /// Bytes reachable at the end: `[heap] live` plus what `retain` keeps and `free` does
    /// not drop, through loops (the live heap the GC's goal grows from).
    pub retained_bytes: u64,
    /// Bytes `free` drops, through loops.
    pub freed_bytes: u64,
}

impl Scenario {
    /// An upper bound on how many times a loop runs its body: `times`, or for a loop with a
    /// `duration` the duration over the least time one execution of the body can take
    /// (validation refuses such a body that can take no time).
    pub fn loop_bound(
        &self,
        times: u64,
        duration: Option<crate::scenario::Dur>,
        body: &[Op],
    ) -> u64 {
        match duration {
            None => times,
            Some(d) => {
                let per = self.min_time_ps(body).max(1);
                times.min(d.as_ps() / per + 1)
            }
        }
    }

    /// An upper bound on the arrivals of a source: rate × duration, plus ten standard
    /// deviations of a Poisson count.
    pub fn arrival_bound(&self, a: &ArrivalSpec) -> u64 {
        let mean = a.rate.per_s() * a.duration.as_ps() as f64 / 1e12;
        let bound = mean + 10.0 * mean.sqrt() + 10.0;
        if bound >= u64::MAX as f64 {
            u64::MAX
        } else {
            bound as u64
        }
    }

    /// The least virtual time one execution of `ops` can take under `[costs]`, in ps
    /// (saturating): map operations at least `map_op` each, objects at least `alloc_object`,
    /// `compute` its time; locks, frees and loops bounded by a duration count nothing.
    pub fn min_time_ps(&self, ops: &[Op]) -> u64 {
        let c = &self.costs;
        ops.iter().fold(0u64, |sum, op| {
            let t = match op {
                Op::Insert { n, .. } | Op::Delete { n, .. } | Op::Read { n, .. } => {
                    n.saturating_mul(c.map_op.as_ps())
                }
                Op::Churn { n, .. } => n.saturating_mul(2).saturating_mul(c.map_op.as_ps()),
                Op::Iterate { .. } => c.map_op.as_ps(),
                Op::Append { n, .. } => n.saturating_mul(c.slice_append.as_ps()),
                Op::Alloc { bytes, size, .. } | Op::Retain { bytes, size } => bytes
                    .0
                    .div_ceil(size.0.max(1))
                    .saturating_mul(c.alloc_object.as_ps()),
                Op::Compute { time } => time.as_ps(),
                Op::Loop {
                    times,
                    duration: None,
                    body,
                } => times.saturating_mul(self.min_time_ps(body)),
                Op::Request { body, .. } => self.min_time_ps(body),
                _ => 0,
            };
            sum.saturating_add(t)
        })
    }

    /// Every program the scenario runs with how many times it runs at most: each goroutine
    /// group `count` times, each arrival source once per arrival.
    fn programs(&self) -> impl Iterator<Item = (&[Op], u64)> {
        let groups = self
            .goroutines
            .iter()
            .map(|g| (g.program.as_slice(), u64::from(g.count)));
        let arrivals = self
            .arrivals
            .iter()
            .map(|a| (a.body.as_slice(), self.arrival_bound(a)));
        groups.chain(arrivals)
    }

    /// An upper bound on the map-writing operations (insert, delete, churn units) the
    /// scenario performs, through loops and replicas; saturating.
    pub fn map_write_budget(&self) -> u64 {
        fn ops(sc: &Scenario, list: &[Op]) -> u64 {
            list.iter().fold(0u64, |sum, op| {
                let n = match op {
                    Op::Insert { n, .. } | Op::Delete { n, .. } | Op::Churn { n, .. } => *n,
                    Op::Loop {
                        times,
                        duration,
                        body,
                    } => sc
                        .loop_bound(*times, *duration, body)
                        .saturating_mul(ops(sc, body)),
                    Op::Request { body, .. } => ops(sc, body),
                    _ => 0,
                };
                sum.saturating_add(n)
            })
        }
        self.programs().fold(0u64, |sum, (program, count)| {
            sum.saturating_add(count.saturating_mul(ops(self, program)))
        })
    }

    /// An upper bound on a run's work, from the scenario alone: what the engine steps
    /// through one at a time (map operations, the entries a range loop visits, paced
    /// objects, lock operations, computes, frees, loop iterations, requests) and the bytes
    /// `alloc` and `retain` allocate, through loops, replicas and arrivals; saturating.
    pub fn work_bound(&self) -> WorkBound {
        fn walk(sc: &Scenario, ops: &[Op], times: u64, keys: &[u64], w: &mut WorkBound) {
            for op in ops {
                let (steps, bytes, kept) = match op {
                    Op::Insert { n, .. } | Op::Delete { n, .. } | Op::Read { n, .. } => (*n, 0, 0),
                    Op::Churn { n, .. } => (n.saturating_mul(2), 0, 0),
                    Op::Iterate { map } => {
                        let entries = sc.map_index(map).and_then(|i| keys.get(i)).copied();
                        (entries.unwrap_or(0).saturating_add(1), 0, 0)
                    }
                    Op::Alloc { bytes, size, rate } => {
                        // Paced objects are allocated one by one; the others in batches.
                        let objects = bytes.0.div_ceil(size.0.max(1));
                        (if rate.is_some() { objects } else { 1 }, bytes.0, 0)
                    }
                    Op::Append { slice, n } => {
                        // One step per growth (a few dozen at most, 2x then 1.25x) and the
                        // appends between; the arrays allocated sum to under 6 times the
                        // last one, which is at most 1.25 times the elements appended
                        // (plus its size class).
                        let size = sc
                            .slices
                            .iter()
                            .find(|s| &s.name == slice)
                            .map_or(0, |s| s.elem.size());
                        let bytes = n.saturating_mul(size).saturating_mul(6);
                        (
                            (*n).min(128),
                            bytes,
                            if sc.slice_is_global(slice) { bytes } else { 0 },
                        )
                    }
                    Op::Retain { bytes, .. } => (1, bytes.0, bytes.0),
                    Op::Free { bytes } => {
                        w.freed_bytes = w.freed_bytes.saturating_add(times.saturating_mul(bytes.0));
                        (1, 0, 0)
                    }
                    Op::Loop {
                        times: t,
                        duration,
                        body,
                    } => {
                        let t = sc.loop_bound(*t, *duration, body);
                        w.ops = w.ops.saturating_add(times.saturating_mul(t));
                        walk(sc, body, times.saturating_mul(t), keys, w);
                        continue;
                    }
                    Op::Request { body, .. } => {
                        w.ops = w.ops.saturating_add(times);
                        walk(sc, body, times, keys, w);
                        continue;
                    }
                    _ => (1, 0, 0),
                };
                w.ops = w.ops.saturating_add(times.saturating_mul(steps));
                w.alloc_bytes = w.alloc_bytes.saturating_add(times.saturating_mul(bytes));
                w.retained_bytes = w.retained_bytes.saturating_add(times.saturating_mul(kept));
            }
        }
        let keys = self.key_budget();
        let mut w = WorkBound {
            retained_bytes: self.heap.live.0,
            ..WorkBound::default()
        };
        for (program, count) in self.programs() {
            walk(self, program, count, &keys, &mut w);
        }
        // `make([]T, 0, cap)`: once for a global slice, once per goroutine at most for a
        // goroutine's own (every goroutine counted, an upper bound).
        let goroutines: u64 = self.programs().map(|(_, n)| n).fold(0, u64::saturating_add);
        for s in self.slices.iter().filter(|s| s.cap > 0) {
            let bytes = s.cap.saturating_mul(s.elem.size());
            let (made, kept) = if self.slice_is_global(&s.name) {
                (bytes, bytes)
            } else {
                (bytes.saturating_mul(goroutines), 0)
            };
            w.alloc_bytes = w.alloc_bytes.saturating_add(made);
            w.retained_bytes = w.retained_bytes.saturating_add(kept);
        }
        w.retained_bytes = self.heap.live.0.saturating_add(
            w.retained_bytes
                .saturating_sub(self.heap.live.0.saturating_add(w.freed_bytes)),
        );
        w
    }

    /// Whether any goroutine locks a mutex.
    pub fn has_locks(&self) -> bool {
        fn any(ops: &[Op]) -> bool {
            ops.iter().any(|op| match op {
                Op::Lock { .. } | Op::Unlock { .. } | Op::Rlock { .. } | Op::Runlock { .. } => true,
                Op::Loop { body, .. } | Op::Request { body, .. } => any(body),
                _ => false,
            })
        }
        self.programs().any(|(p, _)| any(p))
    }

    /// Whether the slice called `name` is one variable all goroutines share.
    pub fn slice_is_global(&self, name: &str) -> bool {
        self.slices
            .iter()
            .any(|s| s.name == name && s.scope == super::types::SliceScope::Global)
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
        for (program, count) in self.programs() {
            self.add_keys(program, count, &mut budget);
        }
        budget
    }

    fn add_keys(&self, ops: &[Op], times: u64, budget: &mut [u64]) {
        for op in ops {
            let (map, added) = match op {
                Op::Insert { map, n } => (map, *n),
                Op::Churn { map, n } => (map, (*n).min(1)),
                Op::Loop {
                    times: t,
                    duration,
                    body,
                } => {
                    let t = self.loop_bound(*t, *duration, body);
                    self.add_keys(body, times.saturating_mul(t), budget);
                    continue;
                }
                Op::Request { body, .. } => {
                    self.add_keys(body, times, budget);
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
