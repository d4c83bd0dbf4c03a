//! The slices of a run: slice_events.csv (one row per growth) and summary.json's `slices`.

use serde::Serialize;

use crate::engine::Outcome;
use crate::engine::slices::SliceEvent;
use crate::explore::Trace;

/// The CSV text: `slice,op,event,len,cap_before,cap_after,bytes_before,bytes_after`, one row
/// per growth (`event` = `grow`; `op` the 1-based append that grew it, `len` the length it
/// needed), slices in the scenario's order, each slice's growths in the order they happened.
pub fn slice_events_csv(outcome: &Outcome) -> Vec<u8> {
    events_csv(
        outcome
            .slices
            .iter()
            .flat_map(|s| s.events.iter().map(move |e| (s.name.as_str(), e))),
    )
}

/// slice_events.csv of a replayed schedule, as [`slice_events_csv`] writes it for a run.
pub fn trace_slice_events_csv(t: &Trace) -> Vec<u8> {
    events_csv(t.slices.iter().enumerate().flat_map(|(i, name)| {
        t.slice_events
            .iter()
            .filter(move |(s, _)| *s as usize == i)
            .map(move |(_, e)| (name.as_str(), e))
    }))
}

fn events_csv<'a>(rows: impl Iterator<Item = (&'a str, &'a SliceEvent)>) -> Vec<u8> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let header = [
        "slice",
        "op",
        "event",
        "len",
        "cap_before",
        "cap_after",
        "bytes_before",
        "bytes_after",
    ];
    // Writing to a Vec cannot fail.
    w.write_record(header).expect("in-memory CSV");
    for (name, e) in rows {
        let g = &e.growth;
        w.write_record([
            name,
            &e.op.to_string(),
            "grow",
            &g.len.to_string(),
            &g.cap_before.to_string(),
            &g.cap_after.to_string(),
            &g.bytes_before.to_string(),
            &g.bytes_after.to_string(),
        ])
        .expect("in-memory CSV");
    }
    w.into_inner().expect("in-memory CSV")
}

/// One slice in summary.json's `slices`.
#[derive(Debug, Serialize)]
pub(super) struct SliceSummary {
    len: u64,
    cap: u64,
    /// Backing arrays allocated: `make` with a capacity, and every growth.
    allocs: u64,
    alloc_bytes: u64,
    /// Bytes of arrays left behind by growths and `drop`.
    garbage_bytes: u64,
    elem: String,
    appends: u64,
}

/// summary.json's `slices`: slice name → what it allocated.
pub(super) fn slice_summaries(o: &Outcome) -> std::collections::BTreeMap<&str, SliceSummary> {
    o.slices
        .iter()
        .map(|s| {
            (
                s.name.as_str(),
                SliceSummary {
                    len: s.len,
                    cap: s.cap,
                    allocs: s.stats.allocs,
                    alloc_bytes: s.stats.alloc_bytes,
                    garbage_bytes: s.stats.garbage_bytes,
                    elem: s.elem.clone(),
                    appends: s.appends,
                },
            )
        })
        .collect()
}
