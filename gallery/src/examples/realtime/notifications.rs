//! Notifications (seed 002, "Real-time notifications"): notify a user from
//! anywhere, and every tab that user has open shows it.
//!
//! The seed keeps its own global `userSessions` map, filled in `OnConnect`
//! and emptied in `OnDisconnect`. The runtime already knows which
//! connections belong to which user: `sessions.user(id)` reaches them all,
//! from a handler here or from any other code (see the Webhook example).

use livetemplate::{
    ActionError, Actions, Context, Controller, MountContext, SessionError, Sessions,
};
use serde::{Deserialize, Serialize};

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
    pub from: String,
}

#[derive(Deserialize)]
struct Send {
    to: String,
    message: String,
}

impl Controller for Notifications {
    type State = NotificationsState;

    fn actions(actions: &mut Actions<Self>) {
        actions
            .on("send", Notifications::send)
            .on("notification", Notifications::notification)
            .on(
                "dismiss",
                |_, state: &mut NotificationsState, ctx: &mut Context| {
                    let id = ctx.get_int("id") as u64;
                    state.toasts.retain(|t| t.id != id);
                    Ok(())
                },
            );
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
    fn send(&self, state: &mut NotificationsState, ctx: &mut Context) -> Result<(), ActionError> {
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
            Err(e) => return Err(ActionError::msg(e.to_string())),
        }
        Ok(())
    }

    /// Runs on each of the addressed user's tabs.
    fn notification(
        &self,
        state: &mut NotificationsState,
        ctx: &mut Context,
    ) -> Result<(), ActionError> {
        state.next_id += 1;
        state.toasts.insert(
            0,
            Toast {
                id: state.next_id,
                message: ctx.get_string("message"),
                from: ctx.get_string("from"),
            },
        );
        state.toasts.truncate(KEEP);
        Ok(())
    }
}
