//! Topics and presence: what a handler subscribes to, publishes, and who
//! it says is here.

use serde::Serialize;

use super::{Context, Controller};
use crate::session::{data_map, Present, SessionError};

/// A topic could not be used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TopicError {
    /// The topic rules ([`Builder::allow_topics`](crate::Builder::allow_topics))
    /// do not allow this connection that topic.
    #[error("topic {0:?} is not allowed here")]
    Denied(String),
    /// Subscriptions belong to a WebSocket connection; this action came over HTTP.
    #[error("topics need a live connection")]
    NoConnection,
    /// The data could not be sent.
    #[error("the data for the topic could not be sent")]
    InvalidData(#[from] SessionError),
}

impl<C: Controller> Context<C> {
    /// Subscribes this connection to `topic`: [`publish`](Self::publish)es
    /// to it run on this connection from now until it closes. Allowed are
    /// the connection's own topics (`user:<id>`, `group:<id>`) and what
    /// [`Builder::allow_topics`](crate::Builder::allow_topics) allows.
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

    /// Puts this connection's person on `topic`'s presence list with `meta`
    /// (anything serde can write: a name, "typing…"), and subscribes this
    /// connection to the topic. Tracking again replaces the meta.
    ///
    /// The list has one entry per person — the signed-in user, or the
    /// session group of someone not signed in — with how many tabs they
    /// have on the topic, on every instance; the most recently tracked
    /// tab's meta shows. Whenever the list changes, the topic's subscribers
    /// run the server action [`PRESENCE_ACTION`](crate::PRESENCE_ACTION)
    /// with a [`PresenceChange`](crate::PresenceChange). A tab that drops
    /// stays on the list while it may resume; the person leaves when their
    /// last tab is gone for good. Allowed topics as for
    /// [`subscribe`](Self::subscribe).
    ///
    /// ```
    /// # use livetemplate::{ActionError, Actions, Context, Controller, PresenceChange, Present};
    /// # #[derive(Clone, Default, serde::Serialize, serde::Deserialize)]
    /// # struct Room { me: String, here: Vec<Present> }
    /// # struct Lobby;
    /// impl Controller for Lobby {
    ///     type State = Room;
    ///     fn actions(actions: &mut Actions<Self>) {
    ///         actions
    ///             .on("typing", |_, room, ctx| {
    ///                 ctx.track("room:lobby", serde_json::json!({ "name": room.me, "typing": true }))?;
    ///                 Ok(())
    ///             })
    ///             .on_server("presence", |_, room, ctx| {
    ///                 room.here = ctx.data::<PresenceChange>()?.here;
    ///                 Ok(())
    ///             });
    ///     }
    ///     fn on_connect(&self, room: &mut Room, ctx: &mut Context<Self>) -> Result<(), ActionError> {
    ///         ctx.track("room:lobby", serde_json::json!({ "name": room.me, "typing": false }))?;
    ///         Ok(())
    ///     }
    /// }
    /// ```
    pub fn track(&mut self, topic: &str, meta: impl Serialize) -> Result<(), TopicError> {
        let conn = self.link.conn.ok_or(TopicError::NoConnection)?;
        self.link.may_use(topic)?;
        let meta = serde_json::to_value(meta).map_err(SessionError::Serialize)?;
        let key = self.user_id().unwrap_or(self.group()).to_string();
        self.link.registry.track(conn, topic, &key, meta);
        Ok(())
    }

    /// Takes this connection off `topic`'s presence list (its person stays
    /// while another of their tabs is on it); it stays subscribed.
    pub fn untrack(&mut self, topic: &str) {
        if let Some(conn) = self.link.conn {
            self.link.registry.untrack(conn, topic);
        }
    }

    /// Who is on `topic` now, on every instance (see [`track`](Self::track)).
    pub fn presence(&self, topic: &str) -> Vec<Present> {
        self.link.registry.presence_list(topic)
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
}
