//! steps.json: the schedule `race` shrank (or `replay` ran) step by step, with the Go source
//! each step models, the flag before and after it and where its key lives: the material of
//! report.html's step-through, for any other viewer too.

use serde::Serialize;

use super::schedule::{fatal_text, goroutine_name, listed, map_name, race_text, step_marks};
use crate::explore::trace::Trace;

#[derive(Serialize)]
struct Steps<'a> {
    scenario: &'a str,
    /// Which schedule this is: "the shrunk failure", "the replayed schedule"...
    shown: &'a str,
    token: &'a str,
    /// The command that replays the schedule.
    replay: String,
    goroutines: Vec<String>,
    maps: Vec<MapInfo>,
    /// Slice names, for a scenario with slices.
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    slices: &'a [String],
    /// Steps in the schedule; `steps` lists those schedule.txt lists.
    total_steps: usize,
    preemptions: u32,
    outcome: &'static str,
    /// The fatal error as Go prints it.
    fatal: Option<String>,
    /// The `-race` report.
    race: Option<String>,
    corruption: &'a [String],
    steps: Vec<Step>,
}

#[derive(Serialize)]
struct MapInfo {
    name: String,
    /// "classic" or "swiss".
    implementation: &'static str,
    /// The write flag's name in the runtime: `hashWriting` (h.flags) or `writing` (Map).
    flag: &'static str,
    /// What a key's home is: "bucket" or "table".
    home: &'static str,
}

#[derive(Serialize)]
struct Step {
    i: usize,
    t_ns: u64,
    goroutine: u32,
    p: u32,
    map: Option<u32>,
    /// The slice a slice step touches (index into `slices`).
    #[serde(skip_serializing_if = "Option::is_none")]
    slice: Option<u32>,
    step: &'static str,
    file: &'static str,
    function: &'static str,
    code: &'static str,
    flag_before: Option<bool>,
    flag_after: Option<bool>,
    home: Option<u64>,
    marks: Vec<String>,
}

/// steps.json of `trace`, replayed by `token` of scenario `scenario` read from `file`;
/// `shown` says which schedule it is.
pub fn steps_json(trace: &Trace, token: &str, scenario: &str, file: &str, shown: &str) -> String {
    let maps = (0..trace.maps.len() as u32)
        .map(|m| {
            let s = trace.is_swiss(Some(m));
            MapInfo {
                name: map_name(trace, m).into_owned(),
                implementation: if s { "swiss" } else { "classic" },
                flag: trace.flag_name(Some(m)),
                home: if s { "table" } else { "bucket" },
            }
        })
        .collect();
    let steps = listed(trace)
        .into_iter()
        .flatten()
        .map(|i| {
            let s = &trace.steps[i];
            let src = s.kind.source(s.op, trace.is_swiss(s.map));
            Step {
                i,
                t_ns: s.t_ns,
                goroutine: s.goroutine,
                p: s.p,
                map: s.map,
                slice: s.slice,
                step: trace.step_name(s),
                file: src.file,
                function: src.function,
                code: src.code,
                flag_before: s.map.map(|_| s.writing_before),
                flag_after: s.map.map(|_| s.writing_after),
                home: s.home,
                marks: step_marks(trace, i),
            }
        })
        .collect();
    let steps = Steps {
        scenario,
        shown,
        token,
        replay: format!(
            "gomemsim replay {file} --schedule {}",
            crate::explore::shell_word(token)
        ),
        goroutines: (0..trace.goroutines.len() as u32)
            .map(|g| goroutine_name(trace, g).into_owned())
            .collect(),
        maps,
        slices: &trace.slices,
        total_steps: trace.steps.len(),
        preemptions: trace.preemptions,
        outcome: trace.outcome(),
        fatal: fatal_text(trace),
        race: race_text(trace),
        corruption: &trace.corruption,
        steps,
    };
    let mut out = serde_json::to_string_pretty(&steps).expect("plain data serializes");
    out.push('\n');
    out
}
