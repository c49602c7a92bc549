//! Webhook (seed 002, "Webhook-triggered updates"): an outside service
//! POSTs to `/webhooks/notify` and the named user's open tabs show the
//! message. The handler (`crate::webhook`) reaches them with
//! `sessions.user(id).trigger_action("notification", …)` — no registry of
//! sessions to keep — and answers how many tabs it reached.

use livetemplate::{ActionError, Actions, Context, Controller, MountContext};
use serde::{Deserialize, Serialize};

/// Messages a tab keeps.
const KEEP: usize = 5;

pub struct Webhook;

#[derive(Clone, Default, Serialize, Deserialize)]
pub struct WebhookState {
    /// The signed-in user ("" when anonymous).
    pub me: String,
    /// The exact command that notifies this user on this server.
    pub curl: String,
    pub received: Vec<Received>,
    pub next_id: u64,
}

#[derive(Clone, Default, Serialize, Deserialize)]
pub struct Received {
    pub id: u64,
    pub message: String,
    pub source: String,
}

impl Controller for Webhook {
    type State = WebhookState;

    fn actions(actions: &mut Actions<Self>) {
        actions.on(
            "notification",
            |_, state: &mut WebhookState, ctx: &mut Context| {
                state.next_id += 1;
                let message = Received {
                    id: state.next_id,
                    message: ctx.get_string("message"),
                    source: ctx.get_string("source"),
                };
                state.received.insert(0, message);
                state.received.truncate(KEEP);
                Ok(())
            },
        );
    }

    fn mount(&self, ctx: &MountContext) -> Result<WebhookState, ActionError> {
        let me = ctx.user_id().unwrap_or_default().to_string();
        let host = ctx.header("host").unwrap_or("127.0.0.1:8420");
        let body = serde_json::json!({ "user_id": me, "message": "Deploy finished" });
        Ok(WebhookState {
            curl: format!(
                "curl -X POST http://{host}/webhooks/notify -H 'Content-Type: application/json' -d '{body}'"
            ),
            me,
            ..WebhookState::default()
        })
    }
}
