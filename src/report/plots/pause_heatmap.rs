//! pause_heatmap: the largest STW pause in each twentieth of the run, one row per GOGC value,
//! from the `stw_timeline_ns` column of sweep.csv. A cell is the maximum over every run of
//! that GOGC (all seeds); with other axes (a memory limit), one panel per combination of
//! their values, on one colour scale. A stretch with no pause at all is grey, apart from the
//! scale.

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

/// The rows of one combination of the other axes' values.
struct Panel {
    label: String,
    rows: Vec<Row>,
}

struct PauseHeatmap {
    title: String,
    panels: Vec<Panel>,
    /// Top of the colour scale, µs.
    scale_max: f64,
}

/// A cell with no pause: outside the scale, so it does not read as a short pause.
const NO_PAUSE: RGBColor = RGBColor(225, 225, 225);

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
    let mut panels: Vec<Panel> = Vec::new();
    for r in 0..t.rows.len() {
        let label = others
            .iter()
            .map(|&c| format!("{}={}", short_axis(&t.header[c]), t.text(r, c)))
            .collect::<Vec<_>>()
            .join(", ");
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
        let pi = match panels.iter().position(|p| p.label == label) {
            Some(i) => i,
            None => {
                panels.push(Panel {
                    label,
                    rows: Vec::new(),
                });
                panels.len() - 1
            }
        };
        let rows = &mut panels[pi].rows;
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
    if panels.is_empty() {
        return Ok(Vec::new());
    }
    for p in &mut panels {
        p.rows.sort_by(|a, b| a.gogc.total_cmp(&b.gogc));
    }
    let top = panels
        .iter()
        .flat_map(|p| p.rows.iter().flat_map(|r| r.max_us.iter().copied()))
        .fold(0.0, f64::max);
    let scale_max = if top > 0.0 { top } else { 1.0 };
    let title = "Largest STW pause per 5% of the run, by GOGC (µs, max over seeds; grey: no pause)"
        .to_string();
    let plot = PauseHeatmap {
        title,
        panels,
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
    fn grid<DB: DrawingBackend>(
        &self,
        area: &DrawingArea<DB, Shift>,
        panel: &Panel,
        last: bool,
    ) -> DrawResult
    where
        DB::ErrorType: 'static,
    {
        let n = panel.rows.len();
        let mut builder = ChartBuilder::on(area);
        builder
            .margin(10)
            // Room for the last x label ("100%") before the colour scale's words.
            .margin_right(30)
            .x_label_area_size(if last { 44 } else { 22 })
            .y_label_area_size(64);
        if !panel.label.is_empty() {
            builder.caption(&panel.label, (FONT, 16));
        }
        let mut chart = builder.build_cartesian_2d(0.0..BUCKETS as f64, 0.0..n as f64)?;
        let labels: Vec<&str> = panel.rows.iter().map(|r| r.label.as_str()).collect();
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
            .x_desc(if last {
                "share of the run (5% buckets)"
            } else {
                ""
            })
            .y_desc("GOGC")
            .label_style((FONT, 13))
            .axis_desc_style((FONT, 14))
            .draw()?;
        chart.draw_series(panel.rows.iter().enumerate().flat_map(|(y, row)| {
            row.max_us.iter().enumerate().map(move |(x, &v)| {
                let fill = if v > 0.0 {
                    colour(v / self.scale_max)
                } else {
                    NO_PAUSE
                };
                Rectangle::new(
                    [(x as f64, y as f64), ((x + 1) as f64, (y + 1) as f64)],
                    fill.filled(),
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
        let (grids, strip) = root.split_horizontally(SIZE.0 - 150);
        let areas = grids.split_evenly((self.panels.len(), 1));
        for (i, (panel, area)) in self.panels.iter().zip(&areas).enumerate() {
            self.grid(area, panel, i + 1 == self.panels.len())?;
        }
        self.strip(&strip)?;
        Ok(())
    }
}
