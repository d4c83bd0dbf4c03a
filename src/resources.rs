//! Refusing scenarios too big for this machine, before they run out of memory mid-way.

use std::fmt;

use crate::model::gomap::{ClassicMap, SwissMap};
use crate::scenario::{Scenario, WorkBound};

/// A scenario that needs more memory than is available. Sizes are in bytes.
///
/// `file` names the scenario file in the message, as every scenario error does; the check
/// leaves it empty (a [`Scenario`] does not know its file) and the caller fills it with
/// [`ResourceError::in_file`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResourceError {
    /// The scenario file; empty until [`ResourceError::in_file`] sets it.
    pub file: String,
    /// The map that does not fit.
    pub map: String,
    /// An upper bound on the keys the map holds at once ([`Scenario::key_budget`]).
    pub keys: u64,
    /// The map's `make` size hint.
    pub hint: u64,
    /// What simulating this map needs.
    pub need: u64,
    /// What this map and the maps declared before it need together.
    pub total: u64,
    /// The memory available to the simulation: MemAvailable less a fifth.
    pub avail: u64,
}

impl ResourceError {
    /// The error, naming the scenario file `file`.
    pub fn in_file(self, file: impl Into<String>) -> ResourceError {
        ResourceError {
            file: file.into(),
            ..self
        }
    }
}

impl fmt::Display for ResourceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if !self.file.is_empty() {
            write!(f, "{}: ", self.file)?;
        }
        write!(
            f,
            "map `{}` would hold up to {} keys (hint {}): simulating it needs about {}",
            self.map,
            self.keys,
            self.hint,
            binary_size(self.need)
        )?;
        if self.total > self.need {
            write!(f, " ({} with the maps before it)", binary_size(self.total))?;
        }
        write!(
            f,
            ", but only {} is available to it; reduce the insert counts or the hint",
            binary_size(self.avail)
        )
    }
}

impl std::error::Error for ResourceError {}

/// Checks each map's simulated footprint against the memory available (MemAvailable in
/// /proc/meminfo, less a fifth for everything else). Skipped where that is unknown. The
/// error's `file` is empty: see [`ResourceError::in_file`].
pub fn check_memory(sc: &Scenario) -> Result<(), ResourceError> {
    let Some(avail) = available_bytes() else {
        return Ok(());
    };
    check_against(sc, avail / 5 * 4)
}

/// Each map's most keys and the simulation's memory for it (bytes), in order.
fn map_footprints(sc: &Scenario) -> impl Iterator<Item = (&crate::scenario::MapSpec, u64, u64)> {
    sc.maps.iter().zip(sc.key_budget()).map(|(spec, keys)| {
        let need = if crate::engine::compile::swiss_map(spec, &sc.runtime.go) {
            SwissMap::sim_footprint_bytes(keys, spec.hint)
        } else {
            ClassicMap::sim_footprint_bytes(keys, spec.hint)
        };
        (spec, keys, need)
    })
}

/// The memory the simulation of `sc`'s maps needs at most (bytes): what [`check_memory`]
/// holds against the memory available.
pub fn sim_footprint_bytes(sc: &Scenario) -> u64 {
    map_footprints(sc).fold(0, |t, (_, _, need)| t.saturating_add(need))
}

fn check_against(sc: &Scenario, avail: u64) -> Result<(), ResourceError> {
    let mut total = 0u64;
    for (spec, keys, need) in map_footprints(sc) {
        total = total.saturating_add(need);
        if total > avail {
            return Err(ResourceError {
                file: String::new(),
                map: spec.name.clone(),
                keys,
                hint: spec.hint,
                need,
                total,
                avail,
            });
        }
    }
    Ok(())
}

/// The most operations a run may be estimated to take before it is refused up front
/// ([`check_work`]); `--max-ops` raises it. 10^10: at the simulator's ~10^7 operations a
/// second (benches/service_open_loop), about a quarter of an hour.
pub const DEFAULT_MAX_OPS: u64 = 10_000_000_000;

/// A run estimated to take more than a limit allows, refused before it starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkError {
    /// The scenario file; empty until [`WorkError::in_file`] sets it.
    pub file: String,
    /// The estimate.
    pub bound: WorkBound,
    /// GC cycles estimated from the bytes allocated and the heap goal
    /// ([`gc_cycles_estimate`]) ...
    pub gc_cycles: u64,
    /// ... and the allocation each cycle allows in that estimate.
    pub runway_bytes: u64,
    /// The operation limit (`--max-ops`), when it is the one exceeded.
    pub max_ops: Option<u64>,
}

impl WorkError {
    /// The error, naming the scenario file `file`.
    pub fn in_file(self, file: impl Into<String>) -> WorkError {
        WorkError {
            file: file.into(),
            ..self
        }
    }
}

impl fmt::Display for WorkError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if !self.file.is_empty() {
            write!(f, "{}: ", self.file)?;
        }
        match self.max_ops {
            Some(max) => write!(
                f,
                "this run is estimated at up to {:.2e} operations (map operations, range-loop \
                 entries, locks, computes, loop iterations, through loops, goroutines and \
                 arrivals: about {} at 10^7 a second), over the limit of {max:.2e}; shorten \
                 the loops, raise the limit with --max-ops, or bound the run by wall clock \
                 with --time-limit",
                self.bound.ops as f64,
                rough_duration(self.bound.ops as f64 / 1e7),
            ),
            None => write!(
                f,
                "this run would start about {:.2e} GC cycles ({} allocated, a cycle every {} \
                 above up to {} reachable), more than the {} gomemsim records; allocate less, \
                 or raise GOGC or GOMEMLIMIT",
                self.gc_cycles as f64,
                binary_size(self.bound.alloc_bytes),
                binary_size(self.runway_bytes),
                binary_size(self.bound.retained_bytes),
                crate::engine::sim::MAX_GC_CYCLES
            ),
        }
    }
}

impl std::error::Error for WorkError {}

/// Seconds as the largest unit a reader grasps at once.
fn rough_duration(s: f64) -> String {
    if s >= 2.0 * 86400.0 * 365.0 {
        format!("{:.0} years", s / (86400.0 * 365.0))
    } else if s >= 2.0 * 86400.0 {
        format!("{:.0} days", s / 86400.0)
    } else if s >= 2.0 * 3600.0 {
        format!("{:.0} hours", s / 3600.0)
    } else {
        format!("{:.0} minutes", (s / 60.0).max(1.0))
    }
}

/// How many GC cycles allocating `alloc_bytes` starts, roughly: the allocation over the
/// runway each cycle allows, the heap goal (runtime/mgcpacer.go: GOGC's goal, at least
/// heapMinimum = defaultHeapMinimum × GOGC/100; or the memory limit) above the reachable
/// heap, at least 64 KiB (this estimate's floor for a death spiral, not a runtime
/// constant). Returns the cycles and that runway in bytes (0, 0 without a goal: GOGC=off
/// and no limit).
pub fn gc_cycles_estimate(sc: &Scenario, w: &WorkBound) -> (u64, u64) {
    use crate::scenario::types::{Gogc, MemLimit};
    let live = w.retained_bytes as f64;
    let gogc_goal = match sc.runtime.gogc {
        Gogc::Off => f64::INFINITY,
        Gogc::Percent(p) => {
            let p = f64::from(p) / 100.0;
            let heap_minimum = crate::model::gc::pacer::DEFAULT_HEAP_MINIMUM as f64;
            (live * (1.0 + p)).max(heap_minimum * p)
        }
    };
    let limit_goal = match sc.runtime.gomemlimit {
        MemLimit::Off => f64::INFINITY,
        MemLimit::Limit(b) => b.0 as f64,
    };
    let goal = gogc_goal.min(limit_goal);
    if !goal.is_finite() {
        return (0, 0);
    }
    let runway = (goal - live).max(65536.0);
    // Float to integer casts saturate.
    ((w.alloc_bytes as f64 / runway) as u64, runway as u64)
}

/// Refuses a scenario estimated ([`Scenario::work_bound`]) at more than `max_ops`
/// operations, or at far more GC cycles than a run records (4 × MAX_GC_CYCLES: the
/// estimate is rough, and the run itself stops at the limit). The error's `file` is empty:
/// see [`WorkError::in_file`].
pub fn check_work(sc: &Scenario, max_ops: u64) -> Result<WorkBound, WorkError> {
    let bound = sc.work_bound();
    let (gc_cycles, runway_bytes) = gc_cycles_estimate(sc, &bound);
    let err = |max_ops| WorkError {
        file: String::new(),
        bound,
        gc_cycles,
        runway_bytes,
        max_ops,
    };
    if bound.ops > max_ops {
        return Err(err(Some(max_ops)));
    }
    if gc_cycles > 4 * crate::engine::sim::MAX_GC_CYCLES as u64 {
        return Err(err(None));
    }
    Ok(bound)
}

/// Bytes in the largest binary unit that keeps the number at 1 or more: "512 B",
/// "1.50 KiB", ... "16.00 EiB".
pub fn binary_size(bytes: u64) -> String {
    match binary_scaled(bytes as f64) {
        (_, "B") => format!("{bytes} B"),
        (value, unit) => format!("{value:.2} {unit}"),
    }
}

/// `bytes` in the largest binary unit that keeps the number at 1 or more (by magnitude):
/// the number and the unit's name.
pub fn binary_scaled(bytes: f64) -> (f64, &'static str) {
    const UNITS: [&str; 7] = ["B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"];
    let mut value = bytes;
    let mut unit = 0;
    while value.abs() >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    (value, UNITS[unit])
}

fn available_bytes() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = text.lines().find(|l| l.starts_with("MemAvailable:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    let avail = kib.saturating_mul(1024);
    // A process limited in address space (ulimit -v, a container's setrlimit) gets no more
    // than that, whatever the machine has free.
    Some(address_space_limit().map_or(avail, |l| avail.min(l)))
}

/// The soft `Max address space` limit of this process, if any (/proc/self/limits).
fn address_space_limit() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/self/limits").ok()?;
    let line = text.lines().find(|l| l.starts_with("Max address space"))?;
    line.split_whitespace().nth(3)?.parse().ok()
}

/// The most bytes a scenario file may have (a real one has a few KiB).
pub const MAX_SCENARIO_BYTES: u64 = 16 << 20;
/// The most bytes a gctrace log may have (a million cycles is about 150 MB).
pub const MAX_LOG_BYTES: u64 = 512 << 20;

/// Reads the file at `path`, refusing one longer than `limit` bytes (or endless, as
/// /dev/zero is) with an error that says the limit.
pub fn read_limited(path: &std::path::Path, limit: u64) -> std::io::Result<Vec<u8>> {
    use std::io::Read;
    let mut bytes = Vec::new();
    std::fs::File::open(path)?
        .take(limit + 1)
        .read_to_end(&mut bytes)?;
    if bytes.len() as u64 > limit {
        return Err(std::io::Error::other(format!(
            "longer than {} MiB, the most this command reads",
            limit >> 20
        )));
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::parse_str;

    fn scenario(maps: &[(&str, u64)], program: &str) -> Scenario {
        let mut text = "name = \"r\"\n".to_string();
        for (name, hint) in maps {
            text += &format!(
                "[[maps]]\nname = \"{name}\"\nkey = \"int64\"\nelem = \"int64\"\nhint = {hint}\n"
            );
        }
        text += &format!("[[goroutines]]\nname = \"w\"\nprogram = [{program}]\n");
        parse_str(&text, "r.toml", &[]).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn sizes_scale_through_binary_units() {
        assert_eq!(binary_size(0), "0 B");
        assert_eq!(binary_size(1023), "1023 B");
        assert_eq!(binary_size(1536), "1.50 KiB");
        assert_eq!(binary_size(64 << 20), "64.00 MiB");
        assert_eq!(binary_size(60 << 30), "60.00 GiB");
        assert_eq!(binary_size(3 << 40), "3.00 TiB");
        assert_eq!(binary_size(5 << 50), "5.00 PiB");
        assert_eq!(binary_size(1 << 60), "1.00 EiB");
        assert_eq!(binary_size(u64::MAX), "16.00 EiB");
    }

    #[test]
    fn a_map_too_big_is_refused_with_the_file_and_readable_sizes() {
        let sc = scenario(
            &[("m", 0)],
            "{ op = \"insert\", map = \"m\", n = 100000000000 }",
        );
        let e = check_against(&sc, 16 << 30)
            .unwrap_err()
            .in_file("big.toml");
        assert_eq!((e.map.as_str(), e.keys, e.hint), ("m", 100_000_000_000, 0));
        let text = e.to_string();
        assert!(
            text.starts_with(
                "big.toml: map `m` would hold up to 100000000000 keys (hint 0): \
                 simulating it needs about "
            ),
            "{text}"
        );
        assert!(
            text.ends_with(
                " TiB, but only 16.00 GiB is available to it; reduce the insert \
                 counts or the hint"
            ),
            "{text}"
        );
        assert!(!text.contains("with the maps before it"), "{text}");
        let e = check_against(&sc, 16 << 30).unwrap_err();
        assert!(text.ends_with(&e.to_string()), "no file, no prefix: {e}");
    }

    #[test]
    fn maps_add_up() {
        let sc = scenario(
            &[("a", 3_000_000), ("b", 3_000_000)],
            "{ op = \"insert\", map = \"a\", n = 1 }",
        );
        let a = ClassicMap::sim_footprint_bytes(1, 3_000_000);
        let b = ClassicMap::sim_footprint_bytes(0, 3_000_000);
        assert!(check_against(&sc, a + b).is_ok());
        let e = check_against(&sc, a + b - 1).unwrap_err();
        assert_eq!((e.map.as_str(), e.need, e.total), ("b", b, a + b));
        assert!(e.to_string().contains("with the maps before it"), "{e}");
    }

    #[test]
    fn churn_needs_room_for_one_key_only() {
        let sc = scenario(
            &[("m", 0)],
            "{ op = \"churn\", map = \"m\", n = 1000000000000 }",
        );
        assert_eq!(sc.key_budget(), vec![1]);
        assert!(check_against(&sc, 1 << 20).is_ok());
    }

    #[test]
    fn work_counts_through_loops_and_replicas() {
        // 3 goroutines, each: 5 inserts, then 10 times (2 reads, a lock and an unlock, a
        // 1 MiB alloc in 4 KiB objects, a retain of 64 KiB and a free of 64 KiB).
        let text = "name = \"w\"\n[[maps]]\nname = \"m\"\nkey = \"int64\"\nelem = \"int64\"\n\
                    [[goroutines]]\nname = \"g\"\ncount = 3\nprogram = [\
                    { op = \"insert\", map = \"m\", n = 5 }, { op = \"loop\", times = 10, body = [\
                    { op = \"read\", map = \"m\", n = 2 }, { op = \"lock\" }, { op = \"unlock\" },\
                    { op = \"alloc\", bytes = \"1MiB\", size = \"4KiB\" },\
                    { op = \"retain\", bytes = \"64KiB\", size = \"4KiB\" },\
                    { op = \"free\", bytes = \"64KiB\" } ] } ]\n";
        let sc = parse_str(text, "w.toml", &[]).unwrap_or_else(|e| panic!("{e}"));
        let w = sc.work_bound();
        // Per goroutine: 5 + 10 × (2 + 1 + 1 + 1 + 1 + 1) + 10 loop iterations = 85.
        assert_eq!(w.ops, 3 * 85);
        assert_eq!(w.alloc_bytes, 3 * 10 * ((1 << 20) + (64 << 10)));
        // Every retain is freed: the heap's own live bytes stay.
        assert_eq!(w.retained_bytes, sc.heap.live.0);
        assert!(check_work(&sc, 3 * 85).is_ok());
        let e = check_work(&sc, 3 * 85 - 1).unwrap_err().in_file("w.toml");
        assert!(
            e.to_string()
                .starts_with("w.toml: this run is estimated at up to 2.55e2"),
            "{e}"
        );
        assert!(e.to_string().contains("--max-ops"), "{e}");
    }

    #[test]
    fn gc_cycles_follow_the_goal_s_runway() {
        // runtime/mgcpacer.go: at GOGC=100 the goal is twice the live heap, at least 4 MiB:
        // 64 MiB live and 8 GiB allocated give a cycle every 64 MiB, 128 in all.
        let text = |runtime: &str| {
            format!(
                "name = \"gc\"\n[runtime]\n{runtime}\n[heap]\nlive = \"64MiB\"\n[[goroutines]]\n\
                 name = \"g\"\nprogram = [ {{ op = \"alloc\", bytes = \"8GiB\", size = \"4KiB\" }} ]\n"
            )
        };
        let est = |runtime: &str| {
            let sc = parse_str(&text(runtime), "gc.toml", &[]).unwrap_or_else(|e| panic!("{e}"));
            gc_cycles_estimate(&sc, &sc.work_bound())
        };
        assert_eq!(est("gogc = 100"), (128, 64 << 20));
        assert_eq!(est("gogc = 50"), (256, 32 << 20));
        assert_eq!(est("gogc = \"off\""), (0, 0));
        // A limit below the live heap leaves the least runway: a death spiral.
        assert_eq!(
            est("gogc = \"off\"\ngomemlimit = \"32MiB\""),
            (131072, 65536)
        );
        let sc = parse_str(
            &text("gogc = \"off\"\ngomemlimit = \"1MiB\"").replace("8GiB", "1TiB"),
            "gc.toml",
            &[],
        )
        .unwrap();
        let e = check_work(&sc, DEFAULT_MAX_OPS).unwrap_err();
        assert_eq!(e.max_ops, None);
        assert!(e.to_string().contains("GC cycles"), "{e}");
    }
}
