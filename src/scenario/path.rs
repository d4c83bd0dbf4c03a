//! Field paths such as `goroutines[0].program[2].map`: how errors name a field and how
//! `--set` overrides address one.

use std::fmt;

use serde::{Deserialize, Serialize};

/// One step of a field path: a table key or an array index.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) enum Seg {
    Key(String),
    Index(usize),
}

/// A dotted field path with optional indices; the empty path is the document root.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub(crate) struct FieldPath(pub(crate) Vec<Seg>);

impl FieldPath {
    pub(crate) fn root() -> FieldPath {
        FieldPath(Vec::new())
    }

    pub(crate) fn segs(&self) -> &[Seg] {
        &self.0
    }

    pub(crate) fn is_root(&self) -> bool {
        self.0.is_empty()
    }

    /// This path with a key appended.
    pub(crate) fn key(&self, k: &str) -> FieldPath {
        let mut p = self.clone();
        p.0.push(Seg::Key(k.to_string()));
        p
    }

    /// This path with an index appended.
    pub(crate) fn index(&self, i: usize) -> FieldPath {
        let mut p = self.clone();
        p.0.push(Seg::Index(i));
        p
    }

    /// This path followed by `rest`.
    pub(crate) fn join(&self, rest: &FieldPath) -> FieldPath {
        let mut p = self.clone();
        p.0.extend(rest.0.iter().cloned());
        p
    }

    /// Whether `prefix` names this field or one of its parents.
    pub(crate) fn starts_with(&self, prefix: &FieldPath) -> bool {
        self.0.len() >= prefix.0.len() && self.0[..prefix.0.len()] == prefix.0[..]
    }

    /// Parses the override syntax: bare keys (`[A-Za-z0-9_-]+`) separated by dots, each
    /// optionally followed by `[N]` indices.
    pub(crate) fn parse(text: &str) -> Result<FieldPath, String> {
        let bad = |why: &str| {
            format!(
                "invalid field path `{text}`: {why}; expected keys separated by dots, each \
                 optionally followed by [N], e.g. goroutines[0].program[2].n"
            )
        };
        if text.is_empty() {
            return Err(bad("it is empty"));
        }
        let mut segs = Vec::new();
        for part in text.split('.') {
            let key_end = part.find('[').unwrap_or(part.len());
            let key = &part[..key_end];
            if key.is_empty() {
                return Err(bad("a key is empty"));
            }
            if !key.chars().all(is_bare_key_char) {
                return Err(bad(&format!("`{key}` is not a bare key")));
            }
            segs.push(Seg::Key(key.to_string()));
            let mut rest = &part[key_end..];
            while !rest.is_empty() {
                let Some(inner) = rest.strip_prefix('[') else {
                    return Err(bad("unexpected text after an index"));
                };
                let Some(close) = inner.find(']') else {
                    return Err(bad("an index has no closing `]`"));
                };
                let digits = &inner[..close];
                let index = if !digits.is_empty() && digits.chars().all(|c| c.is_ascii_digit()) {
                    digits.parse::<usize>().ok()
                } else {
                    None
                };
                let Some(index) = index else {
                    return Err(bad(&format!("`[{digits}]` is not an index")));
                };
                segs.push(Seg::Index(index));
                rest = &inner[close + 1..];
            }
        }
        Ok(FieldPath(segs))
    }
}

fn is_bare_key_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || c == '-'
}

impl fmt::Display for FieldPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, seg) in self.0.iter().enumerate() {
            match seg {
                Seg::Key(k) => {
                    if i > 0 {
                        f.write_str(".")?;
                    }
                    if !k.is_empty() && k.chars().all(is_bare_key_char) {
                        f.write_str(k)?;
                    } else {
                        write!(f, "{k:?}")?;
                    }
                }
                Seg::Index(n) => write!(f, "[{n}]")?,
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_and_display_round_trip() {
        for text in [
            "seed",
            "runtime.gogc",
            "maps[0].hint",
            "goroutines[0].program[2].n",
        ] {
            let p = FieldPath::parse(text).unwrap();
            assert_eq!(p.to_string(), text);
        }
        let p = FieldPath::parse("a[1][2].b").unwrap();
        assert_eq!(
            p.segs(),
            &[
                Seg::Key("a".into()),
                Seg::Index(1),
                Seg::Index(2),
                Seg::Key("b".into())
            ]
        );
    }

    #[test]
    fn parse_rejects_malformed_paths() {
        for text in [
            "", ".", "a..b", "a[", "a[x]", "a[1]b", "[0]", "a b", "a.", "a[-1]",
        ] {
            assert!(
                FieldPath::parse(text).is_err(),
                "{text:?} should be refused"
            );
        }
    }

    #[test]
    fn display_quotes_keys_that_are_not_bare() {
        let p = FieldPath::root().key("a b").index(3);
        assert_eq!(p.to_string(), "\"a b\"[3]");
    }

    #[test]
    fn prefix_relation() {
        let a = FieldPath::parse("goroutines[0].program[2].n").unwrap();
        assert!(a.starts_with(&FieldPath::parse("goroutines[0]").unwrap()));
        assert!(a.starts_with(&a));
        assert!(!a.starts_with(&FieldPath::parse("goroutines[1]").unwrap()));
    }
}
