//! Sessions: reaching live connections from anywhere, and what runs on them.
//!
//! A session group is the tabs that follow each other: every tab of one
//! browser, or of one signed-in user (see [`Identity`](crate::Identity)).
//! A [`Session`] names some connections — one page's tabs of a group (what
//! `ctx.session()` gives), a whole group, a user, or a topic — and
//! [`Session::trigger_action`] runs an action on each of them, each against
//! its own state. [`Sessions`] hands them out to code outside any
//! connection: HTTP handlers, webhooks, jobs.

#[cfg(test)]
mod cluster_tests;
mod jobs;
mod presence;
mod quota;
mod registry;
mod shared;
mod tasks;

pub use jobs::Job;
pub use presence::{PresenceChange, Present, PRESENCE_ACTION};
pub(crate) use quota::{Limits, Quotas, Slot};
pub use quota::{QuotaScope, SpawnError};
pub(crate) use registry::{ConnInfo, Mailbox, Push, Registration, Registry, StateChange, Target};
pub(crate) use shared::{Rendered, SharedRenders};
pub(crate) use tasks::TaskScope;

use std::sync::Arc;

use serde::Serialize;

use crate::cluster::ClusterStatus;
use serde_json::{Map, Value};

/// Some live connections: cheap to clone, usable from any thread or task.
///
/// ```no_run
/// # fn demo(session: livetemplate::Session) {
/// tokio::spawn(async move {
///     for n in 1..=10 {
///         tokio::time::sleep(std::time::Duration::from_secs(1)).await;
///         // Every tab gone: stop.
///         if session.trigger_action("tick", serde_json::json!({ "elapsed": n })).is_err() {
///             return;
///         }
///     }
/// });
/// # }
/// ```
#[derive(Clone)]
pub struct Session {
    pub(crate) registry: Arc<Registry>,
    pub(crate) target: Target,
}

/// Why a push could not be made.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SessionError {
    /// No connection of the session is live (or none handles the action):
    /// the documented signal for a background task to stop.
    #[error("session group has no live connection")]
    NoLiveConnection,
    /// The data serialized to something other than a JSON object or null
    /// (its JSON kind is named).
    #[error("action data must be a JSON object or null, not {0}")]
    NotAnObject(&'static str),
    /// The data did not serialize.
    #[error("action data could not be serialized")]
    Serialize(#[source] serde_json::Error),
}

impl PartialEq for SessionError {
    /// Same variant (and kind); serialization errors are never equal.
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (SessionError::NoLiveConnection, SessionError::NoLiveConnection) => true,
            (SessionError::NotAnObject(a), SessionError::NotAnObject(b)) => a == b,
            _ => false,
        }
    }
}

/// Action data as the handlers see it: an object (null is empty).
pub(crate) fn data_map(data: impl Serialize) -> Result<Map<String, Value>, SessionError> {
    match serde_json::to_value(data).map_err(SessionError::Serialize)? {
        Value::Object(map) => Ok(map),
        Value::Null => Ok(Map::new()),
        Value::Bool(_) => Err(SessionError::NotAnObject("a boolean")),
        Value::Number(_) => Err(SessionError::NotAnObject("a number")),
        Value::String(_) => Err(SessionError::NotAnObject("a string")),
        Value::Array(_) => Err(SessionError::NotAnObject("an array")),
    }
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("target", &self.target)
            .finish_non_exhaustive()
    }
}

impl Session {
    /// Runs `action` with `data` on every live connection of this session
    /// and pushes each one's update. Returns how many connections it
    /// reached, or [`SessionError::NoLiveConnection`] when there were none.
    ///
    /// With a [`bus`](crate::Builder::bus), connections on other
    /// instances count too, as they last reported them (see the
    /// [`cluster`](crate::cluster) module for how quickly that converges).
    ///
    /// A session from `ctx.session()` reaches every tab of its page and
    /// group; one from [`Sessions`] reaches the connections (on any page)
    /// whose controller handles `action`.
    pub fn trigger_action(
        &self,
        action: &str,
        data: impl Serialize,
    ) -> Result<usize, SessionError> {
        let data = data_map(data)?;
        match self.registry.deliver(&self.target, action, &data, None) {
            0 => Err(SessionError::NoLiveConnection),
            reached => Ok(reached),
        }
    }

    /// How many connections of this session are live now.
    pub fn live_connections(&self) -> usize {
        self.registry.count(&self.target)
    }
}

/// Reaches connections from anywhere in the application: an HTTP handler,
/// a webhook, a job. Get it from [`LiveTemplate::sessions`](crate::LiveTemplate::sessions).
///
/// ```no_run
/// # fn demo(live: livetemplate::LiveTemplate) {
/// let sessions = live.sessions();
/// // Every tab of ana, on every page with a `notification` action:
/// let reached = sessions.user("ana").trigger_action("notification", serde_json::json!({ "message": "hi" }));
/// // Everyone in the room:
/// let _ = sessions.topic("room:lobby").trigger_action("message", serde_json::json!({ "text": "hello" }));
/// # }
/// ```
#[derive(Clone)]
pub struct Sessions {
    pub(crate) registry: Arc<Registry>,
}

impl std::fmt::Debug for Sessions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sessions").finish_non_exhaustive()
    }
}

impl Sessions {
    fn session(&self, target: Target) -> Session {
        Session {
            registry: self.registry.clone(),
            target,
        }
    }

    /// Every connection of a signed-in user.
    pub fn user(&self, user_id: &str) -> Session {
        self.session(Target::User(Arc::from(user_id)))
    }

    /// Every connection of a session group.
    pub fn group(&self, group: &str) -> Session {
        self.session(Target::Group(Arc::from(group)))
    }

    /// How this instance sees the others (with a [`bus`](crate::Builder::bus)):
    /// its name, the link, the peers and their connections, resyncs.
    pub fn cluster(&self) -> ClusterStatus {
        self.registry.cluster_status()
    }

    /// Who is on `topic` ([`Context::track`](crate::Context::track)), on
    /// every instance: one entry per person, with their tab count.
    pub fn presence(&self, topic: &str) -> Vec<Present> {
        self.registry.presence_list(topic)
    }

    /// Every connection subscribed to `topic`. Server code publishes to any
    /// topic; connections subscribe only where the topic rules allow.
    pub fn topic(&self, topic: &str) -> Session {
        self.session(Target::Topic(Arc::from(topic)))
    }
}
