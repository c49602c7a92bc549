//! The HTTP side: a [`LiveTemplate`] runtime hands out axum routes for live
//! pages, and serves the client script.

mod assets;
pub(crate) mod cookie;
mod handoff;
mod origin;
mod page;
pub(crate) mod redirect;

use std::collections::HashSet;
use std::sync::{Arc, OnceLock};

use axum::routing::{get, post, MethodRouter};
use axum::Router;
use serde::Serialize;
use tokio_util::sync::CancellationToken;

use crate::cluster::{Bus, Cluster};
use crate::context::TopicRules;
use crate::controller::{action_key, Actions, Controller};
use crate::identity::{Authenticator, Identity};
use crate::metrics::Metrics;
use crate::session::{Dispatch, Persist, Registry, Sessions};
use crate::store::{MemoryStore, Store};
use crate::template::{actions::action_names, Templates};
use crate::trace::{Trace, Tracer};

pub use assets::CLIENT_SCRIPT_PATH;
pub use handoff::{DEFAULT_HANDOFF_TTL, HANDOFF_PATH};

/// The runtime: templates, settings and gauges shared by every live page.
///
/// ```no_run
/// use livetemplate::{LiveTemplate, Templates};
/// # use livetemplate::{Actions, Controller};
/// # struct Home;
/// # impl Controller for Home { type State = (); fn actions(_: &mut Actions<Self>) {} }
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// let live = LiveTemplate::new(Templates::from_dir("templates"));
/// let app = axum::Router::new()
///     .route("/", live.page("home.html", Home).build()?)
///     .merge(live.routes());
/// let listener = tokio::net::TcpListener::bind("127.0.0.1:8080").await?;
/// axum::serve(listener, app).await?;
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct LiveTemplate {
    inner: Arc<Shared>,
}

struct Shared {
    templates: Templates,
    metrics: Arc<Metrics>,
    allowed_origins: Vec<String>,
    max_message_bytes: usize,
    shutdown: CancellationToken,
    tracer: Option<Tracer>,
    /// Made on first use, once the settings (instance name, bus) are final.
    registry: OnceLock<Arc<Registry>>,
    instance: Arc<str>,
    bus: Option<Arc<dyn Bus>>,
    authenticator: Option<Arc<dyn Authenticator>>,
    topics: TopicRules,
    store: Arc<dyn Store>,
    handoffs: handoff::Handoffs,
    handoff_ttl: std::time::Duration,
}

/// Inbound WebSocket messages larger than this get an error reply (64 KiB).
pub const DEFAULT_MAX_MESSAGE_BYTES: usize = 64 * 1024;

/// A live page could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum LiveError {
    /// The template names an action the controller does not handle.
    #[error("template {template:?} uses action {action:?}, but the controller has no handler for it (handlers: {})", handlers.join(", "))]
    MissingHandler {
        /// The template.
        template: String,
        /// The action without a handler.
        action: String,
        /// The handlers the controller registered.
        handlers: Vec<String>,
    },
    /// Two handlers were registered under names that are the same action.
    #[error("action {0:?} is registered twice (names are compared ignoring case, '_' and '-')")]
    DuplicateHandler(String),
    /// The template (or layout) does not exist.
    #[error("template {0:?} not found")]
    TemplateNotFound(String),
}

impl LiveTemplate {
    /// A runtime rendering `templates`.
    pub fn new(templates: Templates) -> LiveTemplate {
        LiveTemplate {
            inner: Arc::new(Shared {
                templates,
                metrics: Arc::new(Metrics::default()),
                allowed_origins: Vec::new(),
                max_message_bytes: DEFAULT_MAX_MESSAGE_BYTES,
                shutdown: CancellationToken::new(),
                tracer: None,
                registry: OnceLock::new(),
                instance: Arc::from(format!("instance-{}", &cookie::random_id()[..6])),
                bus: None,
                authenticator: None,
                topics: Arc::new(|_, _| false),
                store: Arc::new(MemoryStore::default()),
                handoffs: handoff::Handoffs::default(),
                handoff_ttl: DEFAULT_HANDOFF_TTL,
            }),
        }
    }

    fn with(mut self, f: impl FnOnce(&mut Shared)) -> LiveTemplate {
        match Arc::get_mut(&mut self.inner) {
            Some(shared) => f(shared),
            None => {
                tracing::warn!("LiveTemplate settings must be made before pages are built; ignored")
            }
        }
        self
    }

    /// Also accept WebSocket connections and POSTs from `origin`
    /// (`scheme://host[:port]`); the page's own origin is always accepted.
    pub fn allow_origin(self, origin: impl Into<String>) -> LiveTemplate {
        let origin = origin::normalize(&origin.into());
        self.with(|s| s.allowed_origins.push(origin))
    }

    /// The largest inbound message answered normally (default 64 KiB).
    pub fn max_message_bytes(self, bytes: usize) -> LiveTemplate {
        self.with(|s| s.max_message_bytes = bytes)
    }

    /// Calls `f` with every update sent to a client over its WebSocket, and
    /// the HTML the client must show after it: for logging what goes over
    /// the wire, or for checking a client against the server.
    ///
    /// ```
    /// use livetemplate::{LiveTemplate, Templates};
    /// let live = LiveTemplate::new(Templates::from_dir("templates"))
    ///     .trace(|t| tracing::debug!(view = t.view, update = %t.update, "update"));
    /// ```
    pub fn trace(self, f: impl Fn(&Trace<'_>) + Send + Sync + 'static) -> LiveTemplate {
        self.with(|s| s.tracer = Some(Arc::new(f)))
    }

    /// Decides who requests are (user id and session group); without one,
    /// every browser is anonymous and its tabs are one group.
    pub fn authenticator(self, authenticator: impl Authenticator) -> LiveTemplate {
        self.with(|s| s.authenticator = Some(Arc::new(authenticator)))
    }

    /// Which topics connections may subscribe and publish to, beyond their
    /// own (`user:<id>`, `group:<id>`). Denied unless this says yes.
    ///
    /// ```
    /// # use livetemplate::{LiveTemplate, Templates};
    /// let live = LiveTemplate::new(Templates::from_dir("templates"))
    ///     // Signed-in users may join rooms; nobody else, nothing else.
    ///     .allow_topics(|who, topic| who.user_id.is_some() && topic.starts_with("room:"));
    /// ```
    pub fn allow_topics(
        self,
        rule: impl Fn(&Identity, &str) -> bool + Send + Sync + 'static,
    ) -> LiveTemplate {
        self.with(|s| s.topics = Arc::new(rule))
    }

    /// Names this instance among several sharing a [`bus`](Self::bus)
    /// (default: `instance-` and six random characters). Shown by
    /// [`Sessions::cluster`]; each instance needs its own.
    pub fn instance_name(self, name: impl Into<String>) -> LiveTemplate {
        let name: Arc<str> = Arc::from(name.into());
        self.with(|s| s.instance = name)
    }

    /// Shares this runtime's sessions with other instances over `bus`:
    /// `trigger_action`, `sync`, broadcasts, topic publishes and pushes to
    /// a user reach connections on every instance, and "no live
    /// connection" means none on any instance. Without a bus an instance
    /// is on its own (nothing else needed). The bus starts with the first
    /// page built (inside a Tokio runtime).
    ///
    /// ```no_run
    /// # #[cfg(feature = "redis")]
    /// # async fn run() -> Result<(), livetemplate::redis::RedisError> {
    /// use livetemplate::{redis::Redis, LiveTemplate, Templates};
    /// let redis = Redis::connect("redis://127.0.0.1:6379").await?;
    /// let live = LiveTemplate::new(Templates::from_dir("templates"))
    ///     .instance_name("a")
    ///     .bus(redis.bus())
    ///     .store(redis.store());
    /// # Ok(()) }
    /// ```
    pub fn bus(self, bus: impl Bus) -> LiveTemplate {
        let bus: Arc<dyn Bus> = Arc::new(bus);
        self.with(|s| s.bus = Some(bus))
    }

    /// Where persisted fields ([`Controller::PERSIST`]) are kept (default: memory).
    pub fn store(self, store: impl Store) -> LiveTemplate {
        self.with(|s| s.store = Arc::new(store))
    }

    /// How long a hand-off link works (default 5 minutes); see [`HANDOFF_PATH`].
    pub fn handoff_ttl(self, ttl: std::time::Duration) -> LiveTemplate {
        self.with(|s| s.handoff_ttl = ttl)
    }

    /// Who a request is, and the anonymous session id to set as a cookie
    /// when the browser has none yet.
    pub(crate) fn identify(&self, headers: &axum::http::HeaderMap) -> (Identity, Option<String>) {
        let known = self
            .inner
            .authenticator
            .as_ref()
            .and_then(|a| a.identify(headers));
        if let Some(identity) = known {
            return (identity, None);
        }
        match cookie::session_id(headers) {
            Some(id) => (Identity::anonymous(id), None),
            None => {
                let id = cookie::random_id();
                (Identity::anonymous(id.clone()), Some(id))
            }
        }
    }

    /// The cookie that makes another browser `identity` (a signed-in one).
    pub(crate) fn handoff_cookie(&self, identity: &Identity) -> Option<String> {
        self.inner.authenticator.as_ref()?.handoff_cookie(identity)
    }

    /// Reaches connections from outside them: a user, a group, a topic.
    pub fn sessions(&self) -> Sessions {
        Sessions {
            registry: self.registry().clone(),
        }
    }

    /// The live connections, made (and joined to the bus) on first use.
    fn registry(&self) -> &Arc<Registry> {
        let shared = &self.inner;
        shared.registry.get_or_init(|| {
            let registry = Arc::new(Registry::new(shared.instance.clone()));
            if let Some(bus) = &shared.bus {
                let cluster = Cluster::new(shared.instance.clone(), bus.clone());
                registry.join(Arc::new(cluster), shared.shutdown.clone());
            }
            registry
        })
    }

    /// Starts a live page rendering `template` with `controller`.
    pub fn page<C: Controller>(&self, template: &str, controller: C) -> PageBuilder<C> {
        PageBuilder {
            live: self.clone(),
            template: template.to_string(),
            controller,
            layout: None,
        }
    }

    /// Routes the runtime serves itself: the client script, and the
    /// hand-off links that let another browser join a session group.
    pub fn routes<S: Clone + Send + Sync + 'static>(&self) -> Router<S> {
        Router::new()
            .route(CLIENT_SCRIPT_PATH, get(assets::client_script))
            .route(HANDOFF_PATH, post(handoff::issue).with_state(self.clone()))
            .route(
                &format!("{HANDOFF_PATH}/{{token}}"),
                get(handoff::redeem).with_state(self.clone()),
            )
            .route(
                &format!("{HANDOFF_PATH}/{{token}}/qr.svg"),
                get(handoff::qr).with_state(self.clone()),
            )
    }

    /// The runtime's gauges (connections, tasks, actions).
    pub fn metrics(&self) -> Arc<Metrics> {
        self.inner.metrics.clone()
    }

    /// The templates.
    pub fn templates(&self) -> &Templates {
        &self.inner.templates
    }

    /// Closes every live connection (their tasks are cancelled); for a clean shutdown.
    pub fn shutdown(&self) {
        self.inner.shutdown.cancel();
    }
}

/// Builds one live page; see [`LiveTemplate::page`].
pub struct PageBuilder<C: Controller> {
    live: LiveTemplate,
    template: String,
    controller: C,
    layout: Option<(String, serde_json::Value)>,
}

impl<C: Controller> PageBuilder<C> {
    /// Renders the page inside `layout`, a plain (not live) template that
    /// places the live region with `{{ live }}` and loads the client with
    /// `<script src="{{ client_script }}">`. `ctx` is available to it as `page`.
    pub fn layout(mut self, layout: &str, ctx: impl Serialize) -> Self {
        let ctx = serde_json::to_value(ctx).unwrap_or_default();
        self.layout = Some((layout.to_string(), ctx));
        self
    }

    /// Checks the page and returns its route (GET, HEAD, POST and the WebSocket).
    ///
    /// Fails when the template is missing or uses an action the controller
    /// does not handle, so a typo is found at start-up, not on a click.
    pub fn build<S: Clone + Send + Sync + 'static>(self) -> Result<MethodRouter<S>, LiveError> {
        let shared = &self.live.inner;
        let actions = Actions::<C>::collect();
        if let Some(dup) = actions.duplicates().first() {
            return Err(LiveError::DuplicateHandler(dup.clone()));
        }
        let source = shared
            .templates
            .source(&self.template)
            .ok_or_else(|| LiveError::TemplateNotFound(self.template.clone()))?;
        for action in action_names(&source) {
            if actions.get(&action).is_none() && !is_reserved(&action) {
                return Err(LiveError::MissingHandler {
                    template: self.template.clone(),
                    action,
                    handlers: actions.names(),
                });
            }
        }
        if let Some((layout, _)) = &self.layout {
            if shared.templates.source(layout).is_none() {
                return Err(LiveError::TemplateNotFound(layout.clone()));
            }
        }
        let persist = (!C::PERSIST.is_empty()).then(|| Persist {
            store: shared.store.clone(),
            fields: C::PERSIST,
            scope: self.template.clone(),
        });
        let registry = self.live.registry().clone();
        let handles = {
            let keys: HashSet<String> = actions.keys();
            Arc::new(move |action: &str| keys.contains(action_key(action).as_ref()))
        };
        let page = registry.add_page(&self.template, handles);
        let dispatch = Dispatch {
            controller: self.controller,
            actions,
            templates: shared.templates.clone(),
            template: self.template,
            registry,
            page,
            metrics: shared.metrics.clone(),
            tracer: shared.tracer.clone(),
            persist,
        };
        Ok(page::routes(dispatch, self.live.clone(), self.layout))
    }
}

fn is_reserved(action: &str) -> bool {
    let key = action_key(action);
    key == action_key(crate::protocol::PING) || key == action_key(crate::protocol::NAVIGATE)
}
