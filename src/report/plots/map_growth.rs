//! map_growth: each map's B over the write number from map_events.csv, with every growth's
//! start and end, so the doubling spikes and the incremental evacuation spans show; and, from
//! map_ops.csv when the run recorded it, each write's cost with the evacuation's progress.

use std::path::{Path, PathBuf};

use plotters::coord::Shift;
use plotters::prelude::*;

use super::{DrawResult, FONT, Plot, PlotError, Table, draw_legend, render};

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Grow,
    SameSize,
    End,
}

struct Event {
    op: f64,
    kind: Kind,
    b_before: f64,
    b_after: f64,
}

struct MapSeries {
    name: String,
    events: Vec<Event>,
}

struct MapGrowth {
    maps: Vec<MapSeries>,
    last_op: f64,
    max_b: f64,
    /// The first map's writes: (write, cost in ns, evacuation progress 0..1).
    costs: Vec<(f64, f64, f64)>,
    costs_map: String,
}

/// A map's name and its writes: (write, cost in ns, evacuation progress 0..1).
type Costs = (String, Vec<(f64, f64, f64)>);

/// The first map's writes from map_ops.csv, if the run recorded them.
fn read_costs(dir: &Path) -> Result<Costs, PlotError> {
    let t = match Table::read(&dir.join("map_ops.csv"))? {
        Some(t) if !t.rows.is_empty() => t,
        _ => return Ok((String::new(), Vec::new())),
    };
    let (map, op, cost, nev, old) = (
        t.col("map")?,
        t.col("op")?,
        t.col("cost_ns")?,
        t.col("nevacuate")?,
        t.col("old_buckets")?,
    );
    let first = t.text(0, map).to_string();
    let mut out = Vec::new();
    for r in 0..t.rows.len() {
        if t.text(r, map) != first {
            continue;
        }
        let (o, c, n, b) = (
            t.num(r, op)?,
            t.num(r, cost)?,
            t.num(r, nev)?,
            t.num(r, old)?,
        );
        if [o, c, n, b].iter().all(|v| v.is_finite()) {
            let progress = if b > 0.0 { n / b } else { 0.0 };
            out.push((o.max(1.0), c, progress));
        }
    }
    Ok((first, out))
}

pub(super) fn draw(dir: &Path) -> Result<Vec<PathBuf>, PlotError> {
    let t = match Table::read(&dir.join("map_events.csv"))? {
        Some(t) if !t.rows.is_empty() => t,
        _ => return Ok(Vec::new()),
    };
    let (map, op, event, b_before, b_after) = (
        t.col("map")?,
        t.col("op")?,
        t.col("event")?,
        t.col("b_before")?,
        t.col("b_after")?,
    );
    let mut maps: Vec<MapSeries> = Vec::new();
    for r in 0..t.rows.len() {
        let kind = match t.text(r, event) {
            "grow_start" => Kind::Grow,
            "same_size_grow_start" => Kind::SameSize,
            "grow_end" => Kind::End,
            _ => continue,
        };
        let e = Event {
            // Writes are counted from 1; the x axis is logarithmic.
            op: t.num(r, op)?.max(1.0),
            kind,
            b_before: t.num(r, b_before)?,
            b_after: t.num(r, b_after)?,
        };
        if ![e.op, e.b_before, e.b_after].iter().all(|v| v.is_finite()) {
            continue;
        }
        let name = t.text(r, map);
        match maps.iter_mut().find(|m| m.name == name) {
            Some(m) => m.events.push(e),
            None => maps.push(MapSeries {
                name: name.to_string(),
                events: vec![e],
            }),
        }
    }
    if maps.is_empty() {
        return Ok(Vec::new());
    }
    for m in &mut maps {
        m.events.sort_by(|a, b| a.op.total_cmp(&b.op));
    }
    let all = maps.iter().flat_map(|m| &m.events);
    let last_op = all.clone().map(|e| e.op).fold(1.0, f64::max);
    let max_b = all
        .flat_map(|e| [e.b_before, e.b_after])
        .fold(0.0, f64::max);
    let (costs_map, costs) = read_costs(dir)?;
    render(
        dir,
        "map_growth",
        &MapGrowth {
            maps,
            last_op,
            max_b,
            costs,
            costs_map,
        },
    )
}

const START: RGBColor = RGBColor(214, 39, 40);
const END: RGBColor = RGBColor(20, 20, 20);

impl MapSeries {
    /// B as a step line: it rises at each growth's start, when the new buckets are allocated.
    fn steps(&self, until: f64) -> Vec<(f64, f64)> {
        let first = self.events.first().map_or(0.0, |e| e.b_before);
        let mut pts = vec![(1.0, first)];
        let mut b = first;
        for e in self.events.iter().filter(|e| e.kind != Kind::End) {
            pts.push((e.op, b));
            b = e.b_after;
            pts.push((e.op, b));
        }
        pts.push((until, b));
        pts
    }

    /// Each growth's evacuation span: from its start to the next end, at its B.
    fn spans(&self) -> Vec<(f64, f64, f64, f64)> {
        let mut out = Vec::new();
        for (i, e) in self.events.iter().enumerate() {
            if e.kind == Kind::End {
                continue;
            }
            let end = self.events[i + 1..]
                .iter()
                .find(|n| n.kind == Kind::End)
                .map(|n| n.op);
            let Some(end) = end else { continue };
            let (lo, hi) = if e.b_after > e.b_before {
                (e.b_before, e.b_after)
            } else {
                (e.b_after - 0.2, e.b_after + 0.2)
            };
            out.push((e.op, end, lo, hi));
        }
        out
    }
}

impl Plot for MapGrowth {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult
    where
        DB::ErrorType: 'static,
    {
        root.fill(&WHITE)?;
        let x_end = (self.last_op * 1.5).max(10.0);
        let (top, bottom) = if self.costs.is_empty() {
            (root.clone(), None)
        } else {
            let (t, b) = root.split_vertically((root.dim_in_pixel().1 as f64 * 0.55) as u32);
            (t, Some(b))
        };
        if let Some(bottom) = bottom {
            self.draw_costs(&bottom, x_end)?;
        }
        let root = &top;
        let mut chart = ChartBuilder::on(root)
            .caption("Map growth: B over writes (map_events.csv)", (FONT, 24))
            .margin(16)
            .x_label_area_size(48)
            .y_label_area_size(80)
            .build_cartesian_2d((1f64..x_end).log_scale(), -0.5f64..self.max_b + 1.0)?;
        chart
            .configure_mesh()
            .x_desc("write number (log scale)")
            .y_desc("B (log2 of bucket count)")
            .label_style((FONT, 14))
            .axis_desc_style((FONT, 16))
            .light_line_style(RGBColor(235, 235, 235))
            .x_label_formatter(&|x| format!("{x:.0}"))
            // B is a whole number: one tick per value at most, and no label between them.
            .y_labels((self.max_b as usize + 2).min(24))
            .y_label_formatter(&|y| {
                if (y - y.round()).abs() < 1e-6 {
                    format!("{:.0}", y.round() + 0.0)
                } else {
                    String::new()
                }
            })
            .draw()?;

        for (i, m) in self.maps.iter().enumerate() {
            let color = Palette99::pick(i).to_rgba();
            let spans = m.spans();
            let series = chart.draw_series(spans.iter().map(|&(a, b, lo, hi)| {
                Rectangle::new([(a, lo), (b, hi)], color.mix(0.25).filled())
            }))?;
            if !spans.is_empty() {
                series
                    .label(format!("evacuation span ({})", m.name))
                    .legend(move |(x, y)| {
                        Rectangle::new([(x, y - 6), (x + 20, y + 6)], color.mix(0.25).filled())
                    });
            }
            chart
                .draw_series(LineSeries::new(
                    m.steps(self.last_op),
                    color.stroke_width(2),
                ))?
                .label(format!("B of map {}", m.name))
                .legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + 20, y)], color.stroke_width(2))
                });
        }

        let events = || self.maps.iter().flat_map(|m| &m.events);
        chart
            .draw_series(
                events()
                    .filter(|e| e.kind == Kind::Grow)
                    .map(|e| TriangleMarker::new((e.op, e.b_after), 6, START.filled())),
            )?
            .label("grow_start")
            .legend(|(x, y)| TriangleMarker::new((x + 10, y), 6, START.filled()));
        if events().any(|e| e.kind == Kind::SameSize) {
            chart
                .draw_series(
                    events()
                        .filter(|e| e.kind == Kind::SameSize)
                        .map(|e| Cross::new((e.op, e.b_after), 6, START.stroke_width(2))),
                )?
                .label("same_size_grow_start")
                .legend(|(x, y)| Cross::new((x + 10, y), 6, START.stroke_width(2)));
        }
        chart
            .draw_series(
                events()
                    .filter(|e| e.kind == Kind::End)
                    .map(|e| Circle::new((e.op, e.b_after), 5, END.stroke_width(2))),
            )?
            .label("grow_end")
            .legend(|(x, y)| Circle::new((x + 10, y), 5, END.stroke_width(2)));

        draw_legend(&mut chart, SeriesLabelPosition::UpperLeft, 14)?;
        Ok(())
    }
}

impl MapGrowth {
    /// Each write's cost (ns) against the write number, the evacuation's progress shaded
    /// behind it (nevacuate over the old bucket count, scaled to the panel's height).
    fn draw_costs<DB: DrawingBackend>(
        &self,
        area: &DrawingArea<DB, Shift>,
        x_end: f64,
    ) -> DrawResult
    where
        DB::ErrorType: 'static,
    {
        let max_cost = self.costs.iter().map(|c| c.1).fold(1.0, f64::max) * 1.1;
        let mut chart = ChartBuilder::on(area)
            .caption(
                format!("Cost of each write of map {} (map_ops.csv)", self.costs_map),
                (FONT, 20),
            )
            .margin(16)
            .x_label_area_size(48)
            .y_label_area_size(80)
            .build_cartesian_2d((1f64..x_end).log_scale(), 0f64..max_cost)?;
        chart
            .configure_mesh()
            .x_desc("write number (log scale)")
            .y_desc("simulated ns")
            .y_label_formatter(&|y| format!("{y:.0}"))
            .label_style((FONT, 14))
            .axis_desc_style((FONT, 16))
            .light_line_style(RGBColor(235, 235, 235))
            .x_label_formatter(&|x| format!("{x:.0}"))
            .draw()?;
        let progress = RGBColor(31, 119, 180);
        chart
            .draw_series(self.costs.iter().filter(|c| c.2 > 0.0).map(|&(o, _, p)| {
                Rectangle::new(
                    [(o, 0.0), (o * 1.0005 + 0.5, p * max_cost)],
                    progress.mix(0.2).filled(),
                )
            }))?
            .label("evacuation progress (nevacuate / old buckets, to scale)")
            .legend(move |(x, y)| {
                Rectangle::new([(x, y - 6), (x + 20, y + 6)], progress.mix(0.2).filled())
            });
        chart
            .draw_series(LineSeries::new(
                self.costs.iter().map(|&(o, c, _)| (o, c)),
                BLACK.stroke_width(1),
            ))?
            .label("cost per write")
            .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], BLACK.stroke_width(1)));
        draw_legend(&mut chart, SeriesLabelPosition::UpperLeft, 14)?;
        Ok(())
    }
}
