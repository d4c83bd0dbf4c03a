//! heap_timeline: the heap over time from gc_cycles.csv, with the pacer's goal and trigger,
//! the mark phases and the stop-the-world pauses.

use std::path::{Path, PathBuf};

use plotters::coord::Shift;
use plotters::prelude::*;

use super::{DrawResult, FONT, MIB, Plot, PlotError, Table, draw_legend, from_zero, render};

/// One GC cycle, times in seconds and sizes in MiB.
struct Cycle {
    start: f64,
    mark_start: f64,
    mark_end: f64,
    end: f64,
    heap_start: f64,
    heap_end: f64,
    marked: f64,
    goal: f64,
    trigger: f64,
    /// Assist CPU over the mark's wall time (0 when gc_cycles.csv has no assist column).
    assist_share: f64,
}

struct HeapTimeline {
    cycles: Vec<Cycle>,
}

pub(super) fn draw(dir: &Path) -> Result<Vec<PathBuf>, PlotError> {
    let t = match Table::read(&dir.join("gc_cycles.csv"))? {
        Some(t) if !t.rows.is_empty() => t,
        _ => return Ok(Vec::new()),
    };
    let [
        start,
        heap_start,
        heap_end,
        marked,
        goal,
        trigger,
        sweep_term,
        mark,
        mark_term,
    ] = [
        "start_ns",
        "heap_start_bytes",
        "heap_end_bytes",
        "heap_marked_bytes",
        "heap_goal_bytes",
        "trigger_bytes",
        "stw_sweep_term_ns",
        "mark_ns",
        "stw_mark_term_ns",
    ]
    .map(|c| t.col(c));
    let (start, heap_start, heap_end, marked, goal, trigger) =
        (start?, heap_start?, heap_end?, marked?, goal?, trigger?);
    let (sweep_term, mark, mark_term) = (sweep_term?, mark?, mark_term?);
    let assist = t.col("cpu_assist_ns").ok();
    let mut cycles = Vec::with_capacity(t.rows.len());
    for r in 0..t.rows.len() {
        let s = t.num(r, start)? / 1e9;
        let mark_start = s + t.num(r, sweep_term)? / 1e9;
        let mark_end = mark_start + t.num(r, mark)? / 1e9;
        let end = mark_end + t.num(r, mark_term)? / 1e9;
        let c = Cycle {
            start: s,
            mark_start,
            mark_end,
            end,
            heap_start: t.num(r, heap_start)? / MIB,
            heap_end: t.num(r, heap_end)? / MIB,
            marked: t.num(r, marked)? / MIB,
            goal: t.num(r, goal)? / MIB,
            trigger: t.num(r, trigger)? / MIB,
            assist_share: match assist {
                Some(a) => {
                    let m = t.num(r, mark)?;
                    if m > 0.0 {
                        (t.num(r, a)? / m).clamp(0.0, 4.0)
                    } else {
                        0.0
                    }
                }
                None => 0.0,
            },
        };
        let all = [
            c.start,
            c.mark_start,
            c.mark_end,
            c.end,
            c.heap_start,
            c.heap_end,
            c.marked,
            c.goal,
            c.trigger,
        ];
        if all.iter().all(|v| v.is_finite()) {
            cycles.push(c);
        }
    }
    if cycles.is_empty() {
        return Ok(Vec::new());
    }
    cycles.sort_by(|a, b| a.start.total_cmp(&b.start));
    render(dir, "heap_timeline", &HeapTimeline { cycles })
}

const MARK_FILL: RGBColor = RGBColor(255, 236, 179);
const GOAL: RGBColor = RGBColor(31, 119, 180);
const TRIGGER: RGBColor = RGBColor(255, 127, 14);
const HEAP: RGBColor = RGBColor(40, 40, 40);
const AT_TRIGGER: RGBColor = RGBColor(44, 160, 44);
const AT_MARK_END: RGBColor = RGBColor(148, 103, 189);
const MARKED: RGBColor = RGBColor(23, 190, 207);
const STW: RGBColor = RGBColor(214, 39, 40);

impl HeapTimeline {
    /// A cycle's goal and trigger are the pacer's from the end of the cycle before (its
    /// mark termination computed them; 0 for the first) to the end of this one.
    fn steps(&self, value: impl Fn(&Cycle) -> f64) -> Vec<(f64, f64)> {
        let mut pts = Vec::with_capacity(self.cycles.len() * 2);
        let mut from = 0.0;
        for c in &self.cycles {
            pts.push((from, value(c)));
            pts.push((c.end, value(c)));
            from = c.end;
        }
        pts
    }
}

impl Plot for HeapTimeline {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult
    where
        DB::ErrorType: 'static,
    {
        root.fill(&WHITE)?;
        let cs = &self.cycles;
        let x_end = cs.iter().map(|c| c.end).fold(0.0, f64::max);
        let x_range = 0.0..if x_end > 0.0 { x_end * 1.02 } else { 1e-6 };
        let y_max = cs
            .iter()
            .flat_map(|c| [c.heap_start, c.heap_end, c.marked, c.goal, c.trigger])
            .fold(0.0, f64::max);
        let y_range = from_zero(y_max);
        let y_top = y_range.end;
        let mut chart = ChartBuilder::on(root)
            .caption(
                format!("Heap over time: {} GC cycles (gc_cycles.csv)", cs.len()),
                (FONT, 24),
            )
            .margin(16)
            .x_label_area_size(48)
            .y_label_area_size(72)
            .build_cartesian_2d(x_range, y_range)?;
        chart
            .configure_mesh()
            .x_desc("time (s)")
            .y_desc("heap (MiB)")
            .label_style((FONT, 14))
            .axis_desc_style((FONT, 16))
            .light_line_style(RGBColor(235, 235, 235))
            .draw()?;

        // A mark shorter than a pixel would vanish in the bitmap (and flicker from cycle to
        // cycle as it straddles pixel edges): every mark is at least 1.5 pixels wide.
        let (plot_px, _) = chart.plotting_area().dim_in_pixel();
        let min_w = (x_end * 1.02) / f64::from(plot_px.max(1)) * 1.5;
        chart
            .draw_series(cs.iter().map(|c| {
                let end = c.mark_end.max(c.mark_start + min_w);
                Rectangle::new([(c.mark_start, 0.0), (end, y_top)], MARK_FILL.filled())
            }))?
            .label("mark phase")
            .legend(|(x, y)| Rectangle::new([(x, y - 6), (x + 20, y + 6)], MARK_FILL.filled()));

        chart
            .draw_series(LineSeries::new(
                self.steps(|c| c.goal),
                GOAL.stroke_width(2),
            ))?
            .label("heap goal")
            .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], GOAL.stroke_width(2)));
        chart
            .draw_series(LineSeries::new(
                self.steps(|c| c.trigger),
                TRIGGER.stroke_width(2),
            ))?
            .label("GC trigger")
            .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], TRIGGER.stroke_width(2)));

        // The live heap: it grows to the trigger, keeps growing while marking, and after
        // mark termination counts only what was marked.
        let heap: Vec<(f64, f64)> = cs
            .iter()
            .flat_map(|c| {
                [
                    (c.start, c.heap_start),
                    (c.mark_end, c.heap_end),
                    (c.end, c.marked),
                ]
            })
            .collect();
        chart
            .draw_series(LineSeries::new(heap, HEAP.stroke_width(1)))?
            .label("heap")
            .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], HEAP.stroke_width(1)));
        chart
            .draw_series(
                cs.iter()
                    .map(|c| Circle::new((c.start, c.heap_start), 3, AT_TRIGGER.filled())),
            )?
            .label("heap at GC start")
            .legend(|(x, y)| Circle::new((x + 10, y), 4, AT_TRIGGER.filled()));
        chart
            .draw_series(
                cs.iter()
                    .map(|c| Circle::new((c.mark_end, c.heap_end), 3, AT_MARK_END.filled())),
            )?
            .label("heap at mark end")
            .legend(|(x, y)| Circle::new((x + 10, y), 4, AT_MARK_END.filled()));
        chart
            .draw_series(
                cs.iter()
                    .map(|c| Cross::new((c.end, c.marked), 4, MARKED.stroke_width(2))),
            )?
            .label("marked (live after GC)")
            .legend(|(x, y)| Cross::new((x + 10, y), 4, MARKED.stroke_width(2)));

        // Stop-the-world pauses: sweep termination at the start of a cycle and mark
        // termination at its end, each a tick down from the top of the plot.
        let tick = y_top * 0.03;
        chart
            .draw_series(cs.iter().flat_map(|c| [c.start, c.mark_end]).map(|x| {
                PathElement::new(vec![(x, y_top), (x, y_top - tick)], STW.stroke_width(1))
            }))?
            .label("STW pause")
            .legend(|(x, y)| {
                PathElement::new(vec![(x + 10, y - 6), (x + 10, y + 6)], STW.stroke_width(2))
            });

        // Mark assists: a bar along each mark phase at the bottom, its height the assist CPU
        // over the mark's wall time (mutators slowed down to pay for their allocation).
        let assist = RGBColor(148, 103, 189);
        let unit = y_top * 0.08;
        if cs.iter().any(|c| c.assist_share > 0.0) {
            chart
                .draw_series(cs.iter().filter(|c| c.assist_share > 0.0).map(|c| {
                    Rectangle::new(
                        [(c.mark_start, 0.0), (c.mark_end, c.assist_share * unit)],
                        assist.mix(0.8).filled(),
                    )
                }))?
                .label("mark assists (height: assist CPU / mark time)")
                .legend(move |(x, y)| {
                    Rectangle::new([(x, y - 6), (x + 20, y + 6)], assist.mix(0.8).filled())
                });
        }

        draw_legend(&mut chart, SeriesLabelPosition::LowerRight, 14)?;
        Ok(())
    }
}
