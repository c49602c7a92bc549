//! Hand-off links: open a link (or scan its QR code) in another browser and
//! that browser joins this one's session group — so `trigger_action`,
//! `sync` and broadcasts reach both.
//!
//! A link is made by its group, for its group only; it works once, and for a
//! few minutes. `POST /_lvt/handoff` makes one (JSON answer with `url`, `qr`
//! and `expires_in`); `GET /_lvt/handoff/{token}` asks the person opening it
//! to confirm, and the confirmation's same-origin `POST` to the same URL
//! joins (303 to `next`); `GET /_lvt/handoff/{token}/qr.svg` draws it.

use std::collections::{HashMap, VecDeque};
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::{Form, Json};
use serde::Deserialize;
use serde_json::json;

use super::{confirm_page, LiveTemplate};
use crate::identity::{cookie, Identity};
use crate::redirect::{same_site, see_other};

/// Where the hand-off routes live.
pub const HANDOFF_PATH: &str = "/_lvt/handoff";

/// How long a link works, unless [`Builder::handoff_ttl`](crate::Builder::handoff_ttl) says otherwise.
pub const DEFAULT_HANDOFF_TTL: Duration = Duration::from_secs(5 * 60);

/// Open links a runtime keeps, unless
/// [`Builder::max_handoff_links`](crate::Builder::max_handoff_links) says otherwise.
pub const DEFAULT_MAX_HANDOFF_LINKS: usize = 10_000;
/// Open links one session group may have at once, unless
/// [`Builder::max_handoff_links_per_group`](crate::Builder::max_handoff_links_per_group)
/// says otherwise.
pub const DEFAULT_HANDOFF_LINKS_PER_GROUP: usize = 5;

/// How many links are kept open.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Limits {
    pub total: usize,
    pub per_group: usize,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            total: DEFAULT_MAX_HANDOFF_LINKS,
            per_group: DEFAULT_HANDOFF_LINKS_PER_GROUP,
        }
    }
}

/// The open hand-off links of one runtime. A group over its quota loses
/// its own oldest link; when all are taken, new links are refused rather
/// than another group's dropped (session ids cost an attacker nothing).
#[derive(Default)]
pub(crate) struct Handoffs {
    open: Mutex<Open>,
    limits: Limits,
}

struct Ticket {
    identity: Identity,
    expires: Instant,
}

#[derive(Default)]
struct Open {
    tickets: HashMap<String, Ticket>,
    /// Each group's tokens, oldest first.
    by_group: HashMap<String, VecDeque<String>>,
}

impl Open {
    fn remove(&mut self, token: &str) -> Option<Ticket> {
        let ticket = self.tickets.remove(token)?;
        if let Some(tokens) = self.by_group.get_mut(&ticket.identity.group) {
            tokens.retain(|t| t != token);
            if tokens.is_empty() {
                self.by_group.remove(&ticket.identity.group);
            }
        }
        Some(ticket)
    }

    fn drop_expired(&mut self, now: Instant) {
        let expired: Vec<String> = self
            .tickets
            .iter()
            .filter(|(_, t)| t.expires <= now)
            .map(|(token, _)| token.clone())
            .collect();
        for token in expired {
            self.remove(&token);
        }
    }
}

/// Why a link did not work.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
enum Refusal {
    #[error("this hand-off link is unknown or was already used")]
    Unknown,
    #[error("this hand-off link has expired")]
    Expired,
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        error(StatusCode::GONE, &self.to_string())
    }
}

/// Every slot for open links is taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("too many hand-off links are open; try again in a few minutes")]
struct Full;

impl Handoffs {
    pub(crate) fn new(limits: Limits) -> Handoffs {
        Handoffs {
            open: Mutex::default(),
            limits,
        }
    }

    fn issue(&self, identity: Identity, ttl: Duration) -> Result<String, Full> {
        let now = Instant::now();
        let mut open = self.open.lock().unwrap_or_else(PoisonError::into_inner);
        let own = open.by_group.get(&identity.group).map_or(0, VecDeque::len);
        if own >= self.limits.per_group.max(1) {
            let oldest = open.by_group[&identity.group].front().cloned();
            if let Some(oldest) = oldest {
                open.remove(&oldest);
            }
        }
        if open.tickets.len() >= self.limits.total {
            open.drop_expired(now);
            if open.tickets.len() >= self.limits.total {
                return Err(Full);
            }
        }
        let token = crate::random::id();
        open.by_group
            .entry(identity.group.clone())
            .or_default()
            .push_back(token.clone());
        open.tickets.insert(
            token.clone(),
            Ticket {
                identity,
                expires: now + ttl,
            },
        );
        Ok(token)
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

    /// Whether the link would work, without using it.
    fn peek(&self, token: &str) -> Result<(), Refusal> {
        let open = self.open.lock().unwrap_or_else(PoisonError::into_inner);
        match open.tickets.get(token) {
            None => Err(Refusal::Unknown),
            Some(t) if t.expires <= Instant::now() => Err(Refusal::Expired),
            Some(_) => Ok(()),
        }
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
    if let Err(refused) = shared.guard.check(&headers) {
        return refused.into_response();
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
    let token = match shared.handoffs.issue(identity, ttl) {
        Ok(token) => token,
        Err(full) => {
            let mut response = error(StatusCode::SERVICE_UNAVAILABLE, &full.to_string());
            if let Ok(retry) = ttl.as_secs().max(1).to_string().parse() {
                response.headers_mut().insert(header::RETRY_AFTER, retry);
            }
            return response;
        }
    };
    let url = format!("{HANDOFF_PATH}/{token}");
    Json(json!({
        "url": url,
        "absolute_url": absolute(&live, &headers, &url),
        "qr": format!("{url}/qr.svg"),
        "expires_in": ttl.as_secs(),
    }))
    .into_response()
}

#[derive(Deserialize)]
pub(crate) struct Next {
    next: Option<String>,
}

/// `GET /_lvt/handoff/{token}`: asks the person to confirm; joins nothing.
/// Another site may send a visitor here, so joining takes their click.
pub(crate) async fn confirm(
    State(live): State<LiveTemplate>,
    Path(token): Path<String>,
    Query(next): Query<Next>,
) -> Response {
    if let Err(refusal) = live.inner.handoffs.peek(&token) {
        return refusal.into_response();
    }
    let next = same_site(next.next.as_deref());
    confirm_page::render(&format!("{HANDOFF_PATH}/{token}"), &next)
}

/// `POST /_lvt/handoff/{token}` (form field `next`), from the confirmation
/// page: join the link's group, then go to `next`.
pub(crate) async fn join(
    State(live): State<LiveTemplate>,
    Path(token): Path<String>,
    headers: HeaderMap,
    Form(next): Form<Next>,
) -> Response {
    if let Err(refused) = live.inner.guard.check(&headers) {
        return refused.into_response();
    }
    let identity = match live.inner.handoffs.redeem(&token) {
        Ok(identity) => identity,
        Err(refusal) => return refusal.into_response(),
    };
    let set_cookie = match &identity.user_id {
        Some(_) => live.handoff_cookie(&identity),
        None => Some(cookie::set_cookie(&identity.group)),
    };
    let Some(set_cookie) = set_cookie else {
        return error(StatusCode::GONE, "this sign-in can no longer be handed off");
    };
    see_other(&same_site(next.next.as_deref()), Some(&set_cookie))
}

/// `GET /_lvt/handoff/{token}/qr.svg[?next=/path]`: the link (going on to
/// `next`) as a QR code. Drawing it does not use it up.
pub(crate) async fn qr(
    State(live): State<LiveTemplate>,
    Path(token): Path<String>,
    Query(next): Query<Next>,
    headers: HeaderMap,
) -> Response {
    if let Err(refusal) = live.inner.handoffs.peek(&token) {
        return refusal.into_response();
    }
    let mut url = absolute(&live, &headers, &format!("{HANDOFF_PATH}/{token}"));
    if let Some(next) = next.next.as_deref() {
        url.push_str("?next=");
        url.push_str(&percent_encode(&same_site(Some(next))));
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
fn absolute(live: &LiveTemplate, headers: &HeaderMap, path: &str) -> String {
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("127.0.0.1");
    let scheme = live.inner.guard.scheme(headers);
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
        let token = handoffs
            .issue(Identity::anonymous("g"), Duration::from_secs(60))
            .unwrap();
        assert_eq!(handoffs.peek(&token), Ok(()));
        assert_eq!(
            handoffs.redeem(&token).map(|i| i.group),
            Ok("g".to_string())
        );
        assert_eq!(handoffs.redeem(&token), Err(Refusal::Unknown));
        let expired = handoffs
            .issue(Identity::anonymous("g"), Duration::ZERO)
            .unwrap();
        assert_eq!(handoffs.peek(&expired), Err(Refusal::Expired));
        assert_eq!(handoffs.redeem(&expired), Err(Refusal::Expired));
        assert_eq!(handoffs.redeem("made-up"), Err(Refusal::Unknown));
    }

    #[test]
    fn a_group_over_its_quota_loses_its_own_oldest_link_and_a_full_table_refuses() {
        let minute = Duration::from_secs(60);
        let handoffs = Handoffs::new(Limits {
            total: 3,
            per_group: 2,
        });
        let other = handoffs
            .issue(Identity::anonymous("other"), minute)
            .unwrap();
        let first = handoffs.issue(Identity::anonymous("g"), minute).unwrap();
        let second = handoffs.issue(Identity::anonymous("g"), minute).unwrap();
        let third = handoffs.issue(Identity::anonymous("g"), minute).unwrap();
        assert_eq!(handoffs.peek(&first), Err(Refusal::Unknown));
        assert_eq!(handoffs.peek(&second), Ok(()));
        assert_eq!(handoffs.peek(&third), Ok(()));
        assert_eq!(
            handoffs.issue(Identity::anonymous("new"), minute),
            Err(Full)
        );
        assert_eq!(handoffs.peek(&other), Ok(()), "others' links stay");
        handoffs.redeem(&other).unwrap();
        assert!(handoffs.issue(Identity::anonymous("new"), minute).is_ok());
    }
}
