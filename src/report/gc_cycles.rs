//! gc_cycles.csv: one row per GC cycle, exact bytes and nanoseconds.

use crate::model::gc::GcCycle;

/// The columns DESIGN.md fixes, then the rest of what a cycle records.
const HEADER: [&str; 19] = [
    "cycle",
    "start_ns",
    "heap_start_bytes",
    "heap_end_bytes",
    "heap_marked_bytes",
    "heap_goal_bytes",
    "trigger_bytes",
    "stw_sweep_term_ns",
    "mark_ns",
    "stw_mark_term_ns",
    "gc_cpu_ns",
    "cpu_assist_ns",
    "cpu_background_ns",
    "cpu_idle_ns",
    "stacks_bytes",
    "globals_bytes",
    "procs",
    "forced",
    "gc_cpu_fraction",
];

/// The CSV text: the header, then one row per cycle in the order given. `forced` is 0 or 1;
/// `gc_cpu_fraction` has exactly six decimals, so the file is byte-stable.
pub fn gc_cycles_csv(cycles: &[GcCycle]) -> Vec<u8> {
    let mut out = Vec::new();
    // Writing to a Vec cannot fail.
    write_gc_cycles_csv(&mut out, cycles).expect("in-memory CSV");
    out
}

/// [`gc_cycles_csv`] written to `out` row by row (a run's cycles can be millions of rows).
pub fn write_gc_cycles_csv(out: impl std::io::Write, cycles: &[GcCycle]) -> std::io::Result<()> {
    let mut w = csv::Writer::from_writer(out);
    w.write_record(HEADER)?;
    for c in cycles {
        let row: [String; 19] = [
            c.n.to_string(),
            c.start_ns.to_string(),
            c.heap_start_bytes.to_string(),
            c.heap_end_bytes.to_string(),
            c.heap_marked_bytes.to_string(),
            c.heap_goal_bytes.to_string(),
            c.trigger_bytes.to_string(),
            c.stw_sweep_term_ns.to_string(),
            c.mark_ns.to_string(),
            c.stw_mark_term_ns.to_string(),
            c.gc_cpu_ns().to_string(),
            c.cpu_assist_ns.to_string(),
            c.cpu_background_ns.to_string(),
            c.cpu_idle_ns.to_string(),
            c.stacks_bytes.to_string(),
            c.globals_bytes.to_string(),
            c.procs.to_string(),
            u8::from(c.forced).to_string(),
            format!("{:.6}", c.gc_cpu_fraction),
        ];
        w.write_record(&row)?;
    }
    w.flush()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_then_one_row_per_cycle() {
        let c = GcCycle {
            user_forced: false,
            n: 3,
            forced: true,
            start_ns: 1_000,
            stw_sweep_term_ns: 10,
            mark_ns: 20,
            stw_mark_term_ns: 30,
            cpu_stw_sweep_term_ns: 1,
            cpu_assist_ns: 2,
            cpu_background_ns: 3,
            cpu_idle_ns: 4,
            cpu_stw_mark_term_ns: 5,
            heap_start_bytes: 100,
            heap_end_bytes: 200,
            heap_marked_bytes: 150,
            heap_goal_bytes: 300,
            trigger_bytes: 280,
            stacks_bytes: 7,
            globals_bytes: 8,
            procs: 4,
            gc_cpu_fraction: 0.0123456789,
        };
        let text = String::from_utf8(gc_cycles_csv(&[c, GcCycle::default()])).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(
            lines,
            [
                "cycle,start_ns,heap_start_bytes,heap_end_bytes,heap_marked_bytes,\
                 heap_goal_bytes,trigger_bytes,stw_sweep_term_ns,mark_ns,stw_mark_term_ns,\
                 gc_cpu_ns,cpu_assist_ns,cpu_background_ns,cpu_idle_ns,stacks_bytes,\
                 globals_bytes,procs,forced,gc_cpu_fraction",
                "3,1000,100,200,150,300,280,10,20,30,15,2,3,4,7,8,4,1,0.012346",
                "0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0.000000",
            ]
        );
        assert!(text.ends_with('\n'));
    }

    #[test]
    fn no_cycles_is_just_the_header() {
        let text = String::from_utf8(gc_cycles_csv(&[])).unwrap();
        assert_eq!(text.lines().count(), 1);
        assert!(text.starts_with("cycle,start_ns,"));
    }
}
