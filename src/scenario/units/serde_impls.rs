//! Serde for the unit types and the GOGC / GOMEMLIMIT knobs: strings with units in, the
//! canonical strings out; bare numbers only where they are unambiguous (bytes, GOGC).

use std::fmt;

use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize, Serializer};

use super::super::types::{Gogc, MemLimit};
use super::{
    Bytes, DUR_UNITS_TEXT, Dur, Frequency, Rate, SIZE_UNITS_TEXT, parse_dur, parse_rate, parse_size,
};

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
serialize_as_string!(Bytes, Dur, Rate, Frequency);

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

struct FrequencyVisitor;

impl Visitor<'_> for FrequencyVisitor {
    type Value = Frequency;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a rate such as \"100000/s\"")
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Frequency, E> {
        v.parse().map_err(E::custom)
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Frequency, E> {
        Err(E::custom(format!(
            "a rate needs a unit: write \"{v}/s\" rather than {v} (units: /s, /ms, /us)"
        )))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Frequency, E> {
        self.visit_i64(i64::try_from(v).unwrap_or(i64::MAX))
    }
}

impl<'de> Deserialize<'de> for Frequency {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Frequency, D::Error> {
        d.deserialize_any(FrequencyVisitor)
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
