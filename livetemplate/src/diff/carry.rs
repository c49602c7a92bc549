//! Carrying the server's row numbers from one render to the next.
//!
//! A loop whose template names no key gets its rows numbered by the server
//! (see `tree::keys`). Each render numbers rows by position; before the
//! diff, the new rows take the numbers of the old rows they are: the same
//! rows (shared, or equal) found at the start, at the end, or anywhere in
//! between, and — where the rest of the old and new rows line up between
//! rows found — the old row in the same place (an edit, sent as `u`). What
//! is left is new and takes numbers no old row had; so inserting a row
//! renumbers no other.
//!
//! Only loops in nodes are carried: a loop inside a loop's row keeps its
//! numbers by position (rows are shared between renders, not copied).

use std::collections::HashMap;
use std::hash::{BuildHasher, Hash, Hasher};
use std::sync::Arc;

use crate::tree::{Identity, Node, Range, Slot};

/// Gives `new`'s numbered loops the numbers of `old`'s rows they match.
pub(super) fn carry_node(old: &Node, new: &mut Node) {
    if old.statics != new.statics {
        return;
    }
    for (a, b) in old.slots.iter().zip(new.slots.iter_mut()) {
        match (a, b) {
            (Slot::Node(a), Slot::Node(b)) => carry_node(a, b),
            (Slot::Range(a), Slot::Range(b)) => carry_range(a, b),
            _ => {}
        }
    }
}

/// A fingerprint of the numbers `tree`'s numbered loops carry: two trees
/// rendered from equal states are equal when their numbers are.
pub(crate) fn numbers_print(tree: &Node) -> u64 {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    hash_numbers(tree, &mut h);
    h.finish()
}

fn hash_numbers(node: &Node, h: &mut impl Hasher) {
    for slot in &node.slots {
        match slot {
            Slot::Node(n) => hash_numbers(n, h),
            Slot::Range(r) => r.ids.hash(h),
            Slot::Text(_) => {}
        }
    }
}

fn carry_range(old: &Range, new: &mut Range) {
    if old.statics != new.statics || new.identity() != Identity::Server {
        return;
    }
    let (n_old, n_new) = (old.items.len(), new.items.len());
    if n_new == 0 {
        new.ids.clear();
        return;
    }
    let same = |i: usize, j: usize| {
        Arc::ptr_eq(&old.items[i], &new.items[j]) || old.items[i] == new.items[j]
    };
    let mut ids: Vec<Option<u32>> = vec![None; n_new];
    // The same rows at the start and at the end: most changes are edits,
    // additions or removals in one place.
    let shortest = n_old.min(n_new);
    let mut head = 0;
    while head < shortest && same(head, head) {
        ids[head] = Some(old.id(head));
        head += 1;
    }
    let mut tail = 0;
    while tail < shortest - head && same(n_old - 1 - tail, n_new - 1 - tail) {
        ids[n_new - 1 - tail] = Some(old.id(n_old - 1 - tail));
        tail += 1;
    }
    let (old_mid, new_mid) = (head..n_old - tail, head..n_new - tail);
    if old_mid.len() == 1 && new_mid.len() == 1 {
        // One row changed in place (a toggle, an edit): no need to look further.
        ids[new_mid.start] = Some(old.id(old_mid.start));
    } else if !old_mid.is_empty() && !new_mid.is_empty() {
        match_moved(old, new, old_mid, new_mid, &mut ids);
    }
    let mut next = old.next_id();
    let ids: Vec<u32> = ids
        .into_iter()
        .map(|id| {
            id.unwrap_or_else(|| {
                let id = next;
                next = next.saturating_add(1);
                id
            })
        })
        .collect();
    let positional = ids.iter().enumerate().all(|(i, id)| *id as usize == i);
    new.ids = if positional { Vec::new() } else { ids };
}

/// In the middle, where rows were added and removed: rows equal to an old
/// row take its number; between two such rows, the unmatched new rows take
/// the unmatched old rows' numbers in order when the old gap lines up.
fn match_moved(
    old: &Range,
    new: &Range,
    old_mid: std::ops::Range<usize>,
    new_mid: std::ops::Range<usize>,
    ids: &mut [Option<u32>],
) {
    let hasher = foldhash::fast::FixedState::default();
    let hash = |item: &[Slot]| {
        let mut h = hasher.build_hasher();
        hash_slots(item, &mut h);
        h.finish()
    };
    let mut by_content: HashMap<u64, Vec<usize>> = HashMap::new();
    for i in old_mid.clone().rev() {
        by_content.entry(hash(&old.items[i])).or_default().push(i);
    }
    let mut matched = Vec::new(); // (old, new), in new order
    for j in new_mid.clone() {
        let Some(candidates) = by_content.get_mut(&hash(&new.items[j])) else {
            continue;
        };
        if let Some(at) = candidates
            .iter()
            .rposition(|&i| old.items[i] == new.items[j])
        {
            let i = candidates.remove(at);
            ids[j] = Some(old.id(i));
            matched.push((i, j));
        }
    }
    // Gaps between matched rows (and the ends of the middle), when the
    // matched rows kept their order.
    if !matched.windows(2).all(|w| w[0].0 < w[1].0) {
        return;
    }
    let mut bounds = vec![(old_mid.start as isize - 1, new_mid.start as isize - 1)];
    bounds.extend(matched.iter().map(|&(i, j)| (i as isize, j as isize)));
    bounds.push((old_mid.end as isize, new_mid.end as isize));
    for w in bounds.windows(2) {
        let (old_gap, new_gap) = ((w[0].0 + 1)..w[1].0, (w[0].1 + 1)..w[1].1);
        for (i, j) in old_gap.zip(new_gap) {
            ids[j as usize] = Some(old.id(i as usize));
        }
    }
}

/// What a row shows, fed to a hasher: equal rows hash equal.
fn hash_slots(slots: &[Slot], h: &mut impl Hasher) {
    slots.len().hash(h);
    for slot in slots {
        match slot {
            Slot::Text(text) => (0u8, text).hash(h),
            Slot::Node(node) => {
                1u8.hash(h);
                node.statics.hash(h);
                hash_slots(&node.slots, h);
            }
            Slot::Range(range) => {
                2u8.hash(h);
                range.statics.hash(h);
                range.items.len().hash(h);
                for item in &range.items {
                    hash_slots(item, h);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn range(rows: &[&str]) -> Range {
        Range {
            statics: vec!["<li>".into(), "</li>".into()],
            items: rows
                .iter()
                .map(|r| [Slot::Text((*r).into())].into())
                .collect(),
            ..Range::default()
        }
    }

    fn carried(old: &Range, rows: &[&str]) -> Range {
        let mut new = range(rows);
        carry_range(old, &mut new);
        new
    }

    fn ids(r: &Range) -> Vec<u32> {
        (0..r.items.len()).map(|i| r.id(i)).collect()
    }

    #[test]
    fn an_insertion_renumbers_no_other_row() {
        let old = range(&["a", "b", "c"]);
        assert_eq!(ids(&carried(&old, &["z", "a", "b", "c"])), [3, 0, 1, 2]);
        assert_eq!(ids(&carried(&old, &["a", "z", "b", "c"])), [0, 3, 1, 2]);
        assert_eq!(ids(&carried(&old, &["a", "b", "c", "z"])), [0, 1, 2, 3]);
    }

    #[test]
    fn removals_edits_and_moves_keep_numbers() {
        let old = carried(&range(&["a", "b", "c"]), &["z", "a", "b", "c"]);
        assert_eq!(
            ids(&carried(&old, &["a", "b", "c"])),
            [0, 1, 2],
            "z removed"
        );
        assert_eq!(
            ids(&carried(&old, &["z", "a", "B", "c"])),
            [3, 0, 1, 2],
            "b edited"
        );
        assert_eq!(
            ids(&carried(&old, &["c", "b", "a", "z"])),
            [2, 1, 0, 3],
            "reversed"
        );
        // Removed one row and edited another: the edit keeps its number.
        assert_eq!(ids(&carried(&old, &["z", "A", "c"])), [3, 0, 2]);
    }

    #[test]
    fn new_numbers_are_never_reused_from_the_old_render() {
        let old = carried(&range(&["a", "b"]), &["b"]); // a (0) removed
        assert_eq!(ids(&old), [1]);
        assert_eq!(ids(&carried(&old, &["x", "b"])), [2, 1]);
    }

    #[test]
    fn positions_are_stored_as_nothing() {
        let old = range(&["a", "b"]);
        let new = carried(&old, &["a", "B"]);
        assert!(new.ids.is_empty());
    }
}
