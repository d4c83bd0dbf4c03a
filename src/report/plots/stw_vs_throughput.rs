//! stw_vs_throughput: total and maximum stop-the-world time against mutator allocation
//! throughput, one labelled point per grid point, with the Pareto front of each.

use std::path::{Path, PathBuf};

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::{
    DrawResult, FONT, MIB, Plot, PlotError, SweepPoints, Table, draw_legend, from_zero, padded,
    render,
};

/// A grid point: throughput (MiB/s, or requests/s), STW in ms.
struct Point {
    label: String,
    throughput: f64,
    stw_total: f64,
    stw_max: f64,
}

struct StwVsThroughput {
    points: Vec<Point>,
    /// The x axis' words: request throughput where the scenario has requests, else
    /// allocation throughput.
    x_desc: &'static str,
}

pub(super) fn draw(dir: &Path, t: &Table, grid: &SweepPoints) -> Result<Vec<PathBuf>, PlotError> {
    // A service's throughput is its requests per second, where it has requests.
    let requests = t
        .col("request_throughput_rps_mean")
        .ok()
        .filter(|&c| (0..t.rows.len()).all(|r| t.num(r, c).is_ok()) && !t.rows.is_empty());
    let (thr, scale, x_desc) = match requests {
        Some(c) => (c, 1.0, "request throughput (requests/s, mean over seeds)"),
        None => (
            t.col("alloc_throughput_bytes_per_s_mean")?,
            1.0 / MIB,
            "mutator allocation throughput (MiB/s, mean over seeds)",
        ),
    };
    let (total, max) = (t.col("stw_total_ns_mean")?, t.col("stw_max_ns_mean")?);
    let mut points = Vec::new();
    for r in 0..t.rows.len() {
        let p = Point {
            label: grid.labels[r].clone(),
            throughput: t.num(r, thr)? * scale,
            stw_total: t.num(r, total)? / 1e6,
            stw_max: t.num(r, max)? / 1e6,
        };
        if [p.throughput, p.stw_total, p.stw_max]
            .iter()
            .all(|v| v.is_finite())
        {
            points.push(p);
        }
    }
    if points.is_empty() {
        return Ok(Vec::new());
    }
    render(
        dir,
        "stw_vs_throughput",
        &StwVsThroughput { points, x_desc },
    )
}

/// The points no other point beats: none has as much throughput or more with less STW.
/// Returned in increasing throughput.
fn pareto_front(points: &[(f64, f64)]) -> Vec<(f64, f64)> {
    let mut sorted = points.to_vec();
    sorted.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.total_cmp(&b.1)));
    let mut front: Vec<(f64, f64)> = Vec::new();
    for p in sorted {
        if front.last().is_none_or(|best| p.1 < best.1) {
            front.push(p);
        }
    }
    front.reverse();
    front
}

const TOTAL: RGBColor = RGBColor(31, 119, 180);
const MAX: RGBColor = RGBColor(214, 39, 40);
const FRONT: RGBColor = RGBColor(44, 160, 44);

fn panel<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    points: &[Point],
    stw: impl Fn(&Point) -> f64,
    title: &str,
    series: &str,
    color: RGBColor,
    x_desc: &str,
) -> DrawResult
where
    DB::ErrorType: 'static,
{
    let (lo, hi) = points
        .iter()
        .map(|p| p.throughput)
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), x| {
            (lo.min(x), hi.max(x))
        });
    let y_max = points.iter().map(&stw).fold(0.0, f64::max);
    let mut chart = ChartBuilder::on(area)
        .caption(title, (FONT, 20))
        .margin(14)
        .x_label_area_size(48)
        .y_label_area_size(64)
        .build_cartesian_2d(padded(lo, hi, 0.12), from_zero(y_max * 1.15))?;
    chart
        .configure_mesh()
        .x_desc(x_desc)
        .y_desc(format!("{} (ms)", series))
        .label_style((FONT, 13))
        .axis_desc_style((FONT, 14))
        .light_line_style(RGBColor(235, 235, 235))
        .draw()?;

    let front = pareto_front(
        &points
            .iter()
            .map(|p| (p.throughput, stw(p)))
            .collect::<Vec<_>>(),
    );
    let front_points = front.clone();
    chart
        .draw_series(LineSeries::new(front, FRONT.stroke_width(2)))?
        .label("Pareto front")
        .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], FRONT.stroke_width(2)));
    // A ring around each point of the front, so a front of one point shows too.
    chart.draw_series(
        front_points
            .into_iter()
            .map(|p| Circle::new(p, 9, FRONT.stroke_width(2))),
    )?;
    // Labels go above their point, extending to the left in the right part of the plot so
    // none runs off the edge, and move up until they overlap no label already placed.
    let x_mid = lo + (hi - lo) * 0.6;
    let mut placed: Vec<[i32; 4]> = Vec::new();
    let mut labels = Vec::with_capacity(points.len());
    for p in points {
        let right = p.throughput > x_mid;
        let style = TextStyle::from((FONT, 12)).pos(Pos::new(
            if right { HPos::Right } else { HPos::Left },
            VPos::Bottom,
        ));
        let (w, h) = area.estimate_text_size(&p.label, &style)?;
        let (w, h) = (w as i32, h as i32);
        let (px, py) = chart.backend_coord(&(p.throughput, stw(p)));
        let dx = if right { -8 } else { 8 };
        let x0 = if right { px + dx - w } else { px + dx };
        let mut dy = -6;
        for _ in 0..points.len() {
            let b = [x0, py + dy - h, x0 + w, py + dy];
            let overlaps = placed
                .iter()
                .any(|o| b[0] < o[2] && o[0] < b[2] && b[1] < o[3] && o[1] < b[3]);
            if !overlaps {
                break;
            }
            dy -= h + 2;
        }
        placed.push([x0, py + dy - h, x0 + w, py + dy]);
        labels.push((dx, dy, style));
    }
    chart
        .draw_series(points.iter().zip(labels).map(|(p, (dx, dy, style))| {
            EmptyElement::at((p.throughput, stw(p)))
                + Circle::new((0, 0), 5, color.filled())
                + Text::new(p.label.clone(), (dx, dy), style)
        }))?
        .label(format!("{series} (mean over seeds)"))
        .legend(move |(x, y)| Circle::new((x + 10, y), 5, color.filled()));
    draw_legend(&mut chart, SeriesLabelPosition::UpperRight, 13)?;
    Ok(())
}

impl Plot for StwVsThroughput {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult
    where
        DB::ErrorType: 'static,
    {
        root.fill(&WHITE)?;
        let root = root.titled("Stop-the-world time vs throughput (points.csv)", (FONT, 24))?;
        let panels = root.split_evenly((1, 2));
        panel(
            &panels[0],
            &self.points,
            |p| p.stw_total,
            "Total STW per run",
            "total STW",
            TOTAL,
            self.x_desc,
        )?;
        panel(
            &panels[1],
            &self.points,
            |p| p.stw_max,
            "Longest STW pause per run",
            "max STW",
            MAX,
            self.x_desc,
        )?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::pareto_front;

    #[test]
    fn front_keeps_only_unbeaten_points() {
        let pts = [(1.0, 5.0), (2.0, 3.0), (3.0, 4.0), (3.0, 6.0), (0.5, 1.0)];
        assert_eq!(pareto_front(&pts), vec![(0.5, 1.0), (2.0, 3.0), (3.0, 4.0)]);
    }
}
