//! The browser's side of the wire: folding updates into the tree the client
//! holds and rendering that to HTML. It follows what `@livetemplate/client`'s
//! tree renderer does, so tests (and the in-process test client) see what a
//! browser would show.

use serde_json::{Map, Value};

use crate::protocol::update::{ListOp, ELSE, ID_KEY, ITEMS, ITEM_KEY, RANGE_META, STATICS};

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
        match target.get_mut(key) {
            Some(range) if is_ops(value) && is_range(range) => apply_ops(range, value),
            Some(old) if value.is_object() => *old = deep_merge(old, value),
            _ => {
                target.insert(key.clone(), value.clone());
            }
        }
    }
    Ok(())
}

fn is_range(v: &Value) -> bool {
    v.get(ITEMS).is_some_and(Value::is_array) && v.get(STATICS).is_some_and(Value::is_array)
}

/// `[["r", "k"], …]`: list operations rather than a value.
fn is_ops(v: &Value) -> bool {
    ListOp::is_list(v)
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
    if new.get(STATICS).is_some_and(Value::is_array) {
        let range_gone = has_range_anywhere(existing, 0) && !has_range_anywhere(update, 0);
        let slot_gone = old.keys().any(|k| is_index(k) && !new.contains_key(k));
        if range_gone || slot_gone {
            return update.clone();
        }
    }
    let mut merged = old.clone();
    for (key, value) in new {
        match merged.get_mut(key) {
            Some(range) if is_ops(value) && is_range(range) => apply_ops(range, value),
            Some(prev) if value.is_object() && prev.is_object() => {
                *prev = deep_merge(prev, value);
            }
            _ => {
                merged.insert(key.clone(), value.clone());
            }
        }
    }
    Value::Object(merged)
}

/// Applies list operations to a range in place. Items are found by `_k`,
/// else by the slot `m.idKey` names; an unknown key is skipped.
fn apply_ops(range: &mut Value, ops: &Value) {
    let id_key = range
        .get(RANGE_META)
        .and_then(|m| m.get(ID_KEY))
        .and_then(Value::as_str)
        .map(str::to_owned);
    let Some(ops) = ops.as_array() else { return };
    for op in ops.iter().filter_map(ListOp::parse) {
        if let ListOp::Append(_, Some(statics)) | ListOp::Prepend(_, Some(statics)) = &op {
            range[STATICS] = statics.clone();
        }
        let Some(items) = range.get_mut(ITEMS).and_then(Value::as_array_mut) else {
            return;
        };
        let find = |items: &[Value], key: &str| {
            items
                .iter()
                .position(|item| item_key(item, id_key.as_deref()) == Some(key))
        };
        match op {
            ListOp::Remove(key) => {
                if let Some(i) = find(items, key) {
                    items.remove(i);
                }
            }
            ListOp::Update(key, changes) => {
                if let Some(i) = find(items, key) {
                    items[i] = deep_merge(&items[i], &changes);
                }
            }
            ListOp::Append(new, _) => items.extend(new),
            ListOp::Prepend(new, _) => {
                items.splice(0..0, new);
            }
            ListOp::Insert(after, new) => {
                if let Some(i) = find(items, after) {
                    items.splice(i + 1..i + 1, new);
                }
            }
            ListOp::Order(order) => {
                // Like the client: the new order lists keys; items it leaves out go.
                let old = std::mem::take(items);
                let by_key: std::collections::HashMap<&str, &Value> = old
                    .iter()
                    .filter_map(|item| Some((item_key(item, id_key.as_deref())?, item)))
                    .collect();
                items.extend(
                    order
                        .iter()
                        .filter_map(|k| by_key.get(k).map(|item| (*item).clone())),
                );
            }
        }
    }
}

fn item_key<'a>(item: &'a Value, id_key: Option<&str>) -> Option<&'a str> {
    if let Some(k) = item
        .get(ITEM_KEY)
        .and_then(Value::as_str)
        .filter(|k| !k.is_empty())
    {
        return Some(k);
    }
    item.get(id_key?)
        .and_then(Value::as_str)
        .filter(|k| !k.is_empty())
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
            } else if let Some(Value::Array(statics)) = map.get(STATICS) {
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
        .get(ITEMS)
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default();
    let statics = map
        .get(STATICS)
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default();
    if items.is_empty() {
        if let Some(e) = map.get(ELSE) {
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
