//! Flash Messages: a one-time message after an action — success, error or
//! info — that the next action clears; also when the form is posted
//! without JavaScript.
//!
//! A handler calls `ctx.flash(kind, text)`; the template shows
//! `lvt.flash[kind]`. Over the WebSocket the message arrives with the
//! action's update and goes with the next one (Dismiss is an action that
//! does nothing else). The form is a plain `<form method="post">` too:
//! without JavaScript the server answers the post with a redirect, and the
//! flash rides along in a short-lived signed cookie that the page after the
//! redirect shows and clears — once, not again on reload.
//! Each message's time is a `<time lvt-x:relative>`, a small attribute the
//! gallery adds to the stock client (`assets/relative-time.js`): it reads
//! "2 min. ago" and keeps counting in the browser, with no server traffic.

use axum::Router;
use livetemplate::{ActionError, Actions, Context, Controller, LiveError};
use serde::{Deserialize, Serialize};

use crate::catalog::{Category, Example, Gallery, Source};
use crate::clock::Stamp;

const MAX_LENGTH: usize = 140;
/// Messages the page keeps.
const KEEP: usize = 5;

pub struct FlashMessages;

#[derive(Clone, Default, Serialize, Deserialize)]
pub struct FlashState {
    /// Sent messages, newest first.
    pub messages: Vec<Message>,
    pub next_id: u32,
}

#[derive(Clone, Serialize, Deserialize)]
pub struct Message {
    pub id: u32,
    pub text: String,
    pub sent: Stamp,
}

impl Controller for FlashMessages {
    type State = FlashState;

    fn actions(actions: &mut Actions<Self>) {
        actions
            .on("send", FlashMessages::send)
            .on("check", FlashMessages::check)
            // The flash goes with any action; this one does nothing else.
            .on("dismiss", |_, _, _| Ok(()));
    }
}

impl FlashMessages {
    fn send(&self, state: &mut FlashState, ctx: &mut Context<Self>) -> Result<(), ActionError> {
        let text = ctx.get_string("message").unwrap_or_default();
        let text = text.trim();
        if text.is_empty() {
            ctx.flash("error", "Write something before sending.");
            return Ok(());
        }
        if text.chars().count() > MAX_LENGTH {
            ctx.flash(
                "error",
                format!("That is over {MAX_LENGTH} characters: shorten it a little."),
            );
            return Ok(());
        }
        state.next_id += 1;
        state.messages.insert(
            0,
            Message {
                id: state.next_id,
                text: text.to_string(),
                sent: Stamp::now(),
            },
        );
        state.messages.truncate(KEEP);
        ctx.flash("success", format!("Sent “{text}”."));
        Ok(())
    }

    fn check(&self, state: &mut FlashState, ctx: &mut Context<Self>) -> Result<(), ActionError> {
        let note = match state.messages.first() {
            Some(last) => format!(
                "No replies yet to your last message, sent at {}.",
                last.sent.short
            ),
            None => "Nothing sent yet, so nothing to check.".to_string(),
        };
        ctx.flash("info", note);
        Ok(())
    }
}

pub const EXAMPLE: Example = Example {
    category: Category::Feedback,
    slug: "flash-messages",
    title: "Flash Messages",
    summary: "Success, error and info messages that show once after an action and go with the next — over the WebSocket, \
              and after a plain form post without JavaScript (carried through the redirect in a short-lived cookie). \
              Times read \"2 min. ago\" and keep counting in the browser.",
    try_it: "Send a message: a green \"Sent\" appears; send an empty one: a red error replaces it; Check shows an info. \
             Dismiss or any next action clears it. Turn JavaScript off and send: the message shows once after the page reloads, \
             and not again when you reload. Wait a minute: \"now\" becomes \"1 min. ago\".",
    template: "feedback/flash-messages.html",
    sign_in: false,
    source: crate::this_file!(),
    also: &[Source {
        path: "assets/relative-time.js",
        text: include_str!("../../../../assets/relative-time.js"),
    }],
    routes,
};

/// The page at `/feedback/flash-messages`.
fn routes(gallery: &Gallery) -> Result<Router, LiveError> {
    gallery.show(&EXAMPLE, gallery.live.page(EXAMPLE.template, FlashMessages))
}
