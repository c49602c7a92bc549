//! Old tree + new tree → the smallest update the client can apply.
//!
//! Rules, in the order the client needs them:
//! * unchanged slots are left out, so nothing changed is `{}`;
//! * a node whose statics changed is sent whole (statics and every slot):
//!   the client replaces a node when an update brings statics;
//! * a node with the same statics sends only its changed slots, recursively;
//! * a loop that changed is sent whole for now (keyed range operations are
//!   the next step).

use serde_json::{Map, Value};

use crate::tree::{node_json, range_json, slot_json, text_json, Node, Slot};

/// The update that turns `old` into `new` on the client: `{}` when nothing changed.
///
/// ```
/// use livetemplate::{diff, tree::{Node, Slot}};
/// let old = Node { statics: vec!["<b>".into(), "</b>".into()], slots: vec![Slot::Text("1".into())] };
/// let mut new = old.clone();
/// new.slots[0] = Slot::Text("2".into());
/// assert_eq!(diff::diff(&old, &new).to_string(), r#"{"0":"2"}"#);
/// assert_eq!(diff::diff(&new, &new).to_string(), "{}");
/// ```
pub fn diff(old: &Node, new: &Node) -> Value {
    match diff_node(old, new) {
        Some(update) => update,
        None => Value::Object(Map::new()),
    }
}

/// The full tree, as the first frame of a connection sends it.
pub fn full(node: &Node) -> Value {
    node_json(node)
}

fn diff_node(old: &Node, new: &Node) -> Option<Value> {
    if old.statics != new.statics {
        return Some(node_json(new));
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
        (Slot::Range(a), Slot::Range(b)) => (a != b).then(|| range_json(b)),
        (_, b) => Some(slot_json(b)),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::tree::Range;

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
        let inner = |v| Slot::Node(node(&["<b>", "</b>"], vec![text(v)]));
        let a = node(&["", ""], vec![inner("1")]);
        let b = node(&["", ""], vec![inner("2")]);
        assert_eq!(diff(&a, &b), json!({ "0": { "0": "2" } }));
    }

    #[test]
    fn a_branch_switch_sends_the_new_node_whole() {
        let a = node(
            &["", ""],
            vec![Slot::Node(node(&["<b>", "</b>"], vec![text("1")]))],
        );
        let b = node(&["", ""], vec![Slot::Node(node(&["off"], vec![]))]);
        assert_eq!(diff(&a, &b), json!({ "0": { "s": ["off"] } }));
    }

    #[test]
    fn top_level_statics_change_sends_everything() {
        let a = node(&["a", "b"], vec![text("1")]);
        let b = node(&["a", "c"], vec![text("1")]);
        assert_eq!(diff(&a, &b), json!({ "s": ["a", "c"], "0": "1" }));
    }

    #[test]
    fn a_changed_loop_is_sent_whole() {
        let range = |items: &[&str]| {
            Slot::Range(Range {
                statics: vec!["<li>".into(), "</li>".into()],
                items: items.iter().map(|i| vec![text(i)]).collect(),
                else_node: None,
            })
        };
        let a = node(&["<ul>", "</ul>"], vec![range(&["a"])]);
        let b = node(&["<ul>", "</ul>"], vec![range(&["a", "b"])]);
        assert_eq!(diff(&a, &a), json!({}));
        assert_eq!(
            diff(&a, &b),
            json!({ "0": { "s": ["<li>", "</li>"], "d": [{ "0": "a" }, { "0": "b" }] } })
        );
    }

    #[test]
    fn text_that_looks_like_a_placeholder_travels_as_a_static_node() {
        // The client renders "{{…}}" strings as nothing; a static node keeps it.
        let a = node(&["", ""], vec![text("x")]);
        let b = node(&["", ""], vec![text("{{ x }}")]);
        assert_eq!(diff(&a, &b), json!({ "0": { "s": ["{{ x }}"] } }));
    }
}
