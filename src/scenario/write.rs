//! Writing a scenario back as TOML that reads to an equal scenario, with each goroutine's
//! program as one inline table per line, as people write it.

use toml_edit::{DocumentMut, Item, Value};

use super::types::Scenario;

impl Scenario {
    /// The scenario as TOML; `parse_str` reads it back to an equal `Scenario`.
    ///
    /// TOML integers stop at i64::MAX: a scenario holding a larger count (a seed, `n`, `times`
    /// or `hint`, which only code can set) is written as a TOML comment explaining that, which
    /// then fails to load rather than loading as something else.
    pub fn to_toml_string(&self) -> String {
        let text = match toml::to_string(self) {
            Ok(text) => text,
            Err(e) => return format!("# this scenario cannot be written as TOML: {e}\n"),
        };
        let Ok(mut doc) = text.parse::<DocumentMut>() else {
            return text;
        };
        for (array, field) in [("goroutines", "program"), ("arrivals", "body")] {
            if let Some(Item::ArrayOfTables(tables)) = doc.get_mut(array) {
                for g in tables.iter_mut() {
                    if let Some(mut program) = g.remove(field) {
                        inline_program(&mut program);
                        g.insert(field, program);
                    }
                }
            }
        }
        doc.to_string()
    }
}

/// Rewrites `[[goroutines.program]]` tables as `program = [ {...}, ... ]`, one op per line.
fn inline_program(item: &mut Item) {
    let mut array = match std::mem::take(item).into_value() {
        Ok(Value::Array(array)) => array,
        Ok(other) => {
            *item = Item::Value(other);
            return;
        }
        Err(original) => {
            *item = original;
            return;
        }
    };
    for op in array.iter_mut() {
        if let Value::InlineTable(t) = op {
            t.fmt();
        }
        op.decor_mut().set_prefix("\n  ");
        op.decor_mut().set_suffix("");
    }
    if !array.is_empty() {
        array.set_trailing_comma(true);
        array.set_trailing("\n");
    }
    *item = Item::Value(Value::Array(array));
}
