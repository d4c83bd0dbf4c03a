//! slice_growth: each slice's capacity over its appends from slice_events.csv, a step line
//! per slice with a dot at every allocation (each growth's new array, and the `make`d one at
//! append 0), and a key above the data naming each slice with what it allocated (from
//! summary.json's `slices`; `make`'s capacity from scenario.toml).

use std::path::{Path, PathBuf};

use plotters::coord::Shift;
use plotters::coord::ranged1d::{AsRangedCoord, ValueFormatter};
use plotters::prelude::*;

use super::{DrawResult, FONT, Plot, PlotError, Table, padded, render};

/// One growth: the append that grew the slice, and the capacity it grew to.
struct Growth {
    op: f64,
    cap_after: f64,
    /// It allocated an array (not so for zero-size elements, which all share one address).
    allocated: bool,
}

/// What summary.json says a slice allocated over the run.
struct Totals {
    len: u64,
    allocs: u64,
    alloc_bytes: u64,
    cap: u64,
    appends: u64,
}

struct SliceSeries {
    name: String,
    /// Each goroutine has its own (`scope = "goroutine"`): the growths are one goroutine's,
    /// the totals every goroutine's.
    local: bool,
    /// `make`'s capacity (0: a nil slice, nothing allocated before the first append).
    made: u64,
    growths: Vec<Growth>,
    totals: Option<Totals>,
}

struct SliceGrowth {
    slices: Vec<SliceSeries>,
    /// The last append of any slice.
    last_op: f64,
    min_cap: f64,
    max_cap: f64,
    /// Capacities spread over a factor of 16 or more: a log axis spaces the doublings evenly.
    log_y: bool,
    /// Two slices share a growth (or a `make`d capacity): their lines would lie on each
    /// other.
    layered: bool,
    /// Some slice's appends end before a twentieth of another's: on a linear axis its
    /// growths would be squeezed into the first pixels, so appends go on a log axis (that
    /// keeps 0 for the `make`d arrays).
    log_x: bool,
}

/// Appends on a log axis that keeps 0: `x` is drawn at ln(1 + x), its ticks at 0, 1, 10,
/// 100…, its light lines at 2 and 5 times them.
#[derive(Clone)]
struct SymLog {
    hi: f64,
    /// The drawn span, ln(1 + x), padded so that no dot is cut by the frame.
    lo_u: f64,
    hi_u: f64,
}

impl SymLog {
    fn new(hi: f64) -> SymLog {
        let top = hi.max(1.0).ln_1p();
        let pad = top * 0.02;
        SymLog {
            hi: hi.max(1.0),
            lo_u: -pad,
            hi_u: top + pad,
        }
    }
}

impl Ranged for SymLog {
    type FormatOption = plotters::coord::ranged1d::DefaultFormatting;
    type ValueType = f64;

    fn map(&self, value: &f64, limit: (i32, i32)) -> i32 {
        let u = value.max(0.0).ln_1p();
        let frac = (u - self.lo_u) / (self.hi_u - self.lo_u);
        limit.0 + (frac * f64::from(limit.1 - limit.0)).round() as i32
    }

    fn key_points<H: plotters::coord::ranged1d::KeyPointHint>(&self, hint: H) -> Vec<f64> {
        let decades = self.hi.log10().floor() as usize;
        // Every decade, or every second, third… when there are more than the hint allows.
        let max = hint.max_num_points().max(2);
        let step = (decades + 1).div_ceil(max - 1).max(1);
        let mut pts = vec![0.0];
        for e in (0..=decades).step_by(step) {
            let p = 10f64.powi(e as i32);
            pts.push(p);
            if hint.weight().allow_light_points() && step == 1 {
                pts.extend([2.0 * p, 5.0 * p].into_iter().filter(|&v| v <= self.hi));
            }
        }
        pts
    }

    fn range(&self) -> std::ops::Range<f64> {
        0.0..self.hi
    }
}

/// Each slice's capacity at `make` (scenario.toml's `[[slices]]`), in the scenario's order.
/// A file that is missing or not TOML gives none: the plot then has no `make` squares.
fn made_caps(dir: &Path) -> Vec<(String, u64, bool)> {
    let Ok(text) = std::fs::read_to_string(dir.join("scenario.toml")) else {
        return Vec::new();
    };
    let Ok(doc) = text.parse::<toml::Table>() else {
        return Vec::new();
    };
    doc.get("slices")
        .and_then(toml::Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|s| {
            let name = s.get("name")?.as_str()?.to_string();
            let cap = s
                .get("cap")
                .and_then(toml::Value::as_integer)
                .and_then(|c| u64::try_from(c).ok())
                .unwrap_or(0);
            let local = s.get("scope").and_then(toml::Value::as_str) == Some("goroutine");
            Some((name, cap, local))
        })
        .collect()
}

/// summary.json's `slices`, by name. A file that is missing or not JSON gives none: the key
/// then counts the growths of slice_events.csv.
fn totals(dir: &Path) -> Vec<(String, Totals)> {
    let Ok(bytes) = std::fs::read(dir.join("summary.json")) else {
        return Vec::new();
    };
    let Ok(v) = serde_json::from_slice::<serde_json::Value>(&bytes) else {
        return Vec::new();
    };
    let Some(slices) = v.get("slices").and_then(serde_json::Value::as_object) else {
        return Vec::new();
    };
    slices
        .iter()
        .filter_map(|(name, s)| {
            let n = |k: &str| s.get(k).and_then(serde_json::Value::as_u64);
            Some((
                name.clone(),
                Totals {
                    len: n("len")?,
                    allocs: n("allocs")?,
                    alloc_bytes: n("alloc_bytes")?,
                    cap: n("cap")?,
                    appends: n("appends")?,
                },
            ))
        })
        .collect()
}

pub(super) fn draw(dir: &Path) -> Result<Vec<PathBuf>, PlotError> {
    let t = match Table::read(&dir.join("slice_events.csv"))? {
        Some(t) => t,
        None => return Ok(Vec::new()),
    };
    let (slice, op, cap_after) = (t.col("slice")?, t.col("op")?, t.col("cap_after")?);
    let bytes_after = t.col("bytes_after").ok();
    // The scenario's order, then any slice only the CSV or the summary names.
    let mut slices: Vec<SliceSeries> = made_caps(dir)
        .into_iter()
        .map(|(name, made, local)| SliceSeries {
            name,
            local,
            made,
            growths: Vec::new(),
            totals: None,
        })
        .collect();
    fn series<'a>(slices: &'a mut Vec<SliceSeries>, name: &str) -> &'a mut SliceSeries {
        let i = match slices.iter().position(|s| s.name == name) {
            Some(i) => i,
            None => {
                slices.push(SliceSeries {
                    name: name.to_string(),
                    local: false,
                    made: 0,
                    growths: Vec::new(),
                    totals: None,
                });
                slices.len() - 1
            }
        };
        &mut slices[i]
    }
    for r in 0..t.rows.len() {
        let g = Growth {
            op: t.num(r, op)?,
            cap_after: t.num(r, cap_after)?,
            allocated: match bytes_after {
                Some(c) => t.num(r, c)? > 0.0,
                None => true,
            },
        };
        if g.op.is_finite() && g.cap_after.is_finite() {
            series(&mut slices, t.text(r, slice)).growths.push(g);
        }
    }
    for (name, mut tot) in totals(dir) {
        let s = series(&mut slices, &name);
        if s.local {
            // The line follows one goroutine's slice, which ends at its length.
            tot.appends = tot.len;
        }
        s.totals = Some(tot);
    }
    for s in &mut slices {
        s.growths.sort_by(|a, b| a.op.total_cmp(&b.op));
    }
    let caps: Vec<f64> = slices
        .iter()
        .flat_map(|s| {
            let made = (s.made > 0).then_some(s.made as f64);
            made.into_iter()
                .chain(s.growths.iter().map(|g| g.cap_after))
        })
        .filter(|&c| c > 0.0)
        .collect();
    // Nothing was allocated: nothing to draw.
    if caps.is_empty() {
        return Ok(Vec::new());
    }
    let min_cap = caps.iter().copied().fold(f64::INFINITY, f64::min);
    let max_cap = caps.iter().copied().fold(0.0, f64::max);
    let last_op = slices
        .iter()
        .flat_map(|s| {
            let appends = s.totals.as_ref().map(|t| t.appends as f64);
            appends.into_iter().chain(s.growths.iter().map(|g| g.op))
        })
        .fold(1.0, f64::max);
    let shortest = slices
        .iter()
        .filter(|s| s.made > 0 || !s.growths.is_empty())
        .map(SliceSeries::reach)
        .fold(f64::INFINITY, f64::min);
    let log_x = shortest * 20.0 < last_op && last_op >= 100.0;
    let mut seen = std::collections::BTreeMap::new();
    let mut layered = false;
    for (i, s) in slices.iter().enumerate() {
        let made = (s.made > 0).then_some((0, s.made));
        let grown = s.growths.iter().map(|g| (g.op as u64, g.cap_after as u64));
        for point in made.into_iter().chain(grown) {
            layered |= *seen.entry(point).or_insert(i) != i;
        }
    }
    render(
        dir,
        "slice_growth",
        &SliceGrowth {
            slices,
            last_op,
            min_cap,
            max_cap,
            log_y: max_cap / min_cap >= 16.0,
            log_x,
            layered,
        },
    )
}

/// The dot of each growth (growslice's new array), and the square of a `make`d one.
const DOT: u32 = 4;
const SQUARE: i32 = 5;

impl SliceSeries {
    /// The key's text: `grow: 12 allocations, 24.6 KiB` (without the summary, the growths
    /// slice_events.csv lists).
    fn label(&self) -> String {
        match &self.totals {
            Some(t) => format!(
                "{}: {} allocation{}, {}{}",
                self.name,
                t.allocs,
                if t.allocs == 1 { "" } else { "s" },
                crate::report::html::bytes_text(t.alloc_bytes as f64),
                if self.local {
                    " in all goroutines (one goroutine's shown)"
                } else {
                    ""
                }
            ),
            None => {
                let n = self.growths.len();
                format!("{}: {n} growth{}", self.name, if n == 1 { "" } else { "s" })
            }
        }
    }

    /// How far it reaches along the appends: its last append or growth.
    fn reach(&self) -> f64 {
        let appends = self.totals.as_ref().map_or(0.0, |t| t.appends as f64);
        self.growths.iter().map(|g| g.op).fold(appends, f64::max)
    }

    /// The capacity as a step line: from `make`'s at append 0 (or the first growth), up at
    /// each growth, on to the last append while the slice still has that array.
    fn steps(&self) -> Vec<(f64, f64)> {
        let mut pts = Vec::new();
        let mut cap = None;
        if self.made > 0 {
            cap = Some(self.made as f64);
            pts.push((0.0, self.made as f64));
        }
        for g in &self.growths {
            if let Some(c) = cap {
                pts.push((g.op, c));
            }
            pts.push((g.op, g.cap_after));
            cap = Some(g.cap_after);
        }
        // The array it ends with: the line runs on to its last append (not after a drop,
        // which leaves a capacity the line does not know when it took).
        if let (Some(c), Some(t)) = (cap, &self.totals) {
            if t.cap as f64 == c && t.appends as f64 > pts.last().map_or(0.0, |p| p.0) {
                pts.push((t.appends as f64, c));
            }
        }
        pts
    }
}

/// A tick's count: whole, with thin-space thousands separators up to 7 digits
/// (`1 048 576`), then in millions or billions without trailing zeros (`16.8M`, `2M`).
fn tick_count(v: f64) -> String {
    let a = v.abs();
    if a < 1e7 {
        let digits = format!("{a:.0}");
        let mut out = String::new();
        for (i, c) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i) % 3 == 0 {
                out.push('\u{2009}');
            }
            out.push(c);
        }
        return if v < 0.0 { format!("-{out}") } else { out };
    }
    let (scaled, suffix) = if a >= 1e9 {
        (v / 1e9, "G")
    } else {
        (v / 1e6, "M")
    };
    let text = format!("{scaled:.2}");
    let text = text.trim_end_matches('0').trim_end_matches('.');
    format!("{text}{suffix}")
}

/// The slices' colours, in order (the tab10 palette: none too pale on white).
const COLORS: [RGBColor; 10] = [
    RGBColor(31, 119, 180),
    RGBColor(214, 39, 40),
    RGBColor(44, 160, 44),
    RGBColor(255, 127, 14),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
    RGBColor(227, 119, 194),
    RGBColor(127, 127, 127),
    RGBColor(188, 189, 34),
    RGBColor(23, 190, 207),
];

fn color(i: usize) -> RGBAColor {
    COLORS[i % COLORS.len()].to_rgba()
}

/// An entry of the key: its sample and its text.
enum Sample {
    /// A slice: its colour's line with a dot on it.
    Slice(RGBAColor),
    /// The growth dot.
    Growth,
    /// The `make` square.
    Make,
}

/// Each key entry's place, (x, row), laid out left to right in rows as wide as `area`,
/// each label as wide as the font draws it.
fn key_layout<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    labels: &[&str],
) -> Result<Vec<(i32, i32)>, Box<dyn std::error::Error + Send + Sync>>
where
    DB::ErrorType: 'static,
{
    let width = area.dim_in_pixel().0 as i32;
    let font: TextStyle = (FONT, KEY_FONT).into();
    let (mut x, mut row) = (KEY_LEFT, 0i32);
    let mut out = Vec::new();
    for label in labels {
        let (text_w, _) = area.estimate_text_size(label, &font)?;
        let w = KEY_TEXT + text_w as i32 + KEY_GAP;
        if x > KEY_LEFT && x + w - KEY_GAP > width - KEY_LEFT {
            x = KEY_LEFT;
            row += 1;
        }
        out.push((x, row));
        x += w;
    }
    Ok(out)
}

const KEY_FONT: u32 = 15;
const KEY_ROW: i32 = KEY_FONT as i32 + 10;
/// The key's left edge, its samples' width with the space after them, and the space
/// between two entries.
const KEY_LEFT: i32 = 16;
const KEY_TEXT: i32 = 34;
const KEY_GAP: i32 = 32;

impl SliceGrowth {
    fn key(&self) -> Vec<(String, Sample)> {
        let mut out: Vec<(String, Sample)> = self
            .slices
            .iter()
            .enumerate()
            .map(|(i, s)| (s.label(), Sample::Slice(color(i))))
            .collect();
        out.push(("growth: a new array (growslice)".into(), Sample::Growth));
        if self.slices.iter().any(|s| s.made > 0) {
            out.push(("make([]T, 0, cap) at append 0".into(), Sample::Make));
        }
        out
    }

    fn draw_key<DB: DrawingBackend>(
        &self,
        area: &DrawingArea<DB, Shift>,
        key: &[(String, Sample)],
    ) -> DrawResult
    where
        DB::ErrorType: 'static,
    {
        let labels: Vec<&str> = key.iter().map(|(l, _)| l.as_str()).collect();
        let layout = key_layout(area, &labels)?;
        let grey = RGBColor(90, 90, 90);
        for ((label, sample), &(x, row)) in key.iter().zip(&layout) {
            let y = 4 + row * KEY_ROW;
            let mid = y + KEY_ROW / 2 - 3;
            match sample {
                Sample::Slice(color) => {
                    area.draw(&PathElement::new(
                        vec![(x, mid), (x + 26, mid)],
                        color.stroke_width(3),
                    ))?;
                    area.draw(&Circle::new((x + 13, mid), DOT, color.filled()))?;
                }
                Sample::Growth => {
                    area.draw(&Circle::new((x + 13, mid), DOT, grey.filled()))?;
                }
                Sample::Make => {
                    area.draw(&Rectangle::new(
                        [
                            (x + 13 - SQUARE, mid - SQUARE),
                            (x + 13 + SQUARE, mid + SQUARE),
                        ],
                        grey.stroke_width(2),
                    ))?;
                }
            }
            area.draw(&Text::new(
                label.clone(),
                (x + KEY_TEXT, y + 1),
                (FONT, KEY_FONT).into_font().color(&BLACK),
            ))?;
        }
        Ok(())
    }

    /// The chart on x axis `x`, its y axis as `log_y` says.
    fn draw_chart_on<DB, X>(&self, area: &DrawingArea<DB, Shift>, x: X) -> DrawResult
    where
        DB: DrawingBackend,
        DB::ErrorType: 'static,
        X: AsRangedCoord<Value = f64>,
        X::CoordDescType: ValueFormatter<f64>,
    {
        if self.log_y {
            let y = (self.min_cap / 1.6..self.max_cap * 1.6)
                .log_scale()
                .base(2.0);
            self.draw_chart(area, x, y)
        } else {
            self.draw_chart(area, x, 0.0..self.max_cap * 1.12)
        }
    }

    fn draw_chart<DB, X, Y>(&self, area: &DrawingArea<DB, Shift>, x: X, y: Y) -> DrawResult
    where
        DB: DrawingBackend,
        DB::ErrorType: 'static,
        X: AsRangedCoord<Value = f64>,
        X::CoordDescType: ValueFormatter<f64>,
        Y: AsRangedCoord<Value = f64>,
        Y::CoordDescType: ValueFormatter<f64>,
    {
        let mut chart = ChartBuilder::on(area)
            .margin(16)
            .margin_top(8)
            .x_label_area_size(52)
            .y_label_area_size(96)
            .build_cartesian_2d(x, y)?;
        let y_desc = if self.log_y {
            "capacity (elements, log scale)"
        } else {
            "capacity (elements)"
        };
        chart
            .configure_mesh()
            .x_desc(if self.log_x {
                "appends to the slice (log scale from 1, 0 at the left)"
            } else {
                "appends to the slice"
            })
            .y_desc(y_desc)
            .label_style((FONT, 14))
            .axis_desc_style((FONT, 16))
            .bold_line_style(RGBColor(225, 225, 225))
            .max_light_lines(1)
            .light_line_style(RGBColor(245, 245, 245))
            .x_labels(8)
            .y_labels(14)
            .x_label_formatter(&|x| {
                // Appends are whole: no label left of 0.
                if *x < 0.0 {
                    String::new()
                } else {
                    tick_count(*x)
                }
            })
            .y_label_formatter(&|y| tick_count(*y))
            .draw()?;
        // The slices that reach furthest first, so that one that grows as another but stops
        // sooner lies on it, not under it; where slices grow alike, each drawn wider than the
        // ones drawn over it.
        let n = self.slices.len();
        let mut order: Vec<usize> = (0..n).collect();
        order.sort_by(|&a, &b| self.slices[b].reach().total_cmp(&self.slices[a].reach()));
        for (drawn, &i) in order.iter().enumerate() {
            let s = &self.slices[i];
            let color = color(i);
            let extra = if self.layered && n > 1 {
                (3 * (n - 1 - drawn)).div_ceil(n - 1) as u32
            } else {
                0
            };
            chart.draw_series(LineSeries::new(s.steps(), color.stroke_width(2 + extra)))?;
            chart.draw_series(
                s.growths
                    .iter()
                    .filter(|g| g.allocated && g.cap_after > 0.0)
                    .map(|g| Circle::new((g.op, g.cap_after), DOT + extra, color.filled())),
            )?;
            if s.made > 0 {
                let at = (0.0, s.made as f64);
                let half = SQUARE + extra as i32;
                chart.draw_series(std::iter::once(
                    EmptyElement::at(at)
                        + Rectangle::new([(-half, -half), (half, half)], color.stroke_width(2)),
                ))?;
            }
        }
        Ok(())
    }
}

impl Plot for SliceGrowth {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult
    where
        DB::ErrorType: 'static,
    {
        root.fill(&WHITE)?;
        let root = root.margin(8, 0, 0, 0).titled(
            "Slice growth: capacity over appends (slice_events.csv)",
            (FONT, 24),
        )?;
        // The key above the data, so it hides none of it.
        let key = self.key();
        let labels: Vec<&str> = key.iter().map(|(l, _)| l.as_str()).collect();
        let rows = key_layout(&root, &labels)?
            .last()
            .map_or(1, |&(_, r)| r + 1);
        let (top, chart) = root.split_vertically(rows * KEY_ROW + 10);
        self.draw_key(&top, &key)?;
        if self.log_x {
            self.draw_chart_on(&chart, SymLog::new(self.last_op))
        } else {
            // Room left of 0 and right of the last append, so no dot is cut by the frame.
            self.draw_chart_on(&chart, padded(0.0, self.last_op, 0.02))
        }
    }
}
