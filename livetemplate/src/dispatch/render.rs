//! From a view's state to the client's update: the state serialized as the
//! template reads it (with `lvt`), rendered to a tree, and diffed against
//! the tree the client has.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::{Arc, LazyLock};

use axum::extract::ws::Utf8Bytes;
use serde_json::{Map, Value};

use super::{Dispatch, View};
use crate::controller::Controller;
use crate::diff;
use crate::protocol::Envelope;
use crate::session::Rendered;
use crate::template::{RenderCache, StateText, TemplateError};
use crate::trace::{next_view_id, Trace};
use crate::tree::Node;
use crate::upload::Staging;

/// An update for the client: a value, or a frame already encoded.
#[derive(Debug)]
pub(crate) enum Update {
    Value(Value),
    /// The frame every view of a delivery that showed the same got (see
    /// `session::shared`); only successful pushes share one.
    Frame(Utf8Bytes),
}

impl Update {
    /// The frame to send: an update answering `action`, or a push.
    pub(crate) fn into_frame(self, errors: &Map<String, Value>, action: Option<&str>) -> Utf8Bytes {
        match self {
            Update::Value(tree) => Envelope::update(tree, errors, action).to_text().into(),
            Update::Frame(frame) => frame,
        }
    }

    /// The update as a value (a shared frame is read back).
    pub(crate) fn into_value(self) -> Value {
        match self {
            Update::Value(tree) => tree,
            Update::Frame(frame) => serde_json::from_str::<Value>(&frame)
                .map(|mut envelope| envelope["tree"].take())
                .unwrap_or_default(),
        }
    }
}

/// Where an accepted state's tree came from.
pub(super) enum Made {
    /// Another view of the delivery rendered it.
    Shared(Arc<Rendered>),
    /// This view rendered it.
    Own(Node),
}

/// A fingerprint of what templates see as `lvt` (nothing, most of the time).
pub(super) fn lvt_print(
    errors: &Map<String, Value>,
    flash: &Map<String, Value>,
    uploads: &Value,
) -> u64 {
    if errors.is_empty() && flash.is_empty() && uploads.is_null() {
        return 0;
    }
    crate::template::fingerprint(&(errors, flash, uploads))
}

/// What templates see as `lvt`: the errors and flash messages, and the
/// uploads of a page that takes any. Most renders have none of these, and
/// share one value for that.
pub(super) fn lvt_value(
    errors: &Map<String, Value>,
    flash: &Map<String, Value>,
    uploads: &Value,
) -> minijinja::Value {
    fn make(errors: &Map<String, Value>, flash: &Map<String, Value>) -> serde_json::Value {
        serde_json::json!({ "errors": errors, "flash": flash })
    }
    static EMPTY: LazyLock<minijinja::Value> = LazyLock::new(|| {
        minijinja::Value::from(minijinja::value::Serde(make(&Map::new(), &Map::new())))
    });
    if errors.is_empty() && flash.is_empty() && uploads.is_null() {
        return EMPTY.clone();
    }
    let mut lvt = make(errors, flash);
    if !uploads.is_null() {
        lvt["uploads"] = uploads.clone();
    }
    minijinja::Value::from(minijinja::value::Serde(lvt))
}

impl<C: Controller> Dispatch<C> {
    /// Renders a state (with its errors and flash) to a tree. The render
    /// reads rows from a copy of the state: for a first render, or a
    /// render after a failure, where every row is read anyway.
    pub(crate) fn render(
        &self,
        state: &C::State,
        errors: &Map<String, Value>,
        flash: &Map<String, Value>,
        cache: &mut RenderCache,
    ) -> Result<Node, TemplateError> {
        let state = Arc::new(state.clone());
        let uploads = self.uploads.empty_summary();
        self.render_text(self.state_text(&state)?, errors, flash, uploads, cache)
    }

    /// What templates see as `lvt.uploads` for a view's staged files
    /// (`Null` when the page takes no uploads).
    pub(crate) fn lvt_uploads(&self, staging: &Staging) -> Value {
        if staging.is_empty() {
            return self.uploads.empty_summary().clone();
        }
        self.uploads.summary(&staging.shown())
    }

    /// The state as the template reads it (a non-object state is `state`).
    pub(super) fn state_text(&self, state: &Arc<C::State>) -> Result<StateText, TemplateError> {
        StateText::of(state).map_err(|e| TemplateError {
            name: self.template.clone(),
            source: minijinja::Error::new(
                minijinja::ErrorKind::BadSerialization,
                format!("the state does not serialize: {e}"),
            ),
        })
    }

    /// Renders the serialized state, with `lvt.errors`, `lvt.flash` (and
    /// `lvt.uploads`) added.
    pub(super) fn render_text(
        &self,
        state: StateText,
        errors: &Map<String, Value>,
        flash: &Map<String, Value>,
        uploads: &Value,
        cache: &mut RenderCache,
    ) -> Result<Node, TemplateError> {
        let lvt = lvt_value(errors, flash, uploads);
        let name = &self.template;
        match catch_unwind(AssertUnwindSafe(|| {
            self.templates
                .render_tree_with(name, state, Some(("lvt", lvt)), cache)
        })) {
            Ok(result) => result,
            Err(_) => Err(TemplateError {
                name: name.clone(),
                source: minijinja::Error::new(
                    minijinja::ErrorKind::InvalidOperation,
                    "a filter or function panicked",
                ),
            }),
        }
    }

    /// The update that brings the client from its tree to `tree`, rendered
    /// from what `print` fingerprints (see [`View::rendered`]).
    pub(super) fn commit(&self, view: &mut View<C>, mut tree: Node, print: u64) -> Value {
        let update = match &view.tree {
            Some(old) => diff::diff(old, &mut tree),
            None => {
                // A full tree starts a new client tree (a reconnect, an HTTP answer).
                view.id = next_view_id();
                diff::full(&tree)
            }
        };
        if let Some(trace) = &self.tracer {
            trace(&Trace {
                template: &self.template,
                view: view.id,
                update: &update,
                tree: &tree,
            });
        }
        // The rows' numbers are the tree's own history, not the state's.
        view.rendered = Some(print ^ diff::numbers_print(&tree));
        view.stale = false;
        view.retired_tree = view.tree.replace(Arc::new(tree));
        update
    }

    /// Renders the view as it is and returns the update for the client
    /// (the full tree the first time).
    pub(crate) fn refresh(&self, view: &mut View<C>) -> Result<Value, TemplateError> {
        let text = self.state_text(&Arc::new(view.state.clone()))?;
        let uploads = self.lvt_uploads(&view.uploads);
        let print = text.print() ^ lvt_print(&view.errors, &view.flash, &uploads);
        let tree = self.render_text(text, &view.errors, &view.flash, &uploads, &mut view.cache)?;
        Ok(self.commit(view, tree, print))
    }
}
