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
