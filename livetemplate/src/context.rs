//! What an action handler can see and do.

use std::collections::HashMap;
use std::future::Future;

use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use crate::controller::ActionError;
use crate::session::{Session, TaskScope};

/// What [`Controller::mount`](crate::Controller::mount) sees: the request's query.
#[derive(Debug, Clone, Default)]
pub struct MountContext {
    pub(crate) query: HashMap<String, String>,
}

impl MountContext {
    /// A query parameter of the page URL.
    pub fn query(&self, key: &str) -> Option<&str> {
        self.query.get(key).map(String::as_str)
    }
}

/// What an action handler sees: the action's data, the session, and a place
/// to start background work tied to the connection.
pub struct Context {
    pub(crate) action: String,
    pub(crate) data: Map<String, Value>,
    pub(crate) session: Session,
    pub(crate) tasks: TaskScope,
}

impl Context {
    /// The action's name as the client sent it.
    pub fn action(&self) -> &str {
        &self.action
    }

    /// The action's data as a typed value.
    ///
    /// The error names what did not fit, and is shown to the user like any
    /// other action error.
    pub fn data<T: DeserializeOwned>(&self) -> Result<T, ActionError> {
        serde_json::from_value(Value::Object(self.data.clone())).map_err(|e| {
            ActionError::msg(format!("invalid data for action {:?}: {e}", self.action))
        })
    }

    /// A raw data value.
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.data.get(key)
    }

    /// An integer field: numbers, numeric strings and booleans count; anything
    /// else (or a missing field) is 0.
    pub fn get_int(&self, key: &str) -> i64 {
        match self.data.get(key) {
            Some(Value::Number(n)) => n
                .as_i64()
                .or_else(|| n.as_f64().map(|f| f as i64))
                .unwrap_or(0),
            Some(Value::String(s)) => s.trim().parse().unwrap_or(0),
            Some(Value::Bool(b)) => i64::from(*b),
            _ => 0,
        }
    }

    /// A string field: strings as they are, numbers and booleans as written;
    /// missing or null is the empty string.
    pub fn get_string(&self, key: &str) -> String {
        match self.data.get(key) {
            Some(Value::String(s)) => s.clone(),
            Some(Value::Null) | None => String::new(),
            Some(other) => other.to_string(),
        }
    }

    /// A boolean field: `true`, `"true"`, `"on"`, `"1"` and non-zero numbers are true.
    pub fn get_bool(&self, key: &str) -> bool {
        match self.data.get(key) {
            Some(Value::Bool(b)) => *b,
            Some(Value::String(s)) => matches!(s.as_str(), "true" | "on" | "1"),
            Some(Value::Number(n)) => n.as_f64().is_some_and(|f| f != 0.0),
            _ => false,
        }
    }

    /// The session group of this connection: all tabs of this browser.
    pub fn session(&self) -> Session {
        self.session.clone()
    }

    /// Runs `task` in the background, tied to this connection: it is
    /// cancelled (dropped at its next `.await`) when the connection closes,
    /// whether or not it ever checks an error.
    pub fn spawn<F>(&self, task: F)
    where
        F: Future<Output = ()> + Send + 'static,
    {
        self.tasks.spawn(task);
    }
}
