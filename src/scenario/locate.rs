//! Between byte spans and field paths, over a `toml_edit` document (which keeps spans):
//! a serde error's span gives its field path, a validation error's path gives its span.

use std::collections::HashMap;
use std::ops::Range;

use toml_edit::{ArrayOfTables, Item, Table, Value};

use super::error::{Problem, split_allowed};
use super::op_de::OpError;
use super::path::{FieldPath, Seg};

/// A node of the document while walking a path.
#[derive(Clone, Copy)]
enum Node<'a> {
    Table(&'a Table),
    Aot(&'a ArrayOfTables),
    Value(&'a Value),
}

impl<'a> Node<'a> {
    fn from_item(item: &'a Item) -> Option<Node<'a>> {
        match item {
            Item::Table(t) => Some(Node::Table(t)),
            Item::ArrayOfTables(a) => Some(Node::Aot(a)),
            Item::Value(v) => Some(Node::Value(v)),
            Item::None => None,
        }
    }

    fn span(self) -> Option<Range<usize>> {
        match self {
            Node::Table(t) => t.span(),
            Node::Aot(a) => a.span(),
            Node::Value(v) => v.span(),
        }
    }

    fn child(self, seg: &Seg) -> Option<Node<'a>> {
        match (self, seg) {
            (Node::Table(t), Seg::Key(k)) => t.get(k).and_then(Node::from_item),
            (Node::Value(Value::InlineTable(t)), Seg::Key(k)) => t.get(k).map(Node::Value),
            (Node::Aot(a), Seg::Index(i)) => a.get(*i).map(Node::Table),
            (Node::Value(Value::Array(a)), Seg::Index(i)) => a.get(*i).map(Node::Value),
            _ => None,
        }
    }
}

/// The span of the field at `path` (a value's span, a table's header), or of its nearest
/// parent that has one; `None` when not even a parent is in the document.
pub(crate) fn span_of(root: &Table, path: &FieldPath) -> Option<Range<usize>> {
    let mut best = None;
    let mut node = Node::Table(root);
    for seg in path.segs() {
        let Some(next) = node.child(seg) else { break };
        if let Some(span) = next.span() {
            best = Some(span);
        }
        node = next;
    }
    best
}

fn contains(outer: &Range<usize>, inner: &Range<usize>) -> bool {
    outer.start < outer.end && outer.start <= inner.start && inner.end <= outer.end
}

/// The innermost field whose text contains `span`.
pub(crate) fn path_at(root: &Table, span: &Range<usize>) -> FieldPath {
    let mut path = FieldPath::root();
    find_in_table(root, span, &mut path);
    path
}

fn find_in_table(t: &Table, span: &Range<usize>, path: &mut FieldPath) -> bool {
    for (k, item) in t.iter() {
        let here = path.key(k);
        match item {
            Item::Value(v) => {
                let key_start = t.key(k).and_then(|key| key.span()).map(|s| s.start);
                let Some(vs) = v.span() else { continue };
                let region = key_start.unwrap_or(vs.start).min(vs.start)..vs.end;
                if contains(&region, span) {
                    *path = here;
                    find_in_value(v, span, path);
                    return true;
                }
            }
            Item::Table(sub) => {
                if sub.span().is_some_and(|s| contains(&s, span)) {
                    *path = here;
                    return true;
                }
                let mut inner = here;
                if find_in_table(sub, span, &mut inner) {
                    *path = inner;
                    return true;
                }
            }
            Item::ArrayOfTables(a) => {
                for (i, sub) in a.iter().enumerate() {
                    let mut inner = here.index(i);
                    if sub.span().is_some_and(|s| contains(&s, span))
                        || find_in_table(sub, span, &mut inner)
                    {
                        *path = inner;
                        return true;
                    }
                }
            }
            Item::None => {}
        }
    }
    false
}

fn find_in_value(v: &Value, span: &Range<usize>, path: &mut FieldPath) {
    match v {
        Value::Array(a) => {
            for (i, e) in a.iter().enumerate() {
                if e.span().is_some_and(|s| contains(&s, span)) {
                    *path = path.index(i);
                    find_in_value(e, span, path);
                    return;
                }
            }
        }
        Value::InlineTable(t) => {
            for (k, e) in t.iter() {
                let Some(vs) = e.span() else { continue };
                let key_start = t.key(k).and_then(|key| key.span()).map(|s| s.start);
                let region = key_start.unwrap_or(vs.start).min(vs.start)..vs.end;
                if contains(&region, span) {
                    *path = path.key(k);
                    find_in_value(e, span, path);
                    return;
                }
            }
        }
        _ => {}
    }
}

/// The backquoted names of a serde "expected ..." tail, comma-separated.
fn backquoted(tail: &str) -> Option<String> {
    let names: Vec<&str> = tail.split('`').skip(1).step_by(2).collect();
    (!names.is_empty()).then(|| names.join(", "))
}

/// The first backquoted name of `rest` and the text after it.
fn quoted_name(rest: &str) -> Option<(&str, &str)> {
    let end = rest.find('`')?;
    Some((&rest[..end], &rest[end + 1..]))
}

/// What to say when the TOML nests deeper than toml's parser reads (it stops at 80 nested
/// arrays and tables, toml/src/de/parser: LIMIT; a loop or request body takes two, its array
/// and the op's table), or `message` as it is.
pub(crate) fn syntax_message(message: &str) -> String {
    if message.contains("max recursion depth") {
        return "nested too deep: TOML is read to 80 levels of arrays and tables, and each \
                loop or request body takes two, so ops nest at most 39 deep"
            .to_string();
    }
    message.trim().replace('\n', "; ")
}

/// Turns a serde error from deserializing `text` (whose document is `root`) into a problem
/// with both a field path and a span.
pub(crate) fn serde_problem(root: &Table, text: &str, err: &toml::de::Error) -> Problem {
    let message = err.message();
    if let Some(op) = OpError::decode(message) {
        let path = path_at(root, &(op.start..op.end)).join(&op.path);
        let span = span_of(root, &path).or(Some(op.start..op.end));
        return Problem {
            path,
            span,
            message: op.message,
            allowed: op.allowed,
        };
    }
    let span = err.span();
    let at = |s: &Option<Range<usize>>| match s {
        Some(s) if !s.is_empty() => path_at(root, s),
        _ => FieldPath::root(),
    };
    let unknown = |what: &str, prefix: &str| {
        let (name, tail) = quoted_name(message.strip_prefix(prefix)?)?;
        Some(Problem {
            path: at(&span),
            span: span.clone(),
            message: format!("unknown {what} `{name}`"),
            allowed: backquoted(tail),
        })
    };
    if let Some(p) = unknown("field", "unknown field `") {
        return p;
    }
    if let Some(p) = unknown("value", "unknown variant `") {
        return p;
    }
    if let Some((name, _)) = message
        .strip_prefix("missing field `")
        .and_then(quoted_name)
    {
        let path = at(&span).key(name);
        return Problem {
            span: span_of(root, &path),
            path,
            message: format!("missing field `{name}`"),
            allowed: None,
        };
    }
    let path = at(&span);
    let (mut message, allowed) = split_allowed(message);
    if path == FieldPath::root().key("runtime").key("go") && message.contains("floating point") {
        if let Some(raw) = span.as_ref().and_then(|s| text.get(s.clone())) {
            message.push_str(&format!("; write it as a string: go = \"{}\"", raw.trim()));
        }
    }
    Problem {
        path,
        span,
        message,
        allowed,
    }
}

/// Best-effort field path of a TOML syntax error at `offset`: the key on that line, or the
/// key whose multi-line value spans it, under the table header above it.
pub(crate) fn syntax_path(text: &str, offset: usize) -> FieldPath {
    let offset = (0..=offset.min(text.len()))
        .rev()
        .find(|&o| text.is_char_boundary(o))
        .unwrap_or(0);
    let line_start = text[..offset].rfind('\n').map_or(0, |i| i + 1);
    let mut counts: HashMap<String, usize> = HashMap::new();
    let mut current = FieldPath::root();
    // The key whose value is still open (an array or inline table spanning lines).
    let mut open: Option<(FieldPath, i64)> = None;
    for line in text[..line_start].lines() {
        if let Some((_, depth)) = &mut open {
            *depth += bracket_delta(line);
            if *depth <= 0 {
                open = None;
            }
        } else if let Some(p) = header_path(line, &mut counts) {
            current = p;
        } else if let Some((keys, rest)) = key_line(line) {
            let depth = bracket_delta(rest);
            if depth > 0 {
                open = Some((keys.iter().fold(current.clone(), |p, k| p.key(k)), depth));
            }
        }
    }
    if let Some((path, _)) = open {
        return path;
    }
    let line = text[line_start..].lines().next().unwrap_or("");
    if let Some(p) = header_path(line, &mut counts) {
        return p;
    }
    match key_line(line) {
        Some((keys, _)) => keys.iter().fold(current, |p, k| p.key(k)),
        None => current,
    }
}

/// `key.path = rest` split into its bare keys and the text after `=`.
fn key_line(line: &str) -> Option<(Vec<&str>, &str)> {
    let (key, rest) = line.split_once('=')?;
    Some((bare_keys(key)?, rest))
}

/// Brackets and braces opened minus closed on a line, outside strings and comments.
fn bracket_delta(line: &str) -> i64 {
    let mut delta = 0;
    let mut quote: Option<char> = None;
    let mut escaped = false;
    for c in line.chars() {
        match quote {
            Some(q) => {
                if escaped {
                    escaped = false;
                } else if c == '\\' && q == '"' {
                    escaped = true;
                } else if c == q {
                    quote = None;
                }
            }
            None => match c {
                '"' | '\'' => quote = Some(c),
                '#' => break,
                '[' | '{' => delta += 1,
                ']' | '}' => delta -= 1,
                _ => {}
            },
        }
    }
    delta
}

/// The dotted bare keys of `text`, or `None` if it is not such a key.
fn bare_keys(text: &str) -> Option<Vec<&str>> {
    let keys: Vec<&str> = text.split('.').map(str::trim).collect();
    let bare = |k: &&str| {
        !k.is_empty()
            && k.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    };
    keys.iter().all(bare).then_some(keys)
}

/// If `line` is a `[table]` or `[[array]]` header (possibly unclosed), its path; counts
/// array-of-tables headers seen so far to give each element its index.
fn header_path(line: &str, counts: &mut HashMap<String, usize>) -> Option<FieldPath> {
    let t = line.trim();
    let (inner, aot) = match t.strip_prefix("[[") {
        Some(rest) => (rest, true),
        None => (t.strip_prefix('[')?, false),
    };
    let name = inner.split(']').next().unwrap_or(inner);
    let keys = bare_keys(name)?;
    let full = keys.join(".");
    if aot {
        *counts.entry(full.clone()).or_insert(0) += 1;
        let nested = format!("{full}.");
        counts.retain(|k, _| !k.starts_with(&nested));
    }
    let mut path = FieldPath::root();
    for i in 0..keys.len() {
        path = path.key(keys[i]);
        if let Some(&n) = counts.get(&keys[..=i].join(".")) {
            path = path.index(n.saturating_sub(1));
        }
    }
    Some(path)
}

#[cfg(test)]
mod tests {
    use super::*;
    use toml_edit::Document;

    const TEXT: &str = "name = \"a\"\n[runtime]\ngogc = 5\n[[goroutines]]\nname = \"w\"\n\
        program = [\n  { op = \"insert\", map = \"m\", n = 5 },\n  { op = \"loop\", times = 2, \
        body = [{ op = \"iterate\", map = \"m\" }] },\n]\n[[goroutines]]\nname = \"v\"\n";

    fn p(s: &str) -> FieldPath {
        FieldPath::parse(s).unwrap()
    }

    #[test]
    fn spans_and_paths_agree() {
        let doc = Document::parse(TEXT).unwrap();
        let root = doc.as_table();
        for path in [
            "name",
            "runtime.gogc",
            "goroutines[0].name",
            "goroutines[0].program[0].n",
            "goroutines[0].program[1].body[0].map",
            "goroutines[1].name",
        ] {
            let span = span_of(root, &p(path)).unwrap();
            assert_eq!(path_at(root, &span).to_string(), path);
        }
    }

    #[test]
    fn missing_fields_fall_back_to_the_parent() {
        let doc = Document::parse(TEXT).unwrap();
        let root = doc.as_table();
        let parent = span_of(root, &p("goroutines[0].program[0]")).unwrap();
        assert_eq!(
            span_of(root, &p("goroutines[0].program[0].x.y")),
            Some(parent)
        );
        assert_eq!(span_of(root, &p("heap.live")), None);
        assert_eq!(
            &TEXT[span_of(root, &p("runtime.gomaxprocs")).unwrap()],
            "[runtime]"
        );
    }

    #[test]
    fn syntax_errors_get_a_best_effort_path() {
        let text = "name = 1\n[runtime]\ngogc = = 1\n[[maps]]\n[[maps]]\nkey = \n[x\n\
            [[g]]\np = [\n  { a = \"[\" },\n  { b = 1 c = 2 },\n]\n";
        let at = |line: usize| {
            let offset: usize = text
                .split_inclusive('\n')
                .take(line - 1)
                .map(str::len)
                .sum();
            syntax_path(text, offset + 1).to_string()
        };
        assert_eq!(at(3), "runtime.gogc");
        assert_eq!(at(5), "maps[1]");
        assert_eq!(at(6), "maps[1].key");
        assert_eq!(at(7), "x");
        assert_eq!(at(11), "g[0].p");
    }
}
