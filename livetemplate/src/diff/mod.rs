//! Old tree + new tree → the smallest update the client can apply.
//!
//! Rules, in the order the client needs them:
//! * unchanged slots are left out, so nothing changed is `{}`;
//! * a node whose statics changed is sent whole (statics and every slot):
//!   the client replaces a node when an update brings statics;
//! * a node with the same statics sends only its changed slots, recursively;
//! * a loop sends list operations (see [below](self#loops)).
//!
//! # Loops
//!
//! Every loop's rows have keys (`tree::keys`: the template's key attribute,
//! or the server's numbers, which [`carry`] keeps from render to render), so
//! a loop that kept rows is updated with the client's operations:
//! `["r", key]` removes a row, `["u", key, slots]` changes only the slots
//! that changed, `["a", items]` appends, `["p", items]` prepends,
//! `["i", after, items]` inserts after a row, and `["o", keys]` gives a new
//! order. A loop that became empty, was empty, or kept none of its rows is
//! sent whole: that is smaller, and carries `else`.

mod carry;
mod range;
mod replace;

use serde_json::{Map, Value};

use crate::tree::{node_json, slot_json, text_json, Node, Slot};

/// The update that turns `old` into `new` on the client: `{}` when nothing
/// changed. First the server's row numbers are carried from `old` into
/// `new` (module `carry`), so keep `new` for the next diff.
///
/// ```
/// use livetemplate::unstable::{diff, Node, Slot};
/// let old = Node { statics: vec!["<b>".into(), "</b>".into()], slots: vec![Slot::Text("1".into())] };
/// let mut new = old.clone();
/// new.slots[0] = Slot::Text("2".into());
/// assert_eq!(diff(&old, &mut new).to_string(), r#"{"0":"2"}"#);
/// assert_eq!(diff(&new.clone(), &mut new).to_string(), "{}");
/// ```
pub fn diff(old: &Node, new: &mut Node) -> Value {
    carry::carry_node(old, new);
    match diff_node(old, new) {
        Some(update) => update,
        None => Value::Object(Map::new()),
    }
}

pub(crate) use carry::numbers_print;

/// The full tree, as the first frame of a connection sends it.
pub fn full(node: &Node) -> Value {
    node_json(node)
}

fn diff_node(old: &Node, new: &Node) -> Option<Value> {
    if old.statics != new.statics {
        let mut whole = node_json(new);
        replace::forget_stale_slots(&mut whole, old);
        return Some(whole);
    }
    let mut map = Map::new();
    for (i, (a, b)) in old.slots.iter().zip(&new.slots).enumerate() {
        if let Some(change) = diff_slot(a, b) {
            map.insert(i.to_string(), change);
        }
    }
    (!map.is_empty()).then_some(Value::Object(map))
}

fn diff_slot(old: &Slot, new: &Slot) -> Option<Value> {
    match (old, new) {
        (Slot::Text(a), Slot::Text(b)) => (a != b).then(|| text_json(b)),
        (Slot::Node(a), Slot::Node(b)) => diff_node(a, b),
        (Slot::Range(a), Slot::Range(b)) => range::diff_range(a, b),
        (a, b) => {
            let mut whole = slot_json(b);
            replace::forget_stale(&mut whole, a);
            Some(whole)
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::tree::Range;

    /// The update from `old` to (a copy of) `new`.
    fn diff(old: &Node, new: &Node) -> Value {
        super::diff(old, &mut new.clone())
    }

    fn text(s: &str) -> Slot {
        Slot::Text(s.into())
    }

    fn node(statics: &[&str], slots: Vec<Slot>) -> Node {
        Node {
            statics: statics.iter().map(|s| s.to_string()).collect(),
            slots,
        }
    }

    #[test]
    fn unchanged_is_empty_and_one_change_is_one_slot() {
        let a = node(&["<p>", "</p><i>", "</i>"], vec![text("1"), text("x")]);
        assert_eq!(diff(&a, &a), json!({}));
        let b = node(&["<p>", "</p><i>", "</i>"], vec![text("2"), text("x")]);
        assert_eq!(diff(&a, &b), json!({ "0": "2" }));
    }

    #[test]
    fn nested_nodes_with_the_same_statics_send_only_their_changed_slots() {
        let inner = |v| Slot::Node(Box::new(node(&["<b>", "</b>"], vec![text(v)])));
        let a = node(&["", ""], vec![inner("1")]);
        let b = node(&["", ""], vec![inner("2")]);
        assert_eq!(diff(&a, &b), json!({ "0": { "0": "2" } }));
    }

    #[test]
    fn a_branch_switch_sends_the_new_node_whole() {
        let a = node(
            &["", ""],
            vec![Slot::Node(Box::new(node(
                &["<b>", "</b>"],
                vec![text("1")],
            )))],
        );
        let b = node(
            &["", ""],
            vec![Slot::Node(Box::new(node(&["off"], vec![])))],
        );
        assert_eq!(diff(&a, &b), json!({ "0": { "s": ["off"] } }));
    }

    #[test]
    fn top_level_statics_change_sends_everything() {
        let a = node(&["a", "b"], vec![text("1")]);
        let b = node(&["a", "c"], vec![text("1")]);
        assert_eq!(diff(&a, &b), json!({ "s": ["a", "c"], "0": "1" }));
    }

    #[test]
    fn a_loop_without_keys_is_numbered_and_changes_by_operations() {
        let range = |items: &[&str]| {
            Slot::Range(Box::new(Range {
                statics: vec!["<li>".into(), "</li>".into()],
                items: items.iter().map(|i| [text(i)].into()).collect(),
                ..Range::default()
            }))
        };
        let a = node(&["<ul>", "</ul>"], vec![range(&["a"])]);
        let b = node(&["<ul>", "</ul>"], vec![range(&["a", "b"])]);
        assert_eq!(diff(&a, &a), json!({}));
        assert_eq!(
            full(&a),
            json!({ "s": ["<ul>", "</ul>"], "0": { "s": ["<li>", "</li>"], "d": [{ "0": "a", "_k": "0" }] } })
        );
        assert_eq!(
            diff(&a, &b),
            json!({ "0": [["a", [{ "0": "b", "_k": "1" }]]] })
        );
    }

    #[test]
    fn text_that_looks_like_a_placeholder_travels_as_a_static_node() {
        // The client renders "{{…}}" strings as nothing; a static node keeps it.
        let a = node(&["", ""], vec![text("x")]);
        let b = node(&["", ""], vec![text("{{ x }}")]);
        assert_eq!(diff(&a, &b), json!({ "0": { "s": ["{{ x }}"] } }));
    }

    /// Folds `diff(old, new)` into the client's copy of `old`, like the client.
    fn shown_after(old: &Node, new: &Node) -> String {
        let mut client = full(old);
        crate::tree::apply_update(&mut client, &diff(old, new)).unwrap();
        crate::tree::render_html(&client)
    }

    fn list(items: &[&str], else_text: Option<&str>) -> Slot {
        Slot::Range(Box::new(Range {
            statics: vec!["<li>".into(), "</li>".into()],
            items: items.iter().map(|i| [text(i)].into()).collect(),
            else_node: else_text.map(|t| Box::new(Node::text(t))),
            ..Range::default()
        }))
    }

    #[test]
    fn a_loop_replaced_by_a_node_holding_a_loop_does_not_keep_the_old_rows() {
        // The client merges the node into the old loop and kept its `d`.
        let old = node(&["", ""], vec![list(&["a", "b"], None)]);
        let inner = node(&["<ul>", "</ul>"], vec![list(&["a"], None)]);
        let new = node(&["", ""], vec![Slot::Node(Box::new(inner))]);
        assert_eq!(shown_after(&old, &new), "<ul><li>a</li></ul>");
        assert_eq!(diff(&old, &new)["0"]["d"], json!(null));
    }

    #[test]
    fn an_empty_loop_whose_else_went_away_shows_nothing() {
        // The client kept the old `else` of a loop sent whole without one.
        let old = node(&["", ""], vec![list(&[], Some("none"))]);
        let new = node(&["", ""], vec![list(&[], None)]);
        assert_eq!(shown_after(&old, &new), "");
        let nested = |e| Slot::Node(Box::new(node(&["<ol>", "</ol>"], vec![list(&[], e)])));
        let old = node(
            &["", ""],
            vec![Slot::Range(Box::new(Range {
                else_node: Some(Box::new(node(&["", ""], vec![nested(Some("x"))]))),
                ..Range::default()
            }))],
        );
        let new = node(
            &["", ""],
            vec![Slot::Range(Box::new(Range {
                else_node: Some(Box::new(node(&["", "!"], vec![nested(None)]))),
                ..Range::default()
            }))],
        );
        assert_eq!(shown_after(&old, &new), "<ol></ol>!");
    }
}
