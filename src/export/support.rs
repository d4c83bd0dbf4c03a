//! The Go support code of exported programs: small helpers that the generated goroutine
//! functions call, kept as Go source fragments (tab-indented, gofmt-clean) beside this file.

/// `worker`: each goroutine's random source and sinks. Always present.
pub(crate) const WORKER: &str = include_str!("support/worker.go.txt");
/// `gomap`: a map and its key bookkeeping, with the insert/delete/churn/read/iterate ops.
pub(crate) const GOMAP: &str = include_str!("support/gomap.go.txt");
/// `-mapevents`: growth events read from the classic map header.
pub(crate) const WATCH: &str = include_str!("support/watch.go.txt");
/// `-sliceevents`: slice growths as slice_events.csv rows, their bytes by the size classes.
pub(crate) const SLICES: &str = include_str!("support/slices.go.txt");
/// `own`: a goroutine's own slice (`scope = "goroutine"`), made at its first use.
pub(crate) const OWN: &str = include_str!("support/own.go.txt");
/// `alloc` op without a rate.
pub(crate) const ALLOC: &str = include_str!("support/alloc.go.txt");
/// `alloc` op with a rate.
pub(crate) const ALLOC_PACED: &str = include_str!("support/alloc_paced.go.txt");
/// `retain` and `free` ops.
pub(crate) const RETAIN: &str = include_str!("support/retain.go.txt");
/// `compute` op.
pub(crate) const COMPUTE: &str = include_str!("support/compute.go.txt");
/// Request latencies: the histogram of each request name and the result lines.
pub(crate) const LATENCY: &str = include_str!("support/latency.go.txt");
/// `[[arrivals]]`: the open-loop source.
pub(crate) const ARRIVALS: &str = include_str!("support/arrivals.go.txt");
/// Values for maps keyed by `error`.
pub(crate) const KEY_ERROR: &str = include_str!("support/keyerror.go.txt");

/// map_events.csv's header as `src/report/map_events.rs` writes it (a unit test compares):
/// the classic map's seven columns, then the Swiss table's, which a classic row leaves empty.
pub(crate) const MAP_EVENTS_HEADER: &str =
    "map,op,event,b_before,b_after,count,noverflow,slots_before,slots_after,global_depth,tables";

/// Columns of a classic map's row, written by the watch support code.
pub(crate) const CLASSIC_COLUMNS: usize = 7;

/// The Go constants the watch code writes map_events.csv with.
pub(crate) fn events_consts() -> String {
    let columns = MAP_EVENTS_HEADER.split(',').count();
    let tail = ",".repeat(columns.saturating_sub(CLASSIC_COLUMNS));
    format!(
        "// gomemsim's map_events.csv: its header, and the empty Swiss-table columns that end\n\
         // a classic map's row.\n\
         const (\n\
         \teventsHeader = \"{MAP_EVENTS_HEADER}\"\n\
         \teventsTail   = \"{tail}\"\n\
         )\n"
    )
}

/// slice_events.csv's header as `src/report/slices.rs` writes it (a unit test compares).
pub(crate) const SLICE_EVENTS_HEADER: &str =
    "slice,op,event,len,cap_before,cap_after,bytes_before,bytes_after";

/// The Go constants the slice support code writes slice_events.csv with: its header, its
/// length limit per slice, and the size classes, from the model's table ([`crate::model::malloc::CLASS_TO_SIZE`]).
pub(crate) fn slices_consts() -> String {
    use crate::engine::slices::MAX_SLICE_EVENTS;
    let mut out = format!(
        "// gomemsim's slice_events.csv header.\n\
         const sliceEventsHeader = \"{SLICE_EVENTS_HEADER}\"\n\n\
         // maxSliceEvents is how many growths of a slice gomemsim's slice_events.csv keeps.\n\
         const maxSliceEvents = {MAX_SLICE_EVENTS}\n\n\
         // classToSize is class_to_size of go1.19 runtime/sizeclasses.go without class 0: the\n\
         // slot sizes of small objects, smallest first.\n\
         var classToSize = [...]uint16{{\n"
    );
    for row in crate::model::malloc::CLASS_TO_SIZE.chunks(12) {
        let row: Vec<String> = row.iter().map(u16::to_string).collect();
        out.push('\t');
        out.push_str(&row.join(", "));
        out.push_str(",\n");
    }
    out.push_str("}\n");
    out
}
