//! Plots of a run's and a sweep's CSV outputs, each written as SVG and PNG.
//!
//! The plots read only the files already in a result directory (its CSV files; for
//! slice_growth also summary.json and scenario.toml), so they can be drawn again at any
//! time from what a run or a sweep left behind. Text is laid out with a font
//! compiled into the binary (DejaVu Sans), never a system font, so the output is the same on
//! every machine.

mod gc_cost_vs_gogc;
mod heap_timeline;
mod latency_vs_gogc;
mod map_compare;
mod map_growth;
mod pause_heatmap;
mod slice_growth;
mod stw_vs_throughput;
pub(crate) use stw_vs_throughput::{pareto_front, throughput_column};

use std::path::{Path, PathBuf};
use std::sync::Once;

use plotters::coord::Shift;
use plotters::prelude::*;

/// A plot that could not be drawn.
#[derive(Debug, thiserror::Error)]
pub enum PlotError {
    /// A file could not be read or written.
    #[error("cannot access {}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// A CSV file is malformed.
    #[error("cannot parse {}: {source}", path.display())]
    Csv {
        /// The CSV file.
        path: PathBuf,
        /// The CSV reader's error.
        #[source]
        source: csv::Error,
    },
    /// A CSV file lacks a column the plot needs.
    #[error("{}: no column {column:?}", path.display())]
    MissingColumn {
        /// The CSV file.
        path: PathBuf,
        /// The missing column's name.
        column: String,
    },
    /// A field that should be a number is not.
    #[error("{}: line {line}, column {column:?}: not a number: {value:?}", path.display())]
    BadValue {
        /// The CSV file.
        path: PathBuf,
        /// The field's line in the file (the header is line 1).
        line: usize,
        /// The column of the field.
        column: String,
        /// The field's text.
        value: String,
    },
    /// The plotting library failed.
    #[error("cannot draw {}: {message}", path.display())]
    Draw {
        /// The plot file being drawn.
        path: PathBuf,
        /// The plotting library's message.
        message: String,
    },
}

/// Draws the plots of a `gomemsim run` from the CSV files in `dir`: `heap_timeline` from
/// gc_cycles.csv, `map_growth` from map_events.csv, `map_compare` from map_ops.csv when
/// the run has a Swiss map or several maps, and `slice_growth` from slice_events.csv when
/// the scenario has slices (with summary.json's `slices` and scenario.toml's `make`
/// capacities), each as .svg and .png. A plot whose file has no rows is skipped. Returns
/// the paths written.
pub fn draw_run_plots(dir: &Path) -> Result<Vec<PathBuf>, PlotError> {
    let mut written = heap_timeline::draw(dir)?;
    written.extend(map_growth::draw(dir)?);
    if dir.join("map_ops.csv").exists() {
        written.extend(map_compare::draw(dir)?);
    }
    if dir.join("slice_events.csv").exists() {
        written.extend(slice_growth::draw(dir)?);
    }
    Ok(written)
}

/// Draws the plots of a `gomemsim sweep` from points.csv in `dir`: `stw_vs_throughput`, and
/// `gc_cost_vs_gogc` (and, for scenarios with requests, `latency_vs_gogc`) when an axis is
/// `runtime.gogc` with numeric values, each as .svg and
/// .png; and `pause_heatmap` from sweep.csv when it has a numeric `runtime.gogc` axis and a
/// `stw_timeline_ns` column. Nothing is drawn when points.csv has no rows. Returns the paths
/// written.
pub fn draw_sweep_plots(dir: &Path) -> Result<Vec<PathBuf>, PlotError> {
    let table = match Table::read(&dir.join("points.csv"))? {
        Some(t) if !t.rows.is_empty() => t,
        _ => return Ok(Vec::new()),
    };
    let points = SweepPoints::from_table(&table)?;
    let mut written = stw_vs_throughput::draw(dir, &table, &points)?;
    written.extend(gc_cost_vs_gogc::draw(dir, &table, &points)?);
    written.extend(latency_vs_gogc::draw(dir, &table, &points)?);
    written.extend(pause_heatmap::draw(dir)?);
    Ok(written)
}

/// Size of every plot, in pixels.
pub(crate) const SIZE: (u32, u32) = (1280, 720);
pub(crate) const FONT: &str = "sans-serif";

pub(crate) type DrawResult = Result<(), Box<dyn std::error::Error + Send + Sync>>;

/// A plot that can draw itself on any backend.
pub(crate) trait Plot {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult
    where
        DB::ErrorType: 'static;
}

fn register_font() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        // The bundled font is a valid TrueType file; should it ever be refused, text
        // layout reports the error when a plot is drawn.
        let _ = plotters::style::register_font(FONT, FontStyle::Normal, dejavu::sans::regular());
    });
}

/// Writes `plot` as `dir/name.svg` and `dir/name.png`, each through a temporary file renamed
/// into place. Returns both paths.
pub(crate) fn render(dir: &Path, name: &str, plot: &impl Plot) -> Result<Vec<PathBuf>, PlotError> {
    register_font();
    let svg_path = dir.join(format!("{name}.svg"));
    let draw_err = |path: &Path, e: &dyn std::fmt::Display| PlotError::Draw {
        path: path.to_path_buf(),
        message: e.to_string(),
    };
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, SIZE).into_drawing_area();
        plot.draw(&root).map_err(|e| draw_err(&svg_path, &e))?;
        root.present().map_err(|e| draw_err(&svg_path, &e))?;
    }
    crate::report::write_atomic(&svg_path, svg.as_bytes()).map_err(|source| PlotError::Io {
        path: svg_path.clone(),
        source,
    })?;

    let png_path = dir.join(format!("{name}.png"));
    // The bitmap backend picks its encoder from the extension, so the temporary name keeps it.
    let tmp = dir.join(format!(".{name}.tmp-{}.png", std::process::id()));
    let drawn: DrawResult = (|| {
        let root = BitMapBackend::new(&tmp, SIZE).into_drawing_area();
        plot.draw(&root)?;
        root.present()?;
        Ok(())
    })();
    if let Err(e) = drawn {
        let _ = std::fs::remove_file(&tmp);
        return Err(draw_err(&png_path, &e));
    }
    std::fs::rename(&tmp, &png_path).map_err(|source| {
        let _ = std::fs::remove_file(&tmp);
        PlotError::Io {
            path: png_path.clone(),
            source,
        }
    })?;
    Ok(vec![svg_path, png_path])
}

/// A CSV file read whole: its header and its rows, as text.
pub(crate) struct Table {
    pub path: PathBuf,
    pub header: Vec<String>,
    pub rows: Vec<Vec<String>>,
    /// Rows in the file: more than `rows` holds when read with [`Table::read_head`].
    pub total: usize,
}

impl Table {
    /// Reads `path`. `None` when the file is empty (not even a header).
    pub fn read(path: &Path) -> Result<Option<Table>, PlotError> {
        Self::read_rows(path, usize::MAX)
    }

    /// Reads the header and the first `keep` rows of `path`, and counts the others: a
    /// table of millions of rows is streamed, never held.
    pub fn read_head(path: &Path, keep: usize) -> Result<Option<Table>, PlotError> {
        Self::read_rows(path, keep)
    }

    fn read_rows(path: &Path, keep: usize) -> Result<Option<Table>, PlotError> {
        let io = |source| PlotError::Io {
            path: path.to_path_buf(),
            source,
        };
        let file = std::fs::File::open(path).map_err(io)?;
        let csv_err = |source| PlotError::Csv {
            path: path.to_path_buf(),
            source,
        };
        let mut r = csv::ReaderBuilder::new()
            .flexible(true)
            .from_reader(std::io::BufReader::new(file));
        let header: Vec<String> = r
            .headers()
            .map_err(csv_err)?
            .iter()
            .map(|h| h.trim().to_string())
            .collect();
        if header.iter().all(String::is_empty) {
            return Ok(None);
        }
        let mut rows = Vec::new();
        let mut total = 0;
        let mut rec = csv::StringRecord::new();
        while r.read_record(&mut rec).map_err(csv_err)? {
            if total < keep {
                rows.push(rec.iter().map(|f| f.trim().to_string()).collect());
            }
            total += 1;
        }
        Ok(Some(Table {
            path: path.to_path_buf(),
            header,
            rows,
            total,
        }))
    }

    /// Streams `path` again from its first row, calling `f` on each: for files read with
    /// [`Table::read_head`], whose rows are not all held.
    pub fn for_each_row(
        &self,
        mut f: impl FnMut(&Row<'_>) -> Result<(), PlotError>,
    ) -> Result<(), PlotError> {
        let file = std::fs::File::open(&self.path).map_err(|source| PlotError::Io {
            path: self.path.clone(),
            source,
        })?;
        let mut r = csv::ReaderBuilder::new()
            .flexible(true)
            .from_reader(std::io::BufReader::new(file));
        let mut record = csv::StringRecord::new();
        let mut index = 0;
        loop {
            let more = r
                .read_record(&mut record)
                .map_err(|source| PlotError::Csv {
                    path: self.path.clone(),
                    source,
                })?;
            if !more {
                return Ok(());
            }
            f(&Row {
                table: self,
                record: &record,
                index,
            })?;
            index += 1;
        }
    }

    /// The index of column `name`, or an error naming it.
    pub fn col(&self, name: &str) -> Result<usize, PlotError> {
        self.header
            .iter()
            .position(|h| h == name)
            .ok_or_else(|| PlotError::MissingColumn {
                path: self.path.clone(),
                column: name.to_string(),
            })
    }

    /// Field `col` of row `row` as text ("" when the row is short).
    pub fn text(&self, row: usize, col: usize) -> &str {
        self.rows
            .get(row)
            .and_then(|r| r.get(col))
            .map_or("", String::as_str)
    }

    /// Field `col` of row `row` as a number (NaN and infinities are accepted as such).
    pub fn num(&self, row: usize, col: usize) -> Result<f64, PlotError> {
        self.parse(row, col, self.text(row, col))
    }

    /// `value`, the cell of data row `row` and column `col`, as a number.
    fn parse(&self, row: usize, col: usize, value: &str) -> Result<f64, PlotError> {
        value.parse::<f64>().map_err(|_| PlotError::BadValue {
            path: self.path.clone(),
            // The header is line 1.
            line: row + 2,
            column: self.header.get(col).cloned().unwrap_or_default(),
            value: value.to_string(),
        })
    }
}

/// One row of a [`Table`] streamed by [`Table::for_each_row`].
pub(crate) struct Row<'a> {
    table: &'a Table,
    record: &'a csv::StringRecord,
    index: usize,
}

impl Row<'_> {
    /// Field `col` as a number, or an error naming the file, line and column.
    pub fn num(&self, col: usize) -> Result<f64, PlotError> {
        let value = self.record.get(col).unwrap_or("").trim();
        self.table.parse(self.index, col, value)
    }
}

/// The grid points of points.csv: the axis columns (those before `seeds`) and, per row, a
/// short label of its axis values.
pub(crate) struct SweepPoints {
    pub axes: Vec<String>,
    pub labels: Vec<String>,
}

impl SweepPoints {
    fn from_table(t: &Table) -> Result<SweepPoints, PlotError> {
        let seeds = t.col("seeds")?;
        let axes: Vec<String> = t.header[..seeds].to_vec();
        let labels = (0..t.rows.len())
            .map(|r| {
                (0..axes.len())
                    .map(|a| format!("{}={}", short_axis(&axes[a]), t.text(r, a)))
                    .collect::<Vec<_>>()
                    .join(", ")
            })
            .collect();
        Ok(SweepPoints { axes, labels })
    }
}

/// The points of a sweep plot that share the values of the axes other than the plotted one.
pub(crate) struct Series<P> {
    pub label: String,
    pub points: Vec<P>,
}

/// Adds `p` to the series labelled `label`, starting it when it is new (series keep the
/// order in which their labels first appear).
pub(crate) fn add_to_series<P>(series: &mut Vec<Series<P>>, label: String, p: P) {
    match series.iter_mut().find(|s| s.label == label) {
        Some(s) => s.points.push(p),
        None => series.push(Series {
            label,
            points: vec![p],
        }),
    }
}

/// Row `r`'s values of every axis but `skip`, as `name=value` pairs joined by ", ".
pub(crate) fn other_axes(grid: &SweepPoints, t: &Table, r: usize, skip: usize) -> String {
    (0..grid.axes.len())
        .filter(|&a| a != skip)
        .map(|a| format!("{}={}", short_axis(&grid.axes[a]), t.text(r, a)))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The last dotted segment of an axis name: `runtime.gogc` → `gogc`.
pub(crate) fn short_axis(axis: &str) -> &str {
    axis.rsplit('.').next().unwrap_or(axis)
}

/// A range `lo..hi` padded by `frac` of its span, never empty, over finite values only.
pub(crate) fn padded(lo: f64, hi: f64, frac: f64) -> std::ops::Range<f64> {
    let (lo, hi) = if lo.is_finite() && hi.is_finite() && lo <= hi {
        (lo, hi)
    } else {
        (0.0, 1.0)
    };
    let span = hi - lo;
    let pad = if span > 0.0 {
        span * frac
    } else {
        lo.abs().max(1.0) * 0.1
    };
    (lo - pad)..(hi + pad)
}

/// `0..hi` padded at the top, never empty.
pub(crate) fn from_zero(hi: f64) -> std::ops::Range<f64> {
    let hi = if hi.is_finite() && hi > 0.0 { hi } else { 1.0 };
    0.0..hi * 1.12
}

/// A legend drawn in its own strip `area` (beside or above the data, so it hides none):
/// each entry's colour as a short line and its label, left to right, wrapping to more rows.
pub(crate) fn legend_strip<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    entries: &[(String, RGBAColor)],
    font_size: u32,
) -> DrawResult
where
    DB::ErrorType: 'static,
{
    let (w, _) = area.dim_in_pixel();
    let row = font_size as i32 + 8;
    let (mut x, mut y) = (12i32, 4i32);
    for (label, color) in entries {
        // Width of the label in this font, approximated (0.6 em per character).
        let text_w = (label.chars().count() as f64 * font_size as f64 * 0.6) as i32;
        let item_w = 28 + text_w + 24;
        if x > 12 && x + item_w > w as i32 {
            x = 12;
            y += row;
        }
        let mid = y + row / 2 - 2;
        area.draw(&PathElement::new(
            vec![(x, mid), (x + 22, mid)],
            color.stroke_width(3),
        ))?;
        area.draw(&Text::new(
            label.clone(),
            (x + 28, y),
            (FONT, font_size).into_font().color(&BLACK),
        ))?;
        x += item_w;
    }
    Ok(())
}

/// Rows a [`legend_strip`] of `entries` takes in `width` pixels.
pub(crate) fn legend_rows(entries: &[(String, RGBAColor)], width: u32, font_size: u32) -> u32 {
    let mut rows = 1;
    let mut x = 12i32;
    for (label, _) in entries {
        let item_w = 28 + (label.chars().count() as f64 * font_size as f64 * 0.6) as i32 + 24;
        if x > 12 && x + item_w > width as i32 {
            rows += 1;
            x = 12;
        }
        x += item_w;
    }
    rows
}

/// Whether values are a geometric grid (each at least twice the one before: GOGC 25, 50,
/// 100…), which a log axis spaces evenly.
pub(crate) fn geometric(values: &[f64]) -> bool {
    let mut v: Vec<f64> = values.iter().copied().filter(|x| x.is_finite()).collect();
    v.sort_by(f64::total_cmp);
    v.dedup();
    v.len() >= 3 && v[0] > 0.0 && v.windows(2).all(|w| w[1] / w[0] >= 1.9)
}

/// The legend every plot draws: framed, on a translucent white box, at `pos`.
pub(crate) fn draw_legend<'a, DB, CT>(
    chart: &mut ChartContext<'a, DB, CT>,
    pos: SeriesLabelPosition,
    font_size: u32,
) -> DrawResult
where
    DB: DrawingBackend + 'a,
    DB::ErrorType: 'static,
    CT: plotters::coord::CoordTranslate,
{
    chart
        .configure_series_labels()
        .position(pos)
        .label_font((FONT, font_size))
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .draw()?;
    Ok(())
}

pub(crate) const MIB: f64 = 1024.0 * 1024.0;
