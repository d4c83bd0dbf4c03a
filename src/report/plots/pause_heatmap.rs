//! pause_heatmap: the largest STW pause in each twentieth of the run, one row per GOGC value,
//! from the `stw_timeline_ns` column of sweep.csv. A cell is the maximum over every run of
//! that GOGC (all seeds); with other axes, only the runs at the first value of each of them.

use std::path::{Path, PathBuf};

use plotters::coord::Shift;
use plotters::prelude::*;

use super::{DrawResult, FONT, Plot, PlotError, SIZE, Table, render, short_axis};

/// The sweep.csv column the plot reads.
const COLUMN: &str = "stw_timeline_ns";
/// Time buckets per run.
const BUCKETS: usize = 20;

struct Row {
    gogc: f64,
    label: String,
    /// Largest pause per bucket, µs.
    max_us: [f64; BUCKETS],
}

struct PauseHeatmap {
    title: String,
    rows: Vec<Row>,
    /// Top of the colour scale, µs.
    scale_max: f64,
}

pub(super) fn draw(dir: &Path) -> Result<Vec<PathBuf>, PlotError> {
    let path = dir.join("sweep.csv");
    if !path.exists() {
        return Ok(Vec::new());
    }
    let Some(t) = Table::read(&path)? else {
        return Ok(Vec::new());
    };
    let (Ok(gogc_col), Ok(timeline_col), Ok(seed_col)) =
        (t.col("runtime.gogc"), t.col(COLUMN), t.col("seed"))
    else {
        return Ok(Vec::new());
    };
    // The axes sit between `run` and `seed`.
    if gogc_col == 0 || gogc_col >= seed_col || t.rows.is_empty() {
        return Ok(Vec::new());
    }
    let others: Vec<usize> = (1..seed_col).filter(|&c| c != gogc_col).collect();
    let first: Vec<String> = others.iter().map(|&c| t.text(0, c).to_string()).collect();
    let mut rows: Vec<Row> = Vec::new();
    for r in 0..t.rows.len() {
        if others.iter().zip(&first).any(|(&c, v)| t.text(r, c) != v) {
            continue;
        }
        // GOGC=off has no place on a numeric axis.
        let Ok(gogc) = t.text(r, gogc_col).parse::<f64>() else {
            continue;
        };
        let text = t.text(r, timeline_col);
        // A run that could not finish has no timeline.
        if !gogc.is_finite() || text.is_empty() {
            continue;
        }
        let bad = || PlotError::BadValue {
            path: t.path.clone(),
            line: r + 2,
            column: COLUMN.to_string(),
            value: text.to_string(),
        };
        let values: Vec<u64> = text
            .split(';')
            .map(|v| v.parse::<u64>().map_err(|_| bad()))
            .collect::<Result<_, _>>()?;
        if values.len() != BUCKETS {
            return Err(bad());
        }
        let i = match rows.iter().position(|row| row.gogc == gogc) {
            Some(i) => i,
            None => {
                rows.push(Row {
                    gogc,
                    label: t.text(r, gogc_col).to_string(),
                    max_us: [0.0; BUCKETS],
                });
                rows.len() - 1
            }
        };
        for (cell, v) in rows[i].max_us.iter_mut().zip(values) {
            *cell = cell.max(v as f64 / 1e3);
        }
    }
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    rows.sort_by(|a, b| a.gogc.total_cmp(&b.gogc));
    let top = rows
        .iter()
        .flat_map(|r| r.max_us.iter().copied())
        .fold(0.0, f64::max);
    let scale_max = if top > 0.0 { top } else { 1.0 };
    let mut title = "Largest STW pause per 5% of the run, by GOGC (µs, max over seeds)".to_string();
    if !others.is_empty() {
        let only: Vec<String> = others
            .iter()
            .zip(&first)
            .map(|(&c, v)| format!("{}={v}", short_axis(&t.header[c])))
            .collect();
        title.push_str(&format!("; only {}", only.join(", ")));
    }
    let plot = PauseHeatmap {
        title,
        rows,
        scale_max,
    };
    render(dir, "pause_heatmap", &plot)
}

/// Viridis, sampled at five stops and interpolated linearly; `f` in 0..=1.
fn colour(f: f64) -> RGBColor {
    const STOPS: [(u8, u8, u8); 5] = [
        (68, 1, 84),
        (59, 82, 139),
        (33, 145, 140),
        (94, 201, 98),
        (253, 231, 37),
    ];
    let f = if f.is_finite() {
        f.clamp(0.0, 1.0)
    } else {
        0.0
    };
    let x = f * (STOPS.len() - 1) as f64;
    let i = (x.floor() as usize).min(STOPS.len() - 2);
    let w = x - i as f64;
    let mix = |a: u8, b: u8| (f64::from(a) + (f64::from(b) - f64::from(a)) * w).round() as u8;
    let (a, b) = (STOPS[i], STOPS[i + 1]);
    RGBColor(mix(a.0, b.0), mix(a.1, b.1), mix(a.2, b.2))
}

impl PauseHeatmap {
    fn grid<DB: DrawingBackend>(&self, area: &DrawingArea<DB, Shift>) -> DrawResult
    where
        DB::ErrorType: 'static,
    {
        let n = self.rows.len();
        let mut chart = ChartBuilder::on(area)
            .margin(14)
            .x_label_area_size(48)
            .y_label_area_size(64)
            .build_cartesian_2d(0.0..BUCKETS as f64, 0.0..n as f64)?;
        let labels: Vec<&str> = self.rows.iter().map(|r| r.label.as_str()).collect();
        chart
            .configure_mesh()
            .disable_mesh()
            .x_labels(BUCKETS / 2 + 1)
            .x_label_formatter(&|x| format!("{:.0}%", x * 100.0 / BUCKETS as f64))
            // Ticks every half row: the rows' middles carry their GOGC, the edges nothing.
            .y_labels(2 * n + 1)
            .y_label_formatter(&|v| {
                let mid = v - 0.5;
                if (mid - mid.round()).abs() < 1e-6 && mid >= 0.0 {
                    labels
                        .get(mid.round() as usize)
                        .map_or(String::new(), |s| s.to_string())
                } else {
                    String::new()
                }
            })
            .x_desc("share of the run (5% buckets)")
            .y_desc("GOGC")
            .label_style((FONT, 13))
            .axis_desc_style((FONT, 14))
            .draw()?;
        chart.draw_series(self.rows.iter().enumerate().flat_map(|(y, row)| {
            row.max_us.iter().enumerate().map(move |(x, &v)| {
                Rectangle::new(
                    [(x as f64, y as f64), ((x + 1) as f64, (y + 1) as f64)],
                    colour(v / self.scale_max).filled(),
                )
            })
        }))?;
        Ok(())
    }

    fn strip<DB: DrawingBackend>(&self, area: &DrawingArea<DB, Shift>) -> DrawResult
    where
        DB::ErrorType: 'static,
    {
        const STEPS: usize = 100;
        let mut chart = ChartBuilder::on(area)
            .margin_top(14)
            .margin_bottom(62)
            .margin_right(14)
            .y_label_area_size(72)
            .build_cartesian_2d(0.0..1.0, 0.0..self.scale_max)?;
        chart
            .configure_mesh()
            .disable_mesh()
            .disable_x_axis()
            .y_labels(8)
            .y_label_formatter(&|v| format!("{v:.0}"))
            .y_desc("largest STW pause (µs)")
            .label_style((FONT, 13))
            .axis_desc_style((FONT, 14))
            .draw()?;
        let step = self.scale_max / STEPS as f64;
        chart.draw_series((0..STEPS).map(|i| {
            let lo = i as f64 * step;
            Rectangle::new(
                [(0.0, lo), (1.0, lo + step)],
                colour((i as f64 + 0.5) / STEPS as f64).filled(),
            )
        }))?;
        Ok(())
    }
}

impl Plot for PauseHeatmap {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult
    where
        DB::ErrorType: 'static,
    {
        root.fill(&WHITE)?;
        let root = root.titled(&self.title, (FONT, 22))?;
        let (grid, strip) = root.split_horizontally(SIZE.0 - 150);
        self.grid(&grid)?;
        self.strip(&strip)?;
        Ok(())
    }
}
