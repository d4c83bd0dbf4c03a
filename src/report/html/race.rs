//! The race and replay parts of the page: the outcomes, how complete the search was,
//! and the schedule step by step from steps.json.

use serde::Serialize;
use serde_json::Value;

use super::collect::raw_text;
use super::format::{Unit, format};

#[derive(Serialize)]
pub(super) struct RaceView {
    strategy: String,
    /// The strategy's parameter and how complete the search was, in words.
    search: Vec<String>,
    schedules: String,
    outcomes: Vec<Outcome>,
    data_races: String,
    corrupted: String,
    /// What `corrupted` counts: "maps corrupted", "appends lost" or both.
    harm: String,
    failures: Vec<Failure>,
}

#[derive(Serialize)]
pub(super) struct Outcome {
    outcome: String,
    count: String,
    share: String,
    fatal: bool,
}

#[derive(Serialize)]
pub(super) struct Failure {
    what: &'static str,
    token: String,
    fatal: String,
    goroutine: String,
    steps: String,
    preemptions: String,
}

#[derive(Serialize)]
pub(super) struct StepsView {
    /// Which schedule it is (the shrunk failure, the replayed one...).
    shown: String,
    /// steps.json, made safe to sit inside a script element.
    json: String,
    replay: String,
    fatal: Option<String>,
    race: Option<String>,
    corruption: Vec<String>,
    total_steps: u64,
    rows: Vec<StepRow>,
}

#[derive(Serialize)]
pub(super) struct StepRow {
    /// Steps of the schedule not listed before this one.
    gap: u64,
    i: u64,
    t: String,
    goroutine: String,
    p: u64,
    map: String,
    step: String,
    flag: String,
    home: String,
    source: String,
    code: String,
    marks: String,
}

pub(super) fn race_view(r: &Value) -> RaceView {
    let n = |k: &str| r.get(k).and_then(Value::as_u64).unwrap_or(0);
    let schedules = n("schedules");
    let outcomes = r
        .get("outcomes")
        .and_then(Value::as_object)
        .map(|o| {
            o.iter()
                .map(|(k, v)| {
                    let c = v.as_u64().unwrap_or(0);
                    Outcome {
                        outcome: k.clone(),
                        count: format(&c.to_string(), Unit::Count),
                        share: format!("{:.1}%", c as f64 * 100.0 / schedules.max(1) as f64),
                        fatal: k != "ok",
                    }
                })
                .collect()
        })
        .unwrap_or_default();
    let failures = [
        ("shrunk failure", "shrunk_failure"),
        ("first failure", "first_failure"),
        ("first data race Go's check missed", "first_silent_race"),
    ]
    .into_iter()
    .filter_map(|(what, key)| {
        let f = r.get(key).filter(|f| f.is_object())?;
        let s = |k: &str| f.get(k).map(raw_text).unwrap_or_default();
        Some(Failure {
            what,
            token: s("token"),
            fatal: s("fatal"),
            goroutine: s("goroutine"),
            steps: s("steps"),
            preemptions: s("preemptions"),
        })
    })
    .collect();
    let mut search = Vec::new();
    if let Some(b) = r.get("preemption_bound").and_then(Value::as_u64) {
        search.push(format!("preemption bound {b}"));
    }
    match r.get("complete").and_then(Value::as_bool) {
        Some(true) => search.push("every schedule within the bound was explored".into()),
        Some(false) => search.push(match r.get("search_progress").and_then(Value::as_f64) {
            Some(p) => format!(
                "the search stopped before the end: about {:.1}% of the search tree is behind it, \
                 so schedules it did not reach may fail",
                p * 100.0
            ),
            None => "the search stopped before the end: schedules it did not reach may fail".into(),
        }),
        None => {}
    }
    if let Some(d) = r.get("depth").and_then(Value::as_u64) {
        search.push(format!("depth {d}"));
    }
    if let Some(g) = r.get("pct_guarantee").and_then(Value::as_f64) {
        search.push(format!(
            "PCT finds a bug of that depth with probability at least {g:.2e} per schedule"
        ));
    }
    if r.get("stopped_by_time_limit") == Some(&Value::Bool(true)) {
        search.push("stopped by --time-limit".into());
    }
    RaceView {
        search,
        strategy: r.get("strategy").map(raw_text).unwrap_or_default(),
        schedules: format(&schedules.to_string(), Unit::Count),
        outcomes,
        data_races: format(&n("data_races").to_string(), Unit::Count),
        corrupted: format(&n("corrupted").to_string(), Unit::Count),
        harm: r
            .get("corrupted_means")
            .and_then(Value::as_str)
            .unwrap_or("maps corrupted")
            .to_string(),
        failures,
    }
}

pub(super) fn steps_view(s: &Value) -> StepsView {
    let names: Vec<String> = s
        .get("goroutines")
        .and_then(Value::as_array)
        .map(|a| a.iter().map(raw_text).collect())
        .unwrap_or_default();
    let maps: Vec<&Value> = s
        .get("maps")
        .and_then(Value::as_array)
        .map(|a| a.iter().collect())
        .unwrap_or_default();
    let str_of = |v: &Value, k: &str| v.get(k).and_then(Value::as_str).unwrap_or("").to_string();
    let slices: Vec<String> = s
        .get("slices")
        .and_then(Value::as_array)
        .map(|a| a.iter().map(raw_text).collect())
        .unwrap_or_default();
    let mut next = 0;
    let rows = s
        .get("steps")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .map(|st| {
                    let u = |k: &str| st.get(k).and_then(Value::as_u64);
                    let i = u("i").unwrap_or(0);
                    let gap = i.saturating_sub(next);
                    next = i + 1;
                    let map = u("map").and_then(|m| maps.get(m as usize).copied());
                    let flag = match (
                        st.get("flag_before").and_then(Value::as_bool),
                        st.get("flag_after").and_then(Value::as_bool),
                        map,
                    ) {
                        (Some(b), Some(a), Some(m)) => {
                            format!("{} {}→{}", str_of(m, "flag"), b as u8, a as u8)
                        }
                        _ => String::new(),
                    };
                    let home = match (u("home"), map) {
                        (Some(h), Some(m)) => format!("{} {h}", str_of(m, "home")),
                        _ => String::new(),
                    };
                    let file = str_of(st, "file");
                    StepRow {
                        gap,
                        i,
                        // Exact: neighbouring steps are nanoseconds apart.
                        t: format!(
                            "{} ns",
                            format(&u("t_ns").unwrap_or(0).to_string(), Unit::Count)
                        ),
                        goroutine: u("goroutine")
                            .and_then(|g| names.get(g as usize).cloned())
                            .unwrap_or_default(),
                        p: u("p").unwrap_or(0),
                        // The variable the step touches: its map, or its slice.
                        map: map.map(|m| str_of(m, "name")).unwrap_or_else(|| {
                            u("slice")
                                .and_then(|v| slices.get(v as usize).cloned())
                                .unwrap_or_default()
                        }),
                        step: str_of(st, "step"),
                        flag,
                        home,
                        source: if file.is_empty() {
                            String::new()
                        } else {
                            format!("{file}: {}", str_of(st, "function"))
                        },
                        code: str_of(st, "code"),
                        marks: st
                            .get("marks")
                            .and_then(Value::as_array)
                            .map(|m| m.iter().map(raw_text).collect::<Vec<_>>().join("; "))
                            .unwrap_or_default(),
                    }
                })
                .collect()
        })
        .unwrap_or_default();
    StepsView {
        shown: str_of(s, "shown"),
        // Inside <script>, "</script" ends the element and "<!--" changes how it is read:
        // no "<" at all then. In JSON text "<" is only ever inside a string, where
        // "\u003c" means the same.
        json: s.to_string().replace('<', "\\u003c"),
        replay: str_of(s, "replay"),
        fatal: s.get("fatal").and_then(Value::as_str).map(str::to_string),
        race: s.get("race").and_then(Value::as_str).map(str::to_string),
        corruption: s
            .get("corruption")
            .and_then(Value::as_array)
            .map(|a| a.iter().map(raw_text).collect())
            .unwrap_or_default(),
        total_steps: s.get("total_steps").and_then(Value::as_u64).unwrap_or(0),
        rows,
    }
}
