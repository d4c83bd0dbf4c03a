//! heap_timeline: the heap over time from gc_cycles.csv, with the pacer's goal and trigger,
//! the mark phases and the stop-the-world pauses.

use std::path::{Path, PathBuf};

use plotters::coord::Shift;
use plotters::prelude::*;

use super::{DrawResult, FONT, MIB, Plot, PlotError, Table, draw_legend, from_zero, render};

/// One GC cycle, times in seconds and sizes in MiB; or, in a long run, a group of
/// consecutive cycles drawn as one (see [`Groups`]).
#[derive(Debug, Clone, Copy, PartialEq)]
struct Cycle {
    start: f64,
    mark_start: f64,
    mark_end: f64,
    end: f64,
    /// The highest of the group's values.
    heap_start: f64,
    heap_end: f64,
    marked: f64,
    goal: f64,
    trigger: f64,
    /// The lowest of the group's values (equal to the above for one cycle).
    marked_lo: f64,
    goal_lo: f64,
    trigger_lo: f64,
    /// Assist CPU over the mark's wall time (0 when gc_cycles.csv has no assist column).
    assist_share: f64,
    /// Cycles in the group, and their mark time in seconds.
    count: u64,
    mark_total: f64,
}

impl Cycle {
    /// `self` followed by `next` as one group.
    fn merge(self, next: Cycle) -> Cycle {
        Cycle {
            start: self.start,
            mark_start: self.mark_start,
            mark_end: next.mark_end,
            end: next.end,
            heap_start: self.heap_start.max(next.heap_start),
            heap_end: self.heap_end.max(next.heap_end),
            marked: self.marked.max(next.marked),
            goal: self.goal.max(next.goal),
            trigger: self.trigger.max(next.trigger),
            marked_lo: self.marked_lo.min(next.marked_lo),
            goal_lo: self.goal_lo.min(next.goal_lo),
            trigger_lo: self.trigger_lo.min(next.trigger_lo),
            assist_share: self.assist_share.max(next.assist_share),
            count: self.count + next.count,
            mark_total: self.mark_total + next.mark_total,
        }
    }
}

/// Cycles drawn one by one up to this many; beyond, the cycles that start in the same
/// 1/MAX_DRAWN of the run are drawn as one group (a plot is 1280 pixels wide, and a million
/// markers made a gigabyte of SVG).
const MAX_DRAWN: usize = 1024;

/// The cycles read so far, each alone or, with `bin` > 0, merged with those that started
/// in the same `bin` seconds: a file of any length is drawn from bounded memory, and a
/// stretch of rare cycles keeps them apart.
struct Groups {
    groups: Vec<Cycle>,
    bin: f64,
    last_key: u64,
}

impl Groups {
    fn new(total: usize, x_end: f64) -> Self {
        let bin = if total > MAX_DRAWN && x_end > 0.0 {
            x_end / MAX_DRAWN as f64
        } else {
            0.0
        };
        Groups {
            groups: Vec::new(),
            bin,
            last_key: 0,
        }
    }

    fn push(&mut self, c: Cycle) {
        if self.bin > 0.0 {
            // Rows come in time order; one out of order joins the group before it.
            let key = (c.start / self.bin).max(0.0) as u64;
            if let Some(last) = self.groups.last_mut()
                && key <= self.last_key
            {
                *last = last.merge(c);
                return;
            }
            self.last_key = key;
        }
        self.groups.push(c);
    }
}

struct HeapTimeline {
    cycles: Vec<Cycle>,
    /// Cycles in gc_cycles.csv; more than `cycles` holds when they are groups.
    total: u64,
}

impl HeapTimeline {
    /// Whether some drawn item stands for more than one cycle.
    fn grouped(&self) -> bool {
        self.cycles.iter().any(|c| c.count > 1)
    }
}

pub(super) fn draw(dir: &Path) -> Result<Vec<PathBuf>, PlotError> {
    let path = dir.join("gc_cycles.csv");
    let t = match Table::read_head(&path, 0)? {
        Some(t) if t.total > 0 => t,
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
    // A first pass finds where the run ends, to group the cycles by time.
    let mut x_end = 0.0f64;
    t.for_each_row(|row| {
        let end =
            (row.num(start)? + row.num(sweep_term)? + row.num(mark)? + row.num(mark_term)?) / 1e9;
        if end.is_finite() {
            x_end = x_end.max(end);
        }
        Ok(())
    })?;
    let mut groups = Groups::new(t.total, x_end);
    t.for_each_row(|row| {
        let s = row.num(start)? / 1e9;
        let mark_start = s + row.num(sweep_term)? / 1e9;
        let mark_s = row.num(mark)? / 1e9;
        let mark_end = mark_start + mark_s;
        let end = mark_end + row.num(mark_term)? / 1e9;
        let (marked, goal, trigger) = (
            row.num(marked)? / MIB,
            row.num(goal)? / MIB,
            row.num(trigger)? / MIB,
        );
        let c = Cycle {
            start: s,
            mark_start,
            mark_end,
            end,
            heap_start: row.num(heap_start)? / MIB,
            heap_end: row.num(heap_end)? / MIB,
            marked,
            goal,
            trigger,
            marked_lo: marked,
            goal_lo: goal,
            trigger_lo: trigger,
            assist_share: match assist {
                Some(a) => {
                    let m = row.num(mark)?;
                    if m > 0.0 {
                        (row.num(a)? / m).clamp(0.0, 4.0)
                    } else {
                        0.0
                    }
                }
                None => 0.0,
            },
            count: 1,
            mark_total: mark_s,
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
            groups.push(c);
        }
        Ok(())
    })?;
    let total = t.total as u64;
    let mut cycles = groups.groups;
    if cycles.is_empty() {
        return Ok(Vec::new());
    }
    cycles.sort_by(|a, b| a.start.total_cmp(&b.start));
    render(dir, "heap_timeline", &HeapTimeline { cycles, total })
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
                if self.grouped() {
                    format!(
                        "Heap over time: {} GC cycles (gc_cycles.csv), drawn in {} groups",
                        self.total,
                        cs.len()
                    )
                } else {
                    format!("Heap over time: {} GC cycles (gc_cycles.csv)", cs.len())
                },
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
                if c.count > 1 {
                    // A group: shaded by the share of its time spent marking.
                    let share = c.mark_total / (c.end - c.start).max(f64::MIN_POSITIVE);
                    let fill = MARK_FILL.mix(share.clamp(0.15, 1.0)).filled();
                    return Rectangle::new([(c.start, 0.0), (c.end, y_top)], fill);
                }
                let end = c.mark_end.max(c.mark_start + min_w);
                Rectangle::new([(c.mark_start, 0.0), (end, y_top)], MARK_FILL.filled())
            }))?
            .label(if self.grouped() {
                "mark phase (shade: share of the time marking)"
            } else {
                "mark phase"
            })
            .legend(|(x, y)| Rectangle::new([(x, y - 6), (x + 20, y + 6)], MARK_FILL.filled()));

        chart
            .draw_series(LineSeries::new(
                self.steps(|c| c.goal),
                GOAL.stroke_width(2),
            ))?
            .label(if self.grouped() {
                "heap goal (thick: each group's highest, thin: lowest)"
            } else {
                "heap goal"
            })
            .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], GOAL.stroke_width(2)));
        if self.grouped() {
            chart.draw_series(LineSeries::new(
                self.steps(|c| c.goal_lo),
                GOAL.stroke_width(1),
            ))?;
            chart.draw_series(LineSeries::new(
                self.steps(|c| c.trigger_lo),
                TRIGGER.stroke_width(1),
            ))?;
            chart
                .draw_series(LineSeries::new(
                    cs.iter().map(|c| (c.end, c.marked_lo)),
                    MARKED.stroke_width(1),
                ))?
                .label("marked, each group's lowest")
                .legend(|(x, y)| {
                    PathElement::new(vec![(x, y), (x + 20, y)], MARKED.stroke_width(1))
                });
        }
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
        // One marker per cycle, unless the cycles are drawn in groups.
        if !self.grouped() {
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
        }

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

#[cfg(test)]
mod tests {
    use super::*;

    fn cycle(i: u64) -> Cycle {
        let t = i as f64;
        // A goal that dips once, at cycle 1234, and marks of 0.25 s each second.
        let goal = if i == 1234 {
            1.0
        } else {
            10.0 + (i % 7) as f64
        };
        Cycle {
            start: t,
            mark_start: t,
            mark_end: t + 0.25,
            end: t + 1.0,
            heap_start: 5.0,
            heap_end: 6.0,
            marked: 4.0,
            goal,
            trigger: 8.0,
            marked_lo: 4.0,
            goal_lo: goal,
            trigger_lo: 8.0,
            assist_share: 0.0,
            count: 1,
            mark_total: 0.25,
        }
    }

    #[test]
    fn a_long_run_is_drawn_in_bounded_groups_that_keep_every_extreme() {
        // 100,000 cycles of 1 s: 1024 groups of 97 or 98 (each starting in its own 1/1024
        // of the run).
        let mut g = Groups::new(100_000, 100_000.0);
        for i in 0..100_000 {
            g.push(cycle(i));
        }
        assert!(g.groups.len() <= MAX_DRAWN + 1);
        assert_eq!(g.groups.iter().map(|c| c.count).sum::<u64>(), 100_000);
        assert!(g.groups.iter().all(|c| (97..=98).contains(&c.count)));
        // The one low goal and the highest survive; time and mark time add up.
        let lo = g.groups.iter().map(|c| c.goal_lo).fold(f64::MAX, f64::min);
        let hi = g.groups.iter().map(|c| c.goal).fold(0.0, f64::max);
        assert_eq!((lo, hi), (1.0, 16.0));
        assert_eq!(g.groups[0].start, 0.0);
        assert_eq!(g.groups.last().unwrap().end, 100_000.0);
        let marked: f64 = g.groups.iter().map(|c| c.mark_total).sum();
        assert_eq!(marked, 25_000.0);
    }

    #[test]
    fn up_to_max_drawn_cycles_are_drawn_one_by_one() {
        let mut g = Groups::new(MAX_DRAWN, MAX_DRAWN as f64);
        for i in 0..MAX_DRAWN as u64 {
            g.push(cycle(i));
        }
        assert_eq!(g.groups.len(), MAX_DRAWN);
        assert!(g.groups.iter().all(|c| c.count == 1));
    }

    #[test]
    fn rare_cycles_stay_apart_where_frequent_ones_are_grouped() {
        // Ten cycles in the first half, 10,000 in the second.
        let mut cs: Vec<Cycle> = (0..10).map(|i| cycle(i * 500)).collect();
        cs.extend((0..10_000).map(|i| {
            let mut c = cycle(0);
            c.start = 5000.0 + i as f64 * 0.5;
            c.end = c.start + 0.4;
            c
        }));
        let mut g = Groups::new(cs.len(), 10_000.0);
        for c in cs {
            g.push(c);
        }
        assert!(g.groups[..10].iter().all(|c| c.count == 1));
        assert!(g.groups.len() <= MAX_DRAWN + 10);
    }
}
