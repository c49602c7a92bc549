//! Sessions: the connections of one session group, and pushing to them.
//!
//! A session group is every tab of one browser (the `livetemplate-id`
//! cookie). [`Session::trigger_action`] runs an action on each live
//! connection of the group, each against its own state, from anywhere.

mod connection;
mod dispatch;
mod hub;
mod tasks;

pub(crate) use connection::{serve_socket, SocketConfig};
pub(crate) use dispatch::{Dispatch, View};
pub(crate) use hub::{Hub, Push};
pub(crate) use tasks::TaskScope;

use std::sync::Arc;

use serde::Serialize;
use serde_json::{Map, Value};

/// A handle on one session group of one page: cheap to clone, usable from
/// any thread or task.
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
    pub(crate) hub: Arc<Hub>,
    pub(crate) group: Arc<str>,
}

/// Why a push could not be made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SessionError {
    /// No tab of the group is connected: the documented signal for a
    /// background task to stop.
    #[error("session group has no live connection")]
    NoLiveConnection,
    /// The data did not serialize to a JSON object.
    #[error("action data must be a JSON object (or null): {0}")]
    InvalidData(String),
}

impl Session {
    /// Runs `action` with `data` on every live connection of the group and
    /// pushes each one's update. Returns how many connections it reached, or
    /// [`SessionError::NoLiveConnection`] when there were none.
    pub fn trigger_action(
        &self,
        action: &str,
        data: impl Serialize,
    ) -> Result<usize, SessionError> {
        let data = match serde_json::to_value(data) {
            Ok(Value::Object(map)) => map,
            Ok(Value::Null) => Map::new(),
            Ok(other) => return Err(SessionError::InvalidData(format!("got {other}"))),
            Err(e) => return Err(SessionError::InvalidData(e.to_string())),
        };
        let reached = self.hub.push(
            &self.group,
            Push {
                action: action.to_string(),
                data,
            },
        );
        if reached == 0 {
            Err(SessionError::NoLiveConnection)
        } else {
            Ok(reached)
        }
    }

    /// The session group's id.
    pub fn group(&self) -> &str {
        &self.group
    }

    /// How many connections of the group are live now.
    pub fn live_connections(&self) -> usize {
        self.hub.count(&self.group)
    }
}
