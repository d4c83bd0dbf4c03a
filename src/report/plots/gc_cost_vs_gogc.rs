//! gc_cost_vs_gogc: GC CPU share and peak heap against GOGC, one series per value of the
//! other axes, with bars from the median to the maximum over seeds.

use std::path::{Path, PathBuf};

use plotters::coord::Shift;
use plotters::prelude::*;

use super::{
    DrawResult, FONT, MIB, Plot, PlotError, Series, SweepPoints, Table, add_to_series, from_zero,
    geometric, legend_rows, legend_strip, other_axes, padded, render,
};

/// A metric over seeds: mean, median and maximum.
#[derive(Clone, Copy)]
struct Stat {
    mean: f64,
    p50: f64,
    max: f64,
}

struct Point {
    gogc: f64,
    cpu_pct: Stat,
    peak_mib: Stat,
}

struct GcCostVsGogc {
    series: Vec<Series<Point>>,
}

fn stat(t: &Table, r: usize, metric: &str, scale: f64) -> Result<Stat, PlotError> {
    let get = |s: &str| -> Result<f64, PlotError> {
        Ok(t.num(r, t.col(&format!("{metric}_{s}"))?)? * scale)
    };
    Ok(Stat {
        mean: get("mean")?,
        p50: get("p50")?,
        max: get("max")?,
    })
}

pub(super) fn draw(dir: &Path, t: &Table, grid: &SweepPoints) -> Result<Vec<PathBuf>, PlotError> {
    let Some(gogc_axis) = grid.axes.iter().position(|a| a == "runtime.gogc") else {
        return Ok(Vec::new());
    };
    let mut series: Vec<Series<Point>> = Vec::new();
    for r in 0..t.rows.len() {
        // GOGC=off has no place on a numeric axis.
        let Ok(gogc) = t.text(r, gogc_axis).parse::<f64>() else {
            continue;
        };
        let p = Point {
            gogc,
            cpu_pct: stat(t, r, "gc_cpu_fraction", 100.0)?,
            peak_mib: stat(t, r, "peak_heap_bytes", 1.0 / MIB)?,
        };
        let finite = [p.gogc, p.cpu_pct.mean, p.peak_mib.mean];
        if !finite.iter().all(|v| v.is_finite()) {
            continue;
        }
        let others = other_axes(grid, t, r, gogc_axis);
        let label = if others.is_empty() {
            "all grid points".to_string()
        } else {
            others
        };
        add_to_series(&mut series, label, p);
    }
    if series.is_empty() {
        return Ok(Vec::new());
    }
    for s in &mut series {
        s.points.sort_by(|a, b| a.gogc.total_cmp(&b.gogc));
    }
    render(dir, "gc_cost_vs_gogc", &GcCostVsGogc { series })
}

/// The finite values of a stat, for the axis range.
fn finite(s: Stat) -> impl Iterator<Item = f64> {
    [s.mean, s.p50, s.max].into_iter().filter(|v| v.is_finite())
}

fn panel<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    series: &[Series<Point>],
    metric: impl Fn(&Point) -> Stat,
    title: &str,
    y_desc: &str,
) -> DrawResult
where
    DB::ErrorType: 'static,
{
    let xs = series.iter().flat_map(|s| s.points.iter().map(|p| p.gogc));
    let (lo, hi) = xs.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), x| {
        (lo.min(x), hi.max(x))
    });
    let y_max = series
        .iter()
        .flat_map(|s| s.points.iter().flat_map(|p| finite(metric(p))))
        .fold(0.0, f64::max);
    let gogcs: Vec<f64> = series
        .iter()
        .flat_map(|s| s.points.iter().map(|p| p.gogc))
        .collect();
    let x_desc = match (series.len() > 1, geometric(&gogcs)) {
        (true, true) => "GOGC (log scale; series nudged apart so none hides another)",
        (true, false) => "GOGC (series nudged apart along x so none hides another)",
        (false, true) => "GOGC (log scale)",
        (false, false) => "GOGC",
    };
    let builder = || {
        let mut b = ChartBuilder::on(area);
        b.caption(title, (FONT, 20))
            .margin(14)
            .x_label_area_size(48)
            .y_label_area_size(64);
        b
    };
    let y = from_zero(y_max);
    if geometric(&gogcs) {
        // A geometric grid (25, 50, 100…) evenly spaced: the nudge is a ratio.
        let x = (lo / 1.25)..(hi * 1.25);
        // Ticks at the grid's own values.
        let mut keys = gogcs.clone();
        keys.sort_by(f64::total_cmp);
        keys.dedup();
        let x = x.log_scale().with_key_points(keys);
        let mut chart = builder().build_cartesian_2d(x, y)?;
        mesh(&mut chart, x_desc, y_desc)?;
        for (i, s) in series.iter().enumerate() {
            let k = (i as f64 - (series.len() - 1) as f64 / 2.0) * 0.03;
            draw_series(&mut chart, s, i, &metric, |g| g * (1.0 + k))?;
        }
    } else {
        let span = if hi > lo { hi - lo } else { lo.abs().max(1.0) };
        let mut chart = builder().build_cartesian_2d(padded(lo, hi, 0.08), y)?;
        mesh(&mut chart, x_desc, y_desc)?;
        for (i, s) in series.iter().enumerate() {
            let nudge = (i as f64 - (series.len() - 1) as f64 / 2.0) * span * 0.012;
            draw_series(&mut chart, s, i, &metric, |g| g + nudge)?;
        }
    }
    Ok(())
}

fn mesh<'a, DB, X>(
    chart: &mut ChartContext<'a, DB, Cartesian2d<X, plotters::coord::types::RangedCoordf64>>,
    x_desc: &str,
    y_desc: &str,
) -> DrawResult
where
    DB: DrawingBackend + 'a,
    DB::ErrorType: 'static,
    X: Ranged<ValueType = f64> + plotters::coord::ranged1d::ValueFormatter<f64>,
{
    chart
        .configure_mesh()
        .x_desc(x_desc)
        .x_label_formatter(&|x| format!("{x:.0}"))
        .y_desc(y_desc)
        .label_style((FONT, 13))
        .axis_desc_style((FONT, 14))
        .light_line_style(RGBColor(235, 235, 235))
        .draw()?;
    Ok(())
}

/// Series `s` (the `i`-th) on `chart`: its line of means, dots, and bars from median to
/// maximum, at x = `at(gogc)`.
fn draw_series<'a, DB, X>(
    chart: &mut ChartContext<'a, DB, Cartesian2d<X, plotters::coord::types::RangedCoordf64>>,
    s: &Series<Point>,
    i: usize,
    metric: &impl Fn(&Point) -> Stat,
    at: impl Fn(f64) -> f64,
) -> DrawResult
where
    DB: DrawingBackend + 'a,
    DB::ErrorType: 'static,
    X: Ranged<ValueType = f64>,
{
    let color = Palette99::pick(i).to_rgba();
    chart.draw_series(LineSeries::new(
        s.points.iter().map(|p| (at(p.gogc), metric(p).mean)),
        color.stroke_width(2),
    ))?;
    chart.draw_series(
        s.points
            .iter()
            .map(|p| Circle::new((at(p.gogc), metric(p).mean), 4, color.filled())),
    )?;
    chart.draw_series(s.points.iter().filter_map(|p| {
        let m = metric(p);
        let lo = m.p50.min(m.mean);
        let hi = m.max.max(m.mean);
        (lo.is_finite() && hi.is_finite())
            .then(|| ErrorBar::new_vertical(at(p.gogc), lo, m.mean, hi, color.stroke_width(2), 10))
    }))?;
    Ok(())
}

impl Plot for GcCostVsGogc {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult
    where
        DB::ErrorType: 'static,
    {
        root.fill(&WHITE)?;
        let root = root.titled(
            "GC cost vs GOGC: mean over seeds, bars from median to max (points.csv)",
            (FONT, 24),
        )?;
        // The legend above both panels, outside the data.
        let entries: Vec<(String, RGBAColor)> = self
            .series
            .iter()
            .enumerate()
            .map(|(i, s)| (s.label.clone(), Palette99::pick(i).to_rgba()))
            .collect();
        let (w, _) = root.dim_in_pixel();
        let rows = legend_rows(&entries, w, 14);
        let (legend, root) = root.split_vertically(rows * 22 + 8);
        legend_strip(&legend, &entries, 14)?;
        let panels = root.split_evenly((1, 2));
        panel(
            &panels[0],
            &self.series,
            |p| p.cpu_pct,
            "GC CPU",
            "GC CPU (% of CPU)",
        )?;
        panel(
            &panels[1],
            &self.series,
            |p| p.peak_mib,
            "Peak heap",
            "peak heap (MiB)",
        )?;
        Ok(())
    }
}
