//! Which slot of a loop item is its identity.
//!
//! The client applies list operations (`r`, `u`, `i`, `o`, …) only to a range
//! that names its key slot in `m.idKey`; in the browser it then finds the row
//! by its `data-key` / `data-lvt-key` attribute. So a loop is keyed when its
//! item's first tag carries one of [`KEY_ATTRIBUTES`] whose whole value is
//! one slot, and every item's key is plain, non-empty text, unique in the list.

use foldhash::HashSetExt;

use super::{Range, Slot};

/// Attributes that name an item, in order of preference. The first two are
/// the ones the browser client looks rows up by; the others still let the
/// client's tree apply operations.
pub const KEY_ATTRIBUTES: [&str; 5] = ["data-key", "data-lvt-key", "key", "id", "data-id"];

impl Range {
    /// The slot holding each item's key, judged from the statics alone (so
    /// it is the same for every render with these statics).
    pub fn key_slot(&self) -> Option<usize> {
        key_slot(&self.statics)
    }

    /// The items' keys, when every item has a usable one and none repeats.
    pub(crate) fn keys(&self, slot: usize) -> Option<Vec<&str>> {
        // foldhash: several times faster than SipHash on short keys, and still
        // seeded per process, so rows cannot be chosen to collide.
        let mut seen = foldhash::HashSet::with_capacity(self.items.len());
        let mut keys = Vec::with_capacity(self.items.len());
        for item in &self.items {
            let Some(Slot::Text(key)) = item.get(slot) else {
                return None;
            };
            if !usable_key(key) || !seen.insert(key.as_str()) {
                return None;
            }
            keys.push(key.as_str());
        }
        Some(keys)
    }
}

/// A key the client can match both in its tree and as a DOM attribute value:
/// escaped text with an entity in it (`&amp;`) would differ between the two,
/// and `{{…}}` travels as a node rather than a string.
fn usable_key(key: &str) -> bool {
    let placeholder = key.starts_with("{{") && key.ends_with("}}");
    !key.is_empty() && !key.contains('&') && !placeholder
}

fn key_slot(statics: &[String]) -> Option<usize> {
    if !statics.first()?.trim_start().starts_with('<') {
        return None;
    }
    // Slots of the first tag: before the first static that closes it.
    let first_tag_slots = statics
        .iter()
        .position(|s| s.contains('>'))
        .unwrap_or(statics.len() - 1);
    KEY_ATTRIBUTES.iter().find_map(|attr| {
        (0..first_tag_slots).find(|&i| is_whole_value_of(attr, &statics[i], &statics[i + 1]))
    })
}

/// `before` ends with ` attr="` and `after` starts with the closing quote.
fn is_whole_value_of(attr: &str, before: &str, after: &str) -> bool {
    let Some(quote) = before.chars().last().filter(|q| *q == '"' || *q == '\'') else {
        return false;
    };
    let Some(head) = before[..before.len() - 1].strip_suffix('=') else {
        return false;
    };
    let Some(name_start) = head.strip_suffix(attr) else {
        return false;
    };
    name_start.ends_with(|c: char| c.is_ascii_whitespace()) && after.starts_with(quote)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn statics(parts: &[&str]) -> Vec<String> {
        parts.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn the_key_is_a_whole_attribute_value_in_the_first_tag() {
        assert_eq!(
            key_slot(&statics(&["<li data-key=\"", "\">", "</li>"])),
            Some(0)
        );
        assert_eq!(
            key_slot(&statics(&[
                "\n  <tr class=\"",
                "\" id='",
                "'><td>",
                "</td></tr>"
            ])),
            Some(1)
        );
        // data-key wins over id, wherever it sits in the tag.
        assert_eq!(
            key_slot(&statics(&["<li id=\"", "\" data-key=\"", "\">x</li>"])),
            Some(1)
        );
    }

    #[test]
    fn look_alikes_are_not_keys() {
        for parts in [
            &["<li data-keystone=\"", "\">x</li>"][..],
            &["<li my-data-key=\"", "\">x</li>"],
            &["<li id=\"row-", "\">x</li>"],
            &["<li id=\"", "-x\">x</li>"],
            &["<li>", "<b id=\"", "\"></b></li>"],
            &["text id=\"", "\""],
        ] {
            assert_eq!(key_slot(&statics(parts)), None, "{parts:?}");
        }
    }

    #[test]
    fn keys_must_be_plain_and_unique() {
        let range = |keys: &[&str]| Range {
            statics: statics(&["<li data-key=\"", "\"></li>"]),
            items: keys
                .iter()
                .map(|k| [Slot::Text(k.to_string())].into())
                .collect(),
            else_node: None,
        };
        assert_eq!(range(&["a", "b"]).keys(0), Some(vec!["a", "b"]));
        assert_eq!(range(&["a", "a"]).keys(0), None);
        assert_eq!(range(&["a", ""]).keys(0), None);
        assert_eq!(range(&["a&amp;b"]).keys(0), None);
    }
}
