//! A replayed schedule as an execution trace: its steps become goroutine slices on the Ps
//! they ran on (P 0 alone under the interleaving strategies, whose steps run one at a
//! time), a switch between goroutines a preemption, and each stack the goroutine and the
//! runtime step it was at (`entry check`, `find slot`, …).

use std::collections::HashMap;

use crate::engine::exectrace::{
    DEFAULT_MAX_EVENTS, ExecTrace, MAIN_GOID, Site, TraceEvent, TraceKind,
};
use crate::explore::Trace;

/// The execution trace of schedule `t`.
pub fn from_schedule(t: &Trace) -> ExecTrace {
    let procs = t.procs.max(1);
    // One label per step kind that occurs: a stack's op frame.
    let mut kinds: HashMap<crate::model::sched::steps::StepKind, u32> = HashMap::new();
    let mut labels: Vec<String> = Vec::new();
    for s in &t.steps {
        kinds.entry(s.kind).or_insert_with(|| {
            labels.push(t.step_name(s).to_string());
            labels.len() as u32 - 1
        });
    }
    let goid = |g: u32| MAIN_GOID + 1 + u64::from(g);
    let site = |g: u32, s: &crate::explore::TraceStep| Site {
        program: g,
        pc: kinds[&s.kind],
    };
    let mut last_step = vec![usize::MAX; t.goroutines.len()];
    for (i, s) in t.steps.iter().enumerate() {
        last_step[s.goroutine as usize] = i;
    }
    let ended = t.fatal.is_none() && !t.cut;
    let mut events = Vec::with_capacity(t.steps.len() / 4 + 16);
    let mut push = |t_ns: u64, p: u32, g: u64, kind: TraceKind| {
        events.push(TraceEvent { t_ns, p, g, kind });
    };
    // Per P, the goroutine on it and where it last was; per goroutine, its P.
    let mut on_p: Vec<Option<(u32, Site)>> = vec![None; procs as usize];
    let mut p_of: Vec<Option<u32>> = vec![None; t.goroutines.len()];
    let mut created = vec![false; t.goroutines.len()];
    for (i, s) in t.steps.iter().enumerate() {
        let g = s.goroutine;
        let p = s.p.min(procs - 1);
        if !created[g as usize] {
            // Its first step: created by main.
            created[g as usize] = true;
            let create = TraceKind::Create {
                at: Site::MAIN,
                start: Site { program: g, pc: 0 },
            };
            push(s.t_ns, p, goid(g), create);
        }
        if on_p[p as usize].map(|(h, _)| h) != Some(g) {
            if let Some((h, at)) = on_p[p as usize].take() {
                push(s.t_ns, p, goid(h), TraceKind::Preempt { at });
                p_of[h as usize] = None;
            }
            if let Some(q) = p_of[g as usize].take() {
                let at = on_p[q as usize].take().map_or(Site::MAIN, |(_, at)| at);
                push(s.t_ns, q, goid(g), TraceKind::Preempt { at });
            }
            push(s.t_ns, p, goid(g), TraceKind::Start);
        }
        let here = site(g, s);
        on_p[p as usize] = Some((g, here));
        p_of[g as usize] = Some(p);
        if ended && i == last_step[g as usize] {
            let end = t.steps.get(i + 1).map_or(s.t_ns, |n| n.t_ns.max(s.t_ns));
            push(end, p, goid(g), TraceKind::End);
            on_p[p as usize] = None;
            p_of[g as usize] = None;
        }
    }
    events.sort_by_key(|e| e.t_ns);
    let mut cut_at_ns = None;
    if events.len() as u64 > DEFAULT_MAX_EVENTS {
        events.truncate(DEFAULT_MAX_EVENTS as usize);
        cut_at_ns = events.last().map(|e| e.t_ns);
    }
    ExecTrace {
        events,
        window_ns: (0, u64::MAX),
        cut_at_ns,
        procs,
        program_names: t.goroutines.clone(),
        labels: vec![labels; t.goroutines.len()],
        map_names: t.maps.clone(),
        request_names: Vec::new(),
    }
}
