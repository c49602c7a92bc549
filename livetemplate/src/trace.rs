//! Watching the update stream: every tree a client is sent, as it is sent.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use serde_json::Value;

use crate::tree::Node;

/// One update on its way to a client; see [`Builder::trace`](crate::Builder::trace).
#[derive(Debug)]
pub struct Trace<'a> {
    /// The page's template.
    pub template: &'a str,
    /// Which client tree this update is for: the first update of a view is
    /// the full tree, and each later one applies to what came before.
    pub view: u64,
    /// What goes out as `tree` on the wire.
    pub update: &'a Value,
    pub(crate) tree: &'a Node,
}

impl Trace<'_> {
    /// The full HTML of the live region after this update: what the client
    /// must show once it has applied it.
    pub fn html(&self) -> String {
        self.tree.to_html()
    }
}

/// The callback [`Builder::trace`](crate::Builder::trace) installs.
pub(crate) type Tracer = Arc<dyn Fn(&Trace<'_>) + Send + Sync>;

/// A fresh id for a client's tree.
pub(crate) fn next_view_id() -> u64 {
    static NEXT: AtomicU64 = AtomicU64::new(1);
    NEXT.fetch_add(1, Ordering::Relaxed)
}
