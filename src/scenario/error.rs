//! The one error type of scenario loading: where (file, line, column, field), what went wrong,
//! and what would have been accepted.

use std::fmt;
use std::ops::Range;

use super::path::FieldPath;

/// A scenario that cannot be used, located as precisely as possible.
///
/// `file` is the file label, or `--set key=value` when a command-line override is at fault
/// (then `line` and `column` are `None`). `field` is a dotted path such as
/// `goroutines[0].program[2].op`, empty when no field applies.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct ScenarioError {
    /// The file label, or `--set key=value` for an override.
    pub file: String,
    /// 1-based line of the fault, when known.
    pub line: Option<usize>,
    /// 1-based column (in characters) of the fault, when known.
    pub column: Option<usize>,
    /// Dotted path of the field at fault; empty when no field applies.
    pub field: String,
    /// What went wrong.
    pub message: String,
    /// The accepted values, comma-separated, when they can be listed.
    pub allowed: Option<String>,
}

/// Display is always one line: control characters from the input (a key or value holding
/// `\n`) are shown escaped.
impl fmt::Display for ScenarioError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        one_line(f, &self.file)?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
            if let Some(column) = self.column {
                write!(f, ":{column}")?;
            }
        }
        f.write_str(": ")?;
        if !self.field.is_empty() {
            one_line(f, &self.field)?;
            f.write_str(": ")?;
        }
        one_line(f, &self.message)?;
        if let Some(allowed) = &self.allowed {
            f.write_str(" (allowed: ")?;
            one_line(f, allowed)?;
            f.write_str(")")?;
        }
        Ok(())
    }
}

fn one_line(f: &mut fmt::Formatter<'_>, text: &str) -> fmt::Result {
    for c in text.chars() {
        if c.is_control() {
            write!(f, "{}", c.escape_debug())?;
        } else {
            write!(f, "{c}")?;
        }
    }
    Ok(())
}

/// An error before it is located: a field path, maybe a byte span in the text that was
/// deserialized, and the message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Problem {
    pub(crate) path: FieldPath,
    pub(crate) span: Option<Range<usize>>,
    pub(crate) message: String,
    pub(crate) allowed: Option<String>,
}

impl Problem {
    /// A problem with a field, located later through its path.
    pub(crate) fn at(path: FieldPath, message: impl Into<String>) -> Problem {
        Problem {
            path,
            span: None,
            message: message.into(),
            allowed: None,
        }
    }

    pub(crate) fn allowed(mut self, allowed: impl Into<String>) -> Problem {
        self.allowed = Some(allowed.into());
        self
    }
}

/// Splits a trailing `" (allowed: ...)"` off a message, the convention by which the value
/// parsers of this module report what they accept.
pub(crate) fn split_allowed(message: &str) -> (String, Option<String>) {
    const MARK: &str = " (allowed: ";
    match message.rfind(MARK) {
        Some(start) if message.ends_with(')') => {
            let allowed = &message[start + MARK.len()..message.len() - 1];
            (message[..start].to_string(), Some(allowed.to_string()))
        }
        _ => (message.to_string(), None),
    }
}

/// 1-based line and column (in characters) of a byte offset.
pub(crate) fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = before[line_start..].chars().count() + 1;
    (line, column)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(line: Option<usize>, field: &str, allowed: Option<&str>) -> ScenarioError {
        ScenarioError {
            file: "x.toml".into(),
            line,
            column: line.map(|_| 9),
            field: field.into(),
            message: "unknown op `instert`".into(),
            allowed: allowed.map(str::to_string),
        }
    }

    #[test]
    fn display_is_one_line_with_every_part() {
        let e = err(
            Some(12),
            "goroutines[0].program[2].op",
            Some("insert, delete"),
        );
        assert_eq!(
            e.to_string(),
            "x.toml:12:9: goroutines[0].program[2].op: unknown op `instert` (allowed: insert, delete)"
        );
        assert_eq!(
            err(None, "", None).to_string(),
            "x.toml: unknown op `instert`"
        );
    }

    #[test]
    fn allowed_suffix_is_split() {
        assert_eq!(
            split_allowed("bad (x) thing (allowed: a, b)"),
            ("bad (x) thing".to_string(), Some("a, b".to_string()))
        );
        assert_eq!(split_allowed("plain"), ("plain".to_string(), None));
    }

    #[test]
    fn line_and_column_count_characters() {
        let text = "a = 1\nµb = 2\n";
        assert_eq!(line_col(text, 0), (1, 1));
        assert_eq!(line_col(text, 6), (2, 1));
        assert_eq!(line_col(text, 8), (2, 2));
        assert_eq!(line_col(text, 1000), (3, 1));
    }
}
