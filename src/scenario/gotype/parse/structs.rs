//! Struct types: parsed and laid out (as cmd/compile/internal/types/size.go does) only to
//! refuse them with a `[N]byte` of the same size, since the map model takes flat types.

use super::{ALLOWED_TYPES, Layout, MAX_WIDTH, Parser, align_up, is_ident_start};

/// One struct field declaration: `a, b T` (names `"a, b"`, count 2) or embedded `T`.
struct FieldDecl {
    names: Option<String>,
    count: usize,
    ty: Layout,
}

impl Parser<'_> {
    pub(super) fn structure(&mut self) -> Result<Layout, String> {
        self.expect('{', "after `struct`")?;
        let Ok(fields) = self.fields() else {
            return Err(format!(
                "struct types other than struct{{}} are not supported: use [N]byte with N = \
                 unsafe.Sizeof of the struct (allowed: {ALLOWED_TYPES})"
            ));
        };
        if fields.is_empty() {
            return Ok(Layout::basic("struct{}", 0, 1, false, true));
        }
        let decls: Vec<String> = fields
            .iter()
            .map(|f| match &f.names {
                Some(n) => format!("{n} {}", f.ty.text),
                None => f.ty.text.clone(),
            })
            .collect();
        let text = format!("struct{{ {} }}", decls.join("; "));
        // types/size.go (calcStructOffset): the offset after each field must stay below
        // MaxWidth.
        let too_large = || format!("type {text} too large");
        let (mut off, mut align) = (0u64, 1u64);
        for f in &fields {
            for _ in 0..f.count {
                align = align.max(f.ty.align);
                off = align_up(off, f.ty.align)
                    .and_then(|o| o.checked_add(f.ty.size))
                    .filter(|&o| o < MAX_WIDTH)
                    .ok_or_else(too_large)?;
            }
        }
        // cmd/compile/internal/types/size.go: a non-zero-sized struct ending in a
        // zero-sized field gets one byte of padding (go.dev/issue/9401).
        if off > 0 && fields.last().is_some_and(|f| f.ty.size == 0) {
            off += 1;
        }
        let size = align_up(off, align).ok_or_else(too_large)?;
        let inner_bad = fields.iter().find_map(|f| f.ty.bad_struct.clone());
        let comparable = fields.iter().all(|f| f.ty.comparable);
        Ok(Layout {
            size,
            align,
            pointers: fields.iter().any(|f| f.ty.pointers),
            comparable,
            bad_struct: Some(inner_bad.unwrap_or((text.clone(), size, comparable))),
            text,
        })
    }

    /// Field declarations up to and including the closing `}`.
    fn fields(&mut self) -> Result<Vec<FieldDecl>, String> {
        let mut fields = Vec::new();
        loop {
            while matches!(self.peek(), Some(' ' | '\t' | '\n' | '\r' | ';')) {
                self.pos += 1;
            }
            match self.peek() {
                Some('}') => {
                    self.pos += 1;
                    return Ok(fields);
                }
                None => return Err(self.err("missing `}` to close the struct")),
                Some(c) if is_ident_start(c) => {
                    let start = self.pos;
                    let mut names = vec![self.ident()];
                    self.ws_inline();
                    while self.peek() == Some(',') {
                        self.pos += 1;
                        self.ws();
                        names.push(self.ident());
                        self.ws_inline();
                    }
                    let embedded = names.len() == 1
                        && matches!(self.peek(), Some(';' | '\n' | '\r' | '}' | '"' | '`' | '.'));
                    if embedded {
                        self.pos = start;
                        let ty = self.ty()?;
                        fields.push(FieldDecl {
                            names: None,
                            count: 1,
                            ty,
                        });
                    } else {
                        let ty = self.ty()?;
                        let count = names.len();
                        fields.push(FieldDecl {
                            names: Some(names.join(", ")),
                            count,
                            ty,
                        });
                    }
                }
                Some(_) => {
                    let ty = self.ty()?;
                    fields.push(FieldDecl {
                        names: None,
                        count: 1,
                        ty,
                    });
                }
            }
            self.ws_inline();
            if matches!(self.peek(), Some('"' | '`')) {
                self.skip_tag()?;
                self.ws_inline();
            }
            if !matches!(self.peek(), Some(';' | '\n' | '\r' | '}')) {
                return Err(self.err("expected `;` or `}` after a struct field"));
            }
        }
    }

    fn skip_tag(&mut self) -> Result<(), String> {
        let quote = self.peek();
        self.pos += 1;
        while let Some(c) = self.peek() {
            self.pos += 1;
            if c == '\\' && quote == Some('"') {
                self.pos += 1;
            } else if Some(c) == quote {
                return Ok(());
            }
        }
        Err(self.err("unterminated struct tag"))
    }
}
