//! The tree as JSON on the wire, and the browser's side of it: folding
//! updates into the tree the client holds and rendering that to HTML. The
//! fold follows what `@livetemplate/client`'s tree renderer does, so tests
//! (and the in-process test client) see what a browser would show.

use serde_json::{Map, Value};

use super::{Node, Range, Slot};

/// The full JSON form of a node, statics included.
pub(crate) fn node_json(node: &Node) -> Value {
    let mut map = Map::with_capacity(node.slots.len() + 1);
    map.insert("s".into(), statics_json(&node.statics));
    for (i, slot) in node.slots.iter().enumerate() {
        map.insert(i.to_string(), slot_json(slot));
    }
    Value::Object(map)
}

pub(crate) fn statics_json(statics: &[String]) -> Value {
    Value::Array(statics.iter().map(|s| Value::String(s.clone())).collect())
}

pub(crate) fn slot_json(slot: &Slot) -> Value {
    match slot {
        Slot::Text(t) => text_json(t),
        Slot::Node(n) => node_json(n),
        Slot::Range(r) => range_json(r),
    }
}

/// A text slot. The client renders any string that starts with `{{` and ends
/// with `}}` as nothing (it takes it for an unrendered placeholder), so such
/// text travels as a static-only node, which it renders verbatim.
pub(crate) fn text_json(text: &str) -> Value {
    if text.starts_with("{{") && text.ends_with("}}") {
        let mut map = Map::new();
        map.insert("s".into(), Value::Array(vec![Value::String(text.into())]));
        Value::Object(map)
    } else {
        Value::String(text.into())
    }
}

pub(crate) fn range_json(range: &Range) -> Value {
    let mut map = Map::new();
    map.insert("s".into(), statics_json(&range.statics));
    let items = range
        .items
        .iter()
        .map(|item| {
            let mut m = Map::with_capacity(item.len());
            for (i, slot) in item.iter().enumerate() {
                m.insert(i.to_string(), slot_json(slot));
            }
            Value::Object(m)
        })
        .collect();
    map.insert("d".into(), Value::Array(items));
    if let Some(e) = &range.else_node {
        map.insert("else".into(), node_json(e));
    }
    Value::Object(map)
}

/// An update the client could not apply.
#[derive(Debug, thiserror::Error)]
pub enum TreeError {
    /// Every server frame must carry an object `tree`.
    #[error("an update must be a JSON object, got {0}")]
    NotAnObject(String),
}

/// Folds one update into the tree the client holds, as the stock client does.
pub fn apply_update(state: &mut Value, update: &Value) -> Result<(), TreeError> {
    let Value::Object(update) = update else {
        return Err(TreeError::NotAnObject(update.to_string()));
    };
    if !state.is_object() {
        *state = Value::Object(Map::new());
    }
    let Value::Object(target) = state else {
        return Ok(());
    };
    for (key, value) in update {
        let merged = match target.get(key) {
            Some(old) if value.is_object() => deep_merge(old, value),
            _ => value.clone(),
        };
        target.insert(key.clone(), merged);
    }
    Ok(())
}

fn is_range(v: &Value) -> bool {
    v.get("d").is_some_and(Value::is_array) && v.get("s").is_some_and(Value::is_array)
}

fn has_range_anywhere(v: &Value, depth: usize) -> bool {
    if depth > 50 {
        return false;
    }
    let Value::Object(map) = v else { return false };
    is_range(v)
        || map
            .iter()
            .any(|(k, c)| is_index(k) && c.is_object() && has_range_anywhere(c, depth + 1))
}

fn is_index(key: &str) -> bool {
    !key.is_empty() && key.bytes().all(|b| b.is_ascii_digit())
}

fn deep_merge(existing: &Value, update: &Value) -> Value {
    let (Value::Object(old), Value::Object(new)) = (existing, update) else {
        return update.clone();
    };
    if new.get("s").is_some_and(Value::is_array) {
        let range_gone = has_range_anywhere(existing, 0) && !has_range_anywhere(update, 0);
        let slot_gone = old.keys().any(|k| is_index(k) && !new.contains_key(k));
        if range_gone || slot_gone {
            return update.clone();
        }
    }
    let mut merged = old.clone();
    for (key, value) in new {
        let next = match merged.get(key) {
            Some(prev) if value.is_object() && prev.is_object() => deep_merge(prev, value),
            _ => value.clone(),
        };
        merged.insert(key.clone(), next);
    }
    Value::Object(merged)
}

/// The HTML of a tree the client holds.
pub fn render_html(state: &Value) -> String {
    let mut out = String::new();
    render_value(state, &mut out);
    out.replace("<root>", "").replace("</root>", "")
}

fn render_value(v: &Value, out: &mut String) {
    match v {
        Value::Null => {}
        Value::String(s) if s.starts_with("{{") && s.ends_with("}}") => {}
        Value::String(s) => out.push_str(s),
        Value::Object(map) => {
            if is_range(v) {
                render_range(map, out);
            } else if let Some(Value::Array(statics)) = map.get("s") {
                for (i, s) in statics.iter().enumerate() {
                    out.push_str(s.as_str().unwrap_or_default());
                    if i + 1 < statics.len() {
                        if let Some(slot) = map.get(&i.to_string()) {
                            render_value(slot, out);
                        }
                    }
                }
            }
        }
        Value::Array(_) => {}
        other => out.push_str(&other.to_string()),
    }
}

fn render_range(map: &Map<String, Value>, out: &mut String) {
    let items = map
        .get("d")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default();
    let statics = map
        .get("s")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default();
    if items.is_empty() {
        if let Some(e) = map.get("else") {
            render_value(e, out);
        }
        return;
    }
    for item in items {
        for (i, s) in statics.iter().enumerate() {
            out.push_str(s.as_str().unwrap_or_default());
            if i + 1 < statics.len() {
                if let Some(slot) = item.get(i.to_string()) {
                    render_value(slot, out);
                }
            }
        }
    }
}
