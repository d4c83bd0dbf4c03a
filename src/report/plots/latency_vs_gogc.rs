//! latency_vs_gogc: request latency percentiles (p50, p99, p99.9; mean over seeds) against
//! GOGC, both axes on log scales, one colour per value of the other axes.

use std::path::{Path, PathBuf};

use plotters::coord::Shift;
use plotters::prelude::*;

use super::{
    DrawResult, FONT, Plot, PlotError, Series, SweepPoints, Table, add_to_series, draw_legend,
    other_axes, render,
};

/// The percentiles drawn: points.csv column, label, and whether the line is dashed.
const PERCENTILES: [(&str, &str); 3] = [
    ("request_p50_ns_mean", "p50"),
    ("request_p99_ns_mean", "p99"),
    ("request_p999_ns_mean", "p99.9"),
];

/// A point: GOGC, and p50, p99, p99.9 in ms.
type Point = (f64, [f64; 3]);

struct LatencyVsGogc {
    series: Vec<Series<Point>>,
}

pub(super) fn draw(dir: &Path, t: &Table, grid: &SweepPoints) -> Result<Vec<PathBuf>, PlotError> {
    let Some(gogc_axis) = grid.axes.iter().position(|a| a == "runtime.gogc") else {
        return Ok(Vec::new());
    };
    let Ok(cols) = PERCENTILES
        .iter()
        .map(|(c, _)| t.col(c))
        .collect::<Result<Vec<_>, _>>()
    else {
        return Ok(Vec::new());
    };
    let mut series: Vec<Series<Point>> = Vec::new();
    for r in 0..t.rows.len() {
        let Ok(gogc) = t.text(r, gogc_axis).parse::<f64>() else {
            continue; // GOGC=off has no place on the axis
        };
        // Empty: the scenario has no requests.
        let Ok(v) = cols
            .iter()
            .map(|&c| t.text(r, c).parse::<f64>().map(|ns| ns / 1e6))
            .collect::<Result<Vec<f64>, _>>()
        else {
            continue;
        };
        if gogc <= 0.0 || v.iter().any(|x| !(x.is_finite() && *x > 0.0)) {
            continue;
        }
        let label = other_axes(grid, t, r, gogc_axis);
        add_to_series(&mut series, label, (gogc, [v[0], v[1], v[2]]));
    }
    if series.is_empty() {
        return Ok(Vec::new());
    }
    for s in &mut series {
        s.points.sort_by(|a, b| a.0.total_cmp(&b.0));
    }
    render(dir, "latency_vs_gogc", &LatencyVsGogc { series })
}

impl Plot for LatencyVsGogc {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult
    where
        DB::ErrorType: 'static,
    {
        root.fill(&WHITE)?;
        let (mut x_lo, mut x_hi, mut y_lo, mut y_hi) = (f64::MAX, 0.0f64, f64::MAX, 0.0f64);
        for s in &self.series {
            for (g, v) in &s.points {
                x_lo = x_lo.min(*g);
                x_hi = x_hi.max(*g);
                for y in v {
                    y_lo = y_lo.min(*y);
                    y_hi = y_hi.max(*y);
                }
            }
        }
        // Ticks at the grid's own GOGC values, and at decades of latency.
        let mut gogcs: Vec<f64> = self
            .series
            .iter()
            .flat_map(|s| s.points.iter().map(|p| p.0))
            .collect();
        gogcs.sort_by(f64::total_cmp);
        gogcs.dedup();
        // 1, 2 and 5 times each power of ten, so a range within one decade has labels too.
        let decades: Vec<f64> = (-4..=4)
            .flat_map(|e| [1.0, 2.0, 5.0].map(|m| m * 10f64.powi(e)))
            .filter(|d| *d >= y_lo / 1.5 && *d <= y_hi * 1.5)
            .collect();
        let mut chart = ChartBuilder::on(root)
            .caption(
                "Request latency vs GOGC: mean over seeds of each percentile (points.csv)",
                (FONT, 22),
            )
            .margin(18)
            .x_label_area_size(52)
            .y_label_area_size(80)
            .build_cartesian_2d(
                (x_lo / 1.25..x_hi * 1.25)
                    .log_scale()
                    .with_key_points(gogcs),
                (y_lo / 1.5..y_hi * 1.5)
                    .log_scale()
                    .with_key_points(decades),
            )?;
        chart
            .configure_mesh()
            .x_desc("GOGC (log scale)")
            .y_desc("request latency (log scale)")
            .x_label_formatter(&|x| format!("{x:.0}"))
            .y_label_formatter(&|y| {
                if *y >= 1.0 {
                    format!("{y:.0} ms")
                } else if *y >= 0.001 {
                    format!("{:.0} us", y * 1000.0)
                } else {
                    format!("{:.0} ns", y * 1e6)
                }
            })
            .label_style((FONT, 14))
            .axis_desc_style((FONT, 15))
            .light_line_style(RGBColor(235, 235, 235))
            .draw()?;
        for (i, s) in self.series.iter().enumerate() {
            let color = Palette99::pick(i).to_rgba();
            for (k, (_, name)) in PERCENTILES.iter().enumerate() {
                let pts: Vec<(f64, f64)> = s.points.iter().map(|(g, v)| (*g, v[k])).collect();
                let width = 1 + k as u32;
                let label = if s.label.is_empty() {
                    name.to_string()
                } else {
                    format!("{name}, {}", s.label)
                };
                let series = chart
                    .draw_series(LineSeries::new(pts.clone(), color.stroke_width(width)))?
                    .label(label);
                // The legend shows the line and its marker, as on the plot: the widths alone
                // are hard to tell apart.
                let line = move |x: i32, y: i32| {
                    EmptyElement::at((x, y))
                        + PathElement::new(vec![(0, 0), (20, 0)], color.stroke_width(width))
                };
                match k {
                    0 => {
                        series.legend(move |(x, y)| {
                            line(x, y) + Circle::new((10, 0), 4, color.filled())
                        });
                    }
                    1 => {
                        series.legend(move |(x, y)| {
                            line(x, y) + TriangleMarker::new((10, 0), 6, color.filled())
                        });
                    }
                    _ => {
                        series.legend(move |(x, y)| {
                            line(x, y) + Cross::new((10, 0), 6, color.stroke_width(2))
                        });
                    }
                }
                chart.draw_series(pts.iter().map(|&p| match k {
                    0 => Circle::new(p, 4, color.filled()).into_dyn(),
                    1 => TriangleMarker::new(p, 6, color.filled()).into_dyn(),
                    _ => Cross::new(p, 6, color.stroke_width(2)).into_dyn(),
                }))?;
            }
        }
        draw_legend(&mut chart, SeriesLabelPosition::MiddleRight, 13)?;
        Ok(())
    }
}
