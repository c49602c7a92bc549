//! The statics/dynamics tree of one render.
//!
//! A [`Node`] is static text with slots between: `statics[0] slot0
//! statics[1] … statics[n]`. A slot holds escaped text, a nested node (a
//! conditional, or an expression whose output has structure), or a
//! [`Range`] (a loop). Statics are what the template wrote; slots are what
//! the data decided. Two renders of the same template mostly share statics,
//! which is what lets [`crate::diff`] send only the slots that changed.

// The client's side: folding updates into HTML, for the test client and
// the conformance checks.
#[cfg_attr(
    not(any(test, feature = "testing", feature = "unstable")),
    allow(dead_code)
)]
mod fold;
mod keys;
mod wire;

#[cfg(feature = "unstable")]
pub use fold::TreeError;
#[cfg(any(test, feature = "testing", feature = "unstable"))]
pub use fold::{apply_update, render_html};
pub(crate) use keys::Identity;
#[cfg(feature = "unstable")]
pub use keys::KEY_ATTRIBUTES;
pub(crate) use wire::{item_json, node_json, range_json, slot_json, text_json};

/// Static text with dynamic slots between; `statics.len() == slots.len() + 1`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Node {
    /// The text around the slots.
    pub statics: Vec<String>,
    /// The values between the statics.
    pub slots: Vec<Slot>,
}

/// One dynamic position of a [`Node`]. Small (24 bytes), since a big
/// list's rows are most of what a tab keeps: short text is held inline,
/// nodes and loops behind a box.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Slot {
    /// Escaped text (an expression's output).
    Text(Text),
    /// A nested node (a conditional's taken branch, an include, …).
    Node(Box<Node>),
    /// The iterations of a loop.
    Range(Box<Range>),
}

/// A slot's text: up to 24 bytes without an allocation.
pub type Text = compact_str::CompactString;

/// The slots of one loop iteration. Shared, because an iteration whose
/// data did not change keeps its slots from one render to the next.
pub type Item = std::sync::Arc<[Slot]>;

/// A loop: items share one list of statics; each item is the slots between them.
#[derive(Debug, Clone, Default)]
pub struct Range {
    /// Statics shared by every item.
    pub statics: Vec<String>,
    /// One entry per iteration, each with `statics.len() - 1` slots.
    pub items: Vec<Item>,
    /// What the loop's `{% else %}` wrote when there were no items.
    pub else_node: Option<Box<Node>>,
    /// The server's numbers for rows the template names no key for, one per
    /// item, carried forward by the diff so that a row keeps its number
    /// while others come and go. Empty: each row's number is its position.
    pub ids: Vec<u32>,
    /// Whether the template's keys give every row a usable, unique key,
    /// once someone asked (see `keys`): a diff that finds the new rows'
    /// keys equal, in place, to the old ones' need not check them again.
    pub(crate) keys_usable: Known,
}

/// A yes or no worked out once and remembered; shared between threads, as
/// trees are.
#[derive(Debug, Default)]
pub(crate) struct Known(std::sync::atomic::AtomicU8);

impl Known {
    const YES: u8 = 2;
    const NO: u8 = 1;

    pub(crate) fn get(&self) -> Option<bool> {
        match self.0.load(std::sync::atomic::Ordering::Relaxed) {
            Self::YES => Some(true),
            Self::NO => Some(false),
            _ => None,
        }
    }

    pub(crate) fn set(&self, value: bool) {
        let v = if value { Self::YES } else { Self::NO };
        self.0.store(v, std::sync::atomic::Ordering::Relaxed);
    }
}

impl Clone for Known {
    fn clone(&self) -> Known {
        Known(std::sync::atomic::AtomicU8::new(
            self.0.load(std::sync::atomic::Ordering::Relaxed),
        ))
    }
}

impl PartialEq for Range {
    /// What the range shows and how its rows are named; not what is cached.
    fn eq(&self, other: &Range) -> bool {
        self.statics == other.statics
            && self.items == other.items
            && self.else_node == other.else_node
            && self.ids == other.ids
    }
}

impl Eq for Range {}

impl Node {
    /// A node of static text only.
    pub fn text(text: impl Into<String>) -> Node {
        Node {
            statics: vec![text.into()],
            slots: Vec::new(),
        }
    }

    /// The HTML this node stands for.
    pub fn to_html(&self) -> String {
        let mut out = String::new();
        self.write_html(&mut out);
        out
    }

    pub(crate) fn write_html(&self, out: &mut String) {
        write_interleaved(&self.statics, &self.slots, out);
    }
}

impl Slot {
    fn write_html(&self, out: &mut String) {
        match self {
            Slot::Text(t) => out.push_str(t),
            Slot::Node(n) => n.write_html(out),
            Slot::Range(r) => r.write_html(out),
        }
    }
}

impl Range {
    fn write_html(&self, out: &mut String) {
        if self.items.is_empty() {
            if let Some(e) = &self.else_node {
                e.write_html(out);
            }
            return;
        }
        for item in &self.items {
            write_interleaved(&self.statics, item, out);
        }
    }
}

fn write_interleaved(statics: &[String], slots: &[Slot], out: &mut String) {
    for (i, s) in statics.iter().enumerate() {
        out.push_str(s);
        if let Some(slot) = slots.get(i) {
            slot.write_html(out);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_slot_stays_small() {
        // A tab of a 10,000-row page keeps every row's slots: each byte here
        // is tens of kilobytes per tab.
        assert!(std::mem::size_of::<Slot>() <= 24);
        let short = Slot::Text("12345".into());
        let Slot::Text(text) = &short else {
            unreachable!()
        };
        assert!(!text.is_heap_allocated(), "short text is held inline");
    }
}
