//! Who is asking: a user id (when someone signed in) and a session group
//! (the tabs that follow each other).
//!
//! Without an [`Authenticator`] every browser is anonymous and its tabs form
//! one group (the `livetemplate-id` cookie). [`SignedCookieAuth`] is a small
//! sign-in by name with an HMAC-signed cookie, where the group is the user:
//! a user's tabs in every browser follow each other.

pub(crate) mod cookie;
mod signed;

pub use signed::{InvalidUserName, SignedCookieAuth, USER_COOKIE};

use axum::http::HeaderMap;

/// Who a request or connection belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    /// The signed-in user, if any.
    pub user_id: Option<String>,
    /// The session group: connections that `trigger_action`, `Sync` and
    /// `broadcast_action` reach together.
    pub group: String,
}

impl Identity {
    /// An anonymous browser's identity: its group is its cookie.
    pub fn anonymous(group: impl Into<String>) -> Identity {
        Identity {
            user_id: None,
            group: group.into(),
        }
    }

    /// The topic only this user's connections may subscribe to: `user:<id>`.
    pub fn user_topic(&self) -> Option<String> {
        self.user_id.as_ref().map(|u| format!("user:{u}"))
    }

    /// The topic only this group's connections may subscribe to: `group:<id>`.
    pub fn group_topic(&self) -> String {
        format!("group:{}", self.group)
    }

    /// Whether `topic` is one of this identity's own topics.
    pub(crate) fn owns_topic(&self, topic: &str) -> bool {
        topic == self.group_topic() || self.user_topic().as_deref() == Some(topic)
    }
}

/// Decides who a request is, from its headers (cookies, a bearer token…).
///
/// Returning `None` makes the request anonymous (the browser's cookie group).
pub trait Authenticator: Send + Sync + 'static {
    /// The identity of a request, if it carries one.
    fn identify(&self, headers: &HeaderMap) -> Option<Identity>;

    /// The `Set-Cookie` value that makes another browser this signed-in
    /// identity, for a hand-off link. `None` (the default): such an identity
    /// cannot be handed off.
    fn handoff_cookie(&self, identity: &Identity) -> Option<String> {
        let _ = identity;
        None
    }
}

impl<F> Authenticator for F
where
    F: Fn(&HeaderMap) -> Option<Identity> + Send + Sync + 'static,
{
    fn identify(&self, headers: &HeaderMap) -> Option<Identity> {
        self(headers)
    }
}
