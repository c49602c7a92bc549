//! Sending a value whole over one the client already holds.
//!
//! The client does not replace an object with the new one: it merges them,
//! keeping keys the new one lacks (unless a slot disappeared or every range
//! did). A kept `d` turns a node back into a loop, a kept `else` shows an
//! empty loop's text where there is none. So a replacement names what the
//! old value had and the new one does not, as `null`, at every depth where
//! both are objects — which the client renders as nothing.

use crate::protocol::update::{ELSE, ITEMS, RANGE_META};
use serde_json::Value;

use crate::tree::{Node, Range, Slot};

/// Keys of a range (or a node) that are not slots.
const RANGE_KEYS: [&str; 3] = [ITEMS, RANGE_META, ELSE];

/// Marks in `json` (the new value, whole) what the client keeps from `old`.
pub(super) fn forget_stale(json: &mut Value, old: &Slot) {
    match old {
        Slot::Text(_) => {}
        Slot::Node(node) => forget_stale_slots(json, node),
        Slot::Range(range) => forget_stale_range(json, range),
    }
}

/// A range's own keys that the new value lacks, and inside its `else`.
/// (Its items are an array, which the client replaces rather than merges.)
pub(super) fn forget_stale_range(json: &mut Value, old: &Range) {
    let Value::Object(map) = json else { return };
    let had = [true, old.key_slot().is_some(), old.else_node.is_some()];
    for (key, had) in RANGE_KEYS.iter().zip(had) {
        if had && !map.contains_key(*key) {
            map.insert((*key).into(), Value::Null);
        }
    }
    if let (Some(new_else), Some(old_else)) = (map.get_mut(ELSE), &old.else_node) {
        forget_stale_slots(new_else, old_else);
    }
}

/// The same, one level down: slots the old node shares with the new value.
pub(super) fn forget_stale_slots(json: &mut Value, old: &Node) {
    let Value::Object(map) = json else { return };
    for (i, old_slot) in old.slots.iter().enumerate() {
        if let Some(child) = map.get_mut(&i.to_string()) {
            forget_stale(child, old_slot);
        }
    }
}
