//! stw_vs_throughput: total and maximum stop-the-world time against mutator allocation
//! throughput, one numbered point per grid point (the key beside the panels names it), with
//! the Pareto front of each.

use std::path::{Path, PathBuf};

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::{
    DrawResult, FONT, MIB, Plot, PlotError, SweepPoints, Table, from_zero, legend_strip, padded,
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

/// The column of points.csv that is the sweep's throughput: a service's requests per
/// second, where every point has it, else the mutator's allocation throughput.
pub(crate) fn throughput_column(t: &Table) -> Result<usize, PlotError> {
    let requests = t
        .col("request_throughput_rps_mean")
        .ok()
        .filter(|&c| (0..t.rows.len()).all(|r| t.num(r, c).is_ok()) && !t.rows.is_empty());
    match requests {
        Some(c) => Ok(c),
        None => t.col("alloc_throughput_bytes_per_s_mean"),
    }
}

pub(super) fn draw(dir: &Path, t: &Table, grid: &SweepPoints) -> Result<Vec<PathBuf>, PlotError> {
    let thr = throughput_column(t)?;
    let (scale, x_desc) = if t.header[thr] == "request_throughput_rps_mean" {
        (1.0, "request throughput (requests/s, mean over seeds)")
    } else {
        (
            1.0 / MIB,
            "mutator allocation throughput (MiB/s, mean over seeds)",
        )
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
pub(crate) fn pareto_front(points: &[(f64, f64)]) -> Vec<(f64, f64)> {
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

/// The x range: the points' throughputs, widened to ±2.5% around them when they lie closer
/// than that (a sweep whose throughput barely moves should look so), and the spread in %.
fn x_range(points: &[Point]) -> (std::ops::Range<f64>, f64) {
    let (lo, hi) = points
        .iter()
        .map(|p| p.throughput)
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), x| {
            (lo.min(x), hi.max(x))
        });
    let mid = (lo + hi) / 2.0;
    let spread = if mid > 0.0 {
        (hi - lo) / mid * 100.0
    } else {
        0.0
    };
    if mid > 0.0 && spread < 5.0 {
        (mid * 0.975..mid * 1.025, spread)
    } else {
        (padded(lo, hi, 0.12), spread)
    }
}

/// Point numbers as one label: "4" or "1–3" or "2, 5".
fn numbers_label(ns: &[usize]) -> String {
    let consecutive = ns.windows(2).all(|w| w[1] == w[0] + 1);
    match ns {
        [one] => one.to_string(),
        [first, .., last] if consecutive => format!("{first}–{last}"),
        _ => ns
            .iter()
            .map(|n| n.to_string())
            .collect::<Vec<_>>()
            .join(", "),
    }
}

#[allow(clippy::too_many_arguments)]
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
    let (x, spread) = x_range(points);
    let y_max = points.iter().map(&stw).fold(0.0, f64::max);
    let desc = if spread < 5.0 {
        format!("{x_desc}; all within {spread:.2}%")
    } else {
        x_desc.to_string()
    };
    let mut chart = ChartBuilder::on(area)
        .caption(title, (FONT, 20))
        .margin(14)
        .x_label_area_size(48)
        .y_label_area_size(64)
        .build_cartesian_2d(x, from_zero(y_max * 1.15))?;
    chart
        .configure_mesh()
        .x_desc(desc)
        .y_desc(format!("{} (ms)", series))
        .x_labels(6)
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
    chart.draw_series(LineSeries::new(front.clone(), FRONT.stroke_width(2)))?;
    // A ring around each point of the front, so a front of one point shows too.
    chart.draw_series(
        front
            .into_iter()
            .map(|p| Circle::new(p, 9, FRONT.stroke_width(2))),
    )?;
    chart.draw_series(
        points
            .iter()
            .map(|p| Circle::new((p.throughput, stw(p)), 5, color.filled())),
    )?;
    // Each point carries its number in the key beside the plot; points that fall on one
    // spot share one label.
    // (pixel, data point, the numbers of the points there)
    type Group = ((i32, i32), (f64, f64), Vec<usize>);
    let mut groups: Vec<Group> = Vec::new();
    for (i, p) in points.iter().enumerate() {
        let data = (p.throughput, stw(p));
        let at = chart.backend_coord(&data);
        match groups
            .iter_mut()
            .find(|(g, _, _)| (g.0 - at.0).abs() <= 6 && (g.1 - at.1).abs() <= 6)
        {
            Some((_, _, ns)) => ns.push(i + 1),
            None => groups.push((at, data, vec![i + 1])),
        }
    }
    let style = TextStyle::from((FONT, 13)).pos(Pos::new(HPos::Left, VPos::Bottom));
    let right_edge = area.get_pixel_range().0.end;
    let mut placed: Vec<[i32; 4]> = Vec::new();
    let mut labels = Vec::with_capacity(groups.len());
    for (at, data, ns) in &groups {
        let text = numbers_label(ns);
        let (w, h) = area.estimate_text_size(&text, &style)?;
        let (w, h) = (w as i32, h as i32);
        // Above and right of the point (left near the edge), moved up past any label
        // already placed. Offsets are from the point, in pixels.
        let mut dx = 7;
        if at.0 + dx + w > right_edge - 4 {
            dx = -7 - w;
        }
        let mut dy = -5;
        for _ in 0..=groups.len() {
            let b = [at.0 + dx, at.1 + dy - h, at.0 + dx + w, at.1 + dy];
            if !placed
                .iter()
                .any(|o| b[0] < o[2] && o[0] < b[2] && b[1] < o[3] && o[1] < b[3])
            {
                break;
            }
            dy -= h + 1;
        }
        placed.push([at.0 + dx, at.1 + dy - h, at.0 + dx + w, at.1 + dy]);
        labels.push((*data, text, dx, dy));
    }
    chart.draw_series(labels.into_iter().map(|(data, text, dx, dy)| {
        EmptyElement::at(data) + Text::new(text, (dx, dy), style.clone())
    }))?;
    Ok(())
}

/// The key: each point's number and grid point, in a column beside the panels.
fn key<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, points: &[Point]) -> DrawResult
where
    DB::ErrorType: 'static,
{
    let (_, h) = area.dim_in_pixel();
    let row = ((h as usize).saturating_sub(40) / points.len().max(1)).clamp(8, 18) as i32;
    let size = (row - 3).clamp(8, 14);
    area.draw(&Text::new("points", (8, 8), (FONT, 15).into_font()))?;
    for (i, p) in points.iter().enumerate() {
        let y = 32 + i as i32 * row;
        area.draw(&Text::new(
            format!("{:>2}  {}", i + 1, p.label),
            (8, y),
            (FONT, size as u32).into_font(),
        ))?;
    }
    Ok(())
}

impl Plot for StwVsThroughput {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult
    where
        DB::ErrorType: 'static,
    {
        root.fill(&WHITE)?;
        let root = root.titled("Stop-the-world time vs throughput (points.csv)", (FONT, 24))?;
        let entries = vec![
            ("total STW (mean over seeds)".to_string(), TOTAL.to_rgba()),
            ("max STW (mean over seeds)".to_string(), MAX.to_rgba()),
            ("Pareto front".to_string(), FRONT.to_rgba()),
        ];
        let (legend, root) = root.split_vertically(30);
        legend_strip(&legend, &entries, 14)?;
        let (w, _) = root.dim_in_pixel();
        let (plots, key_area) = root.split_horizontally(w.saturating_sub(300));
        let panels = plots.split_evenly((1, 2));
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
        key(&key_area, &self.points)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::pareto_front;

    #[test]
    fn numbers_read_as_ranges_or_lists() {
        assert_eq!(super::numbers_label(&[4]), "4");
        assert_eq!(super::numbers_label(&[1, 2, 3]), "1–3");
        assert_eq!(super::numbers_label(&[2, 5]), "2, 5");
    }

    #[test]
    fn front_keeps_only_unbeaten_points() {
        let pts = [(1.0, 5.0), (2.0, 3.0), (3.0, 4.0), (3.0, 6.0), (0.5, 1.0)];
        assert_eq!(pareto_front(&pts), vec![(0.5, 1.0), (2.0, 3.0), (3.0, 4.0)]);
    }
}
