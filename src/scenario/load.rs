//! Reading a scenario: TOML syntax, overrides, serde, validation, and turning any failure
//! into a [`ScenarioError`] that names the file line or the `--set` at fault.

use std::path::Path;

use toml_edit::Document;

use super::error::{Problem, ScenarioError, line_col};
use super::locate::{serde_problem, span_of, syntax_message, syntax_path};
use super::overrides::{Override, apply_all};
use super::path::FieldPath;
use super::shape::{self, friendly_expected};
use super::types::Scenario;
use super::validate::validate;

/// Reads, overrides, deserializes and validates the scenario file at `path`.
pub fn load(path: &Path, overrides: &[Override]) -> Result<Scenario, ScenarioError> {
    let label = path.display().to_string();
    let bytes = crate::resources::read_limited(path, crate::resources::MAX_SCENARIO_BYTES)
        .map_err(|e| ScenarioError {
            file: label.clone(),
            line: None,
            column: None,
            field: String::new(),
            message: format!("cannot read the scenario: {e}"),
            allowed: None,
        })?;
    let text = String::from_utf8(bytes).map_err(|e| {
        // Where the first invalid byte is: its line and column (1-based, in bytes).
        let valid = &e.as_bytes()[..e.utf8_error().valid_up_to()];
        let line = valid.iter().filter(|&&b| b == b'\n').count() + 1;
        let column = valid.len() - valid.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1) + 1;
        ScenarioError {
            file: label.clone(),
            line: Some(line),
            column: Some(column),
            field: String::new(),
            message: format!(
                "not valid UTF-8 (byte 0x{:02x}): a scenario file is UTF-8 text",
                e.as_bytes()[valid.len()]
            ),
            allowed: None,
        }
    })?;
    parse_str(&text, &label, overrides)
}

/// Like [`load`], for scenario text already in memory; `file_label` names it in errors.
pub fn parse_str(
    text: &str,
    file_label: &str,
    overrides: &[Override],
) -> Result<Scenario, ScenarioError> {
    let original = match Document::parse(text) {
        Ok(doc) => doc,
        Err(e) => {
            let span = e.span().unwrap_or(0..0);
            let problem = Problem {
                path: syntax_path(text, span.start),
                span: Some(span),
                message: syntax_message(e.message()),
                allowed: None,
            };
            return Err(locate_error(problem, text, None, file_label));
        }
    };
    let ov_paths = overrides
        .iter()
        .map(Override::path)
        .collect::<Result<Vec<_>, _>>()?;
    let ctx = Ctx {
        text,
        original: &original,
        label: file_label,
        overrides,
        ov_paths: &ov_paths,
    };
    let mut as_string = vec![false; overrides.len()];
    // An override retried as a string, and the error its TOML reading gave.
    let mut retried: Option<(usize, Problem)> = None;
    loop {
        let edited = if overrides.is_empty() {
            text.to_string()
        } else {
            apply_all(text, overrides, &as_string).map_err(|e| match e.file.is_empty() {
                true => ScenarioError {
                    file: file_label.to_string(),
                    ..e
                },
                false => e,
            })?
        };
        let doc = Document::parse(edited.as_str()).ok();
        let shape = doc.as_ref().and_then(|d| shape::check(d.as_table()));
        let problem = match (toml::from_str::<Scenario>(&edited), shape) {
            (Ok(scenario), None) => {
                return match validate(&scenario) {
                    Ok(()) => Ok(scenario),
                    Err(p) => Err(ctx.finish(p, false)),
                };
            }
            (Ok(_), Some(shape)) => shape,
            (Err(e), shape) => {
                let from_serde = match &doc {
                    Some(doc) => serde_problem(doc.as_table(), &edited, &e),
                    None => Problem {
                        path: FieldPath::root(),
                        span: None,
                        message: e.message().to_string(),
                        allowed: None,
                    },
                };
                first_in_text(shape, from_serde)
            }
        };
        let culprit = ctx.override_for(&problem.path);
        if let Some((i, first)) = &retried {
            if culprit == Some(*i) {
                return Err(ctx.finish(first.clone(), true));
            }
        }
        match culprit {
            Some(i) if !as_string[i] && overrides[i].could_be_string() => {
                as_string[i] = true;
                retried = Some((i, problem));
            }
            _ => return Err(ctx.finish(problem, true)),
        }
    }
}

/// Of a shape problem and a serde problem, the one that starts first in the text (serde
/// visits keys in its own order, not the file's); the shape problem on a tie, where it is
/// the clearer, or when either has no span.
fn first_in_text(shape: Option<Problem>, from_serde: Problem) -> Problem {
    match shape {
        Some(shape) => match (&shape.span, &from_serde.span) {
            (Some(a), Some(b)) if b.start < a.start => from_serde,
            _ => shape,
        },
        None => from_serde,
    }
}

/// What locating an error needs to know.
struct Ctx<'a> {
    text: &'a str,
    original: &'a Document<&'a str>,
    label: &'a str,
    overrides: &'a [Override],
    ov_paths: &'a [FieldPath],
}

impl Ctx<'_> {
    /// The last override that set the field at `path` or one of its parents.
    fn override_for(&self, path: &FieldPath) -> Option<usize> {
        self.ov_paths.iter().rposition(|p| path.starts_with(p))
    }

    /// Locates `p`. A span from serde is trusted only when no override changed the text.
    fn finish(&self, mut p: Problem, from_serde: bool) -> ScenarioError {
        if !(from_serde && self.overrides.is_empty()) {
            p.span = None;
        }
        let culprit = self.override_for(&p.path).map(|i| &self.overrides[i]);
        locate_error(p, self.text, Some(self.original), self.label).with_override(culprit)
    }
}

/// Builds the error for `p`, locating it by its span, else by its path in `doc`.
fn locate_error(
    p: Problem,
    text: &str,
    doc: Option<&Document<&str>>,
    label: &str,
) -> ScenarioError {
    let span = p
        .span
        .clone()
        .or_else(|| doc.and_then(|d| span_of(d.as_table(), &p.path)));
    let (line, column) = match span {
        Some(s) => {
            let (l, c) = line_col(text, s.start);
            (Some(l), Some(c))
        }
        None => (None, None),
    };
    ScenarioError {
        file: label.to_string(),
        line,
        column,
        field: p.path.to_string(),
        message: friendly_expected(&p.message),
        allowed: p.allowed,
    }
}

impl ScenarioError {
    /// Blames `ov` instead of the file, when an override set the field.
    fn with_override(self, ov: Option<&Override>) -> ScenarioError {
        match ov {
            Some(ov) => ScenarioError {
                file: ov.label(),
                line: None,
                column: None,
                ..self
            },
            None => self,
        }
    }
}
