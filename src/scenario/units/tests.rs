//! Unit parsing: every suffix, decimals, canonical output, and refusals.

use serde::{Deserialize, Serialize};

use super::*;
use crate::scenario::types::{Gogc, MemLimit};

#[derive(Debug, Deserialize, Serialize, PartialEq)]
struct Holder<T> {
    v: T,
}

/// Deserializes `v = <toml>` and returns the value or the error message.
fn from_toml<T: for<'de> Deserialize<'de>>(value: &str) -> Result<T, String> {
    toml::from_str::<Holder<T>>(&format!("v = {value}"))
        .map(|h| h.v)
        .map_err(|e| e.message().to_string())
}

fn to_toml<T: Serialize>(v: T) -> String {
    toml::to_string(&Holder { v }).unwrap().trim().to_string()
}

#[test]
fn every_size_suffix() {
    let cases = [
        ("100B", 100),
        ("4KiB", 4 << 10),
        ("64MiB", 64 << 20),
        ("1GiB", 1 << 30),
        ("1TiB", 1 << 40),
        ("4KB", 4_000),
        ("64MB", 64_000_000),
        ("1GB", 1_000_000_000),
        ("2TB", 2_000_000_000_000),
        ("0B", 0),
        ("64 MiB", 64 << 20),
    ];
    for (text, want) in cases {
        assert_eq!(parse_size(text), Ok(want), "{text}");
    }
}

#[test]
fn size_decimals_must_be_whole_bytes() {
    assert_eq!(parse_size("1.5GiB"), Ok(3 << 29));
    assert_eq!(parse_size("0.5KiB"), Ok(512));
    assert_eq!(parse_size("2.50KB"), Ok(2_500));
    assert_eq!(parse_size(".5KiB"), Ok(512));
    assert_eq!(
        parse_size("0.3B"),
        Err("invalid size \"0.3B\": not a whole number of bytes".to_string())
    );
    assert!(parse_size("1.0001KiB").is_err());
}

#[test]
fn size_rejections_name_the_units() {
    let units = "(units: B, KB, MB, GB, TB, KiB, MiB, GiB, TiB)";
    assert_eq!(
        parse_size("4XB"),
        Err(format!(
            "invalid size \"4XB\": expected a size such as \"64MiB\" {units}"
        ))
    );
    for bad in ["", "MiB", "4mib", "1.2.3MiB", "4 K iB", "1e3B", "+4KiB"] {
        let e = parse_size(bad).unwrap_err();
        assert!(e.ends_with(units), "{bad:?}: {e}");
    }
    assert!(parse_size("64").unwrap_err().contains("needs a unit"));
    assert!(
        parse_size("-1KiB")
            .unwrap_err()
            .contains("cannot be negative")
    );
    assert!(parse_size("16777216TiB").unwrap_err().contains("too large"));
    assert_eq!(parse_size("16777215TiB"), Ok(16_777_215u64 << 40));
}

#[test]
fn sizes_from_toml_integers_and_strings() {
    assert_eq!(from_toml::<Bytes>("4096"), Ok(Bytes(4096)));
    assert_eq!(from_toml::<Bytes>("\"4KiB\""), Ok(Bytes(4096)));
    assert!(
        from_toml::<Bytes>("-1")
            .unwrap_err()
            .contains("cannot be negative")
    );
    assert!(
        from_toml::<Bytes>("1.5")
            .unwrap_err()
            .contains("whole number of bytes")
    );
    assert!(from_toml::<Bytes>("true").is_err());
}

#[test]
fn sizes_serialize_canonically_and_round_trip() {
    let cases = [
        (0, "0B"),
        (100, "100B"),
        (4096, "4KiB"),
        (64 << 20, "64MiB"),
        (3 << 29, "1536MiB"),
        (1 << 40, "1TiB"),
        (4_000, "4KB"),
        (1_000_000_000, "1GB"),
        (1_000_001, "1000001B"),
        (u64::MAX, "18446744073709551615B"),
    ];
    for (bytes, text) in cases {
        assert_eq!(Bytes(bytes).to_string(), text);
        assert_eq!(to_toml(Bytes(bytes)), format!("v = \"{text}\""));
        assert_eq!(text.parse::<Bytes>(), Ok(Bytes(bytes)));
    }
}

#[test]
fn every_duration_suffix() {
    let cases = [
        ("250ps", 250),
        ("12.5ns", 12_500),
        ("250us", 250_000_000),
        ("250µs", 250_000_000),
        ("250μs", 250_000_000),
        ("1ms", 1_000_000_000),
        ("2s", 2_000_000_000_000),
        ("1m", 60_000_000_000_000),
        ("1h", 3_600_000_000_000_000),
        ("1.5s", 1_500_000_000_000),
        ("1h30m", 5_400_000_000_000_000),
        ("0s", 0),
    ];
    for (text, ps) in cases {
        assert_eq!(parse_dur(text), Ok(ps), "{text}");
    }
}

#[test]
fn duration_rejections() {
    let units = "(units: ps, ns, us, µs, ms, s, m, h)";
    assert_eq!(
        parse_dur("5xs"),
        Err(format!(
            "invalid duration \"5xs\": expected a duration such as \"250us\" {units}"
        ))
    );
    assert_eq!(
        parse_dur("0.5ps"),
        Err("invalid duration \"0.5ps\": not a whole number of picoseconds".to_string())
    );
    assert!(
        parse_dur("20")
            .unwrap_err()
            .contains("needs a unit, e.g. \"20ns\"")
    );
    assert!(parse_dur("-1s").unwrap_err().contains("cannot be negative"));
    assert!(parse_dur("6000h").unwrap_err().contains("too long"));
    assert!(parse_dur("5000h").is_ok());
    assert!(parse_dur("5000h5000h").unwrap_err().contains("too long"));
    for bad in ["", "ns", "1s2", "1..2s", "1NS"] {
        assert!(parse_dur(bad).is_err(), "{bad:?}");
    }
}

#[test]
fn bare_integer_duration_says_which_unit_to_add() {
    let e = from_toml::<Dur>("20").unwrap_err();
    assert_eq!(
        e,
        "a duration needs a unit: write \"20ns\", \"20us\" or \"20ms\" rather than 20 \
         (units: ps, ns, us, µs, ms, s, m, h)"
    );
    assert_eq!(from_toml::<Dur>("\"20ns\""), Ok(Dur::from_ns(20)));
}

#[test]
fn durations_serialize_canonically_and_round_trip() {
    let cases = [
        (0, "0s"),
        (250, "250ps"),
        (12_500, "12500ps"),
        (20_000, "20ns"),
        (250_000_000, "250us"),
        (1_500_000_000_000, "1500ms"),
        (60_000_000_000_000, "1m"),
        (90_000_000_000_000, "90s"),
        (7_200_000_000_000_000, "2h"),
        (u64::MAX, "18446744073709551615ps"),
    ];
    for (ps, text) in cases {
        let d = Dur::from_ps(ps);
        assert_eq!(d.to_string(), text);
        assert_eq!(to_toml(d), format!("v = \"{text}\""));
        assert_eq!(from_toml::<Dur>(&format!("\"{text}\"")), Ok(d));
    }
}

#[test]
fn duration_accessors() {
    let d = Dur::from_ns(20);
    assert_eq!(d.as_ps(), 20_000);
    assert_eq!(d.as_ns_f64(), 20.0);
    assert_eq!(Dur::from_ps(12_500).as_ns_f64(), 12.5);
    assert_eq!(Dur::from_ns(u64::MAX).as_ps(), u64::MAX);
}

#[test]
fn rates() {
    assert_eq!(parse_rate("200MiB/s"), Ok(200 << 20));
    assert_eq!(parse_rate("1GB/s"), Ok(1_000_000_000));
    assert_eq!(Rate(200 << 20).to_string(), "200MiB/s");
    assert_eq!(from_toml::<Rate>("\"1.5KiB/s\""), Ok(Rate(1536)));
    assert_eq!(
        parse_rate("200MiB"),
        Err("invalid rate \"200MiB\": a rate is per second, write \"200MiB/s\"".to_string())
    );
    assert!(
        parse_rate("200XB/s")
            .unwrap_err()
            .contains("such as \"200MiB/s\"")
    );
    assert!(
        from_toml::<Rate>("100")
            .unwrap_err()
            .contains("needs a unit")
    );
}

#[test]
fn gogc_values() {
    assert_eq!(from_toml::<Gogc>("100"), Ok(Gogc::Percent(100)));
    assert_eq!(from_toml::<Gogc>("0"), Ok(Gogc::Percent(0)));
    assert_eq!(from_toml::<Gogc>("\"off\""), Ok(Gogc::Off));
    assert_eq!(from_toml::<Gogc>("\"50\""), Ok(Gogc::Percent(50)));
    assert_eq!(
        from_toml::<Gogc>("-1"),
        Err("GOGC must be >= 0 or \"off\", got -1".to_string())
    );
    assert_eq!(
        from_toml::<Gogc>("\"abc\""),
        Err("GOGC must be >= 0 or \"off\", got \"abc\"".to_string())
    );
    assert!(
        from_toml::<Gogc>("5000000000")
            .unwrap_err()
            .contains("too large")
    );
    assert_eq!(to_toml(Gogc::Off), "v = \"off\"");
    assert_eq!(to_toml(Gogc::Percent(50)), "v = 50");
}

#[test]
fn gomemlimit_values() {
    assert_eq!(from_toml::<MemLimit>("\"off\""), Ok(MemLimit::Off));
    assert_eq!(
        from_toml::<MemLimit>("\"512MiB\""),
        Ok(MemLimit::Limit(Bytes(512 << 20)))
    );
    assert_eq!(
        from_toml::<MemLimit>("1024"),
        Ok(MemLimit::Limit(Bytes(1024)))
    );
    assert_eq!(
        from_toml::<MemLimit>("\"of\""),
        Err(
            "invalid GOMEMLIMIT \"of\": expected \"off\" or a size such as \"512MiB\" \
             (units: B, KB, MB, GB, TB, KiB, MiB, GiB, TiB)"
                .to_string()
        )
    );
    assert_eq!(to_toml(MemLimit::Off), "v = \"off\"");
    assert_eq!(to_toml(MemLimit::Limit(Bytes(1 << 30))), "v = \"1GiB\"");
}
