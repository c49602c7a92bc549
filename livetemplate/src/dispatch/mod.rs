//! Running an action on a client's view: find the handler, run it on a
//! copy of the state, render, and diff against what the client already has.
//!
//! The socket loop (`server::socket`) and the HTTP fallback
//! (`server::page`) call in here; from here the path goes on to
//! [`template`](crate::template) (render), [`tree`](crate::tree) and
//! [`diff`](crate::diff).

mod change;
mod persist;
mod render;
mod view;

pub(crate) use change::CHANGE;
pub(crate) use persist::Persist;
pub(crate) use render::Update;
use render::{lvt_print, Made};
pub(crate) use view::View;

use std::any::Any;
use std::collections::HashMap;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;

use axum::http::HeaderMap;
use serde_json::{Map, Value};

use crate::controller::{
    ActionError, Actions, Caller, Context, Controller, Effects, Link, MountContext,
};
use crate::identity::Identity;
use crate::metrics::Metrics;
use crate::report::error_chain;
use crate::session::{Registry, Rendered, SharedRenders, StateChange, Target};
use crate::template::forms::FormRules;
use crate::template::{TemplateError, Templates};
use crate::trace::Tracer;
use crate::upload::{UploadRules, UploadedFile};

/// One live page: its controller, actions, template and where its
/// connections are found.
pub(crate) struct Dispatch<C: Controller> {
    pub controller: C,
    pub actions: Actions<C>,
    pub templates: Templates,
    pub template: String,
    pub registry: Arc<Registry>,
    /// The page's name (its template's), the same on every instance.
    pub page: Arc<str>,
    pub metrics: Arc<Metrics>,
    pub tracer: Option<Tracer>,
    pub persist: Option<Persist>,
    /// The checks the template's form fields ask for.
    pub forms: Arc<FormRules>,
    /// The uploads the controller takes.
    pub uploads: Arc<UploadRules>,
}

/// What running an action produced.
pub(crate) struct Outcome {
    /// The update for the client.
    pub update: Update,
    /// What the handler asked to happen elsewhere; `None` if it failed.
    pub effects: Option<Effects>,
}

impl<C: Controller> Dispatch<C> {
    /// The state a client of `group` starts from: the controller's mount,
    /// with the group's persisted fields laid over it. Fails when the
    /// persisted fields cannot be loaded: starting from defaults would
    /// overwrite them at the first action.
    pub(crate) async fn mount(
        &self,
        query: HashMap<String, String>,
        headers: &Arc<HeaderMap>,
        identity: &Arc<Identity>,
    ) -> Result<C::State, ActionError> {
        let ctx = MountContext {
            query,
            headers: headers.clone(),
            identity: identity.clone(),
        };
        let state = match catch_unwind(AssertUnwindSafe(|| self.controller.mount(&ctx))) {
            Ok(result) => result?,
            Err(_) => return Err(ActionError::msg("mount failed unexpectedly")),
        };
        let Some(persist) = &self.persist else {
            return Ok(state);
        };
        match persist.load(&identity.group).await {
            Ok(Some(saved)) => Ok(persist.restore(&saved, state)),
            Ok(None) => Ok(state),
            Err(e) => {
                let why = error_chain(&e);
                tracing::error!(error = %why, "persisted fields could not be loaded");
                Err(ActionError::msg(format!(
                    "saved state could not be loaded ({why}); try again shortly"
                )))
            }
        }
    }

    /// Lays the group's persisted fields, as stored now, over the view's
    /// state (another tab or instance may have changed them). If the store
    /// cannot be read, the state stays as it is.
    async fn reload_persisted(&self, view: &mut View<C>, group: &str) {
        let Some(persist) = &self.persist else {
            return;
        };
        match persist.load(group).await {
            Ok(Some(saved)) => view.state = persist.restore(&saved, view.state.clone()),
            Ok(None) => {}
            Err(e) => {
                let why = error_chain(&e);
                tracing::warn!(error = %why, "persisted fields could not be reloaded");
            }
        }
    }

    /// Follows a client action made on another tab of the group
    /// ([`Controller::SYNC_TABS`]): the group's persisted fields, as that
    /// tab saved them, are laid over the state, then
    /// [`on_other_tab_action`](Controller::on_other_tab_action) runs.
    pub(crate) async fn sync_tab(&self, view: &mut View<C>, link: &Arc<Link>) -> Outcome {
        self.reload_persisted(view, &link.identity.group).await;
        let ctx = Context::new("on_other_tab_action".into(), Arc::default(), link);
        let outcome = self.invoke(&view.state, ctx, |c, state, ctx| {
            c.on_other_tab_action(state, ctx)
        });
        self.settle(
            view,
            "on_other_tab_action",
            outcome,
            &link.identity.group,
            false,
            None,
        )
    }

    /// Re-renders the view after pushes for it may have been lost: its
    /// persisted fields are reloaded and the controller's
    /// [`on_resync`](Controller::on_resync) runs, then the client gets
    /// whatever differs from what it has.
    pub(crate) async fn resync(&self, view: &mut View<C>, link: &Arc<Link>) -> Value {
        self.metrics.resynced();
        let group = link.identity.group.as_str();
        self.reload_persisted(view, group).await;
        let ctx = Context::new("on_resync".into(), Arc::default(), link);
        let next = self.invoke(&view.state, ctx, |c, state, ctx| c.on_resync(state, ctx));
        let accepted = next.and_then(|(next, _)| {
            let flash = view.flash.clone();
            self.accept(view, next, flash, group)
        });
        match accepted {
            Ok(update) => update,
            Err(e) => self.fail(view, "on_resync", e).update.into_value(),
        }
    }

    /// Runs the controller's `on_connect` hook; an error is kept in
    /// `view.errors` for the first render. Returns the hook's effects
    /// (a publish, a broadcast) when it succeeded.
    pub(crate) fn connect(&self, view: &mut View<C>, link: &Arc<Link>) -> Option<Effects> {
        let ctx = Context::new("on_connect".into(), Arc::default(), link);
        match self.invoke(&view.state, ctx, |c, state, ctx| c.on_connect(state, ctx)) {
            Ok((next, mut effects)) => {
                view.state = next;
                view.flash = std::mem::take(&mut effects.flash);
                Some(effects)
            }
            Err(e) => {
                view.errors = e.to_map();
                None
            }
        }
    }

    /// Runs `f` on a copy of `state`: the copy and the handler's effects if
    /// it succeeded, else why not (a panic becomes an error naming the action).
    fn invoke<F>(
        &self,
        state: &C::State,
        mut ctx: Context<C>,
        f: F,
    ) -> Result<(C::State, Effects), ActionError>
    where
        F: FnOnce(&C, &mut C::State, &mut Context<C>) -> Result<(), ActionError>,
    {
        let mut next = state.clone();
        match catch_unwind(AssertUnwindSafe(|| {
            f(&self.controller, &mut next, &mut ctx)
        })) {
            Ok(Ok(())) => Ok((next, ctx.effects)),
            Ok(Err(e)) => Err(e),
            Err(_) => {
                tracing::error!(action = &*ctx.action, "handler panicked");
                Err(ActionError::msg(format!(
                    "action {:?} failed unexpectedly",
                    ctx.action
                )))
            }
        }
    }

    /// Whether a client may send `action` to this page.
    pub(crate) fn answers(&self, action: &str) -> bool {
        self.actions.get(action, Caller::Client).is_some()
    }

    /// Runs `action` on the view and returns the update to send.
    ///
    /// The handler runs on a copy of the state: an error, a panic, or a
    /// render failure leaves the state as it was, with the reason in
    /// `view.errors` (which the template sees as `lvt.errors`). A client
    /// asking for an action only the server may run gets the answer an
    /// unknown action gets.
    ///
    /// Flash messages last until the next action a client sends: a push
    /// that sets none keeps the ones on screen.
    pub(crate) fn run(
        &self,
        view: &mut View<C>,
        action: &str,
        data: Arc<Map<String, Value>>,
        link: &Arc<Link>,
        caller: Caller,
    ) -> Outcome {
        self.run_shared(view, &Arc::from(action), data, link, caller, None)
    }

    /// [`run`](Self::run), for one of the views a delivery reaches: views
    /// that showed the same state and come to show the same state share
    /// one render and one frame.
    pub(crate) fn run_shared(
        &self,
        view: &mut View<C>,
        action: &Arc<str>,
        data: Arc<Map<String, Value>>,
        link: &Arc<Link>,
        caller: Caller,
        shared: Option<&SharedRenders>,
    ) -> Outcome {
        if caller == Caller::Client && self.is_change(action) {
            return self.change(view, data, link);
        }
        // Most views stage nothing: nothing to offer then.
        let files = if view.uploads.is_empty() {
            Vec::new()
        } else {
            view.uploads.files()
        };
        self.run_with_files(view, action, data, link, caller, shared, files)
    }

    /// [`run_shared`](Self::run_shared), offering the handler `files`
    /// (through [`Context::uploads`]); the view's staged files it took are
    /// let go of when it succeeds.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn run_with_files(
        &self,
        view: &mut View<C>,
        action: &Arc<str>,
        data: Arc<Map<String, Value>>,
        link: &Arc<Link>,
        caller: Caller,
        shared: Option<&SharedRenders>,
        files: Vec<UploadedFile>,
    ) -> Outcome {
        let checked = (caller == Caller::Client)
            .then(|| self.form_error(action, &data))
            .flatten();
        let outcome = match (self.actions.get(action, caller), checked) {
            (None, _) => Err(ActionError::msg(format!("unknown action {action:?}"))),
            // A field the template checks failed: the handler does not run.
            (Some(_), Some(error)) => return self.refuse(view, action, error, data, link),
            (Some(handler), None) => {
                let mut ctx = Context::new(action.clone(), data, link);
                ctx.files = files;
                let result = self.invoke(&view.state, ctx, |c, state, ctx| handler(c, state, ctx));
                if let Ok((_, effects)) = &result {
                    view.uploads.take(&effects.taken_uploads);
                }
                result
            }
        };
        let from_client = caller == Caller::Client;
        self.settle(
            view,
            action,
            outcome,
            &link.identity.group,
            from_client,
            shared,
        )
    }

    /// Accepts what a handler left (rendering it), or records its failure.
    fn settle(
        &self,
        view: &mut View<C>,
        action: &str,
        outcome: Result<(C::State, Effects), ActionError>,
        group: &str,
        from_client: bool,
        shared: Option<&SharedRenders>,
    ) -> Outcome {
        match outcome {
            Ok((next, mut effects)) => {
                let flash = match std::mem::take(&mut effects.flash) {
                    none if none.is_empty() && !from_client => view.flash.clone(),
                    flash => flash,
                };
                match self.accept_shared(view, next, Map::new(), flash, group, shared) {
                    Ok(update) => {
                        self.metrics.action_done(true);
                        Outcome {
                            update,
                            effects: Some(effects),
                        }
                    }
                    Err(e) => self.fail(view, action, e),
                }
            }
            Err(e) => self.fail(view, action, e),
        }
    }

    /// Applies a job's change to the view's current state.
    pub(crate) fn apply(&self, view: &mut View<C>, change: StateChange, group: &str) -> Value {
        let mut next = view.state.clone();
        if catch_unwind(AssertUnwindSafe(|| change(&mut next as &mut dyn Any))).is_err() {
            return self
                .fail(
                    view,
                    "job update",
                    ActionError::msg("a job's update failed unexpectedly"),
                )
                .update
                .into_value();
        }
        let flash = view.flash.clone();
        match self.accept(view, next, flash, group) {
            Ok(update) => update,
            Err(e) => self.fail(view, "job update", e).update.into_value(),
        }
    }

    /// Renders `next`; if that works it becomes the view's state (and its
    /// persisted fields are saved).
    fn accept(
        &self,
        view: &mut View<C>,
        next: C::State,
        flash: Map<String, Value>,
        group: &str,
    ) -> Result<Value, ActionError> {
        self.accept_shared(view, next, Map::new(), flash, group, None)
            .map(Update::into_value)
    }

    /// [`accept`](Self::accept), with errors for the template to show.
    fn accept_with(
        &self,
        view: &mut View<C>,
        next: C::State,
        errors: Map<String, Value>,
        flash: Map<String, Value>,
        group: &str,
    ) -> Result<Value, ActionError> {
        self.accept_shared(view, next, errors, flash, group, None)
            .map(Update::into_value)
    }

    /// [`accept`](Self::accept), taking a render another view of the same
    /// delivery made when it fits (see `session::shared`), and offering
    /// this one's; with the update's frame when it is shared.
    fn accept_shared(
        &self,
        view: &mut View<C>,
        next: C::State,
        errors: Map<String, Value>,
        flash: Map<String, Value>,
        group: &str,
        shared: Option<&SharedRenders>,
    ) -> Result<Update, ActionError> {
        let could_not_render = |e: TemplateError| {
            tracing::error!(error = %e, "render failed after action");
            ActionError::msg("the page could not be rendered")
        };
        if view.defer {
            return self.accept_later(view, next, errors, flash, group);
        }
        // One serialization serves the template and the persisted fields.
        // Shared while the render reads rows from it.
        let next = Arc::new(next);
        let text = self.state_text(&next).map_err(could_not_render)?;
        // Persisted fields, written out only when they changed since this tab saved them.
        let persisted = self.persist.as_ref().and_then(|p| {
            let prints = p.prints_of(&text);
            (view.persisted.as_ref() != Some(&prints)).then(|| (prints, p.fields_of(&text)))
        });
        // What the template sees, in one number: the state and `lvt`.
        let uploads = self.lvt_uploads(&view.uploads);
        let print = text.print() ^ lvt_print(&errors, &flash, &uploads);
        // A trace names each view's own trees: no sharing under one; a
        // frame with errors is the view's own.
        let shared = shared.filter(|_| self.tracer.is_none() && errors.is_empty());
        let key = view.rendered.map(|old| (self.page.clone(), old, print));
        let reuse = shared.zip(key.as_ref()).and_then(|(s, k)| s.get(k));
        let made = match reuse {
            Some(rendered) => {
                text.recycle();
                Made::Shared(rendered)
            }
            None => Made::Own(
                self.render_text(text, &errors, &flash, &uploads, &mut view.cache)
                    .map_err(could_not_render)?,
            ),
        };
        // The render let go of it; should anything still hold it, copy.
        let next = Arc::try_unwrap(next).unwrap_or_else(|shared| C::State::clone(&shared));
        view.retired = Some(std::mem::replace(&mut view.state, next));
        view.errors = errors;
        view.flash = flash;
        if let (Some(persist), Some((prints, fields))) = (&self.persist, persisted) {
            persist.save(group, fields);
            view.persisted = Some(prints);
        }
        let tree = match made {
            Made::Shared(rendered) => {
                // Another view of this delivery showed what this one showed,
                // and shows what this one shows now: its update is this one's.
                view.retired_tree = view.tree.replace(rendered.tree.clone());
                view.rendered = Some(rendered.print);
                view.stale = false;
                self.metrics.shared_render();
                return Ok(Update::Frame(rendered.frame.clone()));
            }
            Made::Own(tree) => tree,
        };
        let update = self.commit(view, tree, print);
        let (Some(shared), Some(key), Some(tree), Some(print)) =
            (shared, key, &view.tree, view.rendered)
        else {
            return Ok(Update::Value(update));
        };
        let frame = Update::Value(update).into_frame(&Map::new(), None);
        let rendered = Rendered {
            tree: tree.clone(),
            print,
            frame: frame.clone(),
        };
        shared.put(key, Arc::new(rendered));
        Ok(Update::Frame(frame))
    }

    /// [`accept`](Self::accept) for a view whose client cannot take a frame
    /// now: the state (and its persisted fields) change, the render waits
    /// for the next frame the client can take — one render however many
    /// pushes came in between. A state that then fails to render is
    /// reported by that render.
    fn accept_later(
        &self,
        view: &mut View<C>,
        next: C::State,
        errors: Map<String, Value>,
        flash: Map<String, Value>,
        group: &str,
    ) -> Result<Update, ActionError> {
        let mut next = next;
        if let Some(persist) = &self.persist {
            let shared = Arc::new(next);
            let text = self.state_text(&shared).map_err(|e| {
                tracing::error!(error = %e, "state did not serialize after action");
                ActionError::msg("the page could not be rendered")
            })?;
            let prints = persist.prints_of(&text);
            if view.persisted.as_ref() != Some(&prints) {
                persist.save(group, persist.fields_of(&text));
                view.persisted = Some(prints);
            }
            text.recycle();
            next = Arc::try_unwrap(shared).unwrap_or_else(|s| C::State::clone(&s));
        }
        view.retired = Some(std::mem::replace(&mut view.state, next));
        view.errors = errors;
        view.flash = flash;
        view.stale = true;
        Ok(Update::Value(Value::Null))
    }

    /// Records why `action` failed (the state stays) and renders it.
    pub(crate) fn fail(&self, view: &mut View<C>, action: &str, error: ActionError) -> Outcome {
        self.metrics.action_done(false);
        view.errors = error.to_map();
        view.flash.clear();
        if view.defer {
            view.stale = true;
            return Outcome {
                update: Update::Value(Value::Null),
                effects: None,
            };
        }
        let update = self.refresh(view).unwrap_or_else(|e| {
            tracing::error!(action, error = %e, "render failed");
            Value::Object(Map::new())
        });
        Outcome {
            update: Update::Value(update),
            effects: None,
        }
    }

    /// Carries out what a successful action asked for: broadcasts to the
    /// other tabs, publishes to topics, and — after a client's own action,
    /// when the controller syncs tabs — the other tabs following it.
    pub(crate) fn spread(&self, link: &Link, effects: Effects, caller: Caller) {
        if effects.drop_connection {
            // Kept until the socket loop next waits, which it does once
            // the reply is out.
            link.drop.notify_one();
        }
        let follow = caller == Caller::Client && C::SYNC_TABS;
        if effects.broadcasts.is_empty() && effects.publishes.is_empty() && !follow {
            // Most pushes ask for nothing more: make nothing for them.
            return;
        }
        let group: Arc<str> = Arc::from(link.identity.group.as_str());
        let tabs = Target::Page {
            page: self.page.clone(),
            group: group.clone(),
        };
        for (action, data) in &effects.broadcasts {
            self.registry.deliver(&tabs, action, data, link.conn);
        }
        for (topic, action, data) in &effects.publishes {
            let target = Target::Topic(Arc::from(topic.as_str()));
            self.registry.deliver(&target, action, data, None);
        }
        if follow {
            self.registry.sync_tabs(&self.page, &group, link.conn);
        }
    }
}

#[cfg(test)]
mod tests;
