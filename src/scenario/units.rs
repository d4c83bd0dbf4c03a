//! Quantities with units as scenario files write them: sizes (`"64MiB"`), durations
//! (`"250us"`), rates (`"200MiB/s"`), and the GOGC / GOMEMLIMIT knobs.
//!
//! Sizes accept the 1024-based suffixes of Go's GOMEMLIMIT (`B`, `KiB`, `MiB`, `GiB`, `TiB`)
//! and, unlike Go, also the 1000-based `KB`, `MB`, `GB`, `TB`. Decimals are allowed when the
//! result is exact (`"1.5GiB"`, `"12.5ns"`). Every value serializes to a canonical string
//! that parses back to the same value.

use std::fmt;
use std::str::FromStr;

mod serde_impls;
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

/// How often something happens (`"100000/s"`, `"2.5/ms"`), stored as events per 10^6 s
/// (micro-hertz) so that decimal rates are exact.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Frequency {
    micro_hz: u64,
}

impl Frequency {
    /// `n` events per second (saturating).
    pub const fn from_per_s(n: u64) -> Frequency {
        Frequency {
            micro_hz: n.saturating_mul(1_000_000),
        }
    }

    /// Events per second.
    pub fn per_s(&self) -> f64 {
        self.micro_hz as f64 / 1e6
    }

    /// Events per 10^6 seconds.
    pub const fn micro_hz(&self) -> u64 {
        self.micro_hz
    }
}

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
    /// No bytes.
    pub const ZERO: Bytes = Bytes(0);
}

impl Dur {
    /// No time.
    pub const ZERO: Dur = Dur { ps: 0 };

    /// A duration of `ps` picoseconds.
    pub const fn from_ps(ps: u64) -> Dur {
        Dur { ps }
    }

    /// Nanoseconds to a duration, saturating at the largest representable one (~213 days).
    pub const fn from_ns(ns: u64) -> Dur {
        Dur {
            ps: ns.saturating_mul(PS_PER_NS),
        }
    }

    /// The duration in picoseconds.
    pub const fn as_ps(&self) -> u64 {
        self.ps
    }

    /// The duration in nanoseconds, fractions kept.
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

/// Per-unit multipliers of a frequency, to micro-hertz.
const FREQ_UNITS: [(&str, u64); 4] = [
    ("/s", 1_000_000),
    ("/ms", 1_000_000_000),
    ("/us", 1_000_000_000_000),
    ("/µs", 1_000_000_000_000),
];

fn freq_error(text: &str) -> String {
    format!(
        "invalid rate {text:?}: expected events per unit of time such as \"100000/s\" (units: /s, /ms, /us)"
    )
}

/// Parses a frequency such as `"100000/s"` or `"2.5/ms"` to micro-hertz.
pub(crate) fn parse_freq(text: &str) -> Result<u64, String> {
    let t = text.trim();
    if t.starts_with('-') {
        return Err(format!("invalid rate {text:?}: rates cannot be negative"));
    }
    let (num, unit) = split_number(t);
    let unit = unit.trim_start();
    if num.is_empty() {
        return Err(freq_error(text));
    }
    let Some(&(_, mult)) = FREQ_UNITS.iter().find(|(u, _)| *u == unit) else {
        return Err(freq_error(text));
    };
    decimal_times(num, mult).map_err(|e| match e {
        NumError::Syntax => freq_error(text),
        NumError::Fraction => format!("invalid rate {text:?}: finer than one event per 10^6 s"),
        NumError::TooLarge => format!("invalid rate {text:?}: too large"),
    })
}

/// The canonical text of a frequency: per second, with as many decimals as it needs.
fn format_freq(micro_hz: u64) -> String {
    let (int, frac) = (micro_hz / 1_000_000, micro_hz % 1_000_000);
    if frac == 0 {
        return format!("{int}/s");
    }
    let digits = format!("{frac:06}");
    format!("{int}.{}/s", digits.trim_end_matches('0'))
}

impl fmt::Display for Frequency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&format_freq(self.micro_hz))
    }
}

impl FromStr for Frequency {
    type Err = String;
    fn from_str(s: &str) -> Result<Frequency, String> {
        parse_freq(s).map(|micro_hz| Frequency { micro_hz })
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
