//! One case = a template and a sequence of states. For every state we check
//! what no judge outside could: the tree's HTML equals plain minijinja's byte
//! for byte, the update is minimal, and our own fold of it (the test client's)
//! shows the same HTML. Then the update goes to the stock client.

use livetemplate::unstable::{self, Node, Range, Slot};
use livetemplate::Templates;
use serde_json::Value;

use crate::replay::Replay;

/// Counts of what a run sent, to prove a corpus exercises what it claims.
#[derive(Debug, Default)]
pub struct Tally {
    pub updates: usize,
    /// Range operations by kind: `r`, `u`, `a`, `p`, `i`, `o`.
    pub ops: std::collections::BTreeMap<String, usize>,
    /// Ranges sent whole in an update (not the first frame).
    pub whole_ranges: usize,
    /// States whose render failed (identically in plain minijinja).
    pub errors: usize,
}

/// Renders `states` of template `name` and sends each update to `replay`.
pub fn run_case(
    templates: &Templates,
    name: &str,
    states: &[Value],
    replay: &mut Replay,
    tally: &mut Tally,
) -> Result<(), String> {
    replay.reset(name, &templates.source(name).unwrap_or_default());
    let mut previous: Option<Node> = None;
    let mut folded = Value::Null;
    for (step, state) in states.iter().enumerate() {
        let at = |what: &str| format!("{name} step {step}: {what}");
        let plain = templates.render_plain(name, state);
        let mut tree = match (unstable::render_tree(templates, name, state), plain) {
            (Ok(tree), Ok(plain)) => {
                if tree.to_html() != plain {
                    return Err(at(&format!(
                        "tree renders\n{}\nplain minijinja renders\n{plain}",
                        tree.to_html()
                    )));
                }
                tree
            }
            (Err(a), Err(b)) if a.to_string() == b.to_string() => {
                tally.errors += 1;
                continue;
            }
            (a, b) => return Err(at(&format!("tree gives {a:?}, plain gives {b:?}"))),
        };
        let update = match &previous {
            Some(old) => {
                let update = unstable::diff(old, &mut tree);
                minimal(old, &tree, &update).map_err(|e| at(&format!("{e}\nupdate {update}")))?;
                count(&update, tally);
                update
            }
            None => unstable::full(&tree),
        };
        unstable::apply_update(&mut folded, &update).map_err(|e| at(&e.to_string()))?;
        let html = tree.to_html();
        if unstable::render_html(&folded) != html {
            return Err(at(&format!("our fold of {update} differs")));
        }
        replay.step(&update, &html);
        tally.updates += 1;
        previous = Some(tree);
    }
    Ok(())
}

/// Minimality: nothing changed sends `{}`; nothing unchanged is sent; statics
/// travel only where they changed; rows of a keyed list are changed in place.
pub fn minimal(old: &Node, new: &Node, update: &Value) -> Result<(), String> {
    if old == new && update != &Value::Object(Default::default()) {
        return Err("identical states must send {}".into());
    }
    node(old, new, update, "")
}

fn node(old: &Node, new: &Node, update: &Value, path: &str) -> Result<(), String> {
    let Value::Object(map) = update else {
        return Err(format!("{path}: a node's update must be an object"));
    };
    if map.contains_key("s") {
        return if old.statics == new.statics {
            Err(format!("{path}: statics re-sent though unchanged"))
        } else {
            Ok(())
        };
    }
    for (key, change) in map {
        let i: usize = key.parse().map_err(|_| format!("{path}: key {key}"))?;
        let (Some(a), Some(b)) = (old.slots.get(i), new.slots.get(i)) else {
            return Err(format!("{path}/{key}: no such slot"));
        };
        slot(a, b, change, &format!("{path}/{key}"))?;
    }
    Ok(())
}

fn slot(old: &Slot, new: &Slot, change: &Value, path: &str) -> Result<(), String> {
    if old == new {
        return Err(format!("{path}: sent though unchanged"));
    }
    match (old, new) {
        (Slot::Node(a), Slot::Node(b)) => node(a, b, change, path),
        (Slot::Range(a), Slot::Range(b)) => range(a, b, change, path),
        _ => Ok(()),
    }
}

fn range(old: &Range, new: &Range, change: &Value, path: &str) -> Result<(), String> {
    let (old_keys, old_numbered) = unstable::row_keys(old);
    let (new_keys, new_numbered) = unstable::row_keys(new);
    let Some(ops) = change.as_array() else {
        // Whole: fine unless the list kept some rows, keyed the same way —
        // or lost more rows than it has (then whole may be the smaller).
        let kept = old_keys.iter().any(|k| new_keys.contains(k));
        let removed = old_keys.iter().filter(|k| !new_keys.contains(k)).count();
        return if old.statics == new.statics
            && old_numbered == new_numbered
            && kept
            && removed <= new_keys.len()
        {
            Err(format!("{path}: list sent whole though rows were kept"))
        } else {
            Ok(())
        };
    };
    let row = |keys: &[String], k: &str| keys.iter().position(|key| key == k);
    for op in ops {
        if op[0] != "u" {
            continue;
        }
        let k = op[1].as_str().unwrap_or_default();
        let (Some(i), Some(j)) = (row(&old_keys, k), row(&new_keys, k)) else {
            return Err(format!("{path}: u of unknown row {k}"));
        };
        let (a, b) = (
            Node {
                statics: old.statics.clone(),
                slots: old.items[i].to_vec(),
            },
            Node {
                statics: new.statics.clone(),
                slots: new.items[j].to_vec(),
            },
        );
        node(&a, &b, &op[2], &format!("{path}[{k}]"))?;
    }
    Ok(())
}

/// Adds the range operations and whole ranges in `update` to the tally.
fn count(update: &Value, tally: &mut Tally) {
    fn walk(v: &Value, tally: &mut Tally) {
        match v {
            Value::Array(ops)
                if ops
                    .first()
                    .and_then(|o| o.get(0))
                    .is_some_and(Value::is_string) =>
            {
                for op in ops {
                    let kind = op[0].as_str().unwrap_or_default().to_string();
                    *tally.ops.entry(kind).or_default() += 1;
                    for part in op.as_array().into_iter().flatten().skip(1) {
                        walk(part, tally);
                    }
                }
            }
            Value::Array(items) => items.iter().for_each(|i| walk(i, tally)),
            Value::Object(map) => {
                if map.contains_key("d") {
                    tally.whole_ranges += 1;
                }
                map.values().for_each(|c| walk(c, tally));
            }
            _ => {}
        }
    }
    walk(update, tally);
}
