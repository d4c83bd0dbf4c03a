//! The swimlane picture of one explored schedule: one lane per goroutine, one box per step
//! along the x axis in step order, the hashWriting flag of the first map as a strip on top,
//! the fatal step in red and the racing steps outlined. Plain SVG text with a viewBox.

use std::fmt::Write as _;

use super::schedule::{goroutine_name, map_name};
use crate::explore::trace::{Access, Trace, TraceStep};
use crate::model::sched::steps::StepKind;

/// Width the steps share, at most; a few thousand steps become thin bars.
const STEPS_WIDTH: f64 = 4800.0;
/// Most steps drawn whole; a longer schedule is drawn from [`TAIL_DRAWN`] steps before its
/// end (where it failed), so that the picture stays readable and small.
pub const MAX_DRAWN: usize = 1000;
/// Steps drawn of a schedule longer than [`MAX_DRAWN`]: wide enough to label each step.
pub const TAIL_DRAWN: usize = 120;
/// Widest column a step gets.
const MAX_PITCH: f64 = 100.0;
const MIN_WIDTH: f64 = 760.0;
const LANE_H: f64 = 30.0;
const LANE_GAP: f64 = 4.0;
const STRIP_TOP: f64 = 32.0;
const STRIP_H: f64 = 22.0;
const LANES_TOP: f64 = 66.0;
const RIGHT_MARGIN: f64 = 16.0;
/// Advance of one monospace character at font-size 9 and 11.
const CHAR9: f64 = 5.4;
const CHAR11: f64 = 6.6;
/// Longest goroutine name drawn in full at the left of its lane.
const NAME_CHARS: usize = 28;

const FATAL_COLOR: &str = "#d62728";
const RACE_COLOR: &str = "#7b1fa2";
const FLAG_COLOR: &str = "#4a86c5";

/// Groups of steps, with their fill colour, for the boxes and the legend.
const CATEGORIES: [(&str, &str); 9] = [
    ("hashWriting check", "#f6c85f"),
    ("hashWriting flip", "#8fbfe8"),
    ("bucket write", "#93c47d"),
    ("hash / read", "#c5b8e6"),
    ("count update", "#f9cb9c"),
    ("lock", "#e3a6c4"),
    ("local work", "#d9d9d9"),
    ("gcStart", "#222222"),
    ("slice append / set", "#76d7c4"),
];

fn category(kind: StepKind) -> usize {
    match kind {
        StepKind::EntryCheck | StepKind::ExitCheck => 0,
        StepKind::XorLoad | StepKind::XorStore | StepKind::ClearLoad | StepKind::ClearStore => 1,
        StepKind::AssignFind
        | StepKind::AssignStore
        | StepKind::DeleteFind
        | StepKind::DeleteClear => 2,
        StepKind::CountCheck
        | StepKind::Hash
        | StepKind::Lookup
        | StepKind::IterInit
        | StepKind::IterNext => 3,
        StepKind::CountLoad | StepKind::CountStore => 4,
        StepKind::Lock | StepKind::Unlock | StepKind::RLock | StepKind::RUnlock => 5,
        StepKind::Local => 6,
        StepKind::GcStart => 7,
        StepKind::SliceLoad | StepKind::SliceStore | StepKind::SliceSet => 8,
    }
}

/// Escapes the XML special characters of `s`, for text and attribute values.
fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    out
}

/// A coordinate, with at most two decimals and no trailing zeros.
fn num(v: f64) -> String {
    let s = format!("{v:.2}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" { "0".into() } else { s.into() }
}

/// `s` cut to `max` characters, with an ellipsis when cut.
fn clip(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_string()
    } else {
        let mut c: String = s.chars().take(max.saturating_sub(1)).collect();
        c.push('…');
        c
    }
}

fn bit(b: bool) -> u8 {
    b as u8
}

/// The tooltip of one step.
fn step_title(trace: &Trace, i: usize, s: &TraceStep) -> String {
    let mut t = format!(
        "step {i} · t={} · {} · P{}",
        s.t_ns,
        goroutine_name(trace, s.goroutine),
        s.p
    );
    if let Some(m) = s.map {
        let _ = write!(t, " · map {}", map_name(trace, m));
    }
    let _ = write!(t, " · {}", trace.step_name(s));
    if s.map.is_some() {
        let _ = write!(
            t,
            " · {} {}→{}",
            trace.flag_name(s.map),
            bit(s.writing_before),
            bit(s.writing_after)
        );
    }
    t
}

/// The swimlane picture of `trace` as SVG text.
pub fn swimlane_svg(trace: &Trace) -> String {
    let n = trace.steps.len();
    // Lanes for every named goroutine, and for any step naming one beyond them.
    let lanes = trace
        .steps
        .iter()
        .map(|s| s.goroutine as usize + 1)
        .max()
        .unwrap_or(0)
        .max(trace.goroutines.len());
    // The steps drawn: all, or the last TAIL_DRAWN.
    let first = if n > MAX_DRAWN { n - TAIL_DRAWN } else { 0 };
    // Only goroutines that took a drawn step get a lane (race_minimal's 100 writers would
    // leave 98 empty lanes): lane of each goroutine, in goroutine order.
    let mut lane_of: Vec<Option<usize>> = vec![None; lanes];
    for s in &trace.steps[first..] {
        lane_of[s.goroutine as usize] = Some(0);
    }
    let mut shown = Vec::new();
    for (g, l) in lane_of.iter_mut().enumerate() {
        if l.is_some() {
            *l = Some(shown.len());
            shown.push(g);
        }
    }
    let hidden = lanes - shown.len();
    let names: Vec<String> = shown
        .iter()
        .map(|&g| goroutine_name(trace, g as u32).into_owned())
        .collect();
    let name_chars = names
        .iter()
        .map(|s| s.chars().count().min(NAME_CHARS))
        .max()
        .unwrap_or(0)
        .max(strip_label(trace).chars().count());
    let left = 12.0 + CHAR11 * name_chars as f64 + 10.0;
    let drawn = n - first;
    let pitch = if drawn == 0 {
        MAX_PITCH
    } else {
        (STEPS_WIDTH / drawn as f64).min(MAX_PITCH)
    };
    let gap = if pitch >= 8.0 { 2.0 } else { 0.0 };
    let box_w = pitch - gap;
    let x_of = |i: usize| left + pitch * i.saturating_sub(first) as f64;
    let steps_end = x_of(n);
    let outcome = match &trace.fatal {
        Some(f) => outcome_text(f.message),
        None => "ok".to_string(),
    };
    let title = format!(
        "schedule: {n} steps{}, {} goroutines, outcome: {outcome}",
        if first > 0 {
            format!(" (the last {drawn} drawn)")
        } else {
            String::new()
        },
        trace.goroutines.len()
    );
    // Wide enough for the title (bold 13px monospace: about 8.2 px a character).
    let width = (steps_end + RIGHT_MARGIN)
        .max(MIN_WIDTH)
        .max(24.0 + 8.2 * title.chars().count() as f64);
    let lane_y = |l: usize| LANES_TOP + (LANE_H + LANE_GAP) * l as f64;
    let g_y = |g: usize| lane_y(lane_of[g].unwrap_or(0));
    let lanes_bottom = lane_y(shown.len()) - LANE_GAP;

    let mut body = String::new();

    // Title.
    let _ = writeln!(
        body,
        r#"<text x="12" y="20" font-size="13" font-weight="bold">{}</text>"#,
        esc(&title)
    );

    // Lanes and their names.
    for (l, (name, &g)) in names.iter().zip(&shown).enumerate() {
        let y = lane_y(l);
        let fill = if l % 2 == 0 { "#f4f4f4" } else { "#fbfbfb" };
        let _ = writeln!(
            body,
            r#"<rect x="0" y="{}" width="{}" height="{}" fill="{fill}"/>"#,
            num(y),
            num(width),
            num(LANE_H)
        );
        let _ = writeln!(
            body,
            r#"<text class="lane" x="{}" y="{}" font-size="11" text-anchor="end"><title>{} (goroutine {})</title>{}</text>"#,
            num(left - 8.0),
            num(y + LANE_H / 2.0 + 4.0),
            esc(name),
            g + 1,
            esc(&clip(name, NAME_CHARS))
        );
    }

    hash_writing_strip(&mut body, trace, first, left, pitch, steps_end);

    // The fatal step's line through the picture, under the boxes.
    let centre = |i: usize| x_of(i) + box_w / 2.0;
    if let Some(f) = &trace.fatal
        && (first..n).contains(&f.step)
    {
        let _ = writeln!(
            body,
            r#"<line x1="{x}" y1="{}" x2="{x}" y2="{}" stroke="{FATAL_COLOR}" stroke-width="1.5" stroke-dasharray="4 3"/>"#,
            num(STRIP_TOP),
            num(lanes_bottom),
            x = num(centre(f.step))
        );
    }

    // The two racing accesses, joined.
    if let Some(r) = &trace.race
        && (first..n).contains(&r.previous.step)
        && (first..n).contains(&r.current.step)
    {
        let a = &trace.steps[r.previous.step];
        let b = &trace.steps[r.current.step];
        let _ = writeln!(
            body,
            r#"<line x1="{}" y1="{}" x2="{}" y2="{}" stroke="{RACE_COLOR}" stroke-width="1.5" stroke-dasharray="2 2"/>"#,
            num(centre(r.previous.step)),
            num(g_y(a.goroutine as usize) + LANE_H / 2.0),
            num(centre(r.current.step)),
            num(g_y(b.goroutine as usize) + LANE_H / 2.0)
        );
    }

    // Steps.
    let fatal_step = trace.fatal.as_ref().map(|f| f.step);
    let race_steps = trace.race.map(|r| [r.previous.step, r.current.step]);
    for (i, s) in trace.steps.iter().enumerate().skip(first) {
        let x = x_of(i);
        let y = g_y(s.goroutine as usize) + 4.0;
        let h = LANE_H - 8.0;
        let fatal = fatal_step == Some(i);
        let racing = race_steps.is_some_and(|r| r.contains(&i));
        let fill = if fatal {
            FATAL_COLOR
        } else {
            CATEGORIES[category(s.kind)].1
        };
        let stroke = if racing {
            format!(r#" stroke="{RACE_COLOR}" stroke-width="3""#)
        } else if box_w >= 4.0 {
            r##" stroke="#666" stroke-width="0.5""##.to_string()
        } else {
            String::new()
        };
        let _ = write!(
            body,
            r#"<g><title>{}</title><rect x="{}" y="{}" width="{}" height="{}" rx="2" fill="{fill}"{stroke}/>"#,
            esc(&step_title(trace, i, s)),
            num(x),
            num(y),
            num(box_w.max(0.5)),
            num(h)
        );
        // gcStart's box is dark, and its name would not fit a narrow one: "GC".
        let label = match s.kind {
            StepKind::GcStart => "GC",
            _ => trace.step_name(s),
        };
        if CHAR9 * label.chars().count() as f64 + 4.0 <= box_w {
            let color = if fatal || s.kind == StepKind::GcStart {
                "#ffffff"
            } else {
                "#222222"
            };
            let _ = write!(
                body,
                r#"<text x="{}" y="{}" font-size="9" text-anchor="middle" fill="{color}">{}</text>"#,
                num(x + box_w / 2.0),
                num(y + h / 2.0 + 3.0),
                esc(label)
            );
        }
        body.push_str("</g>\n");
    }

    // Step axis.
    let tick = tick_every(pitch);
    for i in (first.next_multiple_of(tick)..n).step_by(tick) {
        let x = x_of(i) + box_w / 2.0;
        let _ = writeln!(
            body,
            r##"<line x1="{x}" y1="{}" x2="{x}" y2="{}" stroke="#888"/><text x="{x}" y="{}" font-size="9" text-anchor="middle" fill="#555">{i}</text>"##,
            num(lanes_bottom),
            num(lanes_bottom + 4.0),
            num(lanes_bottom + 14.0),
            x = num(x)
        );
    }
    let _ = writeln!(
        body,
        r##"<text x="{}" y="{}" font-size="9" text-anchor="end" fill="#555">step</text>"##,
        num(left - 8.0),
        num(lanes_bottom + 14.0)
    );

    // What the schedule ended in.
    let mut y = lanes_bottom + 34.0;
    if hidden > 0 {
        let text = format!(
            "{hidden} other goroutine{} took no step{}: no lane for {}",
            if hidden == 1 { "" } else { "s" },
            if first > 0 { " in the part drawn" } else { "" },
            if hidden == 1 { "it" } else { "them" }
        );
        caption(&mut body, &mut y, &text, "#666", width, 18.0);
    }
    if let Some(f) = &trace.fatal {
        let text = format!(
            "{} (step {}, {})",
            outcome_text(f.message),
            f.step,
            goroutine_name(trace, f.goroutine)
        );
        let x = if (first..n).contains(&f.step) {
            centre(f.step)
        } else {
            left
        };
        let anchor = if x > width / 2.0 { "end" } else { "start" };
        // Room on the anchored side, in bold 12px characters (~7.6 px each).
        let room = if anchor == "end" {
            x - 12.0
        } else {
            width - x - 12.0
        };
        for line in wrap(&text, (room / 7.6) as usize) {
            let _ = writeln!(
                body,
                r#"<text x="{}" y="{}" font-size="12" font-weight="bold" fill="{FATAL_COLOR}" text-anchor="{anchor}">{}</text>"#,
                num(x),
                num(y),
                esc(&line)
            );
            y += 16.0;
        }
        y += 2.0;
    }
    if let Some(r) = &trace.race {
        let side = |a: &Access| {
            format!(
                "{} by {} at step {} ({})",
                if a.write { "write" } else { "read" },
                goroutine_name(trace, a.goroutine),
                a.step,
                a.function
            )
        };
        let (kind, name) = trace.variable_name(r.map);
        let text = format!(
            "data race on {kind} {name}: {}, previous {}",
            side(&r.current),
            side(&r.previous)
        );
        caption(&mut body, &mut y, &text, RACE_COLOR, width, 15.0);
        y += 3.0;
    }
    for c in &trace.corruption {
        caption(
            &mut body,
            &mut y,
            &format!("corruption: {c}"),
            "#333",
            width,
            16.0,
        );
    }

    let slices = trace.steps.iter().any(|s| s.slice.is_some());
    let height = legend(&mut body, y + 8.0, width, slices);

    let mut svg = String::with_capacity(body.len() + 256);
    let _ = writeln!(
        svg,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" viewBox="0 0 {w} {h}" font-family="monospace">"#,
        w = num(width),
        h = num(height)
    );
    let _ = writeln!(
        svg,
        r##"<rect x="0" y="0" width="{}" height="{}" fill="#ffffff"/>"##,
        num(width),
        num(height)
    );
    svg.push_str(&body);
    svg.push_str("</svg>\n");
    svg
}

/// Steps between two axis labels, 1, 2 or 5 times a power of ten, so labels stay about
/// 40 px apart.
/// A caption under the lanes: `text` in 11px `fill`, wrapped to the picture's `width`, from
/// `y` down, `line_h` a line.
fn caption(out: &mut String, y: &mut f64, text: &str, fill: &str, width: f64, line_h: f64) {
    for line in wrap(text, ((width - 24.0) / CHAR11) as usize) {
        let _ = writeln!(
            out,
            r#"<text x="12" y="{}" font-size="11" fill="{fill}">{}</text>"#,
            num(*y),
            esc(&line)
        );
        *y += line_h;
    }
}

/// `text` in lines of at most `max` characters, broken between words (a word longer than a
/// line gets a line of its own).
fn wrap(text: &str, max: usize) -> Vec<String> {
    let max = max.max(20);
    let mut lines = vec![String::new()];
    for word in text.split(' ') {
        let last = lines.last_mut().expect("one line at least");
        if !last.is_empty() && last.chars().count() + 1 + word.chars().count() > max {
            lines.push(word.to_string());
        } else {
            if !last.is_empty() {
                last.push(' ');
            }
            last.push_str(word);
        }
    }
    lines
}

fn tick_every(pitch: f64) -> usize {
    let mut base = 1usize;
    loop {
        for m in [1, 2, 5] {
            let k = base * m;
            if k as f64 * pitch >= 40.0 {
                return k;
            }
        }
        base *= 10;
    }
}

/// The name of the flag strip: the flag and the map it belongs to.
fn strip_label(trace: &Trace) -> String {
    match trace.maps.first() {
        Some(m) => format!("{} {}", trace.flag_name(Some(0)), clip(m, 12)),
        None => "hashWriting".to_string(),
    }
}

/// The hashWriting flag of the first map, after each step, as a line low (0) or high (1)
/// over a band shaded while it is set.
/// The hashWriting strip of map 0 over the steps drawn (from step `first`).
fn hash_writing_strip(
    out: &mut String,
    trace: &Trace,
    first: usize,
    left: f64,
    pitch: f64,
    end: f64,
) {
    let lo = STRIP_TOP + STRIP_H - 2.0;
    let hi = STRIP_TOP + 2.0;
    let label = strip_label(trace);
    let _ = writeln!(
        out,
        r##"<text x="{}" y="{}" font-size="11" text-anchor="end" fill="{FLAG_COLOR}">{}</text>"##,
        num(left - 8.0),
        num(STRIP_TOP + STRIP_H / 2.0 + 4.0),
        esc(&label)
    );
    let _ = writeln!(
        out,
        r##"<rect x="{}" y="{}" width="{}" height="{}" fill="none" stroke="#cccccc"/>"##,
        num(left),
        num(STRIP_TOP),
        num(end - left),
        num(STRIP_H)
    );
    let mut level = trace.steps[first.min(trace.steps.len())..]
        .iter()
        .find(|s| s.map == Some(0))
        .is_some_and(|s| s.writing_before);
    let y_of = |b: bool| if b { hi } else { lo };
    let mut path = format!("M{} {}", num(left), num(y_of(level)));
    let mut bands = Vec::new();
    let mut band_start = level.then_some(left);
    for (i, s) in trace.steps.iter().enumerate().skip(first) {
        if s.map != Some(0) || s.writing_after == level {
            continue;
        }
        let x = left + pitch * (i - first) as f64;
        let _ = write!(path, " H{} V{}", num(x), num(y_of(s.writing_after)));
        level = s.writing_after;
        match band_start.take() {
            Some(x0) => bands.push((x0, x)),
            None => band_start = Some(x),
        }
    }
    if let Some(x0) = band_start {
        bands.push((x0, end));
    }
    let _ = write!(path, " H{}", num(end));
    for (x0, x1) in bands {
        let _ = writeln!(
            out,
            r#"<rect x="{}" y="{}" width="{}" height="{}" fill="{FLAG_COLOR}" fill-opacity="0.25"/>"#,
            num(x0),
            num(STRIP_TOP),
            num(x1 - x0),
            num(STRIP_H)
        );
    }
    let _ = writeln!(
        out,
        r#"<path d="{path}" fill="none" stroke="{FLAG_COLOR}" stroke-width="1.5"/>"#
    );
}

/// The legend, from `top`, wrapped to `width`. Returns the height of the picture.
/// The slice category is listed only for a schedule with slice steps.
fn legend(out: &mut String, top: f64, width: f64, slices: bool) -> f64 {
    let mut entries: Vec<(String, String)> = CATEGORIES
        .iter()
        .take(if slices { CATEGORIES.len() } else { 8 })
        .map(|(label, fill)| {
            (
                label.to_string(),
                format!(r##"fill="{fill}" stroke="#666" stroke-width="0.5""##),
            )
        })
        .collect();
    entries.push(("fatal step".into(), format!(r#"fill="{FATAL_COLOR}""#)));
    entries.push((
        "racing access".into(),
        format!(r#"fill="none" stroke="{RACE_COLOR}" stroke-width="2.5""#),
    ));
    entries.push((
        "hashWriting = 1".into(),
        format!(r#"fill="{FLAG_COLOR}" fill-opacity="0.25""#),
    ));
    let mut x = 12.0;
    let mut y = top;
    for (label, style) in entries {
        let w = 12.0 + 6.0 + CHAR11 * label.chars().count() as f64 + 18.0;
        if x > 12.0 && x + w > width {
            x = 12.0;
            y += 18.0;
        }
        let _ = writeln!(
            out,
            r#"<rect x="{}" y="{}" width="12" height="12" {style}/><text x="{}" y="{}" font-size="11">{}</text>"#,
            num(x),
            num(y),
            num(x + 18.0),
            num(y + 10.0),
            esc(&label)
        );
        x += w;
    }
    y + 24.0
}

/// How a schedule's end is written: Go's `fatal error: ...`, or the livelock as it is (Go
/// prints nothing for it).
fn outcome_text(message: &str) -> String {
    if crate::model::sched::steps::is_hang(message) {
        message.to_string()
    } else {
        format!("fatal error: {message}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::schedule::tests::fatal_trace;

    /// Checks that every tag is closed in order and that every `&` starts an entity.
    fn check_xml(svg: &str) {
        let mut stack: Vec<String> = Vec::new();
        let mut rest = svg;
        while let Some(open) = rest.find('<') {
            let text = &rest[..open];
            check_amps(text);
            let close = rest[open..].find('>').expect("unclosed tag") + open;
            let tag = &rest[open + 1..close];
            assert!(!tag.contains('<'), "'<' inside tag {tag}");
            check_amps(tag);
            if let Some(name) = tag.strip_prefix('/') {
                assert_eq!(
                    stack.pop().as_deref(),
                    Some(name.trim()),
                    "mismatched </{name}>"
                );
            } else if !tag.ends_with('/') {
                let name = tag.split_whitespace().next().unwrap();
                stack.push(name.to_string());
            }
            rest = &rest[close + 1..];
            if stack.is_empty() {
                assert_eq!(rest.trim(), "", "content after the root element");
            }
        }
        assert!(stack.is_empty(), "unclosed: {stack:?}");
    }

    fn check_amps(s: &str) {
        for (i, _) in s.match_indices('&') {
            let after = &s[i + 1..];
            assert!(
                ["amp;", "lt;", "gt;", "quot;", "apos;"]
                    .iter()
                    .any(|e| after.starts_with(e)),
                "bare & in {s}"
            );
        }
    }

    #[test]
    fn picture_of_a_fatal_race() {
        let trace = fatal_trace(["a<b&c", "writer#1"]);
        let svg = swimlane_svg(&trace);
        assert!(svg.starts_with("<svg "));
        assert!(svg.ends_with("</svg>\n"));
        assert_eq!(svg.matches("<svg").count(), 1);
        assert_eq!(svg.matches("</svg>").count(), 1);
        assert!(svg.contains("viewBox=\"0 0 "));
        assert!(svg.contains("font-family=\"monospace\""));
        check_xml(&svg);
        // One lane per goroutine, names escaped.
        assert_eq!(svg.matches("<text class=\"lane\"").count(), 2);
        assert!(svg.contains(">a&lt;b&amp;c</text>"));
        assert!(svg.contains(">writer#1</text>"));
        assert!(!svg.contains("a<b&c"));
        // The fatal message, the fatal box in red (and the message, and the legend's
        // swatch), the racing boxes outlined.
        assert!(svg.contains("fatal error: concurrent map writes (step 19, a&lt;b&amp;c)"));
        assert_eq!(svg.matches(&format!("fill=\"{FATAL_COLOR}\"")).count(), 3);
        assert_eq!(
            svg.matches(&format!("stroke=\"{RACE_COLOR}\" stroke-width=\"3\""))
                .count(),
            2
        );
        // Every step has its box with a tooltip; short names are drawn.
        assert_eq!(svg.matches("<g><title>step ").count(), trace.steps.len());
        assert!(svg.contains(">flags ^= (store)</text>"));
        assert!(svg.contains("hashWriting 0→1"));
        // The flag strip rises at writer#0's xor store (step 6) and falls at writer#1's
        // clear (step 14): one shaded band, and the legend's swatch.
        let left = 12.0 + CHAR11 * "hashWriting m".len() as f64 + 10.0;
        let (rise, fall) = (num(left + 600.0), num(left + 1400.0));
        assert!(svg.contains(&format!(
            r#"<path d="M{} 52 H{rise} V34 H{fall} V52 H"#,
            num(left)
        )));
        assert_eq!(svg.matches("fill-opacity=\"0.25\"").count(), 2);
        assert_eq!(svg, swimlane_svg(&trace));
    }

    #[test]
    fn long_traces_stay_small() {
        let mut trace = fatal_trace(["w0", "w1"]);
        let base = trace.steps.clone();
        while trace.steps.len() < 4000 {
            trace.steps.extend(base.iter().copied());
        }
        trace.fatal.as_mut().unwrap().step = trace.steps.len() - 1;
        let svg = swimlane_svg(&trace);
        check_xml(&svg);
        // No labels in the boxes, a few dozen axis labels.
        assert!(!svg.contains(">exit check</text>"));
        assert!(svg.matches("fill=\"#555\">").count() < 200);
        assert!(svg.len() < 4000 * 400);
    }

    #[test]
    fn empty_trace() {
        let svg = swimlane_svg(&Trace::default());
        check_xml(&svg);
        assert!(svg.contains("outcome: ok"));
    }

    #[test]
    fn helpers() {
        assert_eq!(num(1.0), "1");
        assert_eq!(num(2.5), "2.5");
        assert_eq!(num(1.0 / 3.0), "0.33");
        assert_eq!(num(-0.001), "0");
        assert_eq!(
            esc(r#"<a href="x">&'"#),
            "&lt;a href=&quot;x&quot;&gt;&amp;&apos;"
        );
        assert_eq!(clip("abcdef", 4), "abc…");
        assert_eq!(tick_every(100.0), 1);
        assert_eq!(tick_every(15.0), 5);
        assert_eq!(tick_every(1.2), 50);
    }
}
