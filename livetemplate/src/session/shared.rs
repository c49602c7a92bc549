//! What the connections reached by one delivery share.
//!
//! A push to many tabs (a topic, a user's tabs, a broadcast) runs on each
//! tab's own state. Tabs that showed the same state, and show the same
//! state after the action, get the same update: the first to get there
//! renders, diffs and encodes it, and the others take it as it is — one
//! render and one frame however many tabs show it.

use std::sync::{Arc, Mutex};

use axum::extract::ws::Utf8Bytes;

use crate::lock::lock;
use crate::tree::Node;

/// One render of a delivery, for every view it fits.
#[derive(Debug)]
pub(crate) struct Rendered {
    /// The tree the views show after it.
    pub tree: Arc<Node>,
    /// What the tree was rendered from, as `View::rendered` keeps it.
    pub print: u64,
    /// The update from the tree they showed before, as sent.
    pub frame: Utf8Bytes,
}

/// Which render fits a view: its page, what it showed, what it shows now
/// (fingerprints of the state and what the template saw besides).
pub(crate) type Key = (Arc<str>, u64, u64);

/// The renders of one delivery; see the module docs.
#[derive(Debug, Default)]
pub(crate) struct SharedRenders {
    renders: Mutex<Vec<(Key, Arc<Rendered>)>>,
}

/// Renders kept per delivery. Most deliveries make one (every tab showed
/// the same); where tabs show different states, sharing helps little, and
/// a short list keeps the look-up cheaper than the render it saves.
const KEPT: usize = 16;

impl SharedRenders {
    /// The render that fits `key`, if a view of this delivery made it.
    pub(crate) fn get(&self, key: &Key) -> Option<Arc<Rendered>> {
        let fits = |(page, old, new): &Key| {
            (*old, *new) == (key.1, key.2) && (Arc::ptr_eq(page, &key.0) || *page == key.0)
        };
        lock(&self.renders)
            .iter()
            .find(|(k, _)| fits(k))
            .map(|(_, rendered)| rendered.clone())
    }

    /// Offers a render to the other views of this delivery.
    pub(crate) fn put(&self, key: Key, rendered: Arc<Rendered>) {
        let mut renders = lock(&self.renders);
        if renders.len() < KEPT {
            renders.push((key, rendered));
        }
    }
}
