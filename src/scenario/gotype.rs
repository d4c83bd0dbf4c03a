//! Go types written in Go syntax (`"int64"`, `"[32]byte"`, `"map[string][]int"`), with the
//! size, alignment, pointer-ness and comparability that Go gives them on amd64.
//!
//! Map keys and elements need these to lay out buckets exactly as the runtime does; sizes
//! equal `unsafe.Sizeof` on amd64.

use std::fmt;
use std::str::FromStr;

use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize, Serializer};

mod parse;
#[cfg(test)]
mod tests;

/// A Go type and its amd64 layout.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct GoType {
    text: String,
    size: u64,
    align: u64,
    pointers: bool,
    comparable: bool,
}

/// The type forms accepted, for error messages.
pub(crate) const ALLOWED_TYPES: &str = "bool, int, int8, int16, int32, int64, uint, uint8, \
    uint16, uint32, uint64, uintptr, byte, rune, float32, float64, complex64, complex128, \
    string, any, error, unsafe.Pointer, [N]T, []T, *T, map[K]V, chan T, func(...), \
    interface{}, struct{}";

/// The largest size a Go type may have on amd64, exclusive: `MaxWidth`, which
/// cmd/compile/internal/gc/main.go sets from `arch.MAXWIDTH = 1 << 50`
/// (cmd/compile/internal/amd64/galign.go). types/size.go refuses an array whose size
/// reaches it ("type %L larger than address space") and a struct whose fields reach it
/// ("type %L too large"). Every size here is below it, so sums and products of a few sizes
/// (a map bucket holds 8 keys and 8 elems) cannot overflow a `u64`.
pub const MAX_WIDTH: u64 = 1 << 50;

/// Go's error for a map key type that is not comparable, followed by the reason the Go
/// spec gives: `==` must be defined on map keys, so they cannot be slices, maps or funcs.
pub(crate) fn invalid_key_message(key: &str) -> String {
    format!(
        "invalid map key type {key} (map keys must be comparable: slices, maps and functions \
         are not)"
    )
}

impl GoType {
    /// Parses Go type syntax; whitespace between tokens is free. Struct types other than
    /// `struct{}` are refused with a suggestion of `[N]byte` of the same size, and so are
    /// types of [`MAX_WIDTH`] bytes or more, with the Go compiler's wording.
    pub fn parse(text: &str) -> Result<GoType, String> {
        GoType::parse_in(text, false)
    }

    /// Parses Go type syntax as [`GoType::parse`] does, struct types with fields included
    /// (laid out as cmd/compile/internal/types/size.go does): what a slice's element may be,
    /// since a slice needs only its element's size and pointers.
    pub fn parse_elem(text: &str) -> Result<GoType, String> {
        GoType::parse_in(text, true)
    }

    fn parse_in(text: &str, structs: bool) -> Result<GoType, String> {
        let l = parse::parse(text, structs)?;
        Ok(GoType {
            text: l.text,
            size: l.size,
            align: l.align,
            pointers: l.pointers,
            comparable: l.comparable,
        })
    }

    /// The type in canonical Go syntax (single spaces, as `go/types` prints it).
    pub fn text(&self) -> &str {
        &self.text
    }

    /// `unsafe.Sizeof` on amd64; always below [`MAX_WIDTH`].
    pub fn size(&self) -> u64 {
        self.size
    }

    /// `unsafe.Alignof` on amd64.
    pub fn align(&self) -> u64 {
        self.align
    }

    /// Whether values hold pointers the GC must scan.
    pub fn has_pointers(&self) -> bool {
        self.pointers
    }

    /// Whether `==` is defined, i.e. whether the type can be a map key.
    pub fn comparable(&self) -> bool {
        self.comparable
    }
}

impl fmt::Display for GoType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl FromStr for GoType {
    type Err = String;
    fn from_str(s: &str) -> Result<GoType, String> {
        GoType::parse(s)
    }
}

impl Serialize for GoType {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.text)
    }
}

struct GoTypeVisitor;

impl Visitor<'_> for GoTypeVisitor {
    type Value = GoType;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a Go type such as \"int64\" or \"[32]byte\"")
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<GoType, E> {
        GoType::parse(v).map_err(E::custom)
    }
}

impl<'de> Deserialize<'de> for GoType {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<GoType, D::Error> {
        d.deserialize_str(GoTypeVisitor)
    }
}

/// A slice's element type: any Go type, structs with fields included
/// ([`GoType::parse_elem`]).
pub(crate) fn elem_type<'de, D: Deserializer<'de>>(d: D) -> Result<GoType, D::Error> {
    struct Elem;
    impl Visitor<'_> for Elem {
        type Value = GoType;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a Go type such as \"int64\" or \"struct{ p *int; n int64 }\"")
        }
        fn visit_str<E: de::Error>(self, v: &str) -> Result<GoType, E> {
            GoType::parse_elem(v).map_err(E::custom)
        }
    }
    d.deserialize_str(Elem)
}
