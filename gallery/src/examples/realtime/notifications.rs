//! Notifications (seed 002, "Real-time notifications"): notify a user from
//! anywhere, and every tab that user has open shows it.
//!
//! The seed keeps its own global `userSessions` map, filled in `OnConnect`
//! and emptied in `OnDisconnect`. The runtime already knows which
//! connections belong to which user: `sessions.user(id)` reaches them all,
//! from a handler here or from any other code (see the Webhook example).

use axum::Router;
use livetemplate::{
    ActionError, Actions, Context, Controller, LiveError, MountContext, SessionError, Sessions,
};
use serde::{Deserialize, Serialize};

use crate::catalog::{Category, Example, Gallery, SIGN_IN};

/// Toasts a tab keeps.
const KEEP: usize = 5;

pub struct Notifications {
    pub sessions: Sessions,
}

#[derive(Clone, Default, Serialize, Deserialize)]
pub struct NotificationsState {
    /// The signed-in user ("" when anonymous).
    pub me: String,
    pub toasts: Vec<Toast>,
    pub next_id: u64,
}

#[derive(Clone, Default, Serialize, Deserialize)]
pub struct Toast {
    pub id: u64,
    pub message: String,
    /// Who sent it, when a user did ("" from elsewhere: a webhook, a job).
    pub from: String,
}

/// The send form.
#[derive(Deserialize)]
struct Send {
    to: String,
    message: String,
}

/// What arrives on each of the addressed user's tabs.
#[derive(Deserialize)]
struct Notification {
    message: String,
    #[serde(default)]
    from: String,
}

#[derive(Deserialize)]
struct Dismiss {
    id: u64,
}

impl Controller for Notifications {
    type State = NotificationsState;

    fn actions(actions: &mut Actions<Self>) {
        actions
            .on("send", Notifications::send)
            .on_server("notification", |_, state, ctx| {
                let Notification { message, from } = ctx.data()?;
                state.next_id += 1;
                let toast = Toast {
                    id: state.next_id,
                    message,
                    from,
                };
                state.toasts.insert(0, toast);
                state.toasts.truncate(KEEP);
                Ok(())
            })
            .on("dismiss", |_, state, ctx| {
                let Dismiss { id } = ctx.data()?;
                state.toasts.retain(|t| t.id != id);
                Ok(())
            });
    }

    fn mount(&self, ctx: &MountContext) -> Result<NotificationsState, ActionError> {
        Ok(NotificationsState {
            me: ctx.user_id().unwrap_or_default().to_string(),
            ..NotificationsState::default()
        })
    }
}

impl Notifications {
    /// Sends a notification to every tab of another user (or yourself).
    fn send(
        &self,
        state: &mut NotificationsState,
        ctx: &mut Context<Self>,
    ) -> Result<(), ActionError> {
        if state.me.is_empty() {
            return Err(ActionError::msg("sign in to send notifications"));
        }
        let Send { to, message } = ctx.data()?;
        let (to, message) = (to.trim(), message.trim());
        if to.is_empty() {
            return Err(ActionError::field("to", "who should get it?"));
        }
        if message.is_empty() {
            return Err(ActionError::field("message", "write a message"));
        }
        let notification = serde_json::json!({ "message": message, "from": state.me });
        match self
            .sessions
            .user(to)
            .trigger_action("notification", notification)
        {
            Ok(tabs) => ctx.flash("success", format!("Delivered to {tabs} tab(s) of {to}.")),
            Err(SessionError::NoLiveConnection) => {
                return Err(ActionError::field(
                    "to",
                    format!("{to} has no tab open right now"),
                ))
            }
            Err(e) => return Err(e.into()),
        }
        Ok(())
    }
}

pub const EXAMPLE: Example = Example {
    category: Category::RealTime,
    slug: "notifications",
    title: "Notifications",
    summary: "Send a message to someone by name: it pops up in every tab that person has open, in any browser.",
    try_it: "Sign in as ana, open the split view and sign in as ben in its second frame. Send to ben: only ben's frame shows it.",
    template: "realtime/notifications.html",
    sign_in: true,
    source: crate::this_file!(),
    also: SIGN_IN,
    routes,
};

/// The page, in the gallery's example layout at `/realtime/notifications`.
fn routes(gallery: &Gallery) -> Result<Router, LiveError> {
    let sessions = gallery.live.sessions();
    let page = gallery
        .live
        .page(EXAMPLE.template, Notifications { sessions });
    gallery.show(&EXAMPLE, page)
}
