//! Quantities with units as scenario files write them: sizes (`"64MiB"`), durations
//! (`"250us"`), rates (`"200MiB/s"`), and the GOGC / GOMEMLIMIT knobs.
//!
//! Sizes accept the 1024-based suffixes of Go's GOMEMLIMIT (`B`, `KiB`, `MiB`, `GiB`, `TiB`)
//! and, unlike Go, also the 1000-based `KB`, `MB`, `GB`, `TB`. Decimals are allowed when the
//! result is exact (`"1.5GiB"`, `"12.5ns"`). Every value serializes to a canonical string
//! that parses back to the same value.

use std::fmt;
use std::str::FromStr;

use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize, Serializer};

use super::types::{Gogc, MemLimit};

#[cfg(test)]
mod tests;

/// A number of bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Bytes(pub u64);

/// A span of virtual time, stored as integer picoseconds so that `"12.5ns"` is exact.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Dur {
    ps: u64,
}

/// A throughput in bytes per second.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Rate(pub u64);

const SIZE_UNITS: [(&str, u64); 9] = [
    ("B", 1),
    ("KB", 1_000),
    ("MB", 1_000_000),
    ("GB", 1_000_000_000),
    ("TB", 1_000_000_000_000),
    ("KiB", 1 << 10),
    ("MiB", 1 << 20),
    ("GiB", 1 << 30),
    ("TiB", 1 << 40),
];
const SIZE_UNITS_TEXT: &str = "B, KB, MB, GB, TB, KiB, MiB, GiB, TiB";

const PS_PER_NS: u64 = 1_000;
const DUR_UNITS: [(&str, u64); 9] = [
    ("ps", 1),
    ("ns", PS_PER_NS),
    ("us", 1_000_000),
    ("µs", 1_000_000), // U+00B5 MICRO SIGN
    ("μs", 1_000_000), // U+03BC GREEK SMALL LETTER MU
    ("ms", 1_000_000_000),
    ("s", 1_000_000_000_000),
    ("m", 60_000_000_000_000),
    ("h", 3_600_000_000_000_000),
];
const DUR_UNITS_TEXT: &str = "ps, ns, us, µs, ms, s, m, h";

impl Bytes {
    pub const ZERO: Bytes = Bytes(0);
}

impl Dur {
    pub const ZERO: Dur = Dur { ps: 0 };

    pub const fn from_ps(ps: u64) -> Dur {
        Dur { ps }
    }

    /// Nanoseconds to a duration, saturating at the largest representable one (~213 days).
    pub const fn from_ns(ns: u64) -> Dur {
        Dur {
            ps: ns.saturating_mul(PS_PER_NS),
        }
    }

    pub const fn as_ps(&self) -> u64 {
        self.ps
    }

    pub fn as_ns_f64(&self) -> f64 {
        self.ps as f64 / PS_PER_NS as f64
    }
}

/// Why a decimal number times a unit is not an acceptable integer.
enum NumError {
    Syntax,
    Fraction,
    TooLarge,
}

/// `num` (digits with at most one `.`) times `mult`, exactly, or why not.
fn decimal_times(num: &str, mult: u64) -> Result<u64, NumError> {
    let (int, frac) = num.split_once('.').unwrap_or((num, ""));
    let digits = |s: &str| s.chars().all(|c| c.is_ascii_digit());
    if (int.is_empty() && frac.is_empty()) || !digits(int) || !digits(frac) {
        return Err(NumError::Syntax);
    }
    let frac = frac.trim_end_matches('0');
    if frac.len() > 20 {
        return Err(NumError::Fraction);
    }
    let parse = |s: &str| -> Option<u128> {
        s.bytes().try_fold(0u128, |acc, b| {
            acc.checked_mul(10)?.checked_add(u128::from(b - b'0'))
        })
    };
    let int_val = parse(int).ok_or(NumError::TooLarge)?;
    let frac_val = parse(frac).ok_or(NumError::TooLarge)?;
    let whole = int_val
        .checked_mul(u128::from(mult))
        .ok_or(NumError::TooLarge)?;
    let denom = 10u128.pow(frac.len() as u32);
    let part = frac_val * u128::from(mult);
    if part % denom != 0 {
        return Err(NumError::Fraction);
    }
    let total = whole.checked_add(part / denom).ok_or(NumError::TooLarge)?;
    u64::try_from(total).map_err(|_| NumError::TooLarge)
}

/// Splits `"12.5ns..."` into the leading number and the rest.
fn split_number(text: &str) -> (&str, &str) {
    let end = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(text.len());
    text.split_at(end)
}

fn size_error(text: &str) -> String {
    format!("invalid size {text:?}: expected a size such as \"64MiB\" (units: {SIZE_UNITS_TEXT})")
}

/// Parses a size such as `"64MiB"` or `"1.5GB"` to bytes.
pub(crate) fn parse_size(text: &str) -> Result<u64, String> {
    let t = text.trim();
    if t.starts_with('-') {
        return Err(format!("invalid size {text:?}: sizes cannot be negative"));
    }
    let (num, unit) = split_number(t);
    let unit = unit.trim_start();
    if num.is_empty() {
        return Err(size_error(text));
    }
    if unit.is_empty() {
        return Err(format!(
            "invalid size {text:?}: a size needs a unit, e.g. \"{num}B\" or \"{num}MiB\" \
             (units: {SIZE_UNITS_TEXT})"
        ));
    }
    let Some(&(_, mult)) = SIZE_UNITS.iter().find(|(u, _)| *u == unit) else {
        return Err(size_error(text));
    };
    decimal_times(num, mult).map_err(|e| match e {
        NumError::Syntax => size_error(text),
        NumError::Fraction => format!("invalid size {text:?}: not a whole number of bytes"),
        NumError::TooLarge => format!("invalid size {text:?}: too large (at most 2^64-1 bytes)"),
    })
}

/// The canonical text of a size: the largest unit that divides it exactly.
fn format_size(bytes: u64) -> String {
    if bytes == 0 {
        return "0B".to_string();
    }
    let binary = SIZE_UNITS[5..].iter().rev();
    let decimal = SIZE_UNITS[1..5].iter().rev();
    for &(unit, mult) in binary.chain(decimal) {
        if bytes % mult == 0 {
            return format!("{}{unit}", bytes / mult);
        }
    }
    format!("{bytes}B")
}

fn dur_error(text: &str) -> String {
    format!(
        "invalid duration {text:?}: expected a duration such as \"250us\" (units: {DUR_UNITS_TEXT})"
    )
}

/// Parses a duration such as `"250us"`, `"12.5ns"` or `"1h30m"` to picoseconds.
pub(crate) fn parse_dur(text: &str) -> Result<u64, String> {
    let t = text.trim();
    if t.starts_with('-') {
        return Err(format!(
            "invalid duration {text:?}: durations cannot be negative"
        ));
    }
    if t.is_empty() {
        return Err(dur_error(text));
    }
    let mut rest = t;
    let mut total: u64 = 0;
    while !rest.is_empty() {
        let (num, after) = split_number(rest);
        let unit_end = after
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(after.len());
        let unit = after[..unit_end].trim();
        if num.is_empty() {
            return Err(dur_error(text));
        }
        if unit.is_empty() {
            if rest.len() == t.len() {
                return Err(format!(
                    "invalid duration {text:?}: a duration needs a unit, e.g. \"{num}ns\" \
                     (units: {DUR_UNITS_TEXT})"
                ));
            }
            return Err(dur_error(text));
        }
        let Some(&(_, mult)) = DUR_UNITS.iter().find(|(u, _)| *u == unit) else {
            return Err(dur_error(text));
        };
        let part = decimal_times(num, mult).map_err(|e| match e {
            NumError::Syntax => dur_error(text),
            NumError::Fraction => {
                format!("invalid duration {text:?}: not a whole number of picoseconds")
            }
            NumError::TooLarge => dur_too_long(text),
        })?;
        total = total.checked_add(part).ok_or_else(|| dur_too_long(text))?;
        rest = after[unit_end..].trim_start();
    }
    Ok(total)
}

fn dur_too_long(text: &str) -> String {
    format!("invalid duration {text:?}: too long (at most 2^64-1 ps, about 213 days)")
}

/// The canonical text of a duration: the largest unit that divides it exactly.
fn format_dur(ps: u64) -> String {
    if ps == 0 {
        return "0s".to_string();
    }
    let order = [8, 7, 6, 5, 2, 1]; // h, m, s, ms, us, ns
    for i in order {
        let (unit, mult) = DUR_UNITS[i];
        if ps % mult == 0 {
            return format!("{}{unit}", ps / mult);
        }
    }
    format!("{ps}ps")
}

fn rate_error(text: &str) -> String {
    format!(
        "invalid rate {text:?}: expected a rate such as \"200MiB/s\" (units: a size unit \
         followed by /s: {SIZE_UNITS_TEXT})"
    )
}

/// Parses a rate such as `"200MiB/s"` to bytes per second.
pub(crate) fn parse_rate(text: &str) -> Result<u64, String> {
    let t = text.trim();
    match t.strip_suffix("/s") {
        Some(size) => parse_size(size).map_err(|_| rate_error(text)),
        None if parse_size(t).is_ok() => Err(format!(
            "invalid rate {text:?}: a rate is per second, write \"{t}/s\""
        )),
        None => Err(rate_error(text)),
    }
}

impl fmt::Display for Bytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&format_size(self.0))
    }
}

impl fmt::Display for Dur {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&format_dur(self.ps))
    }
}

impl fmt::Display for Rate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/s", format_size(self.0))
    }
}

impl FromStr for Bytes {
    type Err = String;
    fn from_str(s: &str) -> Result<Bytes, String> {
        parse_size(s).map(Bytes)
    }
}

impl FromStr for Dur {
    type Err = String;
    fn from_str(s: &str) -> Result<Dur, String> {
        parse_dur(s).map(Dur::from_ps)
    }
}

impl FromStr for Rate {
    type Err = String;
    fn from_str(s: &str) -> Result<Rate, String> {
        parse_rate(s).map(Rate)
    }
}

/// Serializes a value as its canonical string.
macro_rules! serialize_as_string {
    ($($t:ty),*) => {$(
        impl Serialize for $t {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(&self.to_string())
            }
        }
    )*};
}
serialize_as_string!(Bytes, Dur, Rate);

struct BytesVisitor;

impl Visitor<'_> for BytesVisitor {
    type Value = Bytes;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a size such as \"64MiB\" or a whole number of bytes")
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Bytes, E> {
        parse_size(v).map(Bytes).map_err(E::custom)
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Bytes, E> {
        Ok(Bytes(v))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Bytes, E> {
        u64::try_from(v)
            .map(Bytes)
            .map_err(|_| E::custom(format!("invalid size {v}: sizes cannot be negative")))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Bytes, E> {
        Err(E::custom(format!(
            "invalid size {v}: a bare number is a whole number of bytes; otherwise write a \
             size such as \"64MiB\" (units: {SIZE_UNITS_TEXT})"
        )))
    }
}

impl<'de> Deserialize<'de> for Bytes {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Bytes, D::Error> {
        d.deserialize_any(BytesVisitor)
    }
}

struct DurVisitor;

impl DurVisitor {
    fn bare<E: de::Error>(shown: &str) -> E {
        E::custom(format!(
            "a duration needs a unit: write \"{shown}ns\", \"{shown}us\" or \"{shown}ms\" \
             rather than {shown} (units: {DUR_UNITS_TEXT})"
        ))
    }
}

impl Visitor<'_> for DurVisitor {
    type Value = Dur;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a duration such as \"250us\"")
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Dur, E> {
        parse_dur(v).map(Dur::from_ps).map_err(E::custom)
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Dur, E> {
        Err(Self::bare(&v.to_string()))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Dur, E> {
        Err(Self::bare(&v.to_string()))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Dur, E> {
        Err(Self::bare(&v.to_string()))
    }
}

impl<'de> Deserialize<'de> for Dur {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Dur, D::Error> {
        d.deserialize_any(DurVisitor)
    }
}

struct RateVisitor;

impl Visitor<'_> for RateVisitor {
    type Value = Rate;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a rate such as \"200MiB/s\"")
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Rate, E> {
        parse_rate(v).map(Rate).map_err(E::custom)
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Rate, E> {
        Err(E::custom(format!(
            "a rate needs a unit: write \"{v}B/s\" or \"{v}MiB/s\" rather than {v} \
             (units: a size unit followed by /s: {SIZE_UNITS_TEXT})"
        )))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Rate, E> {
        self.visit_i64(i64::try_from(v).unwrap_or(i64::MAX))
    }
}

impl<'de> Deserialize<'de> for Rate {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Rate, D::Error> {
        d.deserialize_any(RateVisitor)
    }
}

const GOGC_ERROR: &str = "GOGC must be >= 0 or \"off\"";

struct GogcVisitor;

impl Visitor<'_> for GogcVisitor {
    type Value = Gogc;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an integer >= 0 or \"off\"")
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Gogc, E> {
        if v < 0 {
            return Err(E::custom(format!("{GOGC_ERROR}, got {v}")));
        }
        u32::try_from(v)
            .map(Gogc::Percent)
            .map_err(|_| E::custom(format!("GOGC {v} is too large (at most {})", u32::MAX)))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Gogc, E> {
        u32::try_from(v)
            .map(Gogc::Percent)
            .map_err(|_| E::custom(format!("GOGC {v} is too large (at most {})", u32::MAX)))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Gogc, E> {
        let t = v.trim();
        if t == "off" {
            return Ok(Gogc::Off);
        }
        match t.parse::<i64>() {
            Ok(n) => self.visit_i64(n),
            Err(_) => Err(E::custom(format!("{GOGC_ERROR}, got {v:?}"))),
        }
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Gogc, E> {
        Err(E::custom(format!("{GOGC_ERROR} (a whole number), got {v}")))
    }
}

impl<'de> Deserialize<'de> for Gogc {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Gogc, D::Error> {
        d.deserialize_any(GogcVisitor)
    }
}

impl Serialize for Gogc {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Gogc::Off => s.serialize_str("off"),
            Gogc::Percent(p) => s.serialize_u32(*p),
        }
    }
}

struct MemLimitVisitor;

impl Visitor<'_> for MemLimitVisitor {
    type Value = MemLimit;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("\"off\" or a size such as \"512MiB\"")
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<MemLimit, E> {
        if v.trim() == "off" {
            return Ok(MemLimit::Off);
        }
        parse_size(v)
            .map(|b| MemLimit::Limit(Bytes(b)))
            .map_err(|_| {
                E::custom(format!(
                    "invalid GOMEMLIMIT {v:?}: expected \"off\" or a size such as \"512MiB\" \
                 (units: {SIZE_UNITS_TEXT})"
                ))
            })
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<MemLimit, E> {
        BytesVisitor.visit_u64(v).map(MemLimit::Limit)
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<MemLimit, E> {
        BytesVisitor.visit_i64(v).map(MemLimit::Limit)
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<MemLimit, E> {
        BytesVisitor.visit_f64(v).map(MemLimit::Limit)
    }
}

impl<'de> Deserialize<'de> for MemLimit {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<MemLimit, D::Error> {
        d.deserialize_any(MemLimitVisitor)
    }
}

impl Serialize for MemLimit {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            MemLimit::Off => s.serialize_str("off"),
            MemLimit::Limit(b) => b.serialize(s),
        }
    }
}
