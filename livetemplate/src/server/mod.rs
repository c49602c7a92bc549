//! The HTTP side: a [`LiveTemplate`] runtime hands out axum routes for live
//! pages, and serves the client script.

mod assets;
mod builder;
mod confirm_page;
mod encoding;
mod flash;
mod handoff;
mod host;
mod origin;
mod page;
mod ready;
mod serve;
mod socket;

pub use builder::Builder;
pub use host::{HostCheck, HostCheckLayer};
pub use ready::NotReady;
pub use serve::{shutdown_signal, Serve, Timeouts};

use std::collections::HashSet;
use std::fmt;
use std::sync::{Arc, Mutex, OnceLock};

use axum::routing::{get, post, MethodRouter};
use axum::Router;
use serde::Serialize;
use tokio_util::sync::CancellationToken;

use crate::cluster::{Bus, Cluster};
use crate::controller::{action_key, Actions, Caller, Controller, TopicRules};
use crate::dispatch::{Dispatch, Persist, CHANGE};
use crate::identity::{cookie, Authenticator, Identity};
use crate::metrics::Metrics;
use crate::session::{Registry, Sessions};
use crate::store::Store;
use crate::template::{actions::action_names, forms::FormRules, Templates};
use crate::trace::Tracer;
use crate::upload::UploadRules;

pub use assets::{CLIENT_SCRIPT_PATH, UNVERSIONED_CLIENT_SCRIPT_PATH};
pub use handoff::{
    DEFAULT_HANDOFF_LINKS_PER_GROUP, DEFAULT_HANDOFF_TTL, DEFAULT_MAX_HANDOFF_LINKS, HANDOFF_PATH,
};

/// The runtime: templates, settings and gauges shared by every live page.
/// Cheap to clone; every clone is the same runtime.
///
/// Settings are made on a [`Builder`] before the runtime exists, so none
/// can be made after a page was built:
///
/// ```
/// use livetemplate::{LiveTemplate, Templates};
/// let live = LiveTemplate::builder(Templates::from_dir("templates"))
///     .allow_origin("https://app.example")
///     .max_message_bytes(16 * 1024)
///     .build();
/// ```
///
/// ```compile_fail
/// # use livetemplate::{LiveTemplate, Templates};
/// let live = LiveTemplate::new(Templates::from_dir("templates"));
/// // Settings are the builder's: a built runtime has none to change.
/// let live = live.max_message_bytes(1024);
/// ```
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

impl fmt::Debug for LiveTemplate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let shared = &self.inner;
        f.debug_struct("LiveTemplate")
            .field("instance", &shared.instance)
            .field("guard", &shared.guard)
            .field("max_message_bytes", &shared.max_message_bytes)
            .field("bus", &shared.bus.as_ref().map(|b| b.describe()))
            .field("handoff_ttl", &shared.handoff_ttl)
            .finish_non_exhaustive()
    }
}

pub(crate) struct Shared {
    templates: Templates,
    metrics: Arc<Metrics>,
    /// Who may send state-changing requests: hosts, origins, scheme.
    guard: origin::Guard,
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
    /// Bounds on the views kept for clients acting over HTTP.
    http_views: page::ViewLimits,
    /// What one connection may cost (write timeout, rate of actions).
    socket_limits: socket::SocketLimits,
    /// Caps on background tasks and jobs.
    task_limits: crate::session::Limits,
    /// How long a dropped tab is kept for a resume, and how many may be.
    resume: socket::resume::ResumeLimits,
    /// What the kept tabs of every page hold.
    resume_budget: Arc<socket::resume::Budget>,
    /// Where uploads are written until a handler takes them.
    upload_dir: std::path::PathBuf,
    /// Signs the cookie that carries flash messages across a form post's redirect.
    flash_key: flash::FlashKey,
    /// The templates of the pages built, for [`LiveTemplate::ready`].
    page_templates: Mutex<Vec<String>>,
}

/// Inbound WebSocket messages larger than this get an error reply (64 KiB).
pub const DEFAULT_MAX_MESSAGE_BYTES: usize = 64 * 1024;

/// A live page could not be set up.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
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
    /// The template lets a client send an action registered with
    /// [`Actions::on_server`](crate::Actions::on_server).
    #[error("template {template:?} uses action {action:?}, which only the server may run (registered with on_server); register it with on if clients may send it")]
    ServerOnlyAction {
        /// The template.
        template: String,
        /// The server-only action.
        action: String,
    },
    /// Two handlers were registered under names that are the same action.
    #[error("action {0:?} is registered twice (names are compared ignoring case, '_' and '-')")]
    DuplicateHandler(String),
    /// [`Controller::PERSIST`] names a field the state does not have.
    #[error("PERSIST names {field:?}, which is not a field of the state {state} (its fields: {})", fields.join(", "))]
    UnknownPersistField {
        /// The name in `PERSIST`.
        field: String,
        /// The state type.
        state: &'static str,
        /// The fields the state has (its `Default` value, serialized).
        fields: Vec<String>,
    },
    /// [`Controller::PERSIST`] is set, but the state does not serialize to
    /// an object with fields.
    #[error("PERSIST needs a state that serializes to an object with fields; {state} does not")]
    PersistWithoutFields {
        /// The state type.
        state: &'static str,
    },
    /// The template (or layout) does not exist.
    #[error("template {0:?} not found")]
    TemplateNotFound(String),
    /// The layout's context did not serialize.
    #[error("the layout context for {layout:?} did not serialize")]
    LayoutContext {
        /// The layout.
        layout: String,
        /// What serde reported.
        #[source]
        source: serde_json::Error,
    },
}

impl LiveTemplate {
    /// A runtime rendering `templates`, with the default settings.
    pub fn new(templates: Templates) -> LiveTemplate {
        Builder::new(templates).build()
    }

    /// Starts a runtime whose settings differ from the defaults.
    pub fn builder(templates: Templates) -> Builder {
        Builder::new(templates)
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
                let id = crate::random::id();
                (Identity::anonymous(id.clone()), Some(id))
            }
        }
    }

    /// `Ok` when a request with `headers` may change state (its host, its
    /// origin and scheme); else why not, an answer to send.
    pub(crate) fn check_request(
        &self,
        headers: &axum::http::HeaderMap,
    ) -> Result<(), origin::Refused> {
        self.inner.guard.check(headers)
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
            let quotas = crate::session::Quotas::new(shared.task_limits);
            let registry = Arc::new(Registry::with_quotas(shared.instance.clone(), quotas));
            if let Some(bus) = &shared.bus {
                let cluster =
                    Cluster::new(shared.instance.clone(), bus.clone(), shared.metrics.clone());
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
    /// hand-off links that let another browser join a session group (a
    /// link opens a page asking to confirm; joining is a same-origin POST
    /// from it).
    ///
    /// The client script is served at [`CLIENT_SCRIPT_PATH`], a URL that
    /// names its content, so browsers keep it for a year without asking
    /// again (`Cache-Control: immutable`, an `ETag` per encoding); it is sent
    /// in the brotli or gzip form the request's `Accept-Encoding` allows —
    /// both made at build time, so no request compresses anything — or as
    /// is. [`UNVERSIONED_CLIENT_SCRIPT_PATH`] still serves it for pages that
    /// name it, revalidated on each use.
    ///
    /// # Compression
    ///
    /// The client script is the only answer the runtime compresses. Pages
    /// (see [`PageBuilder::build`]) and everything else the app serves are
    /// the app's to compress, with one layer over its whole router (or a
    /// reverse proxy that already does it): then one policy — codings,
    /// levels, which answers — covers all of them, and an app that mixes
    /// secrets with reflected input in a page can decide about BREACH. Such
    /// a layer passes the client script through (it already carries a
    /// `Content-Encoding`) and leaves WebSocket upgrades alone (an empty
    /// `101`):
    ///
    /// ```no_run
    /// use livetemplate::{LiveTemplate, Templates};
    /// # use livetemplate::{Actions, Controller};
    /// # struct Home;
    /// # impl Controller for Home { type State = (); fn actions(_: &mut Actions<Self>) {} }
    /// # fn app() -> Result<axum::Router, livetemplate::LiveError> {
    /// let live = LiveTemplate::new(Templates::from_dir("templates"));
    /// let app = axum::Router::new()
    ///     .route("/", live.page("home.html", Home).build()?)
    ///     .merge(live.routes())
    ///     .layer(tower_http::compression::CompressionLayer::new());
    /// # Ok(app) }
    /// ```
    ///
    /// WebSocket frames are not compressed: the WebSocket implementation
    /// under axum 0.8 (tungstenite 0.29) cannot negotiate
    /// permessage-deflate.
    pub fn routes<S: Clone + Send + Sync + 'static>(&self) -> Router<S> {
        Router::new()
            .route(CLIENT_SCRIPT_PATH, get(assets::versioned))
            .route(UNVERSIONED_CLIENT_SCRIPT_PATH, get(assets::unversioned))
            .route(HANDOFF_PATH, post(handoff::issue).with_state(self.clone()))
            .route(
                &format!("{HANDOFF_PATH}/{{token}}"),
                get(handoff::confirm)
                    .post(handoff::join)
                    .with_state(self.clone()),
            )
            .route(
                &format!("{HANDOFF_PATH}/{{token}}/qr.svg"),
                get(handoff::qr).with_state(self.clone()),
            )
            .route_layer(self.host_check())
    }

    /// A tower layer that answers `421 Misdirected Request` to every
    /// request naming a host this server does not answer to: a defence
    /// against DNS rebinding, where a site on the internet points its own
    /// name at 127.0.0.1 and drives a local server from a visitor's
    /// browser. Apply it to the app's whole router, outermost.
    ///
    /// Answered to: loopback names (`localhost`, `127.0.0.1` and the rest
    /// of 127/8, `[::1]`; any port), the addresses given to
    /// [`Builder::listening_on`] (every address literal when that is
    /// `0.0.0.0` or `[::]`: a literal address cannot be rebound), and the
    /// names given to [`Builder::allow_host`]. The runtime's own routes
    /// (pages, their WebSockets and POSTs, [`routes`](Self::routes))
    /// check the host themselves; this layer covers the rest of the app.
    ///
    /// ```no_run
    /// use livetemplate::{LiveTemplate, Templates};
    /// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
    /// let listener = tokio::net::TcpListener::bind("0.0.0.0:8080").await?;
    /// let live = LiveTemplate::builder(Templates::from_dir("templates"))
    ///     .listening_on(listener.local_addr()?)
    ///     .allow_host("app.example")
    ///     .build();
    /// let app = axum::Router::new()
    ///     .route("/api/hello", axum::routing::get(|| async { "hello" }))
    ///     .merge(live.routes())
    ///     .layer(live.host_check());
    /// axum::serve(listener, app).await?;
    /// # Ok(()) }
    /// ```
    pub fn host_check(&self) -> HostCheckLayer {
        HostCheckLayer {
            hosts: self.inner.guard.hosts.clone(),
        }
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
    layout: Option<(String, Result<serde_json::Value, serde_json::Error>)>,
}

impl<C: Controller> fmt::Debug for PageBuilder<C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PageBuilder")
            .field("template", &self.template)
            .field("controller", &std::any::type_name::<C>())
            .field("layout", &self.layout.as_ref().map(|(name, _)| name))
            .finish_non_exhaustive()
    }
}

impl<C: Controller> PageBuilder<C> {
    /// Renders the page inside `layout`, a plain (not live) template that
    /// places the live region with `{{ live }}` and loads the client with
    /// `<script src="{{ client_script }}">`. `ctx` is available to it as
    /// `page`, and the signed-in user as `user`.
    pub fn layout(mut self, layout: &str, ctx: impl Serialize) -> Self {
        self.layout = Some((layout.to_string(), serde_json::to_value(ctx)));
        self
    }

    /// Checks the page and returns its route (GET, HEAD, POST and the
    /// WebSocket), answering only to the hosts of
    /// [`LiveTemplate::host_check`].
    ///
    /// The page's HTML and JSON are sent uncompressed; a compression layer
    /// over the app's router compresses them with the rest of the app (see
    /// the compression section of [`LiveTemplate::routes`]).
    ///
    /// Fails when the template is missing, uses an action the controller
    /// does not handle (or one only the server may run), or when
    /// [`PERSIST`](Controller::PERSIST) names a field the state does not
    /// have — so a typo is found at start-up, not on a click.
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
        // Read once: the checks run on submits, and make `change` an
        // action the page answers (a field may ask for it: lvt-on:input="change").
        let forms = FormRules::infer(&shared.templates.source_with_includes(&self.template));
        for action in action_names(&source) {
            match actions.caller(&action) {
                Some(Caller::Client) => {}
                Some(Caller::Server) => {
                    return Err(LiveError::ServerOnlyAction {
                        template: self.template.clone(),
                        action,
                    })
                }
                None if is_reserved(&action) => {}
                None if action_key(&action) == action_key(CHANGE) && !forms.is_empty() => {}
                None => {
                    return Err(LiveError::MissingHandler {
                        template: self.template.clone(),
                        action,
                        handlers: actions.names(),
                    })
                }
            }
        }
        check_persisted_fields::<C>()?;
        let layout = match self.layout {
            None => None,
            Some((layout, ctx)) => {
                if shared.templates.source(&layout).is_none() {
                    return Err(LiveError::TemplateNotFound(layout));
                }
                match ctx {
                    Ok(ctx) => Some((layout, ctx)),
                    Err(source) => return Err(LiveError::LayoutContext { layout, source }),
                }
            }
        };
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
        {
            let mut templates = crate::lock::lock(&shared.page_templates);
            templates.push(self.template.clone());
            templates.extend(layout.as_ref().map(|(name, _)| name.clone()));
        }
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
            forms: Arc::new(forms),
            uploads: Arc::new(UploadRules::of::<C>(shared.upload_dir.clone())),
        };
        let host_check = self.live.host_check();
        Ok(page::routes(dispatch, self.live.clone(), layout).layer(host_check))
    }
}

/// Every name in `C::PERSIST` must be a field of the state, as its
/// `Default` value serializes: a misspelt name would persist nothing.
fn check_persisted_fields<C: Controller>() -> Result<(), LiveError> {
    if C::PERSIST.is_empty() {
        return Ok(());
    }
    let state = std::any::type_name::<C::State>();
    let Ok(serde_json::Value::Object(fields)) = serde_json::to_value(C::State::default()) else {
        return Err(LiveError::PersistWithoutFields { state });
    };
    match C::PERSIST.iter().find(|f| !fields.contains_key(**f)) {
        None => Ok(()),
        Some(field) => Err(LiveError::UnknownPersistField {
            field: field.to_string(),
            state,
            fields: fields.keys().cloned().collect(),
        }),
    }
}

fn is_reserved(action: &str) -> bool {
    let key = action_key(action);
    key == action_key(crate::protocol::PING)
        || key == action_key(crate::protocol::NAVIGATE)
        // `<button name="cancel_upload" value="{{ entry.id }}">`
        || key == action_key(crate::upload::protocol::CANCEL)
}
