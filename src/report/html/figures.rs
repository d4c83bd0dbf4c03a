//! The plots of a result directory on the page: each SVG inline when it is a plain
//! drawing, else as an image; too large a one as its PNG.

use std::path::Path;

use serde::Serialize;

use super::HtmlError;
use super::collect::unreadable;

/// An SVG larger than this is shown as its PNG, so the page stays small.
const MAX_INLINE_SVG: u64 = 2 << 20;

#[derive(Serialize)]
pub(super) struct Plot {
    /// Drawn at its own size, in a box that scrolls (a long schedule's swimlane).
    wide: bool,
    pub(super) name: String,
    caption: &'static str,
    svg: Option<String>,
    /// The plot as a data: URI, when it is not inlined.
    image: Option<String>,
}

/// What each plot shows, in a sentence.
pub(super) fn caption(name: &str) -> &'static str {
    match name {
        "heap_timeline" => "Heap in use, the heap goal and the GC's mark phases over virtual time.",
        "map_growth" => {
            "Each map's buckets (or Swiss tables) against the keys inserted: where it grows."
        }
        "map_compare" => "The classic and the Swiss-table map side by side.",
        "slice_growth" => {
            "Each slice's capacity against its appends: a dot at each growth (a new backing array), a square at make's."
        }
        "swimlane" => "The schedule: one lane per goroutine that took a step, its steps in order.",
        "stw_vs_throughput" => {
            "Stop-the-world time against throughput, one numbered point per grid point; the Pareto points are joined."
        }
        "gc_cost_vs_gogc" => "GC cost (CPU share and cycles) against GOGC.",
        "pause_heatmap" => {
            "Longest stop-the-world pause per grid point, one panel per memory limit."
        }
        "latency_vs_gogc" => "Request latency percentiles against GOGC.",
        _ => "",
    }
}

pub(super) fn plots(dir: &Path) -> Result<Vec<Plot>, HtmlError> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .map_err(|e| unreadable(dir, e))?
        .filter_map(Result::ok)
        .filter_map(|e| {
            let n = e.file_name().to_string_lossy().into_owned();
            n.strip_suffix(".svg").map(str::to_string)
        })
        .collect();
    names.sort();
    let mut out = Vec::new();
    for name in names {
        let svg_path = dir.join(format!("{name}.svg"));
        let png_path = dir.join(format!("{name}.png"));
        let size = std::fs::metadata(&svg_path).map(|m| m.len()).unwrap_or(0);
        use base64::Engine as _;
        let b64 = |bytes: &[u8]| base64::engine::general_purpose::STANDARD.encode(bytes);
        let (svg, png) = if size <= MAX_INLINE_SVG {
            let bytes = std::fs::read(&svg_path).map_err(|e| unreadable(&svg_path, e))?;
            match std::str::from_utf8(&bytes).ok().and_then(plain_svg) {
                Some(markup) => (Some(markup.to_string()), None),
                // Anything else is shown as an image, where no script of it runs and no
                // markup of it can end the page's own elements.
                None => (
                    None,
                    Some(format!("data:image/svg+xml;base64,{}", b64(&bytes))),
                ),
            }
        } else if png_path.is_file() {
            let bytes = std::fs::read(&png_path).map_err(|e| unreadable(&png_path, e))?;
            (None, Some(format!("data:image/png;base64,{}", b64(&bytes))))
        } else {
            (None, None)
        };
        out.push(Plot {
            wide: name == "swimlane",
            caption: caption(&name),
            name,
            svg,
            image: png,
        });
    }
    Ok(out)
}

/// An SVG file's markup without its XML declaration, to sit inside HTML, when it is one
/// plain drawing as the plots are: one `<svg>` element and nothing after it, no script, no
/// event handler, no foreign content, no link.
pub(super) fn plain_svg(svg: &str) -> Option<&str> {
    let start = svg.find("<svg")?;
    let body = svg[start..].trim_end();
    let lower = body.to_ascii_lowercase();
    let plain = body.ends_with("</svg>")
        && lower.matches("<svg").count() == 1
        && lower.matches("</svg").count() == 1
        && ["<script", "<foreignobject", "javascript:", "href", "<!--", "<iframe", "<style"]
            .iter()
            .all(|bad| !lower.contains(bad))
        // An event handler is an attribute `on…=`; the word "on" in a caption is not.
        && !lower
            .split(|c: char| c.is_whitespace() || c == '<')
            .any(|w| w.starts_with("on") && w.contains('='));
    plain.then_some(body)
}

#[cfg(test)]
mod tests {
    use super::plain_svg;

    #[test]
    fn only_plain_drawings_are_inlined() {
        let ok = "<?xml version=\"1.0\"?>\n<svg width=\"10\"><text x=\"1\">GC</text></svg>\n";
        assert_eq!(
            plain_svg(ok),
            Some("<svg width=\"10\"><text x=\"1\">GC</text></svg>")
        );
        for bad in [
            "<svg><script>alert(1)</script></svg>",
            "<svg onload=\"x()\"></svg>",
            "<svg></svg></div></section>",
            "<svg><a href=\"https://example.com\">x</a></svg>",
            "<svg><foreignObject><div/></foreignObject></svg>",
            "not an svg",
        ] {
            assert_eq!(plain_svg(bad), None, "{bad}");
        }
    }
}
