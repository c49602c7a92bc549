//! Preserving Form Inputs: one message sent to several people in turn.
//!
//! A form is reset after its action succeeds — unless it says
//! `lvt-form:preserve`. Here that is the point: the message stays, so the
//! person picks the next recipient and sends it again. The log below is
//! the server's record of what went to whom.

use axum::Router;
use livetemplate::{ActionError, Actions, Context, Controller, LiveError};
use serde::{Deserialize, Serialize};

use crate::catalog::{Category, Example, Gallery};

/// Who may be written to: the `<select>`'s values and what they show.
const PEOPLE: &[(&str, &str)] = &[("ann", "Ann"), ("ben", "Ben"), ("cleo", "Cleo")];

pub struct PreserveInputs;

#[derive(Clone, Default, Serialize, Deserialize)]
pub struct Sent {
    pub id: u64,
    pub to: String,
    pub message: String,
}

#[derive(Clone, Default, Serialize, Deserialize)]
pub struct OutboxState {
    pub sent: Vec<Sent>,
}

impl Controller for PreserveInputs {
    type State = OutboxState;

    fn actions(actions: &mut Actions<Self>) {
        actions.on("send", Self::send);
    }
}

impl PreserveInputs {
    /// Runs once the form passed its checks (a message of at most 280).
    fn send(&self, state: &mut OutboxState, ctx: &mut Context<Self>) -> Result<(), ActionError> {
        let to = ctx.get_string("to").unwrap_or_default();
        let (_, name) = PEOPLE
            .iter()
            .find(|(value, _)| *value == to)
            .ok_or_else(|| ActionError::field("to", "Pick someone from the list."))?;
        let id = state.sent.last().map_or(1, |s| s.id + 1);
        state.sent.push(Sent {
            id,
            to: name.to_string(),
            message: ctx.get_string("message").unwrap_or_default().trim().into(),
        });
        ctx.flash("success", format!("Sent to {name}."));
        Ok(())
    }
}

pub const EXAMPLE: Example = Example {
    category: Category::Forms,
    slug: "preserve-inputs",
    title: "Preserving Form Inputs",
    summary: "lvt-form:preserve keeps a form's inputs after its action succeeds (the stock client otherwise resets it): \
              write a message once, then send it to one person after another.",
    try_it: "Write a message, pick Ann and press Send: the log says it went to Ann, and the message and choice are still there. \
             Pick Ben and Send again without retyping: a second entry, to Ben.",
    template: "forms/preserve-inputs.html",
    sign_in: false,
    source: crate::this_file!(),
    also: &[],
    routes,
};

/// The page, in the gallery's example layout at `/forms/preserve-inputs`.
fn routes(gallery: &Gallery) -> Result<Router, LiveError> {
    gallery.show(
        &EXAMPLE,
        gallery.live.page(EXAMPLE.template, PreserveInputs),
    )
}
