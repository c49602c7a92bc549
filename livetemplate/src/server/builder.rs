//! [`Builder`]: the settings of a runtime, made before it exists.

use std::fmt;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use tokio_util::sync::CancellationToken;

use super::{
    handoff, host, origin, LiveTemplate, Shared, DEFAULT_HANDOFF_TTL, DEFAULT_MAX_MESSAGE_BYTES,
};
use crate::cluster::Bus;
use crate::controller::TopicRules;
use crate::identity::{Authenticator, Identity};
use crate::metrics::Metrics;
use crate::store::{MemoryStore, Store};
use crate::template::Templates;
use crate::trace::{Trace, Tracer};

/// The settings of a [`LiveTemplate`]; [`build`](Self::build) makes the
/// runtime. From [`LiveTemplate::builder`].
///
/// ```
/// use livetemplate::{LiveTemplate, SignedCookieAuth, Templates};
/// let live = LiveTemplate::builder(Templates::from_dir("templates"))
///     .authenticator(SignedCookieAuth::random())
///     // Signed-in users may join rooms; nobody else, nothing else.
///     .allow_topics(|who, topic| who.user_id.is_some() && topic.starts_with("room:"))
///     .build();
/// ```
pub struct Builder {
    templates: Templates,
    allowed_origins: Vec<String>,
    hosts: host::Hosts,
    trust_forwarded_proto: bool,
    max_message_bytes: usize,
    tracer: Option<Tracer>,
    instance: Option<String>,
    bus: Option<Arc<dyn Bus>>,
    authenticator: Option<Arc<dyn Authenticator>>,
    topics: TopicRules,
    store: Arc<dyn Store>,
    handoff_ttl: Duration,
    upload_dir: Option<std::path::PathBuf>,
}

impl fmt::Debug for Builder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Builder")
            .field("allowed_origins", &self.allowed_origins)
            .field("hosts", &self.hosts)
            .field("trust_forwarded_proto", &self.trust_forwarded_proto)
            .field("max_message_bytes", &self.max_message_bytes)
            .field("instance", &self.instance)
            .field("bus", &self.bus.as_ref().map(|b| b.describe()))
            .field("handoff_ttl", &self.handoff_ttl)
            .finish_non_exhaustive()
    }
}

impl Builder {
    pub(super) fn new(templates: Templates) -> Builder {
        Builder {
            templates,
            allowed_origins: Vec::new(),
            hosts: host::Hosts::default(),
            trust_forwarded_proto: false,
            max_message_bytes: DEFAULT_MAX_MESSAGE_BYTES,
            tracer: None,
            instance: None,
            bus: None,
            authenticator: None,
            topics: Arc::new(|_, _| false),
            store: Arc::new(MemoryStore::default()),
            handoff_ttl: DEFAULT_HANDOFF_TTL,
            upload_dir: None,
        }
    }

    /// Also accept WebSocket connections and POSTs from `origin`
    /// (`scheme://host[:port]`); the page's own origin is always accepted.
    ///
    /// The own origin is the request's `Host` with the scheme `http`
    /// (see [`trust_forwarded_proto`](Self::trust_forwarded_proto)); a
    /// browser request carrying neither `Origin` nor `Referer` is refused.
    pub fn allow_origin(mut self, origin: impl Into<String>) -> Builder {
        self.allowed_origins.push(origin::normalize(&origin.into()));
        self
    }

    /// Also answer to the host `name` (`app.example`, or `app.example:8443`
    /// for that port only): a name this server is reached by, besides
    /// loopback names and the [`listening_on`](Self::listening_on)
    /// addresses. Requests for any other host get `421 Misdirected
    /// Request` (see [`LiveTemplate::host_check`]).
    ///
    /// ```
    /// use livetemplate::{LiveTemplate, Templates};
    /// let live = LiveTemplate::builder(Templates::from_dir("templates"))
    ///     .allow_host("gallery.example")
    ///     .build();
    /// ```
    pub fn allow_host(mut self, name: impl AsRef<str>) -> Builder {
        self.hosts.allow(name.as_ref());
        self
    }

    /// Also answer to the address the server listens on (a LAN address,
    /// say); for `0.0.0.0` or `[::]`, to any address literal. Loopback
    /// addresses need no telling.
    ///
    /// ```no_run
    /// # async fn run() -> std::io::Result<()> {
    /// use livetemplate::{LiveTemplate, Templates};
    /// let listener = tokio::net::TcpListener::bind("192.168.1.5:8420").await?;
    /// let live = LiveTemplate::builder(Templates::from_dir("templates"))
    ///     .listening_on(listener.local_addr()?)
    ///     .build();
    /// # Ok(()) }
    /// ```
    pub fn listening_on(mut self, addr: SocketAddr) -> Builder {
        self.hosts.listen_on(addr);
        self
    }

    /// Believe `X-Forwarded-Proto` about the scheme browsers use (default:
    /// no, the scheme is `http`). Turn it on behind a proxy that
    /// terminates TLS and sets that header, and only then: a client
    /// talking to the server directly could say anything.
    ///
    /// ```
    /// use livetemplate::{LiveTemplate, Templates};
    /// // Behind nginx with TLS: browsers send `Origin: https://app.example`.
    /// let live = LiveTemplate::builder(Templates::from_dir("templates"))
    ///     .trust_forwarded_proto(true)
    ///     .allow_host("app.example")
    ///     .build();
    /// ```
    pub fn trust_forwarded_proto(mut self, trust: bool) -> Builder {
        self.trust_forwarded_proto = trust;
        self
    }

    /// The largest inbound message answered normally (default 64 KiB).
    pub fn max_message_bytes(mut self, bytes: usize) -> Builder {
        self.max_message_bytes = bytes;
        self
    }

    /// Calls `f` with every update sent to a client over its WebSocket, and
    /// the HTML the client must show after it: for logging what goes over
    /// the wire, or for checking a client against the server.
    ///
    /// ```
    /// use livetemplate::{LiveTemplate, Templates};
    /// let live = LiveTemplate::builder(Templates::from_dir("templates"))
    ///     .trace(|t| tracing::debug!(view = t.view, update = %t.update, "update"))
    ///     .build();
    /// ```
    pub fn trace(mut self, f: impl Fn(&Trace<'_>) + Send + Sync + 'static) -> Builder {
        self.tracer = Some(Arc::new(f));
        self
    }

    /// Decides who requests are (user id and session group); without one,
    /// every browser is anonymous and its tabs are one group.
    pub fn authenticator(mut self, authenticator: impl Authenticator) -> Builder {
        self.authenticator = Some(Arc::new(authenticator));
        self
    }

    /// Which topics connections may subscribe and publish to, beyond their
    /// own (`user:<id>`, `group:<id>`). Denied unless this says yes.
    pub fn allow_topics(
        mut self,
        rule: impl Fn(&Identity, &str) -> bool + Send + Sync + 'static,
    ) -> Builder {
        self.topics = Arc::new(rule);
        self
    }

    /// Names this instance among several sharing a [`bus`](Self::bus)
    /// (default: `instance-` and six random characters). Shown by
    /// [`Sessions::cluster`](crate::Sessions::cluster); each instance needs its own.
    pub fn instance_name(mut self, name: impl Into<String>) -> Builder {
        self.instance = Some(name.into());
        self
    }

    /// Shares this runtime's sessions with other instances over `bus`:
    /// `trigger_action`, tab syncs, broadcasts, topic publishes and pushes
    /// to a user reach connections on every instance, and "no live
    /// connection" means none on any instance. Without a bus an instance
    /// is on its own (nothing else needed). The bus starts with the first
    /// page built (inside a Tokio runtime).
    ///
    /// ```no_run
    /// # #[cfg(feature = "redis")]
    /// # async fn run() -> Result<(), livetemplate::redis::RedisError> {
    /// use livetemplate::{redis::Redis, LiveTemplate, Templates};
    /// let redis = Redis::connect("redis://127.0.0.1:6379").await?;
    /// let live = LiveTemplate::builder(Templates::from_dir("templates"))
    ///     .instance_name("a")
    ///     .bus(redis.bus())
    ///     .store(redis.store())
    ///     .build();
    /// # Ok(()) }
    /// ```
    pub fn bus(mut self, bus: impl Bus) -> Builder {
        self.bus = Some(Arc::new(bus));
        self
    }

    /// Where persisted fields ([`Controller::PERSIST`](crate::Controller::PERSIST))
    /// are kept (default: memory).
    pub fn store(mut self, store: impl Store) -> Builder {
        self.store = Arc::new(store);
        self
    }

    /// How long a hand-off link works (default 5 minutes); see
    /// [`HANDOFF_PATH`](crate::HANDOFF_PATH).
    pub fn handoff_ttl(mut self, ttl: Duration) -> Builder {
        self.handoff_ttl = ttl;
        self
    }

    /// Where files being uploaded are written until a handler takes them
    /// (default: `livetemplate-uploads` under the system's temporary
    /// directory). Made, private to this user, when the first file arrives.
    pub fn upload_dir(mut self, dir: impl Into<std::path::PathBuf>) -> Builder {
        self.upload_dir = Some(dir.into());
        self
    }

    /// The runtime, with these settings for good.
    pub fn build(self) -> LiveTemplate {
        let instance = self
            .instance
            .unwrap_or_else(|| format!("instance-{}", &crate::random::id()[..6]));
        LiveTemplate {
            inner: Arc::new(Shared {
                templates: self.templates,
                metrics: Arc::new(Metrics::default()),
                guard: origin::Guard {
                    hosts: Arc::new(self.hosts),
                    allowed: self.allowed_origins,
                    trust_forwarded_proto: self.trust_forwarded_proto,
                },
                max_message_bytes: self.max_message_bytes,
                shutdown: CancellationToken::new(),
                tracer: self.tracer,
                registry: OnceLock::new(),
                instance: Arc::from(instance),
                bus: self.bus,
                authenticator: self.authenticator,
                topics: self.topics,
                store: self.store,
                handoffs: handoff::Handoffs::default(),
                handoff_ttl: self.handoff_ttl,
                upload_dir: self.upload_dir.unwrap_or_else(crate::upload::default_dir),
                page_templates: Mutex::default(),
            }),
        }
    }
}
