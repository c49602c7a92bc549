//! Webhook (seed 002, "Webhook-triggered updates"): an outside service
//! POSTs `{"user_id", "message"}` to `/webhooks/notify`, and every open tab
//! of that user shows the message.
//!
//! The seed's handler looks the user's session up in a map it keeps by
//! hand. Here [`notify`] reaches the user's tabs with
//! `sessions.user(id).trigger_action("notification", …)` — no registry to
//! keep — and answers how many tabs it reached.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use livetemplate::{ActionError, Actions, Controller, LiveError, MountContext, Sessions};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::catalog::{Category, Example, Gallery, SIGN_IN};

/// Messages a tab keeps.
const KEEP: usize = 5;
/// The longest message accepted.
pub const MAX_MESSAGE: usize = 1000;

/// `POST /webhooks/notify`: body `{"user_id": "ana", "message": "Deploy
/// finished"}`, answer `{"delivered": N}` (N tabs showed it; 0 when none is
/// open), or a 400 saying what is wrong with the body.
pub async fn notify(State(sessions): State<Sessions>, body: Bytes) -> Response {
    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Notify {
        user_id: String,
        message: String,
    }
    let bad_request = |why: String| (StatusCode::BAD_REQUEST, Json(json!({ "error": why })));
    let notify: Notify = match serde_json::from_slice(&body) {
        Ok(notify) => notify,
        Err(e) => {
            let expected = r#"expected a JSON body {"user_id": "…", "message": "…"}"#;
            return bad_request(format!("{expected}: {e}")).into_response();
        }
    };
    let (user, message) = (notify.user_id.trim(), notify.message.trim());
    if user.is_empty() || message.is_empty() {
        return bad_request("user_id and message must not be empty".into()).into_response();
    }
    if message.chars().count() > MAX_MESSAGE {
        return bad_request(format!("message is over {MAX_MESSAGE} characters")).into_response();
    }
    let data = json!({ "message": message, "type": "webhook" });
    let delivered = sessions
        .user(user)
        .trigger_action("notification", data)
        .unwrap_or(0);
    Json(json!({ "delivered": delivered })).into_response()
}

/// The page: the command to run, and what arrived.
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
}

#[derive(Deserialize)]
struct Notification {
    message: String,
}

impl Controller for Webhook {
    type State = WebhookState;

    fn actions(actions: &mut Actions<Self>) {
        actions.on_server("notification", |_, state, ctx| {
            let Notification { message } = ctx.data()?;
            state.next_id += 1;
            let id = state.next_id;
            state.received.insert(0, Received { id, message });
            state.received.truncate(KEEP);
            Ok(())
        });
    }

    fn mount(&self, ctx: &MountContext) -> Result<WebhookState, ActionError> {
        let me = ctx.user_id().unwrap_or_default().to_string();
        let host = ctx.header("host").unwrap_or("127.0.0.1:8420");
        let body = json!({ "user_id": me, "message": "Deploy finished" });
        Ok(WebhookState {
            curl: format!(
                "curl -X POST http://{host}/webhooks/notify -H 'Content-Type: application/json' -d '{body}'"
            ),
            me,
            ..WebhookState::default()
        })
    }
}

pub const EXAMPLE: Example = Example {
    category: Category::RealTime,
    slug: "webhook",
    title: "Webhook",
    summary: "An outside service POSTs {\"user_id\", \"message\"} to /webhooks/notify; every open tab of that user shows the message, and the answer says how many tabs it reached.",
    try_it: "Sign in, then run the curl command shown: the message appears in this tab (and in your other tabs).",
    template: "realtime/webhook.html",
    sign_in: true,
    source: crate::this_file!(),
    also: SIGN_IN,
    routes,
};

/// The page at `/realtime/webhook`, and the webhook itself at `/webhooks/notify`.
fn routes(gallery: &Gallery) -> Result<Router, LiveError> {
    let page = gallery.show(&EXAMPLE, gallery.live.page(EXAMPLE.template, Webhook))?;
    let webhook = post(notify).with_state(gallery.live.sessions());
    Ok(page.route("/webhooks/notify", webhook))
}
