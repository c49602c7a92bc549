//! One client's view of a page.

use std::sync::Arc;

use serde_json::{Map, Value};

use crate::controller::Controller;
use crate::template::RenderCache;
use crate::tree::Node;
use crate::upload::Staging;

/// One client's view of the page: its state, the tree it holds, and what
/// its last action left for the template (errors, flash).
pub(crate) struct View<C: Controller> {
    /// Names the client's tree in [`Trace`](crate::Trace)s; new with every full tree.
    pub id: u64,
    pub state: C::State,
    pub tree: Option<Arc<Node>>,
    /// A fingerprint of what `tree` was rendered from (state and `lvt`),
    /// when known: views of one delivery that showed the same share renders.
    pub rendered: Option<u64>,
    pub errors: Map<String, Value>,
    pub flash: Map<String, Value>,
    /// The persisted fields' fingerprints as last saved, to save only changes.
    pub persisted: Option<Vec<u64>>,
    /// What the last render made of loops rendered item by item.
    pub cache: RenderCache,
    /// The state and tree an action replaced, left to be dropped after the
    /// reply is written: freeing a big page takes longer than a person
    /// should wait for.
    pub retired: Option<C::State>,
    pub retired_tree: Option<Arc<Node>>,
    /// A plain form post (no JavaScript) was answered with a redirect: the
    /// page load that follows shows this view, its errors and flash once.
    pub redirected: bool,
    /// The client cannot take a frame now (its socket's writer is busy):
    /// changes are kept, and rendered once it can.
    pub defer: bool,
    /// The state changed since `tree` was rendered, unrendered (`defer`).
    pub stale: bool,
    /// Files being uploaded on this connection, and those waiting for a
    /// handler; dropped (deleted) with the view.
    pub uploads: Staging,
}

impl<C: Controller> View<C> {
    /// Drops what the last change replaced (see [`retired`](Self::retired)).
    pub(crate) fn release(&mut self) {
        self.retired = None;
        self.retired_tree = None;
        self.cache.release();
    }
}

impl<C: Controller> View<C> {
    pub(crate) fn new(state: C::State) -> View<C> {
        View {
            id: 0,
            state,
            tree: None,
            rendered: None,
            errors: Map::new(),
            flash: Map::new(),
            persisted: None,
            cache: RenderCache::default(),
            retired: None,
            retired_tree: None,
            redirected: false,
            defer: false,
            stale: false,
            uploads: Staging::default(),
        }
    }
}
