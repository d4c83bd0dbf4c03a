//! Refusing scenarios too big for this machine, before they run out of memory mid-way.

use crate::model::gomap::ClassicMap;
use crate::scenario::Scenario;

/// A scenario that needs more memory than is available.
#[derive(Debug, thiserror::Error)]
#[error(
    "map `{map}` would hold up to {keys} keys (hint {hint}): simulating it needs about {need_mib} MiB, \
     but this machine has {avail_mib} MiB available; reduce the insert counts or the hint"
)]
pub struct ResourceError {
    pub map: String,
    pub keys: u64,
    pub hint: u64,
    pub need_mib: u64,
    pub avail_mib: u64,
}

/// Checks each map's simulated footprint against the memory available (MemAvailable in
/// /proc/meminfo, less a fifth for everything else). Skipped where that is unknown.
pub fn check_memory(sc: &Scenario) -> Result<(), ResourceError> {
    let Some(avail) = available_bytes() else {
        return Ok(());
    };
    check_against(sc, avail / 5 * 4)
}

fn check_against(sc: &Scenario, avail: u64) -> Result<(), ResourceError> {
    let budget = sc.key_budget();
    let mut total = 0u64;
    for (spec, &keys) in sc.maps.iter().zip(&budget) {
        let need = ClassicMap::sim_footprint_bytes(keys, spec.hint);
        total = total.saturating_add(need);
        if total > avail {
            return Err(ResourceError {
                map: spec.name.clone(),
                keys,
                hint: spec.hint,
                need_mib: need >> 20,
                avail_mib: avail >> 20,
            });
        }
    }
    Ok(())
}

fn available_bytes() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = text.lines().find(|l| l.starts_with("MemAvailable:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}
