//! Go and CSV syntax for the generated text: string literals, durations, CSV fields, and
//! trailing comments aligned as gofmt aligns them.

use std::fmt::Write as _;

/// `s` as a Go interpreted string literal.
pub(crate) fn go_quote(s: &str) -> String {
    let mut q = String::with_capacity(s.len() + 2);
    q.push('"');
    for c in s.chars() {
        match c {
            '"' => q.push_str("\\\""),
            '\\' => q.push_str("\\\\"),
            '\n' => q.push_str("\\n"),
            '\t' => q.push_str("\\t"),
            c if (c as u32) < 0x20 || c == '\u{7f}' => {
                let _ = write!(q, "\\x{:02x}", c as u32);
            }
            c if c.is_control() => {
                let _ = write!(q, "\\u{:04x}", c as u32);
            }
            c => q.push(c),
        }
    }
    q.push('"');
    q
}

/// `s` as one CSV field, quoted as map_events.csv quotes it.
pub(crate) fn csv_field(s: &str) -> String {
    let mut w = csv::Writer::from_writer(Vec::new());
    let written = w.write_record([s]).ok().and_then(|_| w.into_inner().ok());
    match written.and_then(|b| String::from_utf8(b).ok()) {
        Some(line) => line.trim_end_matches(['\n', '\r']).to_string(),
        None => s.to_string(),
    }
}

/// A duration in picoseconds as a Go `time.Duration` expression (to the nanosecond).
pub(crate) fn go_duration(ps: u64) -> String {
    let ns = ps / 1000;
    let units = [
        (3_600_000_000_000, "time.Hour"),
        (60_000_000_000, "time.Minute"),
        (1_000_000_000, "time.Second"),
        (1_000_000, "time.Millisecond"),
        (1_000, "time.Microsecond"),
    ];
    for (unit, name) in units {
        if ns >= unit && ns % unit == 0 {
            return format!("{} * {name}", ns / unit);
        }
    }
    format!("{ns} * time.Nanosecond")
}

/// Lines of code with trailing comments, the comments of consecutive lines aligned as gofmt
/// aligns them.
pub(crate) fn align_comments(lines: &[(String, String)]) -> String {
    let mut out = String::new();
    let mut i = 0;
    while i < lines.len() {
        let run = lines[i..]
            .iter()
            .take_while(|(_, c)| !c.is_empty())
            .count()
            .max(1);
        let width = lines[i..i + run]
            .iter()
            .map(|(code, _)| code.chars().count())
            .max()
            .unwrap_or(0);
        for (code, comment) in &lines[i..i + run] {
            if comment.is_empty() {
                let _ = writeln!(out, "{code}");
            } else {
                let pad = width - code.chars().count();
                let _ = writeln!(out, "{code}{} // {comment}", " ".repeat(pad));
            }
        }
        i += run;
    }
    out
}
