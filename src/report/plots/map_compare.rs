//! map_compare: the maps of a run side by side, from map_ops.csv — each write's cost over
//! the map's write number (the classic map spreads a growth over later writes by incremental
//! evacuation; a Swiss table rebuilds whole, up to 1024 slots, in one write), and the heap
//! bytes each map keeps alive. Drawn when the run recorded its writes and has a Swiss map or
//! more than one map.

use std::path::{Path, PathBuf};

use plotters::coord::Shift;
use plotters::prelude::*;

use super::{DrawResult, FONT, MIB, Plot, PlotError, Table, draw_legend, render};
use crate::model::gomap::MapEventKind;

struct Series {
    name: String,
    /// (write, cost ns, live MiB).
    writes: Vec<(f64, f64, f64)>,
}

struct MapCompare {
    maps: Vec<Series>,
}

/// Points per map a panel draws at most: writes are binned along x and each bin keeps its
/// cheapest and its dearest write (so every spike shows) and its last heap size.
const BINS: usize = 1000;

/// `writes` thinned to at most 2 × [`BINS`] points, keeping each bin's extremes of cost.
fn thinned(writes: &[(f64, f64, f64)], last: f64) -> Vec<(f64, f64, f64)> {
    if writes.len() <= 2 * BINS {
        return writes.to_vec();
    }
    let mut out: Vec<(f64, f64, f64)> = Vec::with_capacity(2 * BINS);
    let bin_of = |x: f64| ((x / last * BINS as f64) as usize).min(BINS - 1);
    let mut i = 0;
    while i < writes.len() {
        let b = bin_of(writes[i].0);
        let (mut lo, mut hi) = (writes[i], writes[i]);
        let mut end = writes[i];
        while i < writes.len() && bin_of(writes[i].0) == b {
            let w = writes[i];
            if w.1 < lo.1 {
                lo = w;
            }
            if w.1 > hi.1 {
                hi = w;
            }
            end = w;
            i += 1;
        }
        // Cost extremes keep their own x; the heap is the bin's last.
        let (first, second) = if lo.0 <= hi.0 { (lo, hi) } else { (hi, lo) };
        out.push((first.0, first.1, end.2));
        if second != first {
            out.push((second.0, second.1, end.2));
        }
    }
    out
}

/// Whether map_events.csv in `dir` holds an event of the Swiss map.
fn has_swiss_events(dir: &Path) -> Result<bool, PlotError> {
    let Some(t) = Table::read(&dir.join("map_events.csv"))? else {
        return Ok(false);
    };
    let event = t.col("event")?;
    Ok((0..t.rows.len()).any(|r| {
        MapEventKind::SWISS
            .iter()
            .any(|k| k.as_str() == t.text(r, event))
    }))
}

pub(super) fn draw(dir: &Path) -> Result<Vec<PathBuf>, PlotError> {
    let t = match Table::read(&dir.join("map_ops.csv"))? {
        Some(t) if !t.rows.is_empty() => t,
        _ => return Ok(Vec::new()),
    };
    let Ok(live) = t.col("live_bytes") else {
        return Ok(Vec::new());
    };
    let (map, op, cost) = (t.col("map")?, t.col("op")?, t.col("cost_ns")?);
    let mut maps: Vec<Series> = Vec::new();
    for r in 0..t.rows.len() {
        let w = (
            t.num(r, op)?.max(1.0),
            t.num(r, cost)?.max(1.0),
            t.num(r, live)? / MIB,
        );
        if ![w.0, w.1, w.2].iter().all(|v| v.is_finite()) {
            continue;
        }
        let name = t.text(r, map);
        match maps.iter_mut().find(|m| m.name == name) {
            Some(m) => m.writes.push(w),
            None => maps.push(Series {
                name: name.to_string(),
                writes: vec![w],
            }),
        }
    }
    if maps.len() < 2 && !has_swiss_events(dir)? {
        return Ok(Vec::new());
    }
    let last = maps
        .iter()
        .flat_map(|m| m.writes.iter().map(|w| w.0))
        .fold(1.0, f64::max);
    for m in &mut maps {
        m.writes = thinned(&m.writes, last);
    }
    render(dir, "map_compare", &MapCompare { maps })
}

const COLORS: [RGBColor; 4] = [
    RGBColor(31, 119, 180),
    RGBColor(214, 39, 40),
    RGBColor(44, 160, 44),
    RGBColor(148, 103, 189),
];

impl Plot for MapCompare {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult
    where
        DB::ErrorType: 'static,
    {
        root.fill(&WHITE)?;
        let root = root.titled(
            "Map writes side by side: cost of each write, and the heap each map keeps (map_ops.csv)",
            (FONT, 22),
        )?;
        let (top, bottom) = root.split_vertically(root.dim_in_pixel().1 * 55 / 100);
        let last = self
            .maps
            .iter()
            .flat_map(|m| m.writes.iter().map(|w| w.0))
            .fold(1.0, f64::max);
        let max_cost = self
            .maps
            .iter()
            .flat_map(|m| m.writes.iter().map(|w| w.1))
            .fold(1.0, f64::max);
        let max_live = self
            .maps
            .iter()
            .flat_map(|m| m.writes.iter().map(|w| w.2))
            .fold(0.0, f64::max);

        let mut cost = ChartBuilder::on(&top)
            .margin(12)
            .x_label_area_size(36)
            .y_label_area_size(70)
            .build_cartesian_2d(1.0..last * 1.02, (1.0..max_cost * 2.0).log_scale())?;
        cost.configure_mesh()
            .x_desc("write of the map")
            .y_desc("cost of the write (ns, log)")
            .label_style((FONT, 14))
            .axis_desc_style((FONT, 15))
            .draw()?;
        for (i, m) in self.maps.iter().enumerate() {
            let c = COLORS[i % COLORS.len()];
            cost.draw_series(
                m.writes
                    .iter()
                    .map(|&(x, y, _)| Circle::new((x, y), 2, c.filled())),
            )?
            .label(format!("{} (max {:.1} us)", m.name, peak(m, |w| w.1) / 1e3))
            .legend(move |(x, y)| Circle::new((x + 10, y), 4, c.filled()));
        }
        draw_legend(&mut cost, SeriesLabelPosition::UpperLeft, 15)?;

        let mut mem = ChartBuilder::on(&bottom)
            .margin(12)
            .x_label_area_size(36)
            .y_label_area_size(70)
            .build_cartesian_2d(1.0..last * 1.02, 0.0..(max_live * 1.12).max(0.01))?;
        mem.configure_mesh()
            .x_desc("write of the map")
            .y_desc("heap the map keeps (MiB)")
            .label_style((FONT, 14))
            .axis_desc_style((FONT, 15))
            .draw()?;
        for (i, m) in self.maps.iter().enumerate() {
            let c = COLORS[i % COLORS.len()];
            mem.draw_series(LineSeries::new(
                m.writes.iter().map(|&(x, _, y)| (x, y)),
                c.stroke_width(2),
            ))?
            .label(format!(
                "{} (last {:.2} MiB)",
                m.name,
                m.writes.last().map_or(0.0, |w| w.2)
            ))
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], c.stroke_width(2)));
        }
        draw_legend(&mut mem, SeriesLabelPosition::UpperLeft, 15)?;
        Ok(())
    }
}

fn peak(m: &Series, f: impl Fn(&(f64, f64, f64)) -> f64) -> f64 {
    m.writes.iter().map(f).fold(0.0, f64::max)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thinning_keeps_every_bin_s_extremes() {
        // 100000 writes of cost 50 with a spike of 9000 at write 77777.
        let writes: Vec<(f64, f64, f64)> = (1..=100_000)
            .map(|i| (i as f64, if i == 77_777 { 9000.0 } else { 50.0 }, i as f64))
            .collect();
        let t = thinned(&writes, 100_000.0);
        assert!(t.len() <= 2 * BINS);
        assert!(t.iter().any(|w| w.0 == 77_777.0 && w.1 == 9000.0));
        assert_eq!(t.last().unwrap().2, 100_000.0);
        // Few enough writes are drawn as they are.
        assert_eq!(thinned(&writes[..500], 500.0), writes[..500].to_vec());
    }
}
