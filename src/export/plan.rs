//! What the Go program of a scenario needs before any text is written: a Go name for every
//! map, slice, goroutine spec and mutex, the maps whose keys must be kept, and the support code the
//! ops use. A key type that cannot give as many keys as the scenario inserts is refused.

use std::collections::HashSet;

use super::ExportProblem;
use super::keys::{Key, Uses};
use super::syntax::{csv_field, go_quote};
use crate::scenario::types::{Op, Scenario, SliceScope};

/// One `[[maps]]` entry as the program names and fills it.
pub(super) struct MapPlan {
    /// The Go variable holding the map.
    pub(super) var: String,
    /// Its fresh-key function.
    pub(super) key_fn: String,
    /// The function that makes it.
    pub(super) new_fn: String,
    pub(super) key: Key,
    pub(super) key_text: String,
    pub(super) elem_text: String,
    pub(super) hint: u64,
    /// Some goroutine deletes, reads or churns it: keep its keys to pick from.
    pub(super) track: bool,
    /// Modelled as a Swiss table (go1.24), not a classic hash map.
    pub(super) swiss: bool,
    /// The name as map_events.csv writes it, as a Go string literal.
    pub(super) csv_name: String,
    pub(super) name: String,
}

/// One `[[slices]]` entry as the program names it.
pub(super) struct SlicePlan {
    /// Its index in `[[slices]]`.
    pub(super) index: usize,
    /// The Go variable holding it: package-level, or for a goroutine's own slice a local of
    /// each goroutine function that uses it (an `*own[T]`).
    pub(super) var: String,
    /// `func() []T`: the slice as a run (or, for its own, a goroutine) starts.
    pub(super) make_fn: String,
    /// `func(s *[]T, n uint64)`: the append op.
    pub(super) append_fn: String,
    /// Its `*sliceLog`.
    pub(super) log_var: String,
    pub(super) elem_text: String,
    pub(super) cap: u64,
    /// `scope = "goroutine"`: each goroutine has its own.
    pub(super) local: bool,
    /// The element type holds no pointers.
    pub(super) noscan: bool,
    /// The name as slice_events.csv writes it, as a Go string literal.
    pub(super) csv_name: String,
    pub(super) name: String,
}

/// Package-level names of the generated program and its support code, which the names made
/// from the scenario's must avoid (a map called `ops` would otherwise be `mapOps`).
const RESERVED: [&str; 53] = [
    "main",
    "newState",
    "runOnce",
    "live",
    "globals",
    "worker",
    "newWorker",
    "lazyWorker",
    "startLine",
    "gomap",
    "mapOps",
    "newGomap",
    "hmap",
    "eventsOut",
    "watch",
    "header",
    "openEvents",
    "classicMaps",
    "alloc",
    "allocPaced",
    "retained",
    "retainedMu",
    "retain",
    "free",
    "compute",
    "keyError",
    "run",
    "warmupEnd",
    "latencySubBits",
    "latencySub",
    "latencyBuckets",
    "latency",
    "latencyIndex",
    "latencyHigh",
    "printRun",
    "arrivals",
    "line",
    "sliceEventsOut",
    "mallocHeaders",
    "sliceLog",
    "heapBytes",
    "openSliceEvents",
    "goRelease",
    "sliceEventsHeader",
    "maxSliceEvents",
    "classToSize",
    "own",
    // Builtins a name made from an empty scenario name could shadow.
    "make",
    "append",
    "cap",
    "len",
    "new",
    "nil",
];

/// Names and needs of the program, worked out before any text is written.
pub(super) struct Plan<'a> {
    pub(super) sc: &'a Scenario,
    pub(super) maps: Vec<MapPlan>,
    pub(super) slices: Vec<SlicePlan>,
    /// Go function per goroutine spec.
    pub(super) funcs: Vec<String>,
    /// Go function per `[[arrivals]]` source: the body of one arrival.
    pub(super) arrive_funcs: Vec<String>,
    /// Mutex names, in order of first use, and their Go variables.
    pub(super) locks: Vec<(String, String)>,
    /// Request names, in order of first appearance (goroutines, then arrivals, as the
    /// simulator lists them), and the Go variables of their latency recorders.
    pub(super) requests: Vec<(String, String)>,
    pub(super) uses: Needs,
}

/// Which support code the ops need.
#[derive(Default)]
pub(super) struct Needs {
    pub(super) alloc: bool,
    pub(super) alloc_paced: bool,
    pub(super) retain: bool,
    pub(super) compute: bool,
}

impl<'a> Plan<'a> {
    pub(super) fn new(sc: &'a Scenario) -> Result<Plan<'a>, ExportProblem> {
        let mut used: HashSet<String> = RESERVED.iter().map(|s| s.to_string()).collect();
        let mut fresh = vec![0u64; sc.maps.len()];
        let mut track = vec![false; sc.maps.len()];
        let mut uses = Needs::default();
        let mut lock_names: Vec<String> = Vec::new();
        let mut request_names: Vec<String> = Vec::new();
        for g in &sc.goroutines {
            let count = u64::from(g.count);
            scan_ops(sc, &g.program, count, &mut fresh, &mut track, &mut uses);
            collect_locks(&g.program, &mut lock_names);
            collect_requests(&g.program, &mut request_names);
        }
        for a in &sc.arrivals {
            let count = sc.arrival_bound(a);
            scan_ops(sc, &a.body, count, &mut fresh, &mut track, &mut uses);
            collect_locks(&a.body, &mut lock_names);
            if !request_names.contains(&a.name) {
                request_names.push(a.name.clone());
            }
            collect_requests(&a.body, &mut request_names);
        }
        let mut maps = Vec::with_capacity(sc.maps.len());
        for (i, m) in sc.maps.iter().enumerate() {
            let field = format!("maps[{i}].key");
            let key = Key::parse(m.key.text()).map_err(|message| ExportProblem {
                field: field.clone(),
                message,
            })?;
            if let Some(distinct) = key.distinct()
                && fresh[i] > distinct
            {
                return Err(ExportProblem {
                    field,
                    message: format!(
                        "{} has {distinct} distinct value(s) but the scenario inserts up to {} \
                         fresh keys (inserts and churns): in Go the later ones would overwrite \
                         earlier ones and the map would not grow as simulated; use a wider key \
                         type",
                        m.key.text(),
                        fresh[i]
                    ),
                });
            }
            let var = ident("map", &m.name, &mut used);
            let key_fn = ident("key", &m.name, &mut used);
            let new_fn = ident("newMap", &m.name, &mut used);
            maps.push(MapPlan {
                var,
                key_fn,
                new_fn,
                key,
                key_text: m.key.text().to_string(),
                elem_text: m.elem.text().to_string(),
                hint: m.hint,
                track: track[i],
                swiss: crate::engine::compile::swiss_map(m, &sc.runtime.go),
                csv_name: go_quote(&csv_field(&m.name)),
                name: m.name.clone(),
            });
        }
        let slices = sc
            .slices
            .iter()
            .enumerate()
            .map(|(index, s)| SlicePlan {
                index,
                var: ident("slice", &s.name, &mut used),
                make_fn: ident("make", &s.name, &mut used),
                append_fn: ident("append", &s.name, &mut used),
                log_var: ident("log", &s.name, &mut used),
                elem_text: s.elem.text().to_string(),
                cap: s.cap,
                local: s.scope == SliceScope::Goroutine,
                noscan: !s.elem.has_pointers(),
                csv_name: go_quote(&csv_field(&s.name)),
                name: s.name.clone(),
            })
            .collect();
        let funcs = sc
            .goroutines
            .iter()
            .map(|g| ident("run", &g.name, &mut used))
            .collect();
        let arrive_funcs = sc
            .arrivals
            .iter()
            .map(|a| ident("arrive", &a.name, &mut used))
            .collect();
        let locks = lock_names
            .into_iter()
            .map(|n| {
                let var = ident("lock", &n, &mut used);
                (n, var)
            })
            .collect();
        let requests = request_names
            .into_iter()
            .map(|n| {
                let var = ident("latency", &n, &mut used);
                (n, var)
            })
            .collect();
        Ok(Plan {
            sc,
            maps,
            slices,
            funcs,
            arrive_funcs,
            locks,
            requests,
            uses,
        })
    }

    pub(super) fn key_uses(&self, what: Uses) -> bool {
        self.maps.iter().any(|m| m.key.uses(what))
    }

    pub(super) fn map_var(&self, name: &str) -> &str {
        self.maps
            .iter()
            .find(|m| m.name == name)
            .map_or("nil", |m| m.var.as_str())
    }

    pub(super) fn slice(&self, name: &str) -> Option<&SlicePlan> {
        self.slices.iter().find(|s| s.name == name)
    }

    /// Whether some slice is each goroutine's own.
    pub(super) fn own_slices(&self) -> bool {
        self.slices.iter().any(|s| s.local)
    }

    /// The goroutines' own slices that `ops` use, in order of first use.
    pub(super) fn own_slices_of(&self, ops: &[Op]) -> Vec<&SlicePlan> {
        let mut names = Vec::new();
        collect_slices(ops, &mut names);
        names
            .iter()
            .filter_map(|n| self.slice(n))
            .filter(|s| s.local)
            .collect()
    }

    pub(super) fn request_var(&self, name: &str) -> &str {
        self.requests
            .iter()
            .find(|(n, _)| n == name)
            .map_or("nil", |(_, v)| v.as_str())
    }

    pub(super) fn lock_var(&self, name: &str) -> &str {
        self.locks
            .iter()
            .find(|(n, _)| n == name)
            .map_or("nil", |(_, v)| v.as_str())
    }
}

/// Adds up, per map, the fresh keys `ops` insert (run `times` times), marks the maps whose
/// keys must be kept, and notes the support code the ops need.
fn scan_ops(
    sc: &Scenario,
    ops: &[Op],
    times: u64,
    fresh: &mut [u64],
    track: &mut [bool],
    uses: &mut Needs,
) {
    for op in ops {
        match op {
            Op::Insert { map, n } | Op::Churn { map, n } => {
                if let Some(i) = sc.map_index(map) {
                    fresh[i] = fresh[i].saturating_add(times.saturating_mul(*n));
                    track[i] |= matches!(op, Op::Churn { .. });
                }
            }
            Op::Delete { map, .. } | Op::Read { map, .. } => {
                if let Some(i) = sc.map_index(map) {
                    track[i] = true;
                }
            }
            Op::Alloc { rate: None, .. } => uses.alloc = true,
            Op::Alloc { rate: Some(_), .. } => uses.alloc_paced = true,
            Op::Retain { .. } | Op::Free { .. } => uses.retain = true,
            Op::Compute { .. } => uses.compute = true,
            Op::Loop {
                times: t,
                duration,
                body,
            } => {
                let t = sc.loop_bound(*t, *duration, body);
                scan_ops(sc, body, times.saturating_mul(t), fresh, track, uses)
            }
            Op::Request { body, .. } => scan_ops(sc, body, times, fresh, track, uses),
            Op::Append { .. } | Op::Reset { .. } | Op::Drop { .. } => {}
            Op::Iterate { .. }
            | Op::Lock { .. }
            | Op::Unlock { .. }
            | Op::Rlock { .. }
            | Op::Runlock { .. } => {}
        }
    }
}

/// Mutex names in order of first use.
fn collect_locks(ops: &[Op], names: &mut Vec<String>) {
    for op in ops {
        match op {
            Op::Lock { name } | Op::Unlock { name } | Op::Rlock { name } | Op::Runlock { name }
                if !names.contains(name) =>
            {
                names.push(name.clone());
            }
            Op::Loop { body, .. } | Op::Request { body, .. } => collect_locks(body, names),
            _ => {}
        }
    }
}

/// Slice names in order of first use.
/// Whether a goroutine of `[[goroutines]]` picks existing keys (delete, churn, read), and so
/// needs its random source: otherwise main need not make one before each `go` (seeding a
/// math/rand source takes microseconds and 4.9 KB, which would slow the spawns the
/// scenario times as `goroutine_spawn`).
pub(super) fn goroutines_pick_keys(sc: &crate::scenario::Scenario) -> bool {
    fn walk(ops: &[Op]) -> bool {
        ops.iter().any(|op| match op {
            Op::Delete { .. } | Op::Churn { .. } | Op::Read { .. } => true,
            Op::Loop { body, .. } | Op::Request { body, .. } => walk(body),
            _ => false,
        })
    }
    sc.goroutines.iter().any(|g| walk(&g.program))
}

/// The appends one run makes to the shared slice `name`, when the scenario fixes them: its
/// goroutines' programs with loops by count, and no reset or drop of it, no request or
/// arrival that appends to it. `None` otherwise.
pub(super) fn appends_per_run(sc: &crate::scenario::Scenario, name: &str) -> Option<u64> {
    fn walk(ops: &[Op], name: &str) -> Option<u64> {
        let mut n = 0u64;
        for op in ops {
            let k = match op {
                Op::Append { slice, n } if slice == name => *n,
                Op::Reset { slice } | Op::Drop { slice } if slice == name => return None,
                Op::Loop {
                    times,
                    duration,
                    body,
                } => {
                    let inner = walk(body, name)?;
                    match (inner, duration) {
                        (0, _) => 0,
                        (_, Some(_)) => return None,
                        (k, None) => k.checked_mul(*times)?,
                    }
                }
                Op::Request { body, .. } => match walk(body, name)? {
                    0 => 0,
                    _ => return None,
                },
                _ => 0,
            };
            n = n.checked_add(k)?;
        }
        Some(n)
    }
    if sc.arrivals.iter().any(|a| walk(&a.body, name) != Some(0)) {
        return None;
    }
    sc.goroutines.iter().try_fold(0u64, |sum, g| {
        walk(&g.program, name)?
            .checked_mul(u64::from(g.count))
            .and_then(|k| sum.checked_add(k))
    })
}

fn collect_slices(ops: &[Op], names: &mut Vec<String>) {
    for op in ops {
        match op {
            Op::Append { slice, .. } | Op::Reset { slice } | Op::Drop { slice }
                if !names.contains(slice) =>
            {
                names.push(slice.clone());
            }
            Op::Loop { body, .. } | Op::Request { body, .. } => collect_slices(body, names),
            _ => {}
        }
    }
}

/// Request names in order of first appearance.
fn collect_requests(ops: &[Op], names: &mut Vec<String>) {
    for op in ops {
        match op {
            Op::Request { name, body } => {
                if !names.contains(name) {
                    names.push(name.clone());
                }
                collect_requests(body, names);
            }
            Op::Loop { body, .. } => collect_requests(body, names),
            _ => {}
        }
    }
}

/// A Go identifier `prefix` + the name in camel case (`map` + `cache` = `mapCache`), made
/// unique among `used` with a number.
pub(crate) fn ident(prefix: &str, name: &str, used: &mut HashSet<String>) -> String {
    let mut id = prefix.to_string();
    // Letters and digits beyond ASCII become their code point (`é` → `U00e9`), so that a
    // name of them still names something, and two such names stay apart.
    let name: String = name
        .chars()
        .map(|c| {
            if c.is_ascii() || !c.is_alphanumeric() {
                c.to_string()
            } else {
                format!(" u{:04x} ", u32::from(c))
            }
        })
        .collect();
    for part in name.split(|c: char| !c.is_ascii_alphanumeric()) {
        let mut chars = part.chars();
        if let Some(first) = chars.next() {
            id.push(first.to_ascii_uppercase());
            id.extend(chars);
        }
    }
    let mut unique = id.clone();
    let mut n = 2;
    while used.contains(&unique) {
        unique = format!("{id}{n}");
        n += 1;
    }
    used.insert(unique.clone());
    unique
}
