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

impl GoType {
    /// Parses Go type syntax; whitespace between tokens is free. Struct types other than
    /// `struct{}` are refused with a suggestion of `[N]byte` of the same size.
    pub fn parse(text: &str) -> Result<GoType, String> {
        let l = parse::parse(text)?;
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

    /// `unsafe.Sizeof` on amd64.
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
