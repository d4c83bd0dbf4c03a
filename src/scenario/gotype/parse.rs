//! Recursive-descent parser for Go type syntax, computing the amd64 layout as it goes
//! (sizes and alignments as in cmd/compile/internal/types/size.go, with its size limit).

use super::{ALLOWED_TYPES, MAX_WIDTH, invalid_key_message};

mod structs;

/// A parsed type: canonical text and layout. `bad_struct` records the first struct type other
/// than `struct{}` met (its text and size), which is refused once the whole type is read.
pub(super) struct Layout {
    pub(super) text: String,
    pub(super) size: u64,
    pub(super) align: u64,
    pub(super) pointers: bool,
    pub(super) comparable: bool,
    bad_struct: Option<(String, u64, bool)>,
}

impl Layout {
    fn basic(text: &str, size: u64, align: u64, pointers: bool, comparable: bool) -> Layout {
        Layout {
            text: text.to_string(),
            size,
            align,
            pointers,
            comparable,
            bad_struct: None,
        }
    }

    /// A one-word pointer-shaped type: pointer, map, chan or func.
    fn word(text: String, comparable: bool, bad_struct: Option<(String, u64, bool)>) -> Layout {
        Layout {
            text,
            size: 8,
            align: 8,
            pointers: true,
            comparable,
            bad_struct,
        }
    }
}

/// name, size, align, has pointers; every predeclared type is comparable.
const PREDECLARED: [(&str, u64, u64, bool); 22] = [
    ("bool", 1, 1, false),
    ("int", 8, 8, false),
    ("int8", 1, 1, false),
    ("int16", 2, 2, false),
    ("int32", 4, 4, false),
    ("int64", 8, 8, false),
    ("uint", 8, 8, false),
    ("uint8", 1, 1, false),
    ("uint16", 2, 2, false),
    ("uint32", 4, 4, false),
    ("uint64", 8, 8, false),
    ("uintptr", 8, 8, false),
    ("byte", 1, 1, false),
    ("rune", 4, 4, false),
    ("float32", 4, 4, false),
    ("float64", 8, 8, false),
    ("complex64", 8, 4, false),
    ("complex128", 16, 8, false),
    ("string", 16, 8, true),
    ("any", 16, 8, true),
    ("error", 16, 8, true),
    ("unsafe.Pointer", 8, 8, true),
];

const KEYWORDS: [&str; 5] = ["map", "chan", "func", "struct", "interface"];

/// Parses `src` as one Go type; struct types other than `struct{}` are refused unless
/// `structs`.
pub(super) fn parse(src: &str, structs: bool) -> Result<Layout, String> {
    let mut p = Parser {
        src,
        chars: src.chars().collect(),
        pos: 0,
        depth: 0,
    };
    p.ws();
    let t = p.ty()?;
    p.ws();
    if p.pos < p.chars.len() {
        return Err(p.err("unexpected text after the type"));
    }
    if let Some((text, size, comparable)) = t.bad_struct.clone().filter(|_| !structs) {
        // A struct with a slice, map or func field has no `==`: [N]byte, which has one,
        // would make a map key of what Go refuses as one.
        if !comparable {
            return Err(format!(
                "struct types other than struct{{}} are not supported, and {text} is not \
                 comparable (a slice, map or func field), so it cannot be a map key: as a map \
                 element, replace it by [{size}]byte, which has the same size"
            ));
        }
        return Err(format!(
            "struct types other than struct{{}} are not supported: replace {text} by \
             [{size}]byte, which has the same size"
        ));
    }
    Ok(t)
}

struct Parser<'a> {
    src: &'a str,
    chars: Vec<char>,
    pos: usize,
    /// Current nesting of types, bounded so that no input can exhaust the stack.
    depth: usize,
}

/// Deeper nesting than any real Go type uses.
const MAX_DEPTH: usize = 100;

fn is_ident_start(c: char) -> bool {
    c.is_ascii_alphabetic() || c == '_'
}

fn is_ident_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

fn align_up(n: u64, align: u64) -> Option<u64> {
    let a = align.max(1);
    n.checked_add(a - 1).map(|v| v / a * a)
}

impl Parser<'_> {
    fn err(&self, msg: &str) -> String {
        format!("invalid Go type {:?}: {msg}", self.src)
    }

    fn peek(&self) -> Option<char> {
        self.chars.get(self.pos).copied()
    }

    fn peek_at(&self, ahead: usize) -> Option<char> {
        self.chars.get(self.pos + ahead).copied()
    }

    fn starts_with(&self, s: &str) -> bool {
        s.chars()
            .enumerate()
            .all(|(i, c)| self.peek_at(i) == Some(c))
    }

    /// Skips spaces, tabs and newlines.
    fn ws(&mut self) {
        while matches!(self.peek(), Some(' ' | '\t' | '\n' | '\r')) {
            self.pos += 1;
        }
    }

    /// Skips spaces and tabs only: a newline ends a struct field or a func signature.
    fn ws_inline(&mut self) {
        while matches!(self.peek(), Some(' ' | '\t')) {
            self.pos += 1;
        }
    }

    fn expect(&mut self, c: char, what: &str) -> Result<(), String> {
        self.ws();
        if self.peek() == Some(c) {
            self.pos += 1;
            Ok(())
        } else {
            Err(self.err(&format!("expected `{c}` {what}")))
        }
    }

    fn ident(&mut self) -> String {
        let start = self.pos;
        while self.peek().is_some_and(is_ident_char) {
            self.pos += 1;
        }
        self.chars[start..self.pos].iter().collect()
    }

    fn ty(&mut self) -> Result<Layout, String> {
        if self.depth >= MAX_DEPTH {
            return Err(self.err("the type is nested too deeply"));
        }
        self.depth += 1;
        let t = self.ty_inner();
        self.depth -= 1;
        t
    }

    fn ty_inner(&mut self) -> Result<Layout, String> {
        self.ws();
        match self.peek() {
            Some('[') => self.array_or_slice(),
            Some('*') => {
                self.pos += 1;
                let elem = self.ty()?;
                Ok(Layout::word(
                    format!("*{}", elem.text),
                    true,
                    elem.bad_struct,
                ))
            }
            Some('(') => {
                self.pos += 1;
                let mut inner = self.ty()?;
                self.expect(')', "to close the parenthesized type")?;
                inner.text = format!("({})", inner.text);
                Ok(inner)
            }
            Some('<') if self.starts_with("<-") => {
                self.pos += 2;
                self.ws();
                if self.ident() != "chan" {
                    return Err(self.err("expected `chan` after `<-`"));
                }
                let elem = self.ty()?;
                Ok(Layout::word(
                    format!("<-chan {}", elem.text),
                    true,
                    elem.bad_struct,
                ))
            }
            Some(c) if is_ident_start(c) => self.named(),
            Some(c) => Err(self.err(&format!("unexpected `{c}` where a type was expected"))),
            None => Err(self.err("a type is missing")),
        }
    }

    fn array_or_slice(&mut self) -> Result<Layout, String> {
        self.pos += 1;
        self.ws();
        if self.peek() == Some(']') {
            self.pos += 1;
            let elem = self.ty()?;
            let mut l = Layout::basic(&format!("[]{}", elem.text), 24, 8, true, false);
            l.bad_struct = elem.bad_struct;
            return Ok(l);
        }
        let start = self.pos;
        while self.peek().is_some_and(|c| c.is_ascii_digit()) {
            self.pos += 1;
        }
        let digits: String = self.chars[start..self.pos].iter().collect();
        if digits.is_empty() {
            return Err(self.err("an array length must be a decimal integer, as in [32]byte"));
        }
        if digits.len() > 1 && digits.starts_with('0') {
            return Err(self.err(&format!(
                "write the array length {digits} without leading zeros: Go reads it as octal"
            )));
        }
        // types2 (arrayLength): the length must be a non-negative constant of type int.
        let n = digits
            .parse::<i64>()
            .ok()
            .and_then(|n| u64::try_from(n).ok())
            .ok_or_else(|| format!("invalid array length {digits} (untyped int constant)"))?;
        self.expect(']', "after the array length")?;
        let elem = self.ty()?;
        let text = format!("[{n}]{}", elem.text);
        // types/size.go (CalcSize, TARRAY): n > (MaxWidth-1)/width, i.e. n*width >= MaxWidth.
        let size = n
            .checked_mul(elem.size)
            .filter(|&size| size < MAX_WIDTH)
            .ok_or_else(|| format!("type {text} larger than address space"))?;
        Ok(Layout {
            text,
            size,
            align: elem.align,
            pointers: n > 0 && elem.pointers,
            comparable: elem.comparable,
            bad_struct: elem.bad_struct,
        })
    }

    fn named(&mut self) -> Result<Layout, String> {
        let mut name = self.ident();
        if self.peek() == Some('.') && self.peek_at(1).is_some_and(is_ident_start) {
            self.pos += 1;
            name = format!("{name}.{}", self.ident());
        }
        match name.as_str() {
            "map" => self.map(),
            "chan" => {
                self.ws();
                if self.starts_with("<-") {
                    self.pos += 2;
                    let elem = self.ty()?;
                    return Ok(Layout::word(
                        format!("chan<- {}", elem.text),
                        true,
                        elem.bad_struct,
                    ));
                }
                let elem = self.ty()?;
                let text = if elem.text.starts_with("<-") {
                    format!("chan ({})", elem.text)
                } else {
                    format!("chan {}", elem.text)
                };
                Ok(Layout::word(text, true, elem.bad_struct))
            }
            "func" => {
                let sig = self.signature()?;
                Ok(Layout::word(format!("func{sig}"), false, None))
            }
            "interface" => self.interface(),
            "struct" => self.structure(),
            _ => match PREDECLARED.iter().find(|p| p.0 == name) {
                Some(&(n, size, align, pointers)) => {
                    Ok(Layout::basic(n, size, align, pointers, true))
                }
                None => Err(format!(
                    "{} (allowed: {ALLOWED_TYPES})",
                    self.err(&format!("unknown type `{name}`"))
                )),
            },
        }
    }

    fn map(&mut self) -> Result<Layout, String> {
        self.expect('[', "after `map`")?;
        let key = self.ty()?;
        self.expect(']', "after the map key type")?;
        let elem = self.ty()?;
        if !key.comparable {
            return Err(invalid_key_message(&key.text));
        }
        let text = format!("map[{}]{}", key.text, elem.text);
        Ok(Layout::word(
            text,
            false,
            key.bad_struct.or(elem.bad_struct),
        ))
    }

    /// `(params) results` after `func`, returned in canonical text.
    fn signature(&mut self) -> Result<String, String> {
        let params = self.params()?;
        self.ws_inline();
        match self.peek() {
            Some('(') => Ok(format!("{params} {}", self.params()?)),
            Some(c) if is_ident_start(c) || matches!(c, '[' | '*' | '<') => {
                let result = self.ty()?;
                Ok(format!("{params} {}", result.text))
            }
            _ => Ok(params),
        }
    }

    /// A parenthesized parameter list: types, `name Type`, `a, b Type`, `...T`.
    fn params(&mut self) -> Result<String, String> {
        self.expect('(', "to open the parameter list")?;
        let mut entries = Vec::new();
        let (mut lone_names, mut named) = (Vec::new(), false);
        loop {
            self.ws();
            if self.peek() == Some(')') {
                self.pos += 1;
                break;
            }
            entries.push(self.param(&mut lone_names, &mut named)?);
            self.ws();
            match self.peek() {
                Some(',') => self.pos += 1,
                Some(')') => {}
                _ => return Err(self.err("expected `,` or `)` in the parameter list")),
            }
        }
        if !named {
            if let Some(name) = lone_names.first() {
                return Err(format!(
                    "{} (allowed: {ALLOWED_TYPES})",
                    self.err(&format!("unknown type `{name}`"))
                ));
            }
        }
        Ok(format!("({})", entries.join(", ")))
    }

    fn param(&mut self, lone_names: &mut Vec<String>, named: &mut bool) -> Result<String, String> {
        if self.starts_with("...") {
            self.pos += 3;
            return Ok(format!("...{}", self.ty()?.text));
        }
        if !self.peek().is_some_and(is_ident_start) {
            return Ok(self.ty()?.text);
        }
        let start = self.pos;
        let name = self.ident();
        self.ws_inline();
        let next = self.peek();
        let keyword = KEYWORDS.contains(&name.as_str());
        let qualified = next == Some('.') && !self.starts_with("...");
        if keyword || qualified || matches!(next, Some(',' | ')') | None) {
            self.pos = start;
            match self.ty() {
                Ok(t) => return Ok(t.text),
                Err(e) if keyword || qualified => return Err(e),
                Err(_) => {
                    self.pos = start;
                    self.ident();
                    lone_names.push(name.clone());
                    return Ok(name);
                }
            }
        }
        *named = true;
        let t = if self.starts_with("...") {
            self.pos += 3;
            format!("...{}", self.ty()?.text)
        } else {
            self.ty()?.text
        };
        Ok(format!("{name} {t}"))
    }

    fn interface(&mut self) -> Result<Layout, String> {
        self.expect('{', "after `interface`")?;
        let body = self.balanced_body("interface")?;
        let text = if body.is_empty() {
            "interface{}".to_string()
        } else {
            format!("interface{{ {body} }}")
        };
        Ok(Layout::basic(&text, 16, 8, true, true))
    }

    /// The text up to the `}` matching an already consumed `{`, whitespace collapsed.
    fn balanced_body(&mut self, what: &str) -> Result<String, String> {
        let start = self.pos;
        let mut depth = 1usize;
        while let Some(c) = self.peek() {
            self.pos += 1;
            match c {
                '{' => depth += 1,
                '}' => {
                    depth -= 1;
                    if depth == 0 {
                        let raw: String = self.chars[start..self.pos - 1].iter().collect();
                        return Ok(raw.split_whitespace().collect::<Vec<_>>().join(" "));
                    }
                }
                _ => {}
            }
        }
        Err(self.err(&format!("missing `}}` to close the {what}")))
    }
}
