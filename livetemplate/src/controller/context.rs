//! What an action handler can see and do.

use std::collections::HashMap;
use std::future::Future;
use std::marker::PhantomData;
use std::sync::Arc;

use axum::http::HeaderMap;
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::{Map, Value};

use tokio::sync::Notify;

use super::topics::TopicError;
use super::{ActionError, Controller};
use crate::identity::Identity;
use crate::report::error_chain;
use crate::session::{
    data_map, Job, Registry, Session, SessionError, Slot, SpawnError, Target, TaskScope,
};
use crate::upload::UploadedFile;

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
    /// Notified when a handler asks for the socket to be dropped
    /// ([`Context::drop_connection`]); nothing listens over HTTP.
    pub drop: Arc<Notify>,
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

    pub(super) fn may_use(&self, topic: &str) -> Result<(), TopicError> {
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
    /// Uploads whose finished files the handler took ([`Context::uploads`]).
    pub taken_uploads: Vec<String>,
    /// Whether to drop the socket after the reply ([`Context::drop_connection`]).
    pub drop_connection: bool,
}

impl From<SessionError> for ActionError {
    fn from(e: SessionError) -> ActionError {
        ActionError::msg(error_chain(&e))
    }
}

impl From<TopicError> for ActionError {
    fn from(e: TopicError) -> ActionError {
        ActionError::msg(error_chain(&e))
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
/// to start background work tied to the connection. `C` is the controller,
/// so background jobs know the state they change.
pub struct Context<C: Controller> {
    pub(crate) action: Arc<str>,
    pub(crate) data: Arc<Map<String, Value>>,
    pub(crate) link: Arc<Link>,
    pub(crate) effects: Effects,
    /// The connection's finished uploads, offered to the handler.
    pub(crate) files: Vec<UploadedFile>,
    pub(crate) controller: PhantomData<fn() -> C>,
}

impl<C: Controller> std::fmt::Debug for Context<C> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Context")
            .field("action", &self.action)
            .field("data", &self.data)
            .field("user_id", &self.link.identity.user_id)
            .field("group", &self.link.identity.group)
            .field("connection", &self.link.conn)
            .finish_non_exhaustive()
    }
}

impl<C: Controller> Context<C> {
    /// A context for `action` on the connection `link` describes.
    pub(crate) fn new(
        action: Arc<str>,
        data: Arc<Map<String, Value>>,
        link: &Arc<Link>,
    ) -> Context<C> {
        Context {
            action,
            data,
            link: link.clone(),
            effects: Effects::default(),
            files: Vec::new(),
            controller: PhantomData,
        }
    }

    /// Takes the finished files of the upload `name` (see
    /// [`Controller::uploads`](crate::Controller::uploads)): each at a
    /// temporary path, to [`persist`](UploadedFile::persist) where it should
    /// stay. When the handler succeeds, the files leave `lvt.uploads` and
    /// whatever is still at their temporary paths is deleted; when it fails
    /// they stay, for the next try.
    ///
    /// ```no_run
    /// # use livetemplate::{ActionError, Context, Controller, Actions};
    /// # #[derive(Clone, Default, serde::Serialize, serde::Deserialize)] struct Profile { avatar: String }
    /// # struct Settings;
    /// # impl Controller for Settings { type State = Profile; fn actions(_: &mut Actions<Self>) {} }
    /// fn save(profile: &mut Profile, ctx: &mut Context<Settings>) -> Result<(), ActionError> {
    ///     for file in ctx.uploads("avatar") {
    ///         let dest = format!("/srv/avatars/{}.png", ctx.group());
    ///         file.persist(&dest).map_err(|e| ActionError::msg(e.to_string()))?;
    ///         profile.avatar = dest;
    ///     }
    ///     Ok(())
    /// }
    /// ```
    pub fn uploads(&mut self, name: &str) -> Vec<UploadedFile> {
        if !self.effects.taken_uploads.iter().any(|n| n == name) {
            self.effects.taken_uploads.push(name.to_string());
        }
        self.files
            .iter()
            .filter(|f| &*f.upload == name)
            .cloned()
            .collect()
    }

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

    /// An integer field: a whole number, or a string holding one. `None`
    /// when the field is missing or holds anything else (`"12abc"`, `1.5`,
    /// `true`): a handler decides what that means, rather than getting a
    /// made-up 0.
    pub fn get_int(&self, key: &str) -> Option<i64> {
        match self.data.get(key)? {
            Value::Number(n) => n.as_i64().or_else(|| {
                let f = n.as_f64()?;
                (f.fract() == 0.0 && f.abs() < 9.0e15).then_some(f as i64)
            }),
            Value::String(s) => s.trim().parse().ok(),
            _ => None,
        }
    }

    /// A string field: strings as they are, numbers and booleans as written
    /// (the client turns a numeric input into a number). `None` when the
    /// field is missing, null, a list or an object.
    pub fn get_string(&self, key: &str) -> Option<String> {
        match self.data.get(key)? {
            Value::String(s) => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            Value::Bool(b) => Some(b.to_string()),
            _ => None,
        }
    }

    /// A boolean field: `true`/`false`, the strings `"true"`, `"on"`, `"1"`
    /// and `"false"`, `"off"`, `"0"`, `""`, and the numbers 1 and 0. `None`
    /// when missing or anything else — an unchecked checkbox is not sent at
    /// all, so read a checkbox as `get_bool("agree").unwrap_or(false)`.
    pub fn get_bool(&self, key: &str) -> Option<bool> {
        match self.data.get(key)? {
            Value::Bool(b) => Some(*b),
            Value::String(s) => match s.as_str() {
                "true" | "on" | "1" => Some(true),
                "false" | "off" | "0" | "" => Some(false),
                _ => None,
            },
            Value::Number(n) => match n.as_u64() {
                Some(1) => Some(true),
                Some(0) => Some(false),
                _ => None,
            },
            _ => None,
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

    /// Shows `message` in the render that follows this action, as
    /// `lvt.flash[kind]` (`"success"`, `"error"`, …); the next action clears it.
    ///
    /// After a form posted without JavaScript (answered with `303 See
    /// Other`), the message rides the redirect in a short-lived `lvt-flash`
    /// cookie — `HttpOnly`, `SameSite=Lax`, scoped to the page, signed for
    /// the visitor's session group — and the page that follows shows it
    /// once and clears the cookie.
    ///
    /// ```
    /// # use livetemplate::{Actions, Controller};
    /// # #[derive(Clone, Default, serde::Serialize, serde::Deserialize)] struct Notes { count: u32 }
    /// # struct Notebook;
    /// impl Controller for Notebook {
    ///     type State = Notes;
    ///     fn actions(actions: &mut Actions<Self>) {
    ///         // Template: {% if lvt.flash.success %}<p>{{ lvt.flash.success }}</p>{% endif %}
    ///         actions.on("save", |_, notes, ctx| {
    ///             notes.count += 1;
    ///             ctx.flash("success", "Saved.");
    ///             Ok(())
    ///         });
    ///     }
    /// }
    /// ```
    pub fn flash(&mut self, kind: &str, message: impl Into<String>) {
        self.effects
            .flash
            .insert(kind.to_string(), Value::String(message.into()));
    }

    /// Drops this tab's WebSocket once this handler has succeeded, after
    /// its reply, the way a failing network does: with no close frame. With
    /// resuming on ([`Builder::resume_grace`](crate::Builder::resume_grace))
    /// the tab is then kept for the grace period — its tasks go on, pushes
    /// keep changing its state — and the stock client, which notices at its
    /// next heartbeat, comes back to its own view; otherwise the tab ends.
    /// For showing and testing reconnection. Over HTTP it does nothing.
    ///
    /// ```
    /// # use livetemplate::{Actions, Controller};
    /// # struct Demo;
    /// impl Controller for Demo {
    ///     type State = ();
    ///     fn actions(actions: &mut Actions<Self>) {
    ///         // <button name="cut">Cut the connection</button>
    ///         actions.on("cut", |_, _, ctx| {
    ///             ctx.drop_connection();
    ///             Ok(())
    ///         });
    ///     }
    /// }
    /// ```
    pub fn drop_connection(&mut self) {
        self.effects.drop_connection = true;
    }

    /// Runs `task` in the background, tied to this connection: it is
    /// cancelled (dropped at its next `.await`) when the connection closes,
    /// whether or not it ever checks an error.
    ///
    /// Refused with [`SpawnError`] when the connection or its session group
    /// already runs as many tasks as the [`Builder`](crate::Builder::max_tasks)
    /// allows; `?` shows the reason as the action's error.
    pub fn spawn<F>(&self, task: F) -> Result<(), SpawnError>
    where
        F: Future<Output = ()> + Send + 'static,
    {
        let slot = self.slot(false)?;
        self.link.tasks.spawn(slot, task);
        Ok(())
    }

    /// A slot for one more task (a job when `job`) of this connection.
    pub(super) fn slot(&self, job: bool) -> Result<Slot, SpawnError> {
        let group: Arc<str> = Arc::from(self.link.identity.group.as_str());
        let quotas = &self.link.registry.quotas;
        quotas.take(&self.link.tasks.counts, &group, job)
    }

    /// Runs `task` in the background for this page's tabs in the session
    /// group: it ends when the group's last connection to this page closes
    /// (a tab closed, reloaded or gone to another page), or the server
    /// stops. Over
    /// HTTP, with no connection to tie it to, it is tied to this request's
    /// scope like [`spawn`](Self::spawn). Capped like `spawn`.
    pub fn spawn_for_group<F>(&self, task: F) -> Result<(), SpawnError>
    where
        F: Future<Output = ()> + Send + 'static,
    {
        let slot = self.slot(false)?;
        match self
            .link
            .registry
            .group_token(&self.link.page, &self.link.identity.group)
        {
            Some(token) => self.link.tasks.spawn_until(token, slot, task),
            None => self.link.tasks.spawn(slot, task),
        }
        Ok(())
    }

    /// Runs `task` for the whole session group, like
    /// [`spawn_for_group`](Self::spawn_for_group), unless a task of the
    /// group started on this page under the same `name` is still running:
    /// one timer per group however many tabs open. `Ok(true)` when it started `task`.
    pub fn spawn_once_for_group<F>(&self, name: &str, task: F) -> Result<bool, SpawnError>
    where
        F: Future<Output = ()> + Send + 'static,
    {
        let registry = &self.link.registry;
        let group = &self.link.identity.group;
        if registry.group_token(&self.link.page, group).is_none() {
            // Over HTTP there is no group to share a task with.
            self.spawn(task)?;
            return Ok(true);
        }
        let Some(claim) = registry.claim_group_task(&self.link.page, group, name) else {
            return Ok(false);
        };
        let slot = self.slot(false)?;
        // Ends with the group's last tab on this page, or when cancelled by name.
        let until = claim.token.clone();
        self.link.tasks.spawn_until(until, slot, async move {
            let _claim = claim;
            task.await;
        });
        Ok(true)
    }

    /// Stops the session group's task started under `name` with
    /// [`spawn_once_for_group`](Self::spawn_once_for_group): it is dropped
    /// at its next `.await`, and the name is free at once, so a Start right
    /// after a Cancel starts a new one. False when no such task runs (it
    /// had finished, or another instance runs it).
    ///
    /// ```
    /// # use livetemplate::{Actions, ActionError, Context, Controller};
    /// # #[derive(Clone, Default, serde::Serialize, serde::Deserialize)] struct Job { running: bool }
    /// # struct Page;
    /// # impl Controller for Page { type State = Job; fn actions(_: &mut Actions<Self>) {} }
    /// fn cancel(job: &mut Job, ctx: &mut Context<Page>) -> Result<(), ActionError> {
    ///     ctx.cancel_group_task("progress");
    ///     job.running = false;
    ///     Ok(())
    /// }
    /// ```
    pub fn cancel_group_task(&self, name: &str) -> bool {
        self.link
            .registry
            .cancel_group_task(&self.link.page, &self.link.identity.group, name)
    }

    /// Runs a job off the connection loop, tied to the connection like
    /// [`spawn`](Self::spawn); it changes the state through its [`Job`] handle,
    /// each change applied to the state as it is then and pushed to the tab.
    ///
    /// ```
    /// # use livetemplate::{Actions, ActionError, Context, Controller};
    /// # #[derive(Clone, Default, serde::Serialize, serde::Deserialize)] struct Export { progress: u8 }
    /// # struct Exporter;
    /// # impl Controller for Exporter { type State = Export; fn actions(_: &mut Actions<Self>) {} }
    /// fn start(ctx: &mut Context<Exporter>) -> Result<(), ActionError> {
    ///     ctx.spawn_job(|job| async move {
    ///         for step in 1..=10u8 {
    ///             tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    ///             job.update(move |export| export.progress = step * 10);
    ///         }
    ///     })?;
    ///     Ok(())
    /// }
    /// ```
    ///
    /// Jobs are capped per connection, per session group and on the whole
    /// server (see [`Builder::max_jobs`](crate::Builder::max_jobs)); over a
    /// cap the job is not started and [`SpawnError`] says why.
    ///
    /// The job changes the controller's own state, and only that: a job
    /// written for another state does not compile.
    ///
    /// ```compile_fail
    /// # use livetemplate::{Actions, Context, Controller, Job};
    /// # #[derive(Clone, Default, serde::Serialize, serde::Deserialize)] struct Export { progress: u8 }
    /// # #[derive(Clone, Default, serde::Serialize, serde::Deserialize)] struct Other { done: bool }
    /// # struct Exporter;
    /// # impl Controller for Exporter { type State = Export; fn actions(_: &mut Actions<Self>) {} }
    /// fn start(ctx: &mut Context<Exporter>) {
    ///     let _ = ctx.spawn_job(|job: Job<Other>| async move {
    ///         job.update(|other| other.done = true);
    ///     });
    /// }
    /// ```
    pub fn spawn_job<F, Fut>(&self, job: F) -> Result<(), SpawnError>
    where
        F: FnOnce(Job<C::State>) -> Fut,
        Fut: Future<Output = ()> + Send + 'static,
    {
        let slot = self.slot(true)?;
        self.link.tasks.spawn(slot, job(self.job()));
        Ok(())
    }

    /// The handle a job of this connection changes its state through.
    pub(super) fn job(&self) -> Job<C::State> {
        Job {
            registry: self.link.registry.clone(),
            conn: self.link.conn,
            state: PhantomData,
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;
    use tokio_util::sync::CancellationToken;

    use super::*;
    use crate::metrics::Metrics;

    struct Page;
    impl Controller for Page {
        type State = ();
        fn actions(_: &mut crate::Actions<Self>) {}
    }

    fn context(data: Value) -> Context<Page> {
        let Value::Object(data) = data else {
            panic!("data must be an object, got {data}")
        };
        let link = Arc::new(Link {
            registry: Arc::new(Registry::new("test".into())),
            page: "page".into(),
            identity: Arc::new(Identity::anonymous("g")),
            conn: None,
            tasks: TaskScope::new(&CancellationToken::new(), Arc::new(Metrics::default())),
            topics: Arc::new(|_, _| false),
            drop: Arc::default(),
        });
        Context::new("probe".into(), Arc::new(data), &link)
    }

    #[test]
    fn getters_say_none_rather_than_make_up_a_value() {
        let ctx = context(json!({
            "n": 7, "s": " 12 ", "neg": "-1", "f": 2.0, "half": 1.5, "junk": "12abc",
            "t": true, "on": "on", "off": "off", "one": 1, "two": 2, "null": null, "list": [1]
        }));
        assert_eq!(ctx.get_int("n"), Some(7));
        assert_eq!(ctx.get_int("s"), Some(12));
        assert_eq!(ctx.get_int("neg"), Some(-1), "negative stays negative");
        assert_eq!(ctx.get_int("f"), Some(2));
        for bad in ["half", "junk", "t", "null", "list", "missing"] {
            assert_eq!(ctx.get_int(bad), None, "{bad}");
        }
        assert_eq!(ctx.get_string("s").as_deref(), Some(" 12 "));
        assert_eq!(
            ctx.get_string("n").as_deref(),
            Some("7"),
            "numbers as written"
        );
        assert_eq!(ctx.get_string("t").as_deref(), Some("true"));
        for absent in ["null", "list", "missing"] {
            assert_eq!(ctx.get_string(absent), None, "{absent}");
        }
        assert_eq!(ctx.get_bool("t"), Some(true));
        assert_eq!(ctx.get_bool("on"), Some(true));
        assert_eq!(ctx.get_bool("off"), Some(false));
        assert_eq!(ctx.get_bool("one"), Some(true));
        for bad in ["two", "junk", "null", "missing"] {
            assert_eq!(ctx.get_bool(bad), None, "{bad}");
        }
    }
}
