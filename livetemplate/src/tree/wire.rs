//! The tree as JSON on the wire.

use serde_json::{Map, Value};

use super::{Node, Range, Slot};
use crate::protocol::update::{range_meta, ELSE, ITEMS, ITEM_KEY, RANGE_META, STATICS};

/// The full JSON form of a node, statics included.
pub(crate) fn node_json(node: &Node) -> Value {
    let mut map = Map::with_capacity(node.slots.len() + 1);
    map.insert(STATICS.into(), statics_json(&node.statics));
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
        map.insert(
            STATICS.into(),
            Value::Array(vec![Value::String(text.into())]),
        );
        Value::Object(map)
    } else {
        Value::String(text.into())
    }
}

pub(crate) fn range_json(range: &Range) -> Value {
    let mut map = Map::new();
    map.insert(STATICS.into(), statics_json(&range.statics));
    let keys = range.row_keys();
    let items = range
        .items
        .iter()
        .zip(&keys.keys)
        .map(|(item, key)| item_json(item, keys.in_items.then_some(key)))
        .collect();
    map.insert(ITEMS.into(), Value::Array(items));
    if let Some(e) = &range.else_node {
        map.insert(ELSE.into(), node_json(e));
    }
    // The client applies list operations only to a range that names its key.
    if let Some(slot) = range.key_slot() {
        map.insert(RANGE_META.into(), range_meta(slot));
    }
    Value::Object(map)
}

/// One loop item: its slots by index (the range holds the statics), and
/// its key as `_k` where no slot holds one.
pub(crate) fn item_json(item: &[Slot], key: Option<&str>) -> Value {
    let mut map = Map::with_capacity(item.len() + 1);
    for (i, slot) in item.iter().enumerate() {
        map.insert(i.to_string(), slot_json(slot));
    }
    if let Some(key) = key {
        map.insert(ITEM_KEY.into(), Value::String(key.to_string()));
    }
    Value::Object(map)
}
