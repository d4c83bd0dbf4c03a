//! The shape of a scenario document, checked before serde reads it: `[runtime]`, `[heap]`
//! and `[costs]` are tables, `[[maps]]` and `[[goroutines]]` arrays of tables, a program an
//! array, a map's `impl` a string. Serde would otherwise read an array as a struct, field by
//! field (`heap = [1]` as `live = 1`), and name its Rust types when it refuses a value
//! ("expected struct Runtime"); here errors say what the file should hold, in its terms.

use std::fmt;

use serde::de::{self, Deserialize, Deserializer, Visitor};
use toml_edit::{Item, Table, TableLike, Value};

use super::error::Problem;
use super::locate::span_of;
use super::path::FieldPath;
use super::types::{ArrivalSpec, Costs, GoroutineSpec, Heap, MapImpl, MapSpec, Runtime};

/// The first value of `root` whose kind is wrong, in document order.
pub(crate) fn check(root: &Table) -> Option<Problem> {
    let top = FieldPath::root();
    let mut problem = None;
    for (key, item) in root.iter() {
        let at = top.key(key);
        problem = match key {
            "runtime" | "heap" | "costs" => want_table(item, &at, key),
            "maps" => check_array(item, &at, "map", check_map),
            "goroutines" => check_array(item, &at, "goroutine", check_goroutine),
            "arrivals" => check_array(item, &at, "arrival", check_arrival),
            _ => None,
        };
        if problem.is_some() {
            break;
        }
    }
    let mut p = problem?;
    p.span = span_of(root, &p.path);
    Some(p)
}

/// What a field that must be a table or an array of tables holds, in the user's terms.
/// `name` is the field's key: `runtime`, `heap`, `costs`, `maps`, `goroutines`, or `map` and
/// `goroutine` for one element of the last two.
pub(crate) fn expected(name: &str) -> Option<String> {
    let list = |fields: &[&str]| fields.join(", ");
    Some(match name {
        "runtime" => format!(
            "a table of runtime settings ({})",
            list(fields_of::<Runtime>())
        ),
        "heap" => format!("a table of heap settings ({})", list(fields_of::<Heap>())),
        "costs" => format!("a table of cost settings ({})", list(fields_of::<Costs>())),
        "maps" => format!(
            "an array of [[maps]] tables ({})",
            list(fields_of::<MapSpec>())
        ),
        "map" => format!("a [[maps]] table ({})", list(fields_of::<MapSpec>())),
        "goroutines" => format!(
            "an array of [[goroutines]] tables ({})",
            list(fields_of::<GoroutineSpec>())
        ),
        "goroutine" => format!(
            "a [[goroutines]] table ({})",
            list(fields_of::<GoroutineSpec>())
        ),
        "arrivals" => format!(
            "an array of [[arrivals]] tables ({})",
            list(fields_of::<ArrivalSpec>())
        ),
        "arrival" => format!(
            "an [[arrivals]] table ({})",
            list(fields_of::<ArrivalSpec>())
        ),
        _ => return None,
    })
}

/// The map implementations `impl` accepts, comma-separated.
pub(crate) fn map_impls() -> String {
    fields_of::<MapImpl>().join(", ")
}

/// Serde's own type names (`expected struct Runtime`, `expected f64`) in the user's terms.
pub(crate) fn friendly_expected(message: &str) -> String {
    // TOML integers are 64-bit signed: a larger one does not parse as a number (and a
    // `--set` value falls back to a string).
    const TOO_LARGE: &str = "the number is too large: integers go up to 9223372036854775807 \
                             (2^63 - 1)";
    if message.contains("integer number overflowed") {
        return TOO_LARGE.to_string();
    }
    if let Some(rest) = message.strip_prefix("invalid type: string \"")
        && let Some((digits, _)) = rest.split_once('"')
        && !digits.is_empty()
        && digits.bytes().all(|b| b.is_ascii_digit())
        && digits.parse::<i64>().is_err()
    {
        return TOO_LARGE.to_string();
    }
    let mut out = message.to_string();
    let words = [
        ("u64", "an integer >= 0".to_string()),
        ("u32", "an integer from 0 to 4294967295".to_string()),
        ("f64", "a number".to_string()),
        ("a sequence", "an array".to_string()),
        ("a map", "a table".to_string()),
        ("enum MapImpl", format!("one of {}", map_impls())),
    ];
    for (rust, plain) in words {
        out = replace_expected(&out, rust, &plain);
    }
    for (rust, name) in [
        ("Runtime", "runtime"),
        ("Heap", "heap"),
        ("Costs", "costs"),
        ("MapSpec", "map"),
        ("GoroutineSpec", "goroutine"),
        ("ArrivalSpec", "arrival"),
    ] {
        if let Some(plain) = expected(name) {
            out = replace_expected(&out, &format!("struct {rust}"), &plain);
        }
    }
    out
}

/// `message` with each `expected {from}` that ends a phrase (at the end, or before `,`, `;`
/// or `)`) written `expected {to}`.
fn replace_expected(message: &str, from: &str, to: &str) -> String {
    let needle = format!("expected {from}");
    let mut out = String::with_capacity(message.len());
    let mut rest = message;
    while let Some(i) = rest.find(&needle) {
        let after = &rest[i + needle.len()..];
        let whole = after.is_empty() || after.starts_with([',', ';', ')']);
        out.push_str(&rest[..i]);
        out.push_str(if whole { "expected " } else { "" });
        out.push_str(if whole { to } else { &needle });
        rest = after;
    }
    out.push_str(rest);
    out
}

fn invalid(at: &FieldPath, found: &str, what: &str) -> Problem {
    Problem::at(
        at.clone(),
        format!("invalid type: {found}, expected {what}"),
    )
}

/// A problem unless `item` is a table (a `[name]` section or an inline table); `name` says
/// what the table holds, for [`expected`].
fn want_table(item: &Item, at: &FieldPath, name: &str) -> Option<Problem> {
    if item.is_table_like() {
        return None;
    }
    let what = expected(name).unwrap_or_else(|| "a table".into());
    Some(invalid(at, &kind(item), &what))
}

/// `[[maps]]` or `[[goroutines]]`: an array of tables (`element` names one), each checked
/// by `each`.
fn check_array(
    item: &Item,
    at: &FieldPath,
    element: &str,
    each: fn(&dyn TableLike, &FieldPath) -> Option<Problem>,
) -> Option<Problem> {
    let mut tables: Vec<&dyn TableLike> = Vec::new();
    match item {
        Item::ArrayOfTables(a) => tables.extend(a.iter().map(|t| t as &dyn TableLike)),
        Item::Value(Value::Array(a)) => {
            for (i, v) in a.iter().enumerate() {
                match v.as_inline_table() {
                    Some(t) => tables.push(t),
                    None => return want_table(&Item::Value(v.clone()), &at.index(i), element),
                }
            }
        }
        other => {
            let what = expected(&at.to_string()).unwrap_or_else(|| "an array".into());
            return Some(invalid(at, &kind(other), &what));
        }
    }
    tables
        .into_iter()
        .enumerate()
        .find_map(|(i, t)| each(t, &at.index(i)))
}

/// A map's `impl`, when given, is a name.
fn check_map(t: &dyn TableLike, at: &FieldPath) -> Option<Problem> {
    let v = t.get("impl")?;
    if v.as_str().is_some() {
        return None;
    }
    let p = invalid(&at.key("impl"), &kind(v), "a map implementation name");
    Some(p.allowed(map_impls()))
}

/// A goroutine's `program`, when given, is an array (of inline tables or `[[...program]]`
/// tables; each op checks itself).
fn check_goroutine(t: &dyn TableLike, at: &FieldPath) -> Option<Problem> {
    let v = t.get("program")?;
    if v.is_array() || v.is_array_of_tables() {
        return None;
    }
    let what = "an array of ops such as [{ op = \"insert\", map = \"m\", n = 1 }]";
    Some(invalid(&at.key("program"), &kind(v), what))
}

/// An arrival source's `body`, when given, is an array of ops.
fn check_arrival(t: &dyn TableLike, at: &FieldPath) -> Option<Problem> {
    let v = t.get("body")?;
    if v.is_array() || v.is_array_of_tables() {
        return None;
    }
    let what = "an array of ops such as [{ op = \"compute\", time = \"50us\" }]";
    Some(invalid(&at.key("body"), &kind(v), what))
}

/// What an item holds, as serde words it in "invalid type" errors, with TOML's names for
/// arrays and tables.
fn kind(item: &Item) -> String {
    match item {
        Item::None => "nothing".into(),
        Item::Table(_) => "table".into(),
        Item::ArrayOfTables(_) => "array of tables".into(),
        Item::Value(v) => match v {
            Value::String(s) => format!("string {:?}", s.value()),
            Value::Integer(i) => format!("integer `{}`", i.value()),
            Value::Float(f) => format!("floating point `{}`", f.value()),
            Value::Boolean(b) => format!("boolean `{}`", b.value()),
            Value::Datetime(d) => format!("datetime `{}`", d.value()),
            Value::Array(_) => "array".into(),
            Value::InlineTable(_) => "table".into(),
        },
    }
}

/// The field names of a struct, or the variant names of an enum, as its serde derive
/// declares them: read by a deserializer that only records what it is asked for.
fn fields_of<T: for<'de> Deserialize<'de>>() -> &'static [&'static str] {
    let mut names: &'static [&'static str] = &[];
    let _ = T::deserialize(NamesProbe(&mut names));
    names
}

struct NamesProbe<'a>(&'a mut &'static [&'static str]);

/// The probe's only error: it stops every deserialization.
#[derive(Debug)]
struct Stop;

impl fmt::Display for Stop {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("stop")
    }
}

impl std::error::Error for Stop {}

impl de::Error for Stop {
    fn custom<T: fmt::Display>(_: T) -> Stop {
        Stop
    }
}

impl<'de> Deserializer<'de> for NamesProbe<'_> {
    type Error = Stop;

    fn deserialize_any<V: Visitor<'de>>(self, _: V) -> Result<V::Value, Stop> {
        Err(Stop)
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _: &'static str,
        fields: &'static [&'static str],
        _: V,
    ) -> Result<V::Value, Stop> {
        *self.0 = fields;
        Err(Stop)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _: &'static str,
        variants: &'static [&'static str],
        _: V,
    ) -> Result<V::Value, Stop> {
        *self.0 = variants;
        Err(Stop)
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        option unit unit_struct newtype_struct seq tuple tuple_struct map identifier
        ignored_any
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_come_from_the_serde_derives() {
        assert_eq!(
            fields_of::<Runtime>(),
            ["go", "gomaxprocs", "gogc", "gomemlimit"]
        );
        assert_eq!(fields_of::<MapImpl>(), ["classic", "swiss"]);
        assert_eq!(
            fields_of::<GoroutineSpec>(),
            ["name", "count", "start", "program"]
        );
        assert_eq!(
            fields_of::<ArrivalSpec>(),
            ["name", "rate", "process", "duration", "body"]
        );
        assert!(fields_of::<Costs>().contains(&"mark_assist_min_share"));
        assert!(fields_of::<Heap>().contains(&"nonheap_ratio"));
    }

    #[test]
    fn serde_type_names_are_translated() {
        assert_eq!(
            friendly_expected("integer number overflowed"),
            "the number is too large: integers go up to 9223372036854775807 (2^63 - 1)"
        );
        assert_eq!(
            friendly_expected("invalid type: string \"99999999999999999999\", expected u64"),
            "the number is too large: integers go up to 9223372036854775807 (2^63 - 1)"
        );
        assert_eq!(
            friendly_expected("invalid type: integer `1`, expected struct Runtime"),
            "invalid type: integer `1`, expected a table of runtime settings (go, gomaxprocs, \
             gogc, gomemlimit)"
        );
        assert_eq!(
            friendly_expected("invalid type: string \"x\", expected f64"),
            "invalid type: string \"x\", expected a number"
        );
        assert_eq!(
            friendly_expected("invalid type: integer `1`, expected enum MapImpl"),
            "invalid type: integer `1`, expected one of classic, swiss"
        );
        assert_eq!(
            friendly_expected("invalid type: integer `1`, expected a map implementation name"),
            "invalid type: integer `1`, expected a map implementation name"
        );
        assert_eq!(
            friendly_expected("invalid type: string \"x\", expected a map; expected u64)"),
            "invalid type: string \"x\", expected a table; expected an integer >= 0)"
        );
        for rust in ["Runtime", "Heap", "Costs", "MapSpec", "GoroutineSpec"] {
            let out = friendly_expected(&format!("expected struct {rust}"));
            assert!(!out.contains(rust), "{out}");
        }
    }
}
