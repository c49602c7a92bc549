//! Old loop + new loop → the client's list operations, or the loop whole.

use std::sync::Arc;

use serde_json::{Map, Value};

use super::diff_slot;
use crate::protocol::update::ListOp;
use crate::tree::{item_json, range_json, Range, Slot};

/// `None` when nothing changed; list operations when both loops are keyed
/// with the same statics and share rows (unless the loop whole is smaller);
/// otherwise the new loop whole.
pub(super) fn diff_range(old: &Range, new: &Range) -> Option<Value> {
    if old == new {
        return None;
    }
    let whole = || {
        let mut whole = range_json(new);
        super::replace::forget_stale_range(&mut whole, old);
        whole
    };
    Some(match keyed_ops(old, new) {
        // A filter keeping 3 rows of 10,000 would send 9,997 `r`s: then the
        // 3 rows are fewer bytes, and fewer DOM operations for the client.
        Some(ops) if removals(&ops) > new.items.len() => {
            let whole = whole();
            if encoded_len(&whole) < encoded_len(&ops) {
                whole
            } else {
                ops
            }
        }
        Some(ops) => ops,
        None => whole(),
    })
}

/// How many rows `ops` remove.
fn removals(ops: &Value) -> usize {
    ops.as_array()
        .map_or(0, |ops| ops.iter().filter(|op| op[0] == "r").count())
}

/// The bytes of `value` as JSON, without keeping the text.
fn encoded_len(value: &Value) -> usize {
    struct Count(usize);
    impl std::io::Write for Count {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0 += buf.len();
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut count = Count(0);
    // Writing a `Value` to a counter cannot fail.
    let _ = serde_json::to_writer(&mut count, value);
    count.0
}

fn keyed_ops(old: &Range, new: &Range) -> Option<Value> {
    if old.statics != new.statics || old.items.is_empty() || new.items.is_empty() {
        return None;
    }
    if let Some(ops) = updates_in_place(old, new) {
        return Some(ops);
    }
    let old_keys = old.row_keys();
    let new_keys = new.row_keys();
    // The client holds the old keys: ops must name rows the same way.
    if (old_keys.numbered, old_keys.in_items) != (new_keys.numbered, new_keys.in_items) {
        return None;
    }
    let in_items = new_keys.in_items;
    let (old_keys, new_keys) = (old_keys.keys, new_keys.keys);
    let old_at: foldhash::HashMap<&str, usize> = old_keys
        .iter()
        .enumerate()
        .map(|(i, k)| (k.as_ref(), i))
        .collect();
    let new_at: foldhash::HashMap<&str, usize> = new_keys
        .iter()
        .enumerate()
        .map(|(i, k)| (k.as_ref(), i))
        .collect();

    let kept_in_old_order: Vec<&str> = old_keys
        .iter()
        .map(|k| k.as_ref())
        .filter(|k| new_at.contains_key(k))
        .collect();
    if kept_in_old_order.is_empty() {
        return None;
    }
    let mut ops = Vec::new();
    for key in old_keys.iter().filter(|k| !new_at.contains_key(k.as_ref())) {
        ops.push(ListOp::Remove(key).into_json());
    }
    for (j, key) in new_keys.iter().enumerate() {
        if let Some(&i) = old_at.get(key.as_ref()) {
            if let Some(changes) = diff_item(&old.items[i], &new.items[j]) {
                ops.push(ListOp::Update(key, changes).into_json());
            }
        }
    }
    let key_of = |k: &str| in_items.then(|| k.to_string());
    let kept_in_new_order = new_keys
        .iter()
        .map(|k| k.as_ref())
        .filter(|k| old_at.contains_key(k));
    if kept_in_new_order.eq(kept_in_old_order.iter().copied()) {
        insert_in_place(&mut ops, new, &new_keys, &old_at, in_items);
    } else {
        // Rows moved: add the new ones at the end, then give the whole order.
        let added: Vec<Value> = new_keys
            .iter()
            .zip(&new.items)
            .filter(|(k, _)| !old_at.contains_key(k.as_ref()))
            .map(|(k, item)| item_json(item, key_of(k).as_deref()))
            .collect();
        if !added.is_empty() {
            ops.push(ListOp::Append(added, None).into_json());
        }
        ops.push(ListOp::Order(new_keys.iter().map(|k| k.as_ref()).collect()).into_json());
    }
    Some(Value::Array(ops))
}

/// The common case of a list whose rows stayed where they were (a toggle, an
/// edit): only `u` operations, found without hashing either list, and keys
/// built only for the rows that changed. `None` when any row was added,
/// removed or moved.
fn updates_in_place(old: &Range, new: &Range) -> Option<Value> {
    if old.items.len() != new.items.len() {
        return None;
    }
    let form = new.key_form();
    let numbered = !old.template_keys_usable(&form);
    if numbered {
        // The server's numbers, as `diff::carry` left them; unless the new
        // rows have usable keys of their own (then the naming changes).
        if new.template_keys_usable(&form) || !(0..new.items.len()).all(|i| old.id(i) == new.id(i))
        {
            return None;
        }
    } else if (0..new.items.len()).all(|i| old.same_template_key(&form, i, new, i)) {
        // Old keys were unique, and the new ones are the same in place.
        new.keys_usable.set(true);
    } else {
        return None;
    }
    let mut ops = Vec::new();
    for (i, (old_item, new_item)) in old.items.iter().zip(&new.items).enumerate() {
        // A row the render cache reused is the very same slots.
        if Arc::ptr_eq(old_item, new_item) {
            continue;
        }
        if let Some(changes) = diff_item(old_item, new_item) {
            let key = match numbered {
                false => new.template_key_at(&form, i)?,
                true => new.number_key_at(&form, i),
            };
            ops.push(ListOp::Update(&key, changes).into_json());
        }
    }
    Some(Value::Array(ops))
}

/// Rows kept their order: each run of new rows goes in where it belongs —
/// `p` before the first kept row, `i` after a kept row, `a` after the last.
fn insert_in_place(
    ops: &mut Vec<Value>,
    new: &Range,
    new_keys: &[std::borrow::Cow<'_, str>],
    old_at: &foldhash::HashMap<&str, usize>,
    in_items: bool,
) {
    let mut anchor: Option<&str> = None;
    let mut run: Vec<Value> = Vec::new();
    for (key, item) in new_keys.iter().zip(&new.items) {
        if old_at.contains_key(key.as_ref()) {
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
            run.push(item_json(item, in_items.then_some(key.as_ref())));
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
    use crate::diff::full;
    use crate::tree::{apply_update, render_html, Node};

    /// `<ul>{% for id, label in rows %}<li data-key="{{ id }}">{{ label }}</li>{% endfor %}</ul>`
    fn page(rows: &[(&str, &str)], statics: &[&str]) -> Node {
        let range = Range {
            statics: statics.iter().map(|s| s.to_string()).collect(),
            items: rows
                .iter()
                .map(|(k, v)| [Slot::Text((*k).into()), Slot::Text((*v).into())].into())
                .collect(),
            else_node: Some(Box::new(Node::text("<li>none</li>"))).filter(|_| rows.is_empty()),
            ..Range::default()
        };
        Node {
            statics: vec!["<ul>".into(), "</ul>".into()],
            slots: vec![Slot::Range(Box::new(range))],
        }
    }

    const KEYED: &[&str] = &["<li data-key=\"", "\">", "</li>"];
    const UNKEYED: &[&str] = &["<li title=\"", "\">", "</li>"];

    /// The update from `a` to `b`, checked by folding it like the client.
    fn update(a: &[(&str, &str)], b: &[(&str, &str)], statics: &[&str]) -> Value {
        let (old, mut new) = (page(a, statics), page(b, statics));
        let mut client = full(&old);
        let update = crate::diff::diff(&old, &mut new);
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
    fn a_list_without_keys_gets_the_servers_numbers_and_operations() {
        let b = &[("a", "A"), ("c", "C")];
        assert_eq!(update(ABC, b, UNKEYED), json!([["r", "1"]]));
        let edited = &[("a", "A"), ("b", "B!"), ("c", "C")];
        assert_eq!(
            update(ABC, edited, UNKEYED),
            json!([["u", "1", { "1": "B!" }]])
        );
        let front = &[("z", "Z"), ("a", "A"), ("b", "B"), ("c", "C")];
        assert_eq!(
            update(ABC, front, UNKEYED),
            json!([["p", [{ "0": "z", "1": "Z", "_k": "3" }]]])
        );
    }

    #[test]
    fn a_list_whose_keys_stop_being_usable_is_sent_whole() {
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
    fn a_list_that_lost_most_of_its_rows_goes_whole_when_that_is_smaller() {
        let rows: Vec<(String, String)> = (0..100)
            .map(|i| (format!("k{i}"), format!("V{i}")))
            .collect();
        let rows: Vec<(&str, &str)> = rows.iter().map(|(k, v)| (&k[..], &v[..])).collect();
        // A filter keeping one row of 100: the row, not 99 removals.
        let filtered = update(&rows, &rows[50..51], KEYED);
        assert_eq!(filtered["d"], json!([{ "0": "k50", "1": "V50" }]));
        // Two rows gone of 100: two removals.
        let fewer: Vec<_> = rows
            .iter()
            .copied()
            .filter(|(k, _)| *k != "k3" && *k != "k7")
            .collect();
        assert_eq!(
            update(&rows, &fewer, KEYED),
            json!([["r", "k3"], ["r", "k7"]])
        );
        // Most rows gone, but what is left is bigger than the removals.
        let long = "x".repeat(400);
        let big = &[("a", long.as_str()), ("b", "B"), ("c", "C")];
        assert_eq!(
            update(big, &big[..1], KEYED),
            json!([["r", "b"], ["r", "c"]])
        );
    }

    #[test]
    fn an_unchanged_list_sends_nothing() {
        assert_eq!(update(ABC, ABC, KEYED), json!(null));
    }
}
