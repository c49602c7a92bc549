//! How the rows of a loop are told apart: on the wire, so the client can
//! apply list operations (`r`, `u`, `i`, `o`, …), and from one render to the
//! next, so a row keeps its key while rows around it come and go.
//!
//! Three ways, in order of preference:
//!
//! 1. **A key slot.** The item's first tag carries one of [`KEY_ATTRIBUTES`]
//!    whose whole value is one slot (`data-key="{{ id }}"`): the range names
//!    it in `m.idKey`, and the browser finds the row by that attribute.
//! 2. **A key attribute made of text and slots** (`id="row-{{ id }}"`,
//!    `data-key="{{ kind }}-{{ id }}"`, also on a nested element, or an
//!    `href`): each item carries the attribute's value as `_k`. A `data-key`
//!    on the first tag still gives the browser its fast path.
//! 3. **The server's numbers**, where the template names no key: each row
//!    gets a number, carried forward by the diff (see `diff::carry`), sent
//!    as `_k`.
//!
//! A key must be plain, non-empty text, unique in the list; when the
//! template's key does not give every row one, the server's numbers serve.

use std::borrow::Cow;

use foldhash::HashSetExt;

use super::{Range, Slot};

/// Attributes that name an item, in order of preference. The first two are
/// the ones the browser client looks rows up by; the others still let the
/// client's tree apply operations.
pub const KEY_ATTRIBUTES: [&str; 5] = ["data-key", "data-lvt-key", "key", "id", "data-id"];

/// Attributes the browser finds rows by, for its fast path.
const BROWSER_KEY_ATTRIBUTES: [&str; 2] = ["data-key", "data-lvt-key"];

/// One piece of an attribute value: text the template wrote, or a slot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Part {
    Text(String),
    Slot(usize),
}

/// How a loop's rows are named on the wire, judged from its statics alone.
#[derive(Debug, Clone)]
pub(crate) struct KeyForm {
    pub identity: Identity,
    /// Template keys go behind a `·` (see [`RowKeys`]).
    pub guarded: bool,
    /// Server numbers go behind a `·`.
    pub numbers_guarded: bool,
}

/// How a loop names its rows, judged from its statics alone (so it is the
/// same for every render with these statics).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Identity {
    /// The whole value of a key attribute is this slot.
    Slot(usize),
    /// A key attribute's value, made of these parts.
    Attribute(Vec<Part>),
    /// Nothing in the template names the rows.
    Server,
}

/// Every row's key, as the wire spells it.
///
/// The browser's fast path finds a loop's rows by their `data-key` (or
/// `data-lvt-key`) attribute, taking the element whose attribute equals a
/// row's key as that row. Where the statics carry such an attribute that is
/// not the key of the row's first tag (on a nested element, say), keys that
/// equal its values would make the browser take the wrong element for the
/// row: such keys go behind a `·` no attribute value starts with, and the
/// browser takes its slower, always right path.
#[derive(Debug)]
pub(crate) struct RowKeys<'a> {
    pub keys: Vec<Cow<'a, str>>,
    /// The keys are the server's numbers (`_k`), not the template's own.
    pub numbered: bool,
    /// The keys travel in each item as `_k` (not in a slot `m.idKey` names).
    pub in_items: bool,
}

impl Range {
    /// The slot holding each item's key, if a key attribute's whole value is
    /// one slot of the first tag (the range then names it in `m.idKey`).
    pub fn key_slot(&self) -> Option<usize> {
        key_slot(&self.statics).map(|(slot, _)| slot)
    }

    /// How this loop names its rows.
    pub(crate) fn identity(&self) -> Identity {
        self.key_source().0
    }

    /// How this loop names its rows, and whether that is the first tag's
    /// `data-key` (or `data-lvt-key`), by which the browser finds rows.
    fn key_source(&self) -> (Identity, bool) {
        if let Some((slot, attr)) = key_slot(&self.statics) {
            return (Identity::Slot(slot), BROWSER_KEY_ATTRIBUTES.contains(&attr));
        }
        match key_parts(&self.statics) {
            Some((parts, browser)) => (Identity::Attribute(parts), browser),
            None => (Identity::Server, false),
        }
    }

    /// How this loop's rows are named, from its statics alone.
    pub(crate) fn key_form(&self) -> KeyForm {
        let (identity, browser_finds_rows) = self.key_source();
        let may_look_up = self.browser_may_look_up_keys();
        KeyForm {
            // Keys the browser could mistake for another element's (see RowKeys).
            guarded: !browser_finds_rows && may_look_up,
            numbers_guarded: may_look_up,
            identity,
        }
    }

    /// Whether the template's keys give every row a usable, unique key
    /// (remembered: a range's rows do not change).
    pub(crate) fn template_keys_usable(&self, form: &KeyForm) -> bool {
        if let Some(known) = self.keys_usable.get() {
            return known;
        }
        let usable = match &form.identity {
            Identity::Slot(slot) => self.slot_keys(*slot).is_some(),
            Identity::Attribute(parts) => self.attribute_keys(parts).is_some(),
            Identity::Server => false,
        };
        self.keys_usable.set(usable);
        usable
    }

    /// Whether row `i` here and row `j` of `other` (same statics) have the
    /// same template key, without building either.
    pub(crate) fn same_template_key(
        &self,
        form: &KeyForm,
        i: usize,
        other: &Range,
        j: usize,
    ) -> bool {
        let (a, b) = (&self.items[i], &other.items[j]);
        if std::sync::Arc::ptr_eq(a, b) {
            return true;
        }
        fn text(item: &[Slot], k: usize) -> Option<&str> {
            match item.get(k) {
                Some(Slot::Text(t)) => Some(t.as_str()),
                _ => None,
            }
        }
        match &form.identity {
            Identity::Slot(k) => text(a, *k).is_some() && text(a, *k) == text(b, *k),
            Identity::Attribute(parts) => parts.iter().all(|part| match part {
                Part::Text(_) => true,
                Part::Slot(k) => text(a, *k).is_some() && text(a, *k) == text(b, *k),
            }),
            Identity::Server => false,
        }
    }

    /// Row `i`'s template key as the wire spells it (unchecked: ask
    /// [`template_keys_usable`](Self::template_keys_usable) first).
    pub(crate) fn template_key_at(&self, form: &KeyForm, i: usize) -> Option<String> {
        let item = self.items.get(i)?;
        let mut key = String::new();
        if form.guarded {
            key.push('·');
        }
        match &form.identity {
            Identity::Slot(k) => match item.get(*k) {
                Some(Slot::Text(t)) => key.push_str(t),
                _ => return None,
            },
            Identity::Attribute(parts) => {
                for part in parts {
                    match part {
                        Part::Text(t) => key.push_str(t),
                        Part::Slot(k) => match item.get(*k) {
                            Some(Slot::Text(t)) => key.push_str(t),
                            _ => return None,
                        },
                    }
                }
            }
            Identity::Server => return None,
        }
        Some(key)
    }

    /// Row `i`'s server number as the wire spells it.
    pub(crate) fn number_key_at(&self, form: &KeyForm, i: usize) -> String {
        number_key(self.id(i), form.numbers_guarded)
    }

    /// Every row's key: the template's when it gives each row a usable,
    /// unique one, else the server's numbers.
    pub(crate) fn row_keys(&self) -> RowKeys<'_> {
        let (identity, browser_finds_rows) = self.key_source();
        // Keys the browser could mistake for another element's (see RowKeys).
        let guarded = !browser_finds_rows && self.browser_may_look_up_keys();
        let in_slot = matches!(identity, Identity::Slot(_));
        let template_keys = match identity {
            Identity::Slot(slot) => self
                .slot_keys(slot)
                .map(|keys| keys.into_iter().map(Cow::Borrowed).collect()),
            Identity::Attribute(parts) => self.attribute_keys(&parts),
            Identity::Server => None,
        };
        if let Some(keys) = template_keys {
            let in_items = !in_slot || guarded;
            let keys = if guarded {
                keys.into_iter()
                    .map(|k| Cow::Owned(format!("·{k}")))
                    .collect()
            } else {
                keys
            };
            return RowKeys {
                keys,
                numbered: false,
                in_items,
            };
        }
        let guarded = self.browser_may_look_up_keys();
        let keys = (0..self.items.len())
            .map(|i| Cow::Owned(number_key(self.id(i), guarded)))
            .collect();
        RowKeys {
            keys,
            numbered: true,
            in_items: true,
        }
    }

    /// Row `i`'s number (its position unless the diff carried another).
    pub(crate) fn id(&self, i: usize) -> u32 {
        self.ids.get(i).copied().unwrap_or(i as u32)
    }

    /// A number no row of this range has.
    pub(crate) fn next_id(&self) -> u32 {
        match self.ids.iter().max() {
            Some(max) => max.saturating_add(1),
            None => u32::try_from(self.items.len()).unwrap_or(u32::MAX),
        }
    }

    /// The items' keys in slot `slot`, when every item has a usable one and
    /// none repeats.
    pub(crate) fn slot_keys(&self, slot: usize) -> Option<Vec<&str>> {
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

    /// The items' values of a key attribute made of `parts`, when every item
    /// has a usable one and none repeats.
    fn attribute_keys(&self, parts: &[Part]) -> Option<Vec<Cow<'_, str>>> {
        let mut seen = foldhash::HashSet::with_capacity(self.items.len());
        let mut keys = Vec::with_capacity(self.items.len());
        for item in &self.items {
            let mut key = String::new();
            for part in parts {
                match part {
                    Part::Text(text) => key.push_str(text),
                    Part::Slot(i) => match item.get(*i) {
                        Some(Slot::Text(text)) => key.push_str(text),
                        _ => return None,
                    },
                }
            }
            if !usable_key(&key) || !seen.insert(key.clone()) {
                return None;
            }
            keys.push(Cow::Owned(key));
        }
        Some(keys)
    }

    /// Whether the statics carry an attribute the browser looks rows up by:
    /// the server's numbers must then never equal one of their values.
    fn browser_may_look_up_keys(&self) -> bool {
        self.statics.iter().any(|s| {
            BROWSER_KEY_ATTRIBUTES
                .iter()
                .any(|attr| attribute_starts(s, attr).next().is_some())
        })
    }
}

/// Row number `id` as a key: base 36, and behind a `·` where the browser
/// may look rows up by a `data-key` of the app's (no app key starts so).
fn number_key(id: u32, guarded: bool) -> String {
    let mut digits = Vec::new();
    let mut n = id;
    loop {
        let d = (n % 36) as u8;
        digits.push(if d < 10 { b'0' + d } else { b'a' + d - 10 });
        n /= 36;
        if n == 0 {
            break;
        }
    }
    let mut key = String::with_capacity(digits.len() + 2);
    if guarded {
        key.push('·');
    }
    key.extend(digits.iter().rev().map(|&d| d as char));
    key
}

/// A key the client can match both in its tree and as a DOM attribute value:
/// escaped text with an entity in it (`&amp;`) would differ between the two,
/// and `{{…}}` travels as a node rather than a string.
fn usable_key(key: &str) -> bool {
    let placeholder = key.starts_with("{{") && key.ends_with("}}");
    !key.is_empty() && !key.contains('&') && !placeholder
}

/// How many slots belong to the first tag: those before the first static
/// that closes it.
fn first_tag_slots(statics: &[String]) -> Option<usize> {
    if !statics.first()?.trim_start().starts_with('<') {
        return None;
    }
    Some(
        statics
            .iter()
            .position(|s| s.contains('>'))
            .unwrap_or(statics.len() - 1),
    )
}

/// The slot whose whole value is a key attribute of the first tag, and the attribute.
fn key_slot(statics: &[String]) -> Option<(usize, &'static str)> {
    let first_tag_slots = first_tag_slots(statics)?;
    KEY_ATTRIBUTES.iter().find_map(|attr| {
        (0..first_tag_slots)
            .find(|&i| is_whole_value_of(attr, &statics[i], &statics[i + 1]))
            .map(|slot| (slot, *attr))
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

/// The parts of the first key attribute whose value holds a slot: one of
/// [`KEY_ATTRIBUTES`] on the first tag, then on any tag, then an `href`;
/// and whether it is the first tag's `data-key` (or `data-lvt-key`).
fn key_parts(statics: &[String]) -> Option<(Vec<Part>, bool)> {
    let first_tag = first_tag_slots(statics);
    let on_first_tag = KEY_ATTRIBUTES.iter().find_map(|attr| {
        let last = first_tag?;
        // In the static that closes the first tag, only what comes before `>`.
        let closes_at = statics[last].find('>').unwrap_or(usize::MAX);
        let parts = (0..=last).find_map(|i| {
            let within = if i == last { closes_at } else { usize::MAX };
            parts_from(statics, i, attr, within)
        })?;
        Some((parts, BROWSER_KEY_ATTRIBUTES.contains(attr)))
    });
    let anywhere =
        |attr: &str| (0..statics.len()).find_map(|i| parts_from(statics, i, attr, usize::MAX));
    on_first_tag
        .or_else(|| {
            KEY_ATTRIBUTES
                .iter()
                .find_map(|attr| anywhere(attr))
                .map(|p| (p, false))
        })
        .or_else(|| anywhere("href").map(|p| (p, false)))
}

/// Where ` attr="` (or `'`) starts in `text`: the index just after the quote,
/// and the quote.
fn attribute_starts<'a>(text: &'a str, attr: &'a str) -> impl Iterator<Item = (usize, char)> + 'a {
    text.match_indices(attr).filter_map(move |(at, _)| {
        let before = text[..at].chars().next_back()?;
        if !before.is_ascii_whitespace() {
            return None;
        }
        let rest = text[at + attr.len()..].strip_prefix('=')?;
        let quote = rest.chars().next().filter(|q| *q == '"' || *q == '\'')?;
        Some((at + attr.len() + 2, quote))
    })
}

/// The value of `attr` opened in `statics[i]` before byte `within`, if it
/// holds at least one slot and closes in a later static: text and slots, in
/// order.
fn parts_from(statics: &[String], i: usize, attr: &str, within: usize) -> Option<Vec<Part>> {
    attribute_starts(&statics[i], attr).find_map(|(start, quote)| {
        if start > within {
            return None;
        }
        let head = &statics[i][start..];
        if head.contains(quote) {
            return None; // closes before any slot: the same for every row
        }
        let mut parts = vec![Part::Text(head.to_string()), Part::Slot(i)];
        for (j, text) in statics.iter().enumerate().skip(i + 1) {
            match text.find(quote) {
                Some(end) => {
                    parts.push(Part::Text(text[..end].to_string()));
                    parts.retain(|p| !matches!(p, Part::Text(t) if t.is_empty()));
                    return Some(parts);
                }
                None if j + 1 < statics.len() => {
                    parts.push(Part::Text(text.clone()));
                    parts.push(Part::Slot(j));
                }
                None => return None,
            }
        }
        None
    })
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
            Some((0, "data-key"))
        );
        assert_eq!(
            key_slot(&statics(&[
                "\n  <tr class=\"",
                "\" id='",
                "'><td>",
                "</td></tr>"
            ])),
            Some((1, "id"))
        );
        // data-key wins over id, wherever it sits in the tag.
        assert_eq!(
            key_slot(&statics(&["<li id=\"", "\" data-key=\"", "\">x</li>"])),
            Some((1, "data-key"))
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
    fn key_attributes_made_of_text_and_slots_are_found() {
        let text = |t: &str| Part::Text(t.into());
        assert_eq!(
            key_parts(&statics(&["<li id=\"row-", "\">", "</li>"])),
            Some((vec![text("row-"), Part::Slot(0)], false))
        );
        assert_eq!(
            key_parts(&statics(&["<li data-key='", "-", "'>", "</li>"])),
            Some((vec![Part::Slot(0), text("-"), Part::Slot(1)], true)),
            "the browser finds these rows by their data-key"
        );
        // On a nested element, and an href when nothing else names the row.
        assert_eq!(
            key_parts(&statics(&[
                "<tr><td><span data-key=\"r",
                "\">",
                "</span></td></tr>"
            ])),
            Some((vec![text("r"), Part::Slot(0)], false))
        );
        assert_eq!(
            key_parts(&statics(&["<li><a href=\"/items/", "\">", "</a></li>"])),
            Some((vec![text("/items/"), Part::Slot(0)], false))
        );
        // A constant attribute names no row.
        assert_eq!(key_parts(&statics(&["<li id=\"x\">", "</li>"])), None);
        assert_eq!(key_parts(&statics(&["<li>", "</li>"])), None);
    }

    #[test]
    fn keys_must_be_plain_and_unique_else_the_server_numbers_rows() {
        let range = |keys: &[&str]| Range {
            statics: statics(&["<li data-key=\"", "\"></li>"]),
            items: keys
                .iter()
                .map(|k| [Slot::Text((*k).into())].into())
                .collect(),
            ..Range::default()
        };
        assert_eq!(range(&["a", "b"]).slot_keys(0), Some(vec!["a", "b"]));
        for bad in [&["a", "a"][..], &["a", ""], &["a&amp;b"]] {
            let range = range(bad);
            assert_eq!(range.slot_keys(0), None);
            let keys = range.row_keys();
            assert!(keys.numbered && keys.in_items, "{bad:?}");
            // Guarded: the statics carry a data-key the browser looks up.
            assert!(
                keys.keys.iter().all(|k| k.starts_with('·')),
                "{:?}",
                keys.keys
            );
        }
    }

    #[test]
    fn keys_the_browser_could_take_for_another_elements_go_behind_a_dot() {
        let range = |parts: &[&str]| Range {
            statics: statics(parts),
            items: vec![
                [Slot::Text("1".into()), Slot::Text("a".into())].into(),
                [Slot::Text("2".into()), Slot::Text("b".into())].into(),
            ],
            ..Range::default()
        };
        // A nested data-key: its values must not be the rows' keys.
        let nested = range(&["<li id=\"", "\"><span data-key=\"", "\"></span></li>"]);
        let keys = nested.row_keys();
        assert_eq!(keys.keys, ["·1", "·2"]);
        assert!(
            keys.in_items,
            "sent as _k, which the client prefers to m.idKey"
        );
        // The first tag's own data-key: the browser's fast path.
        let own = range(&["<li data-key=\"", "\" title=\"", "\"></li>"]);
        assert_eq!(own.row_keys().keys, ["1", "2"]);
        assert!(!own.row_keys().in_items);
    }

    #[test]
    fn numbers_are_short() {
        assert_eq!(number_key(0, false), "0");
        assert_eq!(number_key(35, false), "z");
        assert_eq!(number_key(36, false), "10");
        assert_eq!(number_key(9999, true), "·7pr");
    }
}
