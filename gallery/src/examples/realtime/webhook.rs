//! Webhook (seed 002, "Webhook-triggered updates"): an outside service
//! POSTs `{"user_id", "message"}` to `/webhooks/notify`, and every open tab
//! of that user shows the message.
//!
//! The seed's handler looks the user's session up in a map it keeps by
//! hand. Here [`notify`] reaches the user's tabs with
//! `sessions.user(id).trigger_action("notification", …)` — no registry to
//! keep — and answers how many tabs it reached.
//!
//! Anyone can reach the URL, so the sender signs each body with a secret
//! both sides know (`X-Signature: sha256=<hex HMAC-SHA256 of the body>`, as
//! GitHub and Stripe send), and only JSON of a bounded size is read.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use hmac::{Hmac, KeyInit, Mac};
use livetemplate::{ActionError, Actions, Controller, LiveError, MountContext, Sessions};
use serde::{Deserialize, Serialize};
use serde_json::json;
use sha2::Sha256;

use crate::catalog::{Category, Example, Gallery, SIGN_IN};

/// Messages a tab keeps.
const KEEP: usize = 5;
/// The longest message accepted.
pub const MAX_MESSAGE: usize = 1000;
/// The longest user id accepted (user names are at most 32 characters).
pub const MAX_USER_ID: usize = 32;
/// The largest body read, in bytes.
pub const MAX_BODY: usize = 8 * 1024;

/// What the webhook needs: the sessions to reach, the secret to check with.
#[derive(Clone)]
pub struct Hook {
    pub sessions: Sessions,
    pub secret: Arc<str>,
}

/// `POST /webhooks/notify`: body `{"user_id": "ana", "message": "Deploy
/// finished"}`, answer `{"delivered": N}` (N tabs showed it; 0 when none is
/// open), or 415, 413, 401 or 400 with `{"error": …}` saying what is wrong.
pub async fn notify(
    State(hook): State<Hook>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let refuse =
        |status: StatusCode, why: String| (status, Json(json!({ "error": why }))).into_response();
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok());
    let media_type = content_type
        .and_then(|v| v.split(';').next())
        .map(str::trim);
    if !media_type.is_some_and(|t| t.eq_ignore_ascii_case("application/json")) {
        let why = "the body must be JSON, sent with Content-Type: application/json";
        return refuse(StatusCode::UNSUPPORTED_MEDIA_TYPE, why.into());
    }
    let body = match body {
        Ok(body) => body,
        Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => {
            return refuse(e.status(), format!("the body is over {MAX_BODY} bytes"))
        }
        Err(e) => return refuse(e.status(), e.body_text()),
    };
    if !signed(&hook.secret, &headers, &body) {
        let why = "X-Signature must be sha256= and the HMAC-SHA256 of the body, in hex, keyed with this webhook's secret";
        return refuse(StatusCode::UNAUTHORIZED, why.into());
    }

    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Notify {
        user_id: String,
        message: String,
    }
    let notify: Notify = match serde_json::from_slice(&body) {
        Ok(notify) => notify,
        Err(e) => {
            let expected = r#"expected a JSON body {"user_id": "…", "message": "…"}"#;
            return refuse(StatusCode::BAD_REQUEST, format!("{expected}: {e}"));
        }
    };
    let (user, message) = (notify.user_id.trim(), notify.message.trim());
    let why = if user.is_empty() || message.is_empty() {
        "user_id and message must not be empty".to_string()
    } else if user.chars().count() > MAX_USER_ID {
        format!("user_id is over {MAX_USER_ID} characters")
    } else if message.chars().count() > MAX_MESSAGE {
        format!("message is over {MAX_MESSAGE} characters")
    } else {
        let data = json!({ "message": message, "type": "webhook" });
        let delivered = hook
            .sessions
            .user(user)
            .trigger_action("notification", data)
            .unwrap_or(0);
        return Json(json!({ "delivered": delivered })).into_response();
    };
    refuse(StatusCode::BAD_REQUEST, why)
}

/// The HMAC-SHA256 of `body`, keyed with `secret`.
fn mac(secret: &str, body: &[u8]) -> Hmac<Sha256> {
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(secret.as_bytes())
        .expect("HMAC takes a key of any length");
    mac.update(body);
    mac
}

/// The `X-Signature` a sender puts on `body`: `sha256=` and the MAC in hex.
pub fn signature(secret: &str, body: &[u8]) -> String {
    format!(
        "sha256={}",
        hex::encode(mac(secret, body).finalize().into_bytes())
    )
}

/// Whether `X-Signature` is `body`'s, compared in constant time: a forger
/// learns nothing from how long the comparison took.
fn signed(secret: &str, headers: &HeaderMap, body: &[u8]) -> bool {
    let given = headers
        .get("x-signature")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("sha256="))
        .and_then(|hex| hex::decode(hex).ok());
    given.is_some_and(|given| mac(secret, body).verify_slice(&given).is_ok())
}

/// The page: the command to run, and what arrived.
pub struct Webhook {
    pub secret: Arc<str>,
}

#[derive(Clone, Default, Serialize, Deserialize)]
pub struct WebhookState {
    /// The signed-in user ("" when anonymous).
    pub me: String,
    /// The secret senders sign with.
    pub secret: String,
    /// The exact commands that notify this user on this server.
    pub curl: String,
    /// The same request, for the page's Send button: the body and its signature.
    pub body: String,
    pub signature: String,
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
        let body = json!({ "user_id": me, "message": "Deploy finished" }).to_string();
        let secret = self.secret.to_string();
        // The shell signs the very bytes curl sends.
        let curl = [
            format!("BODY='{body}'"),
            format!("SIG=$(printf %s \"$BODY\" | openssl dgst -sha256 -hmac '{secret}' | sed 's/^.* //')"),
            format!("curl -X POST http://{host}/webhooks/notify -H 'Content-Type: application/json' -H \"X-Signature: sha256=$SIG\" -d \"$BODY\""),
        ]
        .join("\n");
        Ok(WebhookState {
            curl,
            signature: signature(&secret, body.as_bytes()),
            body,
            secret,
            me,
            ..WebhookState::default()
        })
    }
}

pub const EXAMPLE: Example = Example {
    category: Category::RealTime,
    slug: "webhook",
    title: "Webhook",
    summary: "Another program sends a signed HTTP request to this server, and its message appears in every tab of the user it names.",
    try_it: "Sign in and click Send the webhook (or run the commands shown): the message appears here, and the answer says how many tabs it reached.",
    template: "realtime/webhook.html",
    sign_in: true,
    source: crate::this_file!(),
    also: SIGN_IN,
    routes,
};

/// The page at `/realtime/webhook`, and the webhook itself at `/webhooks/notify`.
fn routes(gallery: &Gallery) -> Result<Router, LiveError> {
    let secret = gallery.webhook_secret.clone();
    let page = gallery.show(
        &EXAMPLE,
        gallery.live.page(
            EXAMPLE.template,
            Webhook {
                secret: secret.clone(),
            },
        ),
    )?;
    let hook = Hook {
        sessions: gallery.live.sessions(),
        secret,
    };
    let webhook = post(notify)
        .with_state(hook)
        .layer(DefaultBodyLimit::max(MAX_BODY));
    Ok(page.route("/webhooks/notify", webhook))
}
