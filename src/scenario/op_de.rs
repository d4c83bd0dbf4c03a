//! `Op` is deserialized by hand rather than derived: serde's internally tagged enums buffer the
//! table, and toml then blames the whole `program` array for any error inside one op. Here the
//! op records its own span and names the exact field, e.g. `program[2].body[0].n`.
//!
//! The op reads itself as a `toml::Spanned<toml::Value>`, so it deserializes from TOML only.

use serde::de::{self, DeserializeOwned, Deserializer};
use serde::{Deserialize, Serialize};
use toml::{Spanned, Table, Value};

use super::error::split_allowed;
use super::path::FieldPath;
use super::types::{Op, default_mutex};

/// Every op name, in the order of DESIGN.md.
pub(crate) const OPS: [&str; 18] = [
    "insert", "delete", "churn", "read", "iterate", "append", "reset", "drop", "alloc", "retain",
    "free", "compute", "lock", "unlock", "rlock", "runlock", "loop", "request",
];

/// Prefixes an encoded [`OpError`] inside a serde error message.
const MARK: &str = "\u{1f}scenario-op-error\u{1f}";

/// An error inside one op, carried through serde's string-only custom errors: the op's
/// byte span, the field path relative to the op, the message and the accepted values.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct OpError {
    pub(crate) start: usize,
    pub(crate) end: usize,
    pub(crate) path: FieldPath,
    pub(crate) message: String,
    pub(crate) allowed: Option<String>,
}

impl OpError {
    /// Recovers an op error from a serde error message, if it is one.
    pub(crate) fn decode(message: &str) -> Option<OpError> {
        serde_json::from_str(message.strip_prefix(MARK)?).ok()
    }

    fn encode(&self) -> String {
        format!("{MARK}{}", serde_json::to_string(self).unwrap_or_default())
    }
}

/// A field-relative error found while converting an op.
struct Fault {
    path: FieldPath,
    message: String,
    allowed: Option<String>,
}

impl Fault {
    fn at(key: &str, message: String) -> Fault {
        Fault {
            path: FieldPath::root().key(key),
            message,
            allowed: None,
        }
    }

    fn allowed(mut self, allowed: String) -> Fault {
        self.allowed = Some(allowed);
        self
    }
}

impl<'de> Deserialize<'de> for Op {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Op, D::Error> {
        let spanned = Spanned::<Value>::deserialize(d)?;
        let span = spanned.span();
        op_from_value(spanned.get_ref()).map_err(|f| {
            let e = OpError {
                start: span.start,
                end: span.end,
                path: f.path,
                message: f.message,
                allowed: f.allowed,
            };
            de::Error::custom(e.encode())
        })
    }
}

/// The fields each op takes besides `op`, or `None` for an unknown op.
fn fields_of(op: &str) -> Option<&'static [&'static str]> {
    Some(match op {
        "insert" | "delete" | "churn" | "read" => &["map", "n"],
        "iterate" => &["map"],
        "append" => &["slice", "n"],
        "reset" | "drop" => &["slice"],
        "alloc" => &["bytes", "size", "rate"],
        "retain" => &["bytes", "size"],
        "free" => &["bytes"],
        "compute" => &["time"],
        "lock" | "unlock" | "rlock" | "runlock" => &["name"],
        "loop" => &["times", "duration", "body"],
        "request" => &["name", "body"],
        _ => return None,
    })
}

fn op_from_value(v: &Value) -> Result<Op, Fault> {
    let Value::Table(t) = v else {
        return Err(Fault {
            path: FieldPath::root(),
            message: format!(
                "expected an op such as {{ op = \"insert\", map = \"m\", n = 1 }}, found {}",
                v.type_str()
            ),
            allowed: None,
        });
    };
    let all_ops = OPS.join(", ");
    let name = match t.get("op") {
        Some(Value::String(s)) => s.as_str(),
        Some(other) => {
            let msg = format!("expected an op name (a string), found {}", other.type_str());
            return Err(Fault::at("op", msg).allowed(all_ops));
        }
        None => return Err(Fault::at("op", "missing field `op`".into()).allowed(all_ops)),
    };
    let Some(fields) = fields_of(name) else {
        return Err(Fault::at("op", format!("unknown op `{name}`")).allowed(all_ops));
    };
    for key in t.keys() {
        if key != "op" && !fields.contains(&key.as_str()) {
            let allowed = format!("op, {}", fields.join(", "));
            return Err(Fault::at(key, format!("unknown field `{key}`")).allowed(allowed));
        }
    }
    let mutex = || -> Result<String, Fault> { Ok(opt(t, "name")?.unwrap_or_else(default_mutex)) };
    Ok(match name {
        "insert" => Op::Insert {
            map: req(t, "map")?,
            n: req(t, "n")?,
        },
        "delete" => Op::Delete {
            map: req(t, "map")?,
            n: req(t, "n")?,
        },
        "churn" => Op::Churn {
            map: req(t, "map")?,
            n: req(t, "n")?,
        },
        "read" => Op::Read {
            map: req(t, "map")?,
            n: req(t, "n")?,
        },
        "iterate" => Op::Iterate {
            map: req(t, "map")?,
        },
        "append" => Op::Append {
            slice: req(t, "slice")?,
            n: req(t, "n")?,
        },
        "reset" => Op::Reset {
            slice: req(t, "slice")?,
        },
        "drop" => Op::Drop {
            slice: req(t, "slice")?,
        },
        "alloc" => Op::Alloc {
            bytes: req(t, "bytes")?,
            size: req(t, "size")?,
            rate: opt(t, "rate")?,
        },
        "retain" => Op::Retain {
            bytes: req(t, "bytes")?,
            size: req(t, "size")?,
        },
        "free" => Op::Free {
            bytes: req(t, "bytes")?,
        },
        "compute" => Op::Compute {
            time: req(t, "time")?,
        },
        "lock" => Op::Lock { name: mutex()? },
        "unlock" => Op::Unlock { name: mutex()? },
        "rlock" => Op::Rlock { name: mutex()? },
        "runlock" => Op::Runlock { name: mutex()? },
        "request" => Op::Request {
            name: req(t, "name")?,
            body: body(t)?,
        },
        _ => {
            let times: Option<u64> = opt(t, "times")?;
            let duration = opt(t, "duration")?;
            let times = match (times, duration) {
                (Some(_), Some(_)) => {
                    return Err(Fault::at(
                        "duration",
                        "a loop takes `times` or `duration`, not both".into(),
                    ));
                }
                (None, None) => {
                    return Err(Fault::at("times", "missing field `times`".into())
                        .allowed("times = N, or duration = \"3500ms\"".into()));
                }
                (Some(n), None) => n,
                (None, Some(_)) => u64::MAX,
            };
            Op::Loop {
                times,
                duration,
                body: body(t)?,
            }
        }
    })
}

fn opt<T: DeserializeOwned>(t: &Table, key: &str) -> Result<Option<T>, Fault> {
    let Some(v) = t.get(key) else {
        return Ok(None);
    };
    T::deserialize(v.clone()).map(Some).map_err(|e| {
        let (message, allowed) = split_allowed(e.message());
        Fault {
            path: FieldPath::root().key(key),
            message,
            allowed,
        }
    })
}

fn req<T: DeserializeOwned>(t: &Table, key: &str) -> Result<T, Fault> {
    opt(t, key)?.ok_or_else(|| Fault::at(key, format!("missing field `{key}`")))
}

fn body(t: &Table) -> Result<Vec<Op>, Fault> {
    let items = match t.get("body") {
        Some(Value::Array(items)) => items,
        Some(other) => {
            let msg = format!("expected an array of ops, found {}", other.type_str());
            return Err(Fault::at("body", msg));
        }
        None => return Err(Fault::at("body", "missing field `body`".into())),
    };
    items
        .iter()
        .enumerate()
        .map(|(i, item)| {
            op_from_value(item).map_err(|mut f| {
                f.path = FieldPath::root().key("body").index(i).join(&f.path);
                f
            })
        })
        .collect()
}
