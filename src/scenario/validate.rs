//! Checks that serde cannot express: supported releases, ranges, unique names, references to
//! declared maps, and features that parse but belong to models not built yet.

use std::collections::HashMap;

use super::error::Problem;
use super::gotype::invalid_key_message;
use super::path::FieldPath;
use super::types::{GoroutineSpec, Op, Scenario};

/// The names ops may refer to: each declared map and slice with its index.
struct Declared<'a> {
    maps: HashMap<&'a str, usize>,
    slices: HashMap<&'a str, usize>,
}

/// runtime/malloc.go: maxAlloc on linux/amd64, `1 << heapAddrBits` (48): the largest object
/// makeslice and growslice accept ("cap out of range" beyond it).
const MAX_ALLOC: u64 = 1 << 48;

/// Go releases whose runtime is modelled.
pub(crate) const SUPPORTED_GO: [&str; 6] = ["1.19", "1.20", "1.21", "1.22", "1.23", "1.24"];

const MAX_GOMAXPROCS: u32 = 1024;
/// Goroutines in a scenario, all replicas counted.
const MAX_GOROUTINES: u64 = 100_000;
/// Arrivals of one `[[arrivals]]` source in a run (each is a goroutine and a request): about
/// a minute and a half of simulation.
const MAX_ARRIVALS: u64 = 100_000_000;

/// The first problem of `s`, in file order: name, runtime, heap, costs, maps, slices,
/// goroutines.
pub(crate) fn validate(s: &Scenario) -> Result<(), Problem> {
    let root = FieldPath::root();
    check_name(&s.name, root.key("name"))?;
    check_go(&s.runtime.go, root.key("runtime").key("go"))?;
    let procs = s.runtime.gomaxprocs;
    if !(1..=MAX_GOMAXPROCS).contains(&procs) {
        return Err(Problem::at(
            root.key("runtime").key("gomaxprocs"),
            format!("gomaxprocs must be between 1 and {MAX_GOMAXPROCS}, got {procs}"),
        ));
    }
    check_fractions(s)?;
    check_wake_range(&s.costs)?;
    let maps = Declared {
        maps: check_maps(s)?,
        slices: check_slices(s)?,
    };
    for (g, spec) in s.goroutines.iter().enumerate() {
        check_goroutine(s, spec, root.key("goroutines").index(g), &maps)?;
    }
    for (i, a) in s.arrivals.iter().enumerate() {
        let at = root.key("arrivals").index(i);
        check_request_name(&a.name, at.key("name"))?;
        if a.rate.micro_hz() == 0 {
            return Err(Problem::at(at.key("rate"), "rate must be above 0/s"));
        }
        let n = s.arrival_bound(a);
        if n > MAX_ARRIVALS {
            return Err(Problem::at(
                at.key("duration"),
                format!(
                    "{} at {} would make up to {n} arrivals; at most {MAX_ARRIVALS} in a run",
                    a.duration, a.rate
                ),
            ));
        }
        check_ops(s, &a.body, at.key("body"), &maps)?;
    }
    let total = s
        .goroutines
        .iter()
        .fold(0u64, |sum, g| sum.saturating_add(u64::from(g.count)));
    if total > MAX_GOROUTINES {
        return Err(Problem::at(
            root.key("goroutines"),
            format!("at most {MAX_GOROUTINES} goroutines in all, got {total}"),
        ));
    }
    Ok(())
}

fn check_name(name: &str, path: FieldPath) -> Result<(), Problem> {
    let allowed = "letters, digits, `.`, `_` and `-`";
    if name.is_empty() {
        return Err(Problem::at(path, "the scenario name must not be empty").allowed(allowed));
    }
    if !name
        .chars()
        .all(|c| c.is_alphanumeric() || matches!(c, '.' | '_' | '-'))
    {
        let msg = format!("invalid scenario name {name:?}: it names the directory results/<name>/");
        return Err(Problem::at(path, msg).allowed(allowed));
    }
    if name.chars().all(|c| c == '.') {
        let msg = format!("invalid scenario name {name:?}: it names the directory results/<name>/");
        return Err(
            Problem::at(path, msg).allowed("a name with at least one letter, digit, `_` or `-`")
        );
    }
    Ok(())
}

fn check_go(go: &str, path: FieldPath) -> Result<(), Problem> {
    if SUPPORTED_GO.contains(&go) {
        return Ok(());
    }
    let allowed = SUPPORTED_GO.join(", ");
    let message = match super::types::go_minor(go) {
        // go1.25 changed the Swiss map (tombstones pruned before growing, golang/go#70886)
        // and the GC (green tea, as an experiment): not modelled.
        Some(m) if m >= 25 => format!("Go release {go:?} is not modelled yet"),
        _ => format!("unsupported Go release {go:?}"),
    };
    Err(Problem::at(path, message).allowed(allowed))
}

/// The first wake-up of a P is drawn between `p_wake` and `p_wake_max`: the range must not
/// be empty.
fn check_wake_range(c: &crate::scenario::types::Costs) -> Result<(), Problem> {
    if c.p_wake_max < c.p_wake {
        return Err(Problem::at(
            FieldPath::root().key("costs").key("p_wake_max"),
            format!(
                "p_wake_max must be at least p_wake ({}), got {}",
                c.p_wake, c.p_wake_max
            ),
        ));
    }
    Ok(())
}

/// Checks the `[heap]` and `[costs]` fields that are fractions: finite, from 0 to 1, and above
/// 0 for the background mark workers, without which a mark phase with no mutator running
/// would never end.
fn check_fractions(s: &Scenario) -> Result<(), Problem> {
    let c = &s.costs;
    let fields = [
        ("heap", "nonheap_ratio", s.heap.nonheap_ratio, true),
        (
            "costs",
            "background_mark_utilization",
            c.background_mark_utilization,
            false,
        ),
        (
            "costs",
            "idle_mark_utilization",
            c.idle_mark_utilization,
            true,
        ),
        (
            "costs",
            "mark_assist_min_share",
            c.mark_assist_min_share,
            true,
        ),
        (
            "costs",
            "fractional_mutator_share",
            c.fractional_mutator_share,
            true,
        ),
    ];
    for (table, name, value, zero_ok) in fields {
        let shown = toml_float(value);
        let in_range = (0.0..=1.0).contains(&value) && (zero_ok || value > 0.0);
        let message = if !value.is_finite() {
            format!("{name} must be a finite number from 0 to 1, got {shown}")
        } else if in_range {
            continue;
        } else if zero_ok {
            format!("{name} must be between 0 and 1, got {shown}")
        } else {
            format!("{name} must be above 0 and at most 1, got {shown}")
        };
        return Err(Problem::at(FieldPath::root().key(table).key(name), message));
    }
    Ok(())
}

/// A float as TOML writes it: `nan`, `inf`, `-inf`, `0.5`, `2`.
fn toml_float(v: f64) -> String {
    if v.is_nan() {
        "nan".to_string()
    } else if v.is_infinite() {
        if v > 0.0 { "inf" } else { "-inf" }.to_string()
    } else {
        v.to_string()
    }
}

/// Checks `[[maps]]` and returns each declared name with its index.
fn check_maps(s: &Scenario) -> Result<HashMap<&str, usize>, Problem> {
    let mut seen: HashMap<&str, usize> = HashMap::new();
    for (i, m) in s.maps.iter().enumerate() {
        let at = FieldPath::root().key("maps").index(i);
        if m.name.is_empty() {
            return Err(Problem::at(at.key("name"), "a map name must not be empty"));
        }
        if let Some(first) = seen.get(m.name.as_str()) {
            return Err(Problem::at(
                at.key("name"),
                format!(
                    "duplicate map name `{}` (first declared as maps[{first}])",
                    m.name
                ),
            ));
        }
        seen.insert(&m.name, i);
        if !m.key.comparable() {
            let msg = invalid_key_message(m.key.text());
            return Err(Problem::at(at.key("key"), msg));
        }
    }
    Ok(seen)
}

/// Checks `[[slices]]` and returns each declared name with its index.
fn check_slices(s: &Scenario) -> Result<HashMap<&str, usize>, Problem> {
    let mut seen: HashMap<&str, usize> = HashMap::new();
    for (i, sl) in s.slices.iter().enumerate() {
        let at = FieldPath::root().key("slices").index(i);
        if sl.name.is_empty() {
            return Err(Problem::at(
                at.key("name"),
                "a slice name must not be empty",
            ));
        }
        if let Some(first) = seen.get(sl.name.as_str()) {
            return Err(Problem::at(
                at.key("name"),
                format!(
                    "duplicate slice name `{}` (first declared as slices[{first}])",
                    sl.name
                ),
            ));
        }
        seen.insert(&sl.name, i);
        // runtime/slice.go: makeslice panics with "makeslice: cap out of range" when
        // cap * size overflows or passes maxAlloc.
        let size = sl.elem.size();
        if size > 0 && sl.cap > MAX_ALLOC / size {
            return Err(Problem::at(
                at.key("cap"),
                format!(
                    "make([]{}, 0, {}) takes more than 2^48 bytes: Go panics with \
                     \"makeslice: cap out of range\"",
                    sl.elem.text(),
                    sl.cap
                ),
            )
            .allowed(format!("0 to {}", MAX_ALLOC / size)));
        }
    }
    Ok(seen)
}

fn check_goroutine(
    s: &Scenario,
    g: &GoroutineSpec,
    at: FieldPath,
    maps: &Declared,
) -> Result<(), Problem> {
    if g.count < 1 {
        return Err(Problem::at(at.key("count"), "count must be >= 1, got 0"));
    }
    check_ops(s, &g.program, at.key("program"), maps)
}

/// A request name: it names a row of latency.csv and a key of summary.json.
fn check_request_name(name: &str, at: FieldPath) -> Result<(), Problem> {
    if name.is_empty() || name.chars().any(|c| c.is_control() || c == ',' || c == '"') {
        return Err(Problem::at(at, format!("invalid request name {name:?}"))
            .allowed("a non-empty name without commas, quotes or control characters"));
    }
    Ok(())
}

fn check_ops(s: &Scenario, ops: &[Op], at: FieldPath, maps: &Declared) -> Result<(), Problem> {
    for (i, op) in ops.iter().enumerate() {
        let here = at.index(i);
        match op {
            Op::Insert { map, .. }
            | Op::Delete { map, .. }
            | Op::Churn { map, .. }
            | Op::Read { map, .. }
            | Op::Iterate { map } => check_ref("map", map, here.key("map"), &maps.maps)?,
            Op::Append { slice, .. } | Op::Reset { slice } | Op::Drop { slice } => {
                check_ref("slice", slice, here.key("slice"), &maps.slices)?
            }
            Op::Alloc { size, rate, .. } => {
                check_size(size.0, here.key("size"))?;
                if rate.is_some_and(|r| r.0 == 0) {
                    return Err(Problem::at(here.key("rate"), "rate must be above 0B/s"));
                }
            }
            Op::Retain { size, .. } => check_size(size.0, here.key("size"))?,
            Op::Free { .. } | Op::Compute { .. } => {}
            Op::Lock { .. } | Op::Unlock { .. } | Op::Rlock { .. } | Op::Runlock { .. } => {}
            Op::Loop { body, duration, .. } => {
                check_ops(s, body, here.key("body"), maps)?;
                if duration.is_some() && s.min_time_ps(body) == 0 {
                    return Err(Problem::at(
                        here.key("body"),
                        "a loop with a duration needs a body that takes time, or it would \
                         never end",
                    )
                    .allowed(
                        "a map op, an append, an alloc or retain, or a compute with a time \
                         above 0",
                    ));
                }
            }
            Op::Request { name, body } => {
                check_request_name(name, here.key("name"))?;
                check_ops(s, body, here.key("body"), maps)?;
            }
        }
    }
    Ok(())
}

/// An object size: at least one byte.
fn check_size(size: u64, at: FieldPath) -> Result<(), Problem> {
    if size == 0 {
        return Err(Problem::at(at, "object size must be at least 1B"));
    }
    Ok(())
}

/// A reference to a declared map or slice (`kind`), by name.
fn check_ref(
    kind: &str,
    name: &str,
    at: FieldPath,
    names: &HashMap<&str, usize>,
) -> Result<(), Problem> {
    if names.contains_key(name) {
        return Ok(());
    }
    let mut declared: Vec<(&str, usize)> = names.iter().map(|(n, i)| (*n, *i)).collect();
    declared.sort_by_key(|&(_, i)| i);
    let problem = Problem::at(at, format!("{kind} `{name}` is not declared"));
    if declared.is_empty() {
        return Err(Problem {
            message: format!("{kind} `{name}` is not declared (the scenario has no [[{kind}s]])"),
            ..problem
        });
    }
    let names: Vec<&str> = declared.iter().map(|(n, _)| *n).collect();
    Err(problem.allowed(names.join(", ")))
}
