//! Loops rendered item by item, reusing the items that did not change.
//!
//! For a loop that qualifies (see `item_loops`), the rewritten template calls
//! `__lvt_loop` with the loop's body (a fragment template), its variable, the
//! names the body reads, and the list. The call renders only the items whose
//! JSON is not among the previous render's items (found by fingerprint: at
//! the same place, shifted, or moved), and only if none of the names the
//! body reads changed; every other item keeps its slots (shared, not copied). The loop's tree goes to the tree builder by
//! number, through a marker in the output.
//!
//! The call declines (returns none, and the ordinary marked loop renders)
//! whenever it cannot be sure: the list is not a list from the state, it is
//! empty (so `else` renders), the body reads a function, macro or namespace
//! (which may not give the same output twice), no cache is in use, or the
//! items do not share statics.

use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap};

use minijinja::value::{Value, ValueKind};
use minijinja::State;

use super::json::{item_value, JsonList};
use super::marker::{Mark, Markers};
use crate::tree::{Item, Range};

/// What the previous render of a page made of its item-by-item loops; keep
/// one per page and pass it to every render of that page
/// ([`unstable::render_tree_cached`](crate::unstable::render_tree_cached)).
#[derive(Debug, Default)]
pub struct RenderCache {
    /// Which templates made these entries (their markers' nonce); another
    /// set of templates starts afresh.
    owner: Option<String>,
    loops: HashMap<(String, usize), LoopMemo>,
    /// What the last render replaced, left for [`release`](Self::release).
    retired: Vec<LoopMemo>,
}

impl RenderCache {
    /// Drops what the last render replaced: call it once the reply is
    /// written, since freeing a big list's rows takes longer than a person
    /// should wait for.
    pub fn release(&mut self) {
        self.retired.clear();
    }

    /// How many loops the cache holds (for tests and metrics).
    #[cfg(any(test, feature = "unstable"))]
    pub fn loops(&self) -> usize {
        self.loops.len()
    }
}

/// One loop as the previous render made it.
#[derive(Debug)]
struct LoopMemo {
    /// The values of the names the body reads.
    reads: Vec<Value>,
    /// Each item's [`fingerprint`]: the previous list itself is not kept.
    fingerprints: Vec<u64>,
    statics: Vec<String>,
    items: Vec<Item>,
}

/// The render in progress on this thread.
struct Scope {
    markers: Markers,
    previous: HashMap<(String, usize), LoopMemo>,
    next: HashMap<(String, usize), LoopMemo>,
    /// Previous loops used (and replaced) by this render.
    retired: Vec<LoopMemo>,
    /// How many times each fragment rendered so far in this render.
    occurrences: HashMap<String, usize>,
    lifted: Vec<Option<Range>>,
}

thread_local! {
    static SCOPE: RefCell<Option<Scope>> = const { RefCell::new(None) };
}

/// Runs `render` with `cache` available to `__lvt_loop`; returns its output
/// and the loops it rendered item by item, and leaves this render's loops
/// in `cache` for the next one.
pub(crate) fn with_cache<T>(
    cache: &mut RenderCache,
    markers: &Markers,
    render: impl FnOnce() -> T,
) -> (T, Vec<Option<Range>>) {
    if cache.owner.as_deref() != Some(markers.nonce()) {
        cache.loops.clear();
        cache.owner = Some(markers.nonce().to_string());
    }
    let scope = Scope {
        markers: markers.clone(),
        previous: std::mem::take(&mut cache.loops),
        next: HashMap::new(),
        retired: std::mem::take(&mut cache.retired),
        occurrences: HashMap::new(),
        lifted: Vec::new(),
    };
    // Put the outer scope back when done, even if `render` panics.
    struct Restore(Option<Scope>);
    impl Drop for Restore {
        fn drop(&mut self) {
            SCOPE.with(|s| s.replace(self.0.take()));
        }
    }
    let restore = Restore(SCOPE.with(|s| s.replace(Some(scope))));
    let out = render();
    let scope = SCOPE.with(|s| s.borrow_mut().take());
    drop(restore);
    match scope {
        Some(mut scope) => {
            cache.loops = scope.next;
            // Loops this render did not meet are gone too.
            scope.retired.extend(scope.previous.into_values());
            cache.retired = scope.retired;
            (out, scope.lifted)
        }
        None => (out, Vec::new()),
    }
}

/// `__lvt_loop(fragment, target, reads, list)`: the loop's marker, or none
/// to let the ordinary loop render (see the module docs).
pub(crate) fn render_loop(
    state: &State<'_, '_>,
    fragment: String,
    target: String,
    reads: Vec<String>,
    list: Value,
) -> Result<Value, minijinja::Error> {
    let declined = Ok(Value::from(()));
    let Some(items) = list.downcast_object_ref::<JsonList>() else {
        return declined;
    };
    let rows = items.rows();
    if rows.len() == 0 {
        return declined;
    }
    let mut read_values = Vec::with_capacity(reads.len());
    for name in &reads {
        let value = state.lookup(name).unwrap_or_default();
        if !is_data(&value) {
            return declined;
        }
        read_values.push(value);
    }

    // Take what this loop needs from the scope; release it while rendering.
    let taken = SCOPE.with(|s| {
        let mut s = s.borrow_mut();
        let scope = s.as_mut()?;
        let n = scope.occurrences.entry(fragment.clone()).or_default();
        let key = (fragment.clone(), *n);
        *n += 1;
        let previous = scope.previous.remove(&key);
        Some((key, previous, scope.markers.clone()))
    });
    let Some((key, previous, markers)) = taken else {
        return declined;
    };
    let previous = previous.filter(|p| {
        p.reads.len() == read_values.len()
            && p.reads.iter().zip(&read_values).all(|(a, b)| same(a, b))
    });
    let old = previous.as_ref();
    let fingerprints: Vec<u64> = rows.fingerprints().to_vec();

    // Which rows the previous render made already, and which to render:
    // their JSON is written in one pass before they are.
    let mut moved = MovedRows::default();
    let found: Vec<Option<usize>> = fingerprints
        .iter()
        .enumerate()
        .map(|(i, &print)| old.and_then(|p| moved.find(&p.fingerprints, i, print)))
        .collect();
    let to_render: Vec<usize> = (0..found.len()).filter(|&i| found[i].is_none()).collect();
    rows.prepare(&to_render);

    let template = state.env().get_template(&fragment)?;
    let mut statics = old.map(|p| p.statics.clone());
    let mut made = Vec::with_capacity(rows.len());
    for (i, found) in found.iter().enumerate() {
        if let (Some(p), Some(j)) = (old, found) {
            made.push(p.items[*j].clone());
            continue;
        }
        let mut ctx: BTreeMap<&str, Value> = reads
            .iter()
            .map(String::as_str)
            .zip(read_values.iter().cloned())
            .collect();
        let row = rows.value(i).unwrap_or_default();
        ctx.insert(&target, item_value(&row));
        let output = template.render(ctx)?;
        let node = super::split::build(&output, &markers);
        match &statics {
            Some(s) if *s != node.statics => return declined,
            Some(_) => {}
            None => statics = Some(node.statics),
        }
        made.push(Item::from(node.slots));
    }
    let statics = statics.unwrap_or_default();

    let marker = SCOPE.with(|s| {
        let mut s = s.borrow_mut();
        let scope = s.as_mut()?;
        scope.retired.extend(previous);
        let n = u32::try_from(scope.lifted.len()).ok()?;
        scope.lifted.push(Some(Range {
            statics: statics.clone(),
            items: made.clone(),
            ..Range::default()
        }));
        scope.next.insert(
            key,
            LoopMemo {
                reads: read_values.iter().map(detached).collect(),
                fingerprints,
                statics,
                items: made,
            },
        );
        Some(Value::from_safe_string(scope.markers.text(Mark::Lifted(n))))
    });
    Ok(marker.unwrap_or_else(|| Value::from(())))
}

/// Finds each row among the previous render's rows, by fingerprint: where
/// it was, where the last row found was shifted to (a row removed or added
/// before them), and after a few misses anywhere (a reorder), through an
/// index built on the fifth miss, so an edit in place never pays for
/// indexing the whole list.
#[derive(Default)]
struct MovedRows {
    /// Where the last row found was, less where it is now.
    shift: isize,
    misses: usize,
    by_print: Option<HashMap<u64, usize, foldhash::fast::FixedState>>,
}

impl MovedRows {
    const INDEX_AFTER_MISSES: usize = 4;

    /// The previous index of the row now at `i`.
    fn find(&mut self, old: &[u64], i: usize, print: u64) -> Option<usize> {
        let near = [
            i as isize + self.shift,
            i as isize,
            i as isize + 1,
            i as isize - 1,
        ];
        for j in near {
            if usize::try_from(j).ok().and_then(|j| old.get(j)) == Some(&print) {
                self.shift = j - i as isize;
                return usize::try_from(j).ok();
            }
        }
        self.misses += 1;
        if self.misses <= Self::INDEX_AFTER_MISSES {
            return None;
        }
        let index = self.by_print.get_or_insert_with(|| {
            // Fingerprints are already seeded hashes: no need to hash again.
            let mut index = HashMap::with_capacity_and_hasher(old.len(), Default::default());
            for (j, &p) in old.iter().enumerate() {
                index.entry(p).or_insert(j);
            }
            index
        });
        let j = *index.get(&print)?;
        self.shift = j as isize - i as isize;
        Some(j)
    }
}

/// A read value as the cache keeps it: a list of the state by its rows'
/// fingerprints, so the cache does not keep the state alive.
fn detached(value: &Value) -> Value {
    match value.downcast_object_ref::<JsonList>() {
        Some(list) => Value::from_object(ListPrints(list.rows().fingerprints().to_vec())),
        None => value.clone(),
    }
}

/// A list of the state, as [`detached`] keeps it.
#[derive(Debug)]
struct ListPrints(Vec<u64>);

impl minijinja::value::Object for ListPrints {}

/// The fingerprints of a list value, whether live or kept.
fn list_prints(value: &Value) -> Option<Vec<u64>> {
    if let Some(list) = value.downcast_object_ref::<JsonList>() {
        return Some(list.rows().fingerprints().to_vec());
    }
    value
        .downcast_object_ref::<ListPrints>()
        .map(|p| p.0.clone())
}

/// Whether `value` is plain data, which renders the same every time: not
/// a function, a macro or a namespace (or anything else minijinja or the
/// application made an object of), which may not.
fn is_data(value: &Value) -> bool {
    let Some(object) = value.as_object() else {
        return value.kind() != ValueKind::Invalid;
    };
    if object.downcast_ref::<JsonList>().is_some() || object.downcast_ref::<ListPrints>().is_some()
    {
        true
    } else if let Some(items) = object.downcast_ref::<Vec<Value>>() {
        items.iter().all(is_data)
    } else if let Some(map) = object.downcast_ref::<BTreeMap<Value, Value>>() {
        map.values().all(is_data)
    } else if let Some(map) = object.downcast_ref::<BTreeMap<String, Value>>() {
        map.values().all(is_data)
    } else {
        false
    }
}

/// Whether two values render the same wherever they are used: equal, of
/// the same kind, and alike in what `==` overlooks (`1` and `1.0`, a safe
/// string and an unsafe one).
fn same(a: &Value, b: &Value) -> bool {
    if a.kind() != b.kind() {
        return false;
    }
    if let (Some(x), Some(y)) = (list_prints(a), list_prints(b)) {
        return x == y;
    }
    match a.kind() {
        ValueKind::Seq => match (a.try_iter(), b.try_iter()) {
            (Ok(x), Ok(y)) => a.len() == b.len() && x.zip(y).all(|(x, y)| same(&x, &y)),
            _ => false,
        },
        ValueKind::Map => match (a.try_iter(), b.try_iter()) {
            (Ok(x), Ok(y)) => {
                a.len() == b.len()
                    && x.zip(y).all(|(k, l)| {
                        same(&k, &l)
                            && match (a.get_item(&k), b.get_item(&l)) {
                                (Ok(v), Ok(w)) => same(&v, &w),
                                _ => false,
                            }
                    })
            }
            _ => false,
        },
        ValueKind::Number => a == b && a.is_integer() == b.is_integer(),
        ValueKind::String => a.as_str() == b.as_str() && a.is_safe() == b.is_safe(),
        ValueKind::Undefined | ValueKind::None | ValueKind::Bool | ValueKind::Bytes => a == b,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn converted_state_is_data_and_functions_are_not() {
        let state = Value::from(minijinja::value::Serde(
            serde_json::json!({"a": [1, {"b": null}]}),
        ));
        assert!(is_data(&state));
        assert!(!is_data(&Value::from_function(|| 1)));
    }

    #[test]
    fn same_tells_apart_what_renders_differently() {
        assert!(same(&Value::from(1), &Value::from(1)));
        assert!(!same(&Value::from(1), &Value::from(1.0)));
        assert!(!same(&Value::from(1), &Value::from(true)));
        assert!(!same(
            &Value::from("<b>"),
            &Value::from_safe_string("<b>".into())
        ));
        assert!(same(
            &Value::from(minijinja::value::Serde(serde_json::json!({"a": [1, "x"]}))),
            &Value::from(minijinja::value::Serde(serde_json::json!({"a": [1, "x"]})))
        ));
        assert!(!same(
            &Value::from(minijinja::value::Serde(serde_json::json!({"a": [1, "x"]}))),
            &Value::from(minijinja::value::Serde(serde_json::json!({"a": [1, "y"]})))
        ));
    }
}
