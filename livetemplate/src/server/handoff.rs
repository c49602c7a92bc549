//! Hand-off links: open a link (or scan its QR code) in another browser and
//! that browser joins this one's session group — so `trigger_action`,
//! `sync` and broadcasts reach both.
//!
//! A link is made by its group, for its group only; it works once, and for a
//! few minutes. `POST /_lvt/handoff` makes one (JSON answer with `url`, `qr`
//! and `expires_in`), `GET /_lvt/handoff/{token}` joins (303 to `?next=`),
//! `GET /_lvt/handoff/{token}/qr.svg` draws it.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use serde_json::json;

use super::{origin, LiveTemplate};
use crate::identity::{cookie, Identity};
use crate::redirect::{same_site, see_other};

/// Where the hand-off routes live.
pub const HANDOFF_PATH: &str = "/_lvt/handoff";

/// How long a link works, unless [`Builder::handoff_ttl`](crate::Builder::handoff_ttl) says otherwise.
pub const DEFAULT_HANDOFF_TTL: Duration = Duration::from_secs(5 * 60);

/// Links not yet used; expired ones are dropped as new ones are made.
const MAX_OPEN_LINKS: usize = 10_000;

/// The open hand-off links of one runtime.
#[derive(Default)]
pub(crate) struct Handoffs {
    open: Mutex<HashMap<String, Ticket>>,
}

struct Ticket {
    identity: Identity,
    expires: Instant,
}

/// Why a link did not work.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Refusal {
    Unknown,
    Expired,
}

impl Handoffs {
    fn issue(&self, identity: Identity, ttl: Duration) -> String {
        let token = crate::random::id();
        let now = Instant::now();
        let mut open = self.open.lock().unwrap_or_else(PoisonError::into_inner);
        open.retain(|_, t| t.expires > now);
        if open.len() >= MAX_OPEN_LINKS {
            open.clear();
        }
        open.insert(
            token.clone(),
            Ticket {
                identity,
                expires: now + ttl,
            },
        );
        token
    }

    /// Takes the ticket: a link works once, whatever the outcome.
    fn redeem(&self, token: &str) -> Result<Identity, Refusal> {
        let ticket = self
            .open
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(token)
            .ok_or(Refusal::Unknown)?;
        if ticket.expires <= Instant::now() {
            return Err(Refusal::Expired);
        }
        Ok(ticket.identity)
    }

    fn is_open(&self, token: &str) -> bool {
        let open = self.open.lock().unwrap_or_else(PoisonError::into_inner);
        open.get(token).is_some_and(|t| t.expires > Instant::now())
    }
}

fn error(status: StatusCode, message: &str) -> Response {
    (status, Json(json!({ "error": message }))).into_response()
}

#[derive(Deserialize, Default)]
struct IssueRequest {
    /// Optional: the group the caller means. It must be the caller's own.
    #[serde(default)]
    group: Option<String>,
}

/// `POST /_lvt/handoff`: a link that joins the caller's own group.
pub(crate) async fn issue(
    State(live): State<LiveTemplate>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let shared = &live.inner;
    if let Err(refused) = origin::check(&headers, &shared.allowed_origins) {
        return error(
            StatusCode::FORBIDDEN,
            &format!("origin {refused} is not allowed"),
        );
    }
    let request: IssueRequest = if body.is_empty() {
        IssueRequest::default()
    } else {
        match serde_json::from_slice(&body) {
            Ok(r) => r,
            Err(e) => {
                return error(
                    StatusCode::BAD_REQUEST,
                    &format!("expected {{\"group\"?: \"…\"}}: {e}"),
                )
            }
        }
    };
    let (identity, new_cookie) = live.identify(&headers);
    if new_cookie.is_some() {
        return error(
            StatusCode::BAD_REQUEST,
            "this browser has no session group yet: open a page first",
        );
    }
    if request.group.is_some_and(|g| g != identity.group) {
        return error(
            StatusCode::FORBIDDEN,
            "a hand-off link joins only the session group that makes it",
        );
    }
    if identity.user_id.is_some() && live.handoff_cookie(&identity).is_none() {
        return error(
            StatusCode::BAD_REQUEST,
            "this sign-in cannot be handed off (the authenticator does not support it)",
        );
    }
    let ttl = shared.handoff_ttl;
    let token = shared.handoffs.issue(identity, ttl);
    let url = format!("{HANDOFF_PATH}/{token}");
    Json(json!({
        "url": url,
        "absolute_url": absolute(&headers, &url),
        "qr": format!("{url}/qr.svg"),
        "expires_in": ttl.as_secs(),
    }))
    .into_response()
}

#[derive(Deserialize)]
pub(crate) struct Next {
    next: Option<String>,
}

/// `GET /_lvt/handoff/{token}`: join the link's group, then go to `next`.
pub(crate) async fn redeem(
    State(live): State<LiveTemplate>,
    Path(token): Path<String>,
    Query(next): Query<Next>,
) -> Response {
    let identity = match live.inner.handoffs.redeem(&token) {
        Ok(identity) => identity,
        Err(Refusal::Unknown) => {
            return error(
                StatusCode::GONE,
                "this hand-off link is unknown or was already used",
            )
        }
        Err(Refusal::Expired) => return error(StatusCode::GONE, "this hand-off link has expired"),
    };
    let set_cookie = match &identity.user_id {
        Some(_) => live.handoff_cookie(&identity),
        None => Some(cookie::set_cookie(&identity.group)),
    };
    let Some(set_cookie) = set_cookie else {
        return error(StatusCode::GONE, "this sign-in can no longer be handed off");
    };
    see_other(same_site(next.next.as_deref()), Some(&set_cookie))
}

/// `GET /_lvt/handoff/{token}/qr.svg[?next=/path]`: the link (going on to
/// `next`) as a QR code. Drawing it does not use it up.
pub(crate) async fn qr(
    State(live): State<LiveTemplate>,
    Path(token): Path<String>,
    Query(next): Query<Next>,
    headers: HeaderMap,
) -> Response {
    if !live.inner.handoffs.is_open(&token) {
        return error(
            StatusCode::GONE,
            "this hand-off link is unknown, used or expired",
        );
    }
    let mut url = absolute(&headers, &format!("{HANDOFF_PATH}/{token}"));
    if let Some(next) = next.next.as_deref() {
        url.push_str("?next=");
        url.push_str(&percent_encode(same_site(Some(next))));
    }
    match qrcode::QrCode::new(url.as_bytes()) {
        Ok(code) => {
            let svg = code
                .render::<qrcode::render::svg::Color<'_>>()
                .min_dimensions(220, 220)
                .quiet_zone(true)
                .build();
            ([(header::CONTENT_TYPE, "image/svg+xml")], svg).into_response()
        }
        Err(e) => error(StatusCode::INTERNAL_SERVER_ERROR, &format!("QR code: {e}")),
    }
}

/// The URL as the browser that made the request would reach it.
fn absolute(headers: &HeaderMap, path: &str) -> String {
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("127.0.0.1");
    let scheme = headers
        .get("x-forwarded-proto")
        .and_then(|h| h.to_str().ok())
        .filter(|p| *p == "https")
        .unwrap_or("http");
    format!("{scheme}://{host}{path}")
}

/// Escapes all but unreserved characters and `/`, for a query value.
fn percent_encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'/' | b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_link_works_once_and_not_after_it_expires() {
        let handoffs = Handoffs::default();
        let token = handoffs.issue(Identity::anonymous("g"), Duration::from_secs(60));
        assert!(handoffs.is_open(&token));
        assert_eq!(
            handoffs.redeem(&token).map(|i| i.group),
            Ok("g".to_string())
        );
        assert_eq!(handoffs.redeem(&token), Err(Refusal::Unknown));
        let expired = handoffs.issue(Identity::anonymous("g"), Duration::ZERO);
        assert!(!handoffs.is_open(&expired));
        assert_eq!(handoffs.redeem(&expired), Err(Refusal::Expired));
        assert_eq!(handoffs.redeem("made-up"), Err(Refusal::Unknown));
    }
}
