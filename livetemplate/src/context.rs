//! What an action handler can see and do.

use std::collections::HashMap;
use std::future::Future;
use std::marker::PhantomData;
use std::sync::Arc;

use axum::http::HeaderMap;
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::{Map, Value};

use crate::controller::ActionError;
use crate::identity::Identity;
use crate::session::{data_map, Job, Registry, Session, SessionError, Target, TaskScope};

/// Which topics a connection may subscribe and publish to.
pub(crate) type TopicRules = Arc<dyn Fn(&Identity, &str) -> bool + Send + Sync>;

/// What ties an action to its connection and runtime (cheap to clone).
#[derive(Clone)]
pub(crate) struct Link {
    pub registry: Arc<Registry>,
    /// The page's name, the same on every instance.
    pub page: Arc<str>,
    pub identity: Arc<Identity>,
    /// The connection; `None` for an action that came over HTTP.
    pub conn: Option<u64>,
    pub tasks: TaskScope,
    pub topics: TopicRules,
}

impl Link {
    /// This page's tabs in this group.
    pub(crate) fn session(&self) -> Session {
        Session {
            registry: self.registry.clone(),
            target: Target::Page {
                page: self.page.clone(),
                group: Arc::from(self.identity.group.as_str()),
            },
        }
    }

    fn may_use(&self, topic: &str) -> Result<(), TopicError> {
        if self.identity.owns_topic(topic) || (self.topics)(&self.identity, topic) {
            Ok(())
        } else {
            Err(TopicError::Denied(topic.to_string()))
        }
    }
}

/// What a handler asked for that happens only if it succeeds.
#[derive(Default)]
pub(crate) struct Effects {
    /// Actions for the other tabs of the page and group.
    pub broadcasts: Vec<(String, Map<String, Value>)>,
    /// Actions for the subscribers of a topic.
    pub publishes: Vec<(String, String, Map<String, Value>)>,
    /// Messages for the next render, by kind.
    pub flash: Map<String, Value>,
}

/// A topic could not be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TopicError {
    /// The topic rules ([`LiveTemplate::allow_topics`](crate::LiveTemplate::allow_topics))
    /// do not allow this connection that topic.
    #[error("topic {0:?} is not allowed here")]
    Denied(String),
    /// Subscriptions belong to a WebSocket connection; this action came over HTTP.
    #[error("topics need a live connection")]
    NoConnection,
    /// The data did not serialize to a JSON object.
    #[error("{0}")]
    InvalidData(#[from] SessionError),
}

impl From<SessionError> for ActionError {
    fn from(e: SessionError) -> ActionError {
        ActionError::msg(e.to_string())
    }
}

impl From<TopicError> for ActionError {
    fn from(e: TopicError) -> ActionError {
        ActionError::msg(e.to_string())
    }
}

/// What [`Controller::mount`](crate::Controller::mount) sees: the request
/// (its query and headers) and who made it.
#[derive(Debug, Clone)]
pub struct MountContext {
    pub(crate) query: HashMap<String, String>,
    pub(crate) headers: Arc<HeaderMap>,
    pub(crate) identity: Arc<Identity>,
}

impl MountContext {
    /// A query parameter of the page URL.
    pub fn query(&self, key: &str) -> Option<&str> {
        self.query.get(key).map(String::as_str)
    }

    /// A request header (of the page GET, or of the WebSocket upgrade).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The signed-in user, if an [`Authenticator`](crate::Authenticator) said who it is.
    pub fn user_id(&self) -> Option<&str> {
        self.identity.user_id.as_deref()
    }

    /// The session group's id.
    pub fn group(&self) -> &str {
        &self.identity.group
    }
}

/// What an action handler sees: the action's data, the session, and a place
/// to start background work tied to the connection.
pub struct Context {
    pub(crate) action: String,
    pub(crate) data: Arc<Map<String, Value>>,
    pub(crate) link: Link,
    pub(crate) effects: Effects,
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
        serde_json::from_value(Value::Object(Map::clone(&self.data))).map_err(|e| {
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

    /// This page's tabs in this session group (all tabs of this browser, or
    /// of this user when signed in), for pushing from background tasks.
    pub fn session(&self) -> Session {
        self.link.session()
    }

    /// The signed-in user, if an [`Authenticator`](crate::Authenticator) said who it is.
    pub fn user_id(&self) -> Option<&str> {
        self.link.identity.user_id.as_deref()
    }

    /// The session group's id.
    pub fn group(&self) -> &str {
        &self.link.identity.group
    }

    /// Runs `action` on the *other* tabs of this page and group once this
    /// handler has succeeded (nothing is sent if it fails).
    pub fn broadcast_action(
        &mut self,
        action: &str,
        data: impl Serialize,
    ) -> Result<(), SessionError> {
        let data = data_map(data)?;
        self.effects.broadcasts.push((action.to_string(), data));
        Ok(())
    }

    /// Subscribes this connection to `topic`: [`publish`](Self::publish)es
    /// to it run on this connection from now until it closes. Allowed are
    /// the connection's own topics (`user:<id>`, `group:<id>`) and what
    /// [`LiveTemplate::allow_topics`](crate::LiveTemplate::allow_topics) allows.
    pub fn subscribe(&mut self, topic: &str) -> Result<(), TopicError> {
        let conn = self.link.conn.ok_or(TopicError::NoConnection)?;
        self.link.may_use(topic)?;
        self.link.registry.subscribe(conn, topic);
        Ok(())
    }

    /// Ends this connection's subscription to `topic`.
    pub fn unsubscribe(&mut self, topic: &str) {
        if let Some(conn) = self.link.conn {
            self.link.registry.unsubscribe(conn, topic);
        }
    }

    /// Runs `action` on every connection subscribed to `topic` (this one
    /// included, if subscribed) once this handler has succeeded. The topic
    /// must be allowed as for [`subscribe`](Self::subscribe).
    pub fn publish(
        &mut self,
        topic: &str,
        action: &str,
        data: impl Serialize,
    ) -> Result<(), TopicError> {
        self.link.may_use(topic)?;
        let data = data_map(data)?;
        self.effects
            .publishes
            .push((topic.to_string(), action.to_string(), data));
        Ok(())
    }

    /// Shows `message` in the render that follows this action, as
    /// `lvt.flash[kind]` (`"success"`, `"error"`, …); the next action clears it.
    pub fn flash(&mut self, kind: &str, message: impl Into<String>) {
        self.effects
            .flash
            .insert(kind.to_string(), Value::String(message.into()));
    }

    /// Runs `task` in the background, tied to this connection: it is
    /// cancelled (dropped at its next `.await`) when the connection closes,
    /// whether or not it ever checks an error.
    pub fn spawn<F>(&self, task: F)
    where
        F: Future<Output = ()> + Send + 'static,
    {
        self.link.tasks.spawn(task);
    }

    /// Runs `task` in the background for the whole session group: it ends
    /// when the group's last connection closes (or the server stops). Over
    /// HTTP, with no connection to tie it to, it is tied to this request's
    /// scope like [`spawn`](Self::spawn).
    pub fn spawn_for_group<F>(&self, task: F)
    where
        F: Future<Output = ()> + Send + 'static,
    {
        match self.link.registry.group_token(&self.link.identity.group) {
            Some(token) => self.link.tasks.spawn_until(token, task),
            None => self.link.tasks.spawn(task),
        }
    }

    /// Runs a job off the connection loop, tied to the connection like
    /// [`spawn`](Self::spawn); it changes the state through its [`Job`] handle,
    /// each change applied to the state as it is then and pushed to the tab.
    /// `S` is the controller's state type.
    pub fn spawn_job<S, F, Fut>(&self, job: F)
    where
        S: 'static,
        F: FnOnce(Job<S>) -> Fut,
        Fut: Future<Output = ()> + Send + 'static,
    {
        let handle = Job {
            registry: self.link.registry.clone(),
            conn: self.link.conn,
            state: PhantomData,
        };
        self.link.tasks.spawn(job(handle));
    }
}
