//! `POST /webhooks/notify`: what an outside service calls to notify a user.
//!
//! Body: `{"user_id": "ana", "message": "Deploy finished"}`. Answer:
//! `{"delivered": N}`, N being how many of the user's tabs showed it (0 when
//! none is open). A body that is not that gets a 400 saying what is wrong.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use livetemplate::Sessions;
use serde::Deserialize;
use serde_json::json;

/// The longest message accepted.
pub const MAX_MESSAGE: usize = 1000;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Notify {
    user_id: String,
    message: String,
}

fn bad_request(message: impl Into<String>) -> Response {
    (
        StatusCode::BAD_REQUEST,
        Json(json!({ "error": message.into() })),
    )
        .into_response()
}

pub async fn notify(State(sessions): State<Sessions>, body: Bytes) -> Response {
    let notify: Notify = match serde_json::from_slice(&body) {
        Ok(n) => n,
        Err(e) => {
            return bad_request(format!(
                "expected a JSON body {{\"user_id\": \"…\", \"message\": \"…\"}}: {e}"
            ))
        }
    };
    let (user, message) = (notify.user_id.trim(), notify.message.trim());
    if user.is_empty() {
        return bad_request("user_id must not be empty");
    }
    if message.is_empty() {
        return bad_request("message must not be empty");
    }
    if message.chars().count() > MAX_MESSAGE {
        return bad_request(format!("message is over {MAX_MESSAGE} characters"));
    }
    let data = json!({ "message": message, "from": "webhook", "source": "webhook" });
    let delivered = sessions
        .user(user)
        .trigger_action("notification", data)
        .unwrap_or(0);
    Json(json!({ "delivered": delivered })).into_response()
}
