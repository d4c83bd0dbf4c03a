//! Fresh map keys in Go: for each comparable key type, a Go expression that turns a key number
//! `i` into a value of that type, distinct numbers giving distinct keys, as the simulator's
//! keys (identities 0, 1, 2, …) are distinct.
//!
//! Only what generating values needs is read from the type's canonical text
//! ([`crate::scenario::GoType::text`]): struct types other than `struct{}` never get here,
//! the scenario parser refuses them.

use crate::scenario::GoType;

/// The shape of a key type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Key {
    Bool,
    /// An integer type by its Go name, and its width in bits.
    Int(String, u32),
    Float32,
    Float64,
    Complex64,
    Complex128,
    String,
    /// `any` / `interface{}`: a boxed `uint64`.
    Any,
    /// `error`: the generated `keyError` type.
    Error,
    UnsafePointer,
    /// `*T`, `T` in Go syntax; `zero_size` when `new(T)` may return one address for all.
    Pointer {
        elem: String,
        zero_size: bool,
    },
    /// Any channel type; values are `make(chan elem)`.
    Chan {
        elem: String,
    },
    /// `[len]elem`, `text` the whole array type.
    Array {
        text: String,
        len: u64,
        elem: Box<Key>,
    },
    EmptyStruct,
}

impl Key {
    /// The shape of the key type `text` (canonical Go syntax), or why values of it cannot be
    /// generated.
    pub(crate) fn parse(text: &str) -> Result<Key, String> {
        let t = text.trim();
        if let Some(inner) = t.strip_prefix('(').and_then(|s| s.strip_suffix(')')) {
            return Key::parse(inner);
        }
        let int = |bits: u32| Ok(Key::Int(t.to_string(), bits));
        match t {
            "bool" => return Ok(Key::Bool),
            "int8" | "uint8" | "byte" => return int(8),
            "int16" | "uint16" => return int(16),
            "int32" | "uint32" | "rune" => return int(32),
            "int" | "int64" | "uint" | "uint64" | "uintptr" => return int(64),
            "float32" => return Ok(Key::Float32),
            "float64" => return Ok(Key::Float64),
            "complex64" => return Ok(Key::Complex64),
            "complex128" => return Ok(Key::Complex128),
            "string" => return Ok(Key::String),
            "any" | "interface{}" => return Ok(Key::Any),
            "error" => return Ok(Key::Error),
            "unsafe.Pointer" => return Ok(Key::UnsafePointer),
            "struct{}" => return Ok(Key::EmptyStruct),
            _ => {}
        }
        if let Some(elem) = t.strip_prefix('*') {
            let size = GoType::parse(elem).map(|g| g.size()).unwrap_or(1);
            return Ok(Key::Pointer {
                elem: elem.to_string(),
                zero_size: size == 0,
            });
        }
        for prefix in ["chan<- ", "<-chan ", "chan "] {
            if let Some(elem) = t.strip_prefix(prefix) {
                return Ok(Key::Chan {
                    elem: elem.to_string(),
                });
            }
        }
        if let Some(rest) = t.strip_prefix('[')
            && let Some((len, elem)) = rest.split_once(']')
            && let Ok(len) = len.parse::<u64>()
        {
            return Ok(Key::Array {
                text: t.to_string(),
                len,
                elem: Box::new(Key::parse(elem)?),
            });
        }
        Err(format!(
            "export-go cannot make values of the key type {t}: use a basic type, string, \
             any, error, a pointer, a channel, [N]T or struct{{}}"
        ))
    }

    /// How many distinct values the generator yields: `None` for at least 2^64, as many as
    /// the simulator could ever insert.
    pub(crate) fn distinct(&self) -> Option<u64> {
        match self {
            Key::Bool => Some(2),
            Key::Int(_, bits) => 1u64.checked_shl(*bits).filter(|_| *bits < 64),
            // Integers convert exactly up to the mantissa's width.
            Key::Float32 => Some(1 << 24),
            Key::Float64 => Some(1 << 53),
            Key::Complex64 => Some(1 << 48),
            Key::Complex128
            | Key::String
            | Key::Any
            | Key::Error
            | Key::UnsafePointer
            | Key::Chan { .. } => None,
            Key::Pointer { zero_size, .. } => zero_size.then_some(1),
            Key::EmptyStruct => Some(1),
            Key::Array { len, elem, .. } => match elem.distinct() {
                _ if *len == 0 => Some(1),
                Some(1) => Some(1),
                Some(c) => u32::try_from(*len).ok().and_then(|n| c.checked_pow(n)),
                None => None,
            },
        }
    }

    /// A Go expression of this type from `i`, a `uint64` below [`Key::distinct`]. `depth`
    /// keeps the names of nested array generators apart.
    pub(crate) fn expr(&self, i: &str, depth: usize) -> String {
        match self {
            Key::Bool => format!("{i} == 1"),
            Key::Int(name, _) => format!("{name}({i})"),
            Key::Float32 => format!("float32({i})"),
            Key::Float64 => format!("float64({i})"),
            Key::Complex64 => format!("complex(float32({i}%(1<<24)), float32({i}>>24))"),
            Key::Complex128 => format!("complex(float64({i}%(1<<53)), float64({i}>>53))"),
            Key::String => format!("\"k\" + strconv.FormatUint({i}, 10)"),
            Key::Any => i.to_string(),
            Key::Error => format!("keyError({i})"),
            Key::UnsafePointer => "unsafe.Pointer(new(uint64))".to_string(),
            Key::Pointer { elem, .. } => format!("new({elem})"),
            Key::Chan { elem } => format!("make(chan {elem})"),
            Key::EmptyStruct => "struct{}{}".to_string(),
            Key::Array { text, .. } => match self.array_body(&format!("i{depth}"), depth) {
                None => format!("{text}{{}}"),
                Some(body) => {
                    let body: Vec<String> = body.iter().map(Stmt::inline).collect();
                    let body = body.join("; ");
                    format!("func(i{depth} uint64) (k{depth} {text}) {{ {body} }}({i})")
                }
            },
        }
    }

    /// The statements of an array generator that fills `k{depth}` from `i` and returns it;
    /// `None` when every key is the zero array.
    fn array_body(&self, i: &str, depth: usize) -> Option<Vec<Stmt>> {
        let Key::Array { len, elem, .. } = self else {
            return None;
        };
        let k = format!("k{depth}");
        let ret = Stmt::Line(format!("return {k}"));
        match elem.distinct() {
            _ if *len == 0 => None,
            Some(1) => None,
            None => Some(vec![
                Stmt::Line(format!("{k}[0] = {}", elem.expr(i, depth + 1))),
                ret,
            ]),
            // The key number in base c, one digit per element.
            Some(c) => {
                let (j, d) = (format!("j{depth}"), format!("d{depth}"));
                let body = vec![
                    format!("{d} := {i} % {c}"),
                    format!("{i} /= {c}"),
                    format!("{k}[{j}] = {}", elem.expr(&d, depth + 1)),
                ];
                Some(vec![Stmt::For(format!("for {j} := range {k}"), body), ret])
            }
        }
    }

    /// The Go function `name(i uint64) K` that makes fresh key number `i`.
    pub(crate) fn func(&self, name: &str, text: &str) -> String {
        let doc =
            format!("// {name} makes fresh key number i: distinct numbers give distinct keys.\n");
        if let Some(body) = self.array_body("i", 0) {
            let lines: Vec<String> = body.iter().map(|s| s.block("\t")).collect();
            return format!(
                "{doc}func {name}(i uint64) (k0 {text}) {{\n{}}}\n",
                lines.concat()
            );
        }
        format!(
            "{doc}func {name}(i uint64) {text} {{\n\treturn {}\n}}\n",
            self.expr("i", 0)
        )
    }

    /// Whether the expression uses `strconv` / the `keyError` type.
    pub(crate) fn uses(&self, what: Uses) -> bool {
        match self {
            Key::String => what == Uses::Strconv,
            // keyError's Error method formats with strconv.
            Key::Error => true,
            Key::Array { elem, .. } => self.distinct() != Some(1) && elem.uses(what),
            _ => false,
        }
    }
}

/// Support a key generator may need.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Uses {
    Strconv,
    KeyError,
}

/// A statement of a generated array generator.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Stmt {
    Line(String),
    /// `header { body }`.
    For(String, Vec<String>),
}

impl Stmt {
    /// On one line, inside a function literal.
    fn inline(&self) -> String {
        match self {
            Stmt::Line(s) => s.clone(),
            Stmt::For(head, body) => format!("{head} {{ {} }}", body.join("; ")),
        }
    }

    /// As lines indented by `indent`, each ending in a newline.
    fn block(&self, indent: &str) -> String {
        match self {
            Stmt::Line(s) => format!("{indent}{s}\n"),
            Stmt::For(head, body) => {
                let inner: String = body.iter().map(|s| format!("{indent}\t{s}\n")).collect();
                format!("{indent}{head} {{\n{inner}{indent}}}\n")
            }
        }
    }
}
