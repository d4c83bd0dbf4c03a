//! race.json: what `gomemsim race` explored and found.

use serde::Serialize;

use super::summary::SummaryContract;
use crate::explore::{Exploration, Strategy, Trace};

#[derive(Serialize)]
struct RaceJson<'a> {
    scenario: &'a str,
    strategy: &'static str,
    schedules: u64,
    /// Outcome ("ok" or Go's fatal message) → schedules that ended so.
    outcomes: &'a std::collections::BTreeMap<&'static str, u64>,
    first_failure: Option<Failure<'a>>,
    /// Schedules where the happens-before detector saw a data race.
    data_races: u64,
    /// Finished schedules whose maps were corrupted (lost keys, count drift) or, in a
    /// scenario with slices, that lost appends.
    corrupted: u64,
    /// What `corrupted` counts, in a scenario with slices: "appends lost", or "maps
    /// corrupted or appends lost" with maps too.
    #[serde(skip_serializing_if = "Option::is_none")]
    corrupted_means: Option<&'static str>,
    /// The first failure shrunk to the fewest preemptions and steps that still fail.
    shrunk_failure: Option<Failure<'a>>,
    /// A schedule with a data race and no fatal error: Go's check is best effort.
    first_silent_race: Option<Failure<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    depth: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pct_guarantee: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    preemption_bound: Option<u32>,
    /// Exhaustive search: every schedule within the bound was explored.
    #[serde(skip_serializing_if = "Option::is_none")]
    complete: Option<bool>,
    /// A time limit stopped the search before --schedules.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    stopped_by_time_limit: bool,
    /// Exhaustive search left unfinished: the share of its tree behind it (an estimate).
    #[serde(skip_serializing_if = "Option::is_none")]
    search_progress: Option<f64>,
}

#[derive(Serialize)]
struct Failure<'a> {
    token: String,
    fatal: Option<&'static str>,
    goroutine: Option<&'a str>,
    steps: usize,
    preemptions: u32,
    corruption: &'a [String],
}

fn failure<'a>(token: String, t: &'a Trace) -> Failure<'a> {
    Failure {
        token,
        fatal: t.fatal.as_ref().map(|f| f.message),
        goroutine: t
            .fatal
            .as_ref()
            .map(|f| t.goroutines[f.goroutine as usize].as_str()),
        steps: t.steps.len(),
        preemptions: t.preemptions,
        corruption: &t.corruption,
    }
}

/// The race.json text (pretty, with a final newline); `shrunk` is the first failure shrunk.
/// race.json of exploration `ex` of `scenario`, whose `slices` and `maps` say what a
/// corrupted schedule is.
pub fn race_json(
    scenario: &str,
    ex: &Exploration,
    shrunk: Option<(&str, &Trace)>,
    maps: bool,
    slices: bool,
) -> String {
    let (depth, bound) = match ex.strategy {
        Strategy::Pct { depth } => (Some(depth), None),
        Strategy::Exhaustive { preemption_bound } => (None, Some(preemption_bound)),
        _ => (None, None),
    };
    let j = RaceJson {
        scenario,
        strategy: ex.strategy.name(),
        schedules: ex.schedules,
        outcomes: &ex.outcomes,
        first_failure: ex
            .first_failure
            .as_ref()
            .map(|(tok, t)| failure(tok.to_string(), t)),
        shrunk_failure: shrunk.map(|(tok, t)| failure(tok.to_string(), t)),
        data_races: ex.races,
        corrupted: ex.corrupted,
        corrupted_means: match (maps, slices) {
            (_, false) => None,
            (false, true) => Some("appends lost"),
            (true, true) => Some("maps corrupted or appends lost"),
        },
        stopped_by_time_limit: ex.stopped,
        search_progress: ex.progress.filter(|_| ex.complete == Some(false)),
        first_silent_race: ex
            .first_silent_race
            .as_ref()
            .map(|(tok, t)| failure(tok.to_string(), t)),
        depth,
        pct_guarantee: ex.pct_guarantee,
        preemption_bound: bound,
        complete: ex.complete,
    };
    let mut text = serde_json::to_string_pretty(&j).expect("race.json serializes");
    text.push('\n');
    text
}

/// map_events.csv of one explored schedule (the columns of `gomemsim run`'s).
pub fn trace_map_events_csv(t: &Trace) -> Vec<u8> {
    super::map_events::events_csv(
        t.map_events
            .iter()
            .map(|(m, e)| (t.maps[*m as usize].as_str(), e)),
    )
}

#[derive(Serialize)]
struct ReplaySummary<'a> {
    #[serde(flatten)]
    contract: SummaryContract<'a>,
    token: &'a str,
    steps: usize,
    preemptions: u32,
    data_race: bool,
    corruption: &'a [String],
    /// The replay stopped at the step limit before the program ended.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    step_limit: bool,
}

/// summary.json of one replayed schedule. The steps carry the heap and start GC cycles as
/// `run` does; the pauses and GC CPU are those of the cycles whose mark ended.
pub fn replay_summary_json(scenario: &str, seed: u64, token: &str, t: &Trace) -> String {
    // Both pauses of every cycle whose mark ended, and its GC CPU less idle marking, as
    // `run` counts them.
    let pauses: Vec<u64> = t
        .gc_cycles
        .iter()
        .flat_map(|c| [c.stw_sweep_term_ns, c.stw_mark_term_ns])
        .collect();
    let (stw_total_ns, stw_max_ns, _, _) = super::summary::pause_stats(&pauses);
    let sim_time_ns = t.steps.last().map_or(0, |s| s.t_ns);
    let gc_cpu_ns: u64 = t
        .gc_cycles
        .iter()
        .map(|c| c.gc_cpu_ns() - c.cpu_idle_ns)
        .sum();
    let cpu_ns = sim_time_ns as f64 * f64::from(t.procs.max(1));
    let gc_cpu_fraction = if cpu_ns > 0.0 {
        (gc_cpu_ns as f64 / cpu_ns * 1e6).round() / 1e6
    } else {
        0.0
    };
    let s = ReplaySummary {
        contract: SummaryContract {
            scenario,
            seed,
            sim_time_ns,
            gc_cycles: u64::from(t.gc.cycles),
            total_alloc_bytes: t.gc.total_alloc_bytes,
            peak_heap_bytes: t.gc.peak_heap_bytes,
            stw_total_ns,
            stw_max_ns,
            gc_cpu_fraction,
            fatal: t.fatal.as_ref().map(|f| f.message),
        },
        token,
        steps: t.steps.len(),
        preemptions: t.preemptions,
        data_race: t.race.is_some(),
        corruption: &t.corruption,
        step_limit: t.cut,
    };
    let mut text = serde_json::to_string_pretty(&s).expect("summary serializes");
    text.push('\n');
    text
}
