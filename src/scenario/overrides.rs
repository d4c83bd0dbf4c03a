//! Command-line overrides, `--set key=value`: parsed, then applied to the TOML document
//! before it is deserialized, so an overridden value is checked exactly like one in the file.

use std::fmt;
use std::str::FromStr;

use toml_edit::{Array, ArrayOfTables, DocumentMut, InlineTable, Item, Table, Value};

use super::error::ScenarioError;
use super::path::{FieldPath, Seg};

/// One `--set key=value`: `key` is a field path such as `goroutines[0].program[2].n`;
/// `value` is read as a TOML value when it is one (`50`, `"x"`, `true`), else as a string
/// (so `runtime.gogc=off` and `runtime.gomemlimit=512MiB` need no quotes).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Override {
    /// The field path.
    pub key: String,
    /// The value text, as given.
    pub value: String,
}

impl Override {
    /// Parses `key=value`.
    pub fn parse(s: &str) -> Result<Override, ScenarioError> {
        let error = |message: String| ScenarioError {
            file: format!("--set {s}"),
            line: None,
            column: None,
            field: String::new(),
            message,
            allowed: None,
        };
        let Some((key, value)) = s.split_once('=') else {
            return Err(error(
                "an override needs the form key=value, e.g. runtime.gogc=50".to_string(),
            ));
        };
        let key = key.trim();
        if key.is_empty() {
            return Err(error(
                "the key before `=` is empty; expected e.g. runtime.gogc=50".to_string(),
            ));
        }
        FieldPath::parse(key).map_err(error)?;
        Ok(Override {
            key: key.to_string(),
            value: value.trim().to_string(),
        })
    }

    /// How errors name this override: `--set key=value`.
    pub(crate) fn label(&self) -> String {
        format!("--set {self}")
    }

    pub(crate) fn path(&self) -> Result<FieldPath, ScenarioError> {
        FieldPath::parse(self.key.trim()).map_err(|m| self.error(FieldPath::root(), m))
    }

    fn error(&self, field: FieldPath, message: String) -> ScenarioError {
        ScenarioError {
            file: self.label(),
            line: None,
            column: None,
            field: field.to_string(),
            message,
            allowed: None,
        }
    }

    /// The TOML value to write: parsed, unless `as_string` or it does not parse.
    fn toml_value(&self, as_string: bool) -> Value {
        let raw = self.value.trim();
        if !as_string {
            if let Ok(mut v) = raw.parse::<Value>() {
                v.decor_mut().clear();
                return v;
            }
        }
        Value::from(raw)
    }

    /// Whether the value parses as a TOML value other than a string, so that reading it as
    /// a plain string instead is worth a try (`runtime.go=1.20` is meant as "1.20").
    pub(crate) fn could_be_string(&self) -> bool {
        !matches!(self.toml_value(false), Value::String(_))
    }
}

impl fmt::Display for Override {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}={}", self.key, self.value)
    }
}

impl FromStr for Override {
    type Err = ScenarioError;
    fn from_str(s: &str) -> Result<Override, ScenarioError> {
        Override::parse(s)
    }
}

/// `text` with every override applied in order; `as_string[i]` forces override `i`'s value
/// to be read as a string.
pub(crate) fn apply_all(
    text: &str,
    overrides: &[Override],
    as_string: &[bool],
) -> Result<String, ScenarioError> {
    let mut doc: DocumentMut = text
        .parse()
        .map_err(|e: toml_edit::TomlError| ScenarioError {
            file: String::new(),
            line: None,
            column: None,
            field: String::new(),
            message: e.message().to_string(),
            allowed: None,
        })?;
    for (i, ov) in overrides.iter().enumerate() {
        let forced = as_string.get(i).copied().unwrap_or(false);
        apply(&mut doc, ov, forced)?;
    }
    Ok(doc.to_string())
}

/// A container of the document being edited.
enum NodeMut<'a> {
    Table(&'a mut Table),
    Inline(&'a mut InlineTable),
    Array(&'a mut Array),
    Aot(&'a mut ArrayOfTables),
}

fn apply(doc: &mut DocumentMut, ov: &Override, as_string: bool) -> Result<(), ScenarioError> {
    let path = ov.path()?;
    let Some((last, parents)) = path.segs().split_last() else {
        return Err(ov.error(path.clone(), "the key is empty".to_string()));
    };
    let mut node = NodeMut::Table(doc.as_table_mut());
    let mut at = FieldPath::root();
    for (i, seg) in parents.iter().enumerate() {
        let next_is_index = matches!(path.segs().get(i + 1), Some(Seg::Index(_)));
        node = descend(node, seg, &at, next_is_index).map_err(|m| ov.error(path.clone(), m))?;
        at = at.join(&FieldPath(vec![seg.clone()]));
    }
    set(node, last, &at, ov.toml_value(as_string)).map_err(|m| ov.error(path.clone(), m))
}

fn past_end(at: &FieldPath, i: usize, len: usize) -> String {
    let noun = if len == 1 { "element" } else { "elements" };
    format!("there is no {at}[{i}]: `{at}` has {len} {noun}")
}

fn not_a(at: &FieldPath, what: &str) -> String {
    if at.is_root() {
        format!("the document is not {what}")
    } else {
        format!("`{at}` is not {what}")
    }
}

fn item_node(item: &mut Item) -> Option<NodeMut<'_>> {
    match item {
        Item::Table(t) => Some(NodeMut::Table(t)),
        Item::ArrayOfTables(a) => Some(NodeMut::Aot(a)),
        Item::Value(v) => value_node(v),
        Item::None => None,
    }
}

fn value_node(v: &mut Value) -> Option<NodeMut<'_>> {
    match v {
        Value::Array(a) => Some(NodeMut::Array(a)),
        Value::InlineTable(t) => Some(NodeMut::Inline(t)),
        _ => None,
    }
}

/// The child of `node` at `seg`, creating a missing table on the way.
fn descend<'a>(
    node: NodeMut<'a>,
    seg: &Seg,
    at: &FieldPath,
    next_is_index: bool,
) -> Result<NodeMut<'a>, String> {
    let here = at.join(&FieldPath(vec![seg.clone()]));
    let what = if next_is_index { "an array" } else { "a table" };
    let missing_array = || format!("`{here}` does not exist, so it has no elements");
    match (node, seg) {
        (NodeMut::Table(t), Seg::Key(k)) => {
            if !t.contains_key(k) {
                if next_is_index {
                    return Err(missing_array());
                }
                t.insert(k, Item::Table(Table::new()));
            }
            t.get_mut(k)
                .and_then(item_node)
                .ok_or_else(|| not_a(&here, what))
        }
        (NodeMut::Inline(t), Seg::Key(k)) => {
            if !t.contains_key(k) {
                if next_is_index {
                    return Err(missing_array());
                }
                t.insert(k, Value::InlineTable(InlineTable::new()));
            }
            t.get_mut(k)
                .and_then(value_node)
                .ok_or_else(|| not_a(&here, what))
        }
        (NodeMut::Aot(a), Seg::Index(i)) => {
            let len = a.len();
            a.get_mut(*i)
                .map(NodeMut::Table)
                .ok_or_else(|| past_end(at, *i, len))
        }
        (NodeMut::Array(a), Seg::Index(i)) => {
            let len = a.len();
            let v = a.get_mut(*i).ok_or_else(|| past_end(at, *i, len))?;
            value_node(v).ok_or_else(|| not_a(&here, what))
        }
        (_, Seg::Index(_)) => Err(not_a(at, "an array")),
        (_, Seg::Key(_)) => Err(not_a(at, "a table")),
    }
}

/// Writes `value` at `seg` of `node`, replacing what is there.
fn set(node: NodeMut<'_>, seg: &Seg, at: &FieldPath, value: Value) -> Result<(), String> {
    match (node, seg) {
        (NodeMut::Table(t), Seg::Key(k)) => {
            t.insert(k, Item::Value(value));
            Ok(())
        }
        (NodeMut::Inline(t), Seg::Key(k)) => {
            t.insert(k, value);
            Ok(())
        }
        (NodeMut::Array(a), Seg::Index(i)) => {
            if *i >= a.len() {
                return Err(past_end(at, *i, a.len()));
            }
            a.replace(*i, value);
            Ok(())
        }
        (NodeMut::Aot(a), Seg::Index(i)) => {
            let len = a.len();
            let slot = a.get_mut(*i).ok_or_else(|| past_end(at, *i, len))?;
            match value {
                Value::InlineTable(t) => {
                    *slot = t.into_table();
                    Ok(())
                }
                _ => Err(format!(
                    "`{at}[{i}]` must be a table such as {{ name = \"x\" }}"
                )),
            }
        }
        (_, Seg::Index(_)) => Err(not_a(at, "an array")),
        (_, Seg::Key(_)) => Err(not_a(at, "a table")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ov(s: &str) -> Override {
        Override::parse(s).unwrap()
    }

    fn applied(text: &str, sets: &[&str]) -> Result<String, String> {
        let list: Vec<Override> = sets.iter().map(|s| ov(s)).collect();
        apply_all(text, &list, &vec![false; list.len()]).map_err(|e| e.to_string())
    }

    #[test]
    fn parse_splits_at_the_first_equals() {
        assert_eq!(
            ov("name=a=b"),
            Override {
                key: "name".into(),
                value: "a=b".into()
            }
        );
        assert_eq!("seed=7".parse::<Override>().unwrap().to_string(), "seed=7");
        let e = Override::parse("runtime.gogc").unwrap_err();
        assert_eq!(
            e.to_string(),
            "--set runtime.gogc: an override needs the form key=value, e.g. runtime.gogc=50"
        );
        let e = Override::parse("=5").unwrap_err();
        assert!(e.message.contains("the key before `=` is empty"), "{e}");
        assert!(Override::parse("a..b=1").is_err());
    }

    #[test]
    fn values_are_toml_or_bare_strings() {
        let text = "seed = 1\n[runtime]\ngogc = 100\n";
        let out = applied(text, &["runtime.gogc=off", "seed=7", "runtime.go=\"1.20\""]).unwrap();
        assert_eq!(out, "seed = 7\n[runtime]\ngogc = \"off\"\ngo = \"1.20\"\n");
        let out = applied(text, &["runtime.gomemlimit=512MiB", "heap.live=1GiB"]).unwrap();
        assert!(out.contains("gomemlimit = \"512MiB\""), "{out}");
        assert!(out.contains("[heap]\nlive = \"1GiB\""), "{out}");
        assert!(ov("runtime.go=1.20").could_be_string());
        assert!(!ov("runtime.gogc=off").could_be_string());
    }

    #[test]
    fn indices_reach_into_arrays_of_tables_and_inline_arrays() {
        let text =
            "[[goroutines]]\nname = \"w\"\nprogram = [{ op = \"insert\", map = \"m\", n = 5 }]\n";
        let out = applied(
            text,
            &["goroutines[0].program[0].n=9", "goroutines[0].count=2"],
        )
        .unwrap();
        assert!(out.contains("n = 9"), "{out}");
        assert!(out.contains("count = 2"), "{out}");
    }

    #[test]
    fn bad_paths_are_errors() {
        let text = "seed = 1\n[[goroutines]]\nname = \"w\"\nprogram = []\n";
        assert_eq!(
            applied(text, &["goroutines[3].count=2"]).unwrap_err(),
            "--set goroutines[3].count=2: goroutines[3].count: there is no goroutines[3]: \
             `goroutines` has 1 element"
        );
        assert_eq!(
            applied(text, &["goroutines[0].program[0].n=1"]).unwrap_err(),
            "--set goroutines[0].program[0].n=1: goroutines[0].program[0].n: there is no \
             goroutines[0].program[0]: `goroutines[0].program` has 0 elements"
        );
        assert_eq!(
            applied(text, &["seed.x=1"]).unwrap_err(),
            "--set seed.x=1: seed.x: `seed` is not a table"
        );
        assert_eq!(
            applied(text, &["maps[0].hint=1"]).unwrap_err(),
            "--set maps[0].hint=1: maps[0].hint: `maps` does not exist, so it has no elements"
        );
    }
}
