//! map_events.csv: one row per growth event.

use crate::engine::Outcome;
use crate::model::gomap::MapEvent;

/// The CSV text: `map,op,event,b_before,b_after,count,noverflow` (the classic map's), then
/// `slots_before,slots_after,global_depth,tables` (the Swiss map's); a row leaves the other
/// implementation's columns empty. Events in map order, each map's in the order they
/// happened.
pub fn map_events_csv(outcome: &Outcome) -> Vec<u8> {
    events_csv(
        outcome
            .maps
            .iter()
            .flat_map(|m| m.events.iter().map(move |e| (m.name.as_str(), e))),
    )
}

/// map_events.csv from (map name, event) pairs, in order.
pub fn events_csv<'a>(events: impl Iterator<Item = (&'a str, &'a MapEvent)>) -> Vec<u8> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let header = [
        "map",
        "op",
        "event",
        "b_before",
        "b_after",
        "count",
        "noverflow",
        "slots_before",
        "slots_after",
        "global_depth",
        "tables",
    ];
    // Writing to a Vec cannot fail.
    w.write_record(header).expect("in-memory CSV");
    for (name, e) in events {
        let (classic, swiss) = if e.kind.is_swiss() {
            let swiss = [
                e.slots_before.to_string(),
                e.slots_after.to_string(),
                e.global_depth.to_string(),
                e.tables.to_string(),
            ];
            ([String::new(), String::new(), String::new()], swiss)
        } else {
            let classic = [
                e.b_before.to_string(),
                e.b_after.to_string(),
                e.noverflow.to_string(),
            ];
            (classic, Default::default())
        };
        let [b_before, b_after, noverflow] = &classic;
        let [slots_before, slots_after, depth, tables] = &swiss;
        w.write_record([
            name,
            &e.op.to_string(),
            e.kind.as_str(),
            b_before,
            b_after,
            &e.count.to_string(),
            noverflow,
            slots_before,
            slots_after,
            depth,
            tables,
        ])
        .expect("in-memory CSV");
    }
    w.into_inner().expect("in-memory CSV")
}

/// map_ops.csv: one row per map write (insert, delete, churn unit) — `map,op,cost_ns,
/// evacuated_buckets,nevacuate,old_buckets,live_bytes` — for runs of at most
/// [`crate::engine::sim::MAX_RECORDED_WRITES`] writes; only the header otherwise.
pub fn map_ops_csv(outcome: &Outcome) -> Vec<u8> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record([
        "map",
        "op",
        "cost_ns",
        "evacuated_buckets",
        "nevacuate",
        "old_buckets",
        "live_bytes",
    ])
    .expect("in-memory CSV");
    for r in &outcome.map_writes {
        w.write_record([
            outcome.maps[r.map as usize].name.as_str(),
            &r.op.to_string(),
            &r.cost_ns.to_string(),
            &r.evacuated_buckets.to_string(),
            &r.nevacuate.to_string(),
            &r.old_buckets.to_string(),
            &r.live_bytes.to_string(),
        ])
        .expect("in-memory CSV");
    }
    w.into_inner().expect("in-memory CSV")
}
