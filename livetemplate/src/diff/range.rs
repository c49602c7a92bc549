//! Old loop + new loop → the client's list operations, or the loop whole.

use std::sync::Arc;

use serde_json::{Map, Value};

use super::diff_slot;
use crate::protocol::update::ListOp;
use crate::tree::{item_json, range_json, Range, Slot};

/// `None` when nothing changed; list operations when both loops are keyed
/// with the same statics and share rows; otherwise the new loop whole.
pub(super) fn diff_range(old: &Range, new: &Range) -> Option<Value> {
    if old == new {
        return None;
    }
    Some(keyed_ops(old, new).unwrap_or_else(|| {
        let mut whole = range_json(new);
        super::replace::forget_stale_range(&mut whole, old);
        whole
    }))
}

fn keyed_ops(old: &Range, new: &Range) -> Option<Value> {
    if old.statics != new.statics || old.items.is_empty() || new.items.is_empty() {
        return None;
    }
    let slot = new.key_slot()?;
    let new_keys = new.keys(slot)?;
    if let Some(ops) = updates_in_place(old, new, slot, &new_keys) {
        return Some(ops);
    }
    let old_keys = old.keys(slot)?;
    let old_at: foldhash::HashMap<&str, usize> =
        old_keys.iter().enumerate().map(|(i, k)| (*k, i)).collect();
    let new_at: foldhash::HashMap<&str, usize> =
        new_keys.iter().enumerate().map(|(i, k)| (*k, i)).collect();

    let kept_in_old_order: Vec<&str> = old_keys
        .iter()
        .copied()
        .filter(|k| new_at.contains_key(k))
        .collect();
    if kept_in_old_order.is_empty() {
        return None;
    }
    let mut ops = Vec::new();
    for key in old_keys.iter().filter(|k| !new_at.contains_key(*k)) {
        ops.push(ListOp::Remove(key).into_json());
    }
    for (j, key) in new_keys.iter().enumerate() {
        if let Some(&i) = old_at.get(key) {
            if let Some(changes) = diff_item(&old.items[i], &new.items[j]) {
                ops.push(ListOp::Update(key, changes).into_json());
            }
        }
    }
    let kept_in_new_order = new_keys.iter().copied().filter(|k| old_at.contains_key(k));
    if kept_in_new_order.eq(kept_in_old_order.iter().copied()) {
        insert_in_place(&mut ops, new, &new_keys, &old_at);
    } else {
        // Rows moved: add the new ones at the end, then give the whole order.
        let added: Vec<Value> = new_keys
            .iter()
            .zip(&new.items)
            .filter(|(k, _)| !old_at.contains_key(*k))
            .map(|(_, item)| item_json(item))
            .collect();
        if !added.is_empty() {
            ops.push(ListOp::Append(added, None).into_json());
        }
        ops.push(ListOp::Order(new_keys).into_json());
    }
    Some(Value::Array(ops))
}

/// The common case of a list whose rows stayed where they were (a toggle, an
/// edit): only `u` operations, found without hashing either list again.
/// `None` when any row was added, removed or moved.
fn updates_in_place(old: &Range, new: &Range, slot: usize, new_keys: &[&str]) -> Option<Value> {
    if old.items.len() != new_keys.len() {
        return None;
    }
    // The new keys are unique, so old keys equal to them in order are too.
    let same_order =
        old.items.iter().zip(new_keys).all(
            |(item, key)| matches!(item.get(slot), Some(Slot::Text(old_key)) if old_key == key),
        );
    if !same_order {
        return None;
    }
    let mut ops = Vec::new();
    for ((old_item, new_item), key) in old.items.iter().zip(&new.items).zip(new_keys) {
        // A row the render cache reused is the very same slots.
        if Arc::ptr_eq(old_item, new_item) {
            continue;
        }
        if let Some(changes) = diff_item(old_item, new_item) {
            ops.push(ListOp::Update(key, changes).into_json());
        }
    }
    Some(Value::Array(ops))
}

/// Rows kept their order: each run of new rows goes in where it belongs —
/// `p` before the first kept row, `i` after a kept row, `a` after the last.
fn insert_in_place(
    ops: &mut Vec<Value>,
    new: &Range,
    new_keys: &[&str],
    old_at: &foldhash::HashMap<&str, usize>,
) {
    let mut anchor: Option<&str> = None;
    let mut run: Vec<Value> = Vec::new();
    for (key, item) in new_keys.iter().zip(&new.items) {
        if old_at.contains_key(key) {
            if !run.is_empty() {
                let items = std::mem::take(&mut run);
                ops.push(
                    match anchor {
                        None => ListOp::Prepend(items, None),
                        Some(after) => ListOp::Insert(after, items),
                    }
                    .into_json(),
                );
            }
            anchor = Some(key);
        } else {
            run.push(item_json(item));
        }
    }
    if !run.is_empty() {
        ops.push(ListOp::Append(run, None).into_json());
    }
}

/// The slots of one row that changed (rows of one loop share statics).
fn diff_item(old: &[Slot], new: &[Slot]) -> Option<Value> {
    let mut map = Map::new();
    for (i, (a, b)) in old.iter().zip(new).enumerate() {
        if let Some(change) = diff_slot(a, b) {
            map.insert(i.to_string(), change);
        }
    }
    (!map.is_empty()).then_some(Value::Object(map))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::diff::{diff, full};
    use crate::tree::{apply_update, render_html, Node};

    /// `<ul>{% for id, label in rows %}<li data-key="{{ id }}">{{ label }}</li>{% endfor %}</ul>`
    fn page(rows: &[(&str, &str)], statics: &[&str]) -> Node {
        let range = Range {
            statics: statics.iter().map(|s| s.to_string()).collect(),
            items: rows
                .iter()
                .map(|(k, v)| [Slot::Text(k.to_string()), Slot::Text(v.to_string())].into())
                .collect(),
            else_node: Some(Box::new(Node::text("<li>none</li>"))).filter(|_| rows.is_empty()),
        };
        Node {
            statics: vec!["<ul>".into(), "</ul>".into()],
            slots: vec![Slot::Range(range)],
        }
    }

    const KEYED: &[&str] = &["<li data-key=\"", "\">", "</li>"];
    const UNKEYED: &[&str] = &["<li title=\"", "\">", "</li>"];

    /// The update from `a` to `b`, checked by folding it like the client.
    fn update(a: &[(&str, &str)], b: &[(&str, &str)], statics: &[&str]) -> Value {
        let (old, new) = (page(a, statics), page(b, statics));
        let mut client = full(&old);
        let update = diff(&old, &new);
        apply_update(&mut client, &update).unwrap();
        assert_eq!(render_html(&client), new.to_html(), "update {update}");
        update.get("0").cloned().unwrap_or(json!(null))
    }

    const ABC: &[(&str, &str)] = &[("a", "A"), ("b", "B"), ("c", "C")];

    #[test]
    fn a_keyed_range_names_its_key_slot() {
        assert_eq!(full(&page(ABC, KEYED))["0"]["m"], json!({ "idKey": "0" }));
        assert_eq!(full(&page(ABC, UNKEYED))["0"].get("m"), None);
    }

    #[test]
    fn removing_one_row_sends_one_r() {
        let b = &[("a", "A"), ("c", "C")];
        assert_eq!(update(ABC, b, KEYED), json!([["r", "b"]]));
    }

    #[test]
    fn changing_one_field_sends_one_u_with_only_that_slot() {
        let b = &[("a", "A"), ("b", "b!"), ("c", "C")];
        assert_eq!(update(ABC, b, KEYED), json!([["u", "b", { "1": "b!" }]]));
    }

    #[test]
    fn new_rows_go_where_they_belong() {
        let b = &[
            ("z", "Z"),
            ("a", "A"),
            ("x", "X"),
            ("y", "Y"),
            ("b", "B"),
            ("c", "C"),
            ("d", "D"),
        ];
        assert_eq!(
            update(ABC, b, KEYED),
            json!([
                ["p", [{ "0": "z", "1": "Z" }]],
                ["i", "a", [{ "0": "x", "1": "X" }, { "0": "y", "1": "Y" }]],
                ["a", [{ "0": "d", "1": "D" }]],
            ])
        );
    }

    #[test]
    fn a_pure_reorder_sends_o() {
        let b = &[("c", "C"), ("a", "A"), ("b", "B")];
        assert_eq!(update(ABC, b, KEYED), json!([["o", ["c", "a", "b"]]]));
    }

    #[test]
    fn a_reorder_with_changes_removes_updates_adds_then_orders() {
        let b = &[("d", "D"), ("c", "C!"), ("a", "A")];
        assert_eq!(
            update(ABC, b, KEYED),
            json!([
                ["r", "b"],
                ["u", "c", { "1": "C!" }],
                ["a", [{ "0": "d", "1": "D" }]],
                ["o", ["d", "c", "a"]],
            ])
        );
    }

    #[test]
    fn lists_without_usable_keys_are_sent_whole() {
        let b = &[("a", "A"), ("c", "C")];
        assert!(update(ABC, b, UNKEYED).get("d").is_some());
        let duplicated = &[("a", "A"), ("a", "B")];
        assert!(update(ABC, duplicated, KEYED).get("d").is_some());
        assert!(update(duplicated, ABC, KEYED).get("d").is_some());
    }

    #[test]
    fn emptied_filled_and_replaced_lists_are_sent_whole() {
        let emptied = update(ABC, &[], KEYED);
        assert_eq!(emptied["d"], json!([]));
        assert_eq!(emptied["else"], json!({ "s": ["<li>none</li>"] }));
        assert!(update(&[], ABC, KEYED).get("d").is_some());
        assert!(update(ABC, &[("x", "X")], KEYED).get("d").is_some());
    }

    #[test]
    fn an_unchanged_list_sends_nothing() {
        assert_eq!(update(ABC, ABC, KEYED), json!(null));
    }
}
