//! Loading States: an action that takes the server a while, and a page
//! that shows it is busy from the click to the result — without one line
//! of JavaScript of our own.
//!
//! The stock client does the first part as soon as the form is sent:
//! `aria-busy="true"` on the form, its `<fieldset>` disabled, the submit
//! button disabled and relabelled by `lvt-form:disable-with`, and
//! `lvt-el:setAttr:on:save:pending` marks the status area busy (a spinner).
//! Handlers are quick, so the slow part (800 ms here) runs in a job: the
//! handler answers at once with a "saving" view — busy, its button
//! disabled — and the job puts the form back when it is done. A second
//! click meanwhile finds a disabled button, and a second `save` that
//! arrives anyway is ignored while one runs.

use std::time::Duration;

use axum::Router;
use livetemplate::{ActionError, Actions, Context, Controller, LiveError};
use serde::{Deserialize, Serialize};

use crate::catalog::{Category, Example, Gallery};

/// What the "server" takes to save.
const SLOW: Duration = Duration::from_millis(800);

pub struct LoadingStates;

#[derive(Clone, Default, Serialize, Deserialize)]
pub struct LoadingState {
    /// The note being saved, while the job runs.
    pub saving: Option<String>,
    /// Notes saved, newest first.
    pub saved: Vec<String>,
    pub problem: String,
}

impl Controller for LoadingStates {
    type State = LoadingState;

    fn actions(actions: &mut Actions<Self>) {
        actions.on("save", LoadingStates::save);
    }
}

impl LoadingStates {
    fn save(&self, state: &mut LoadingState, ctx: &mut Context<Self>) -> Result<(), ActionError> {
        if state.saving.is_some() {
            return Ok(());
        }
        let note = ctx
            .get_string("note")
            .unwrap_or_default()
            .trim()
            .to_string();
        if note.is_empty() {
            state.problem = "Write a note first.".into();
            return Ok(());
        }
        state.problem.clear();
        state.saving = Some(note.clone());
        ctx.spawn_job(move |job| async move {
            tokio::time::sleep(SLOW).await;
            job.update(move |s: &mut LoadingState| {
                s.saving = None;
                s.saved.insert(0, note);
                s.saved.truncate(5);
            });
        })?;
        Ok(())
    }
}

pub const EXAMPLE: Example = Example {
    category: Category::Feedback,
    slug: "loading-states",
    title: "Loading States",
    summary: "A save that takes the server 800 ms. The stock client marks the form busy and disables its button the moment it is sent \
              (aria-busy, lvt-form:disable-with, lvt-el:setAttr:on:pending); the server's reply keeps it so until the work is done.",
    try_it: "Write a note and press Save, then press it again quickly: the button says \"Saving…\" and does nothing more, a spinner turns, \
             and after a moment the note is listed once. Open the wire panel: one save sent.",
    template: "feedback/loading-states.html",
    sign_in: false,
    source: crate::this_file!(),
    also: &[],
    routes,
};

/// The page at `/feedback/loading-states`.
fn routes(gallery: &Gallery) -> Result<Router, LiveError> {
    gallery.show(&EXAMPLE, gallery.live.page(EXAMPLE.template, LoadingStates))
}
