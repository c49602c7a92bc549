//! [`Builder`]: the settings of a runtime, made before it exists.

use std::fmt;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use tokio_util::sync::CancellationToken;

use super::socket::resume::{Budget, ResumeLimits};
use super::socket::{Ping, Rate, SocketLimits};
use super::{
    handoff, host, origin, page, LiveTemplate, Shared, DEFAULT_HANDOFF_TTL,
    DEFAULT_MAX_MESSAGE_BYTES,
};
use crate::cluster::Bus;
use crate::controller::TopicRules;
use crate::identity::{Authenticator, Identity};
use crate::metrics::Metrics;
use crate::session::Limits;
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
    handoff_limits: handoff::Limits,
    http_views: page::ViewLimits,
    socket_limits: SocketLimits,
    task_limits: Limits,
    resume: ResumeLimits,
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
            .field("handoff_limits", &self.handoff_limits)
            .field("http_views", &self.http_views)
            .field("socket_limits", &self.socket_limits)
            .field("task_limits", &self.task_limits)
            .field("resume", &self.resume)
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
            handoff_limits: handoff::Limits::default(),
            http_views: page::ViewLimits::default(),
            socket_limits: SocketLimits::default(),
            task_limits: Limits::default(),
            resume: ResumeLimits::default(),
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

    /// At most `links` hand-off links open at once (default
    /// [`DEFAULT_MAX_HANDOFF_LINKS`](crate::DEFAULT_MAX_HANDOFF_LINKS)). When
    /// all are taken, making one answers `503` until some are used or
    /// expire: no group's open link is dropped for another's.
    pub fn max_handoff_links(mut self, links: usize) -> Builder {
        self.handoff_limits.total = links;
        self
    }

    /// At most `links` open hand-off links per session group (default
    /// [`DEFAULT_HANDOFF_LINKS_PER_GROUP`](crate::DEFAULT_HANDOFF_LINKS_PER_GROUP));
    /// making one more drops that group's oldest.
    ///
    /// ```
    /// use livetemplate::{LiveTemplate, Templates};
    /// let live = LiveTemplate::builder(Templates::from_dir("templates"))
    ///     .max_handoff_links(1_000)
    ///     .max_handoff_links_per_group(2)
    ///     .build();
    /// ```
    pub fn max_handoff_links_per_group(mut self, links: usize) -> Builder {
        self.handoff_limits.per_group = links.max(1);
        self
    }

    /// At most `views` clients acting over HTTP (no WebSocket) per page,
    /// one per session group (default 10,000). Their state is kept between
    /// requests; when all are taken by groups active within
    /// [`http_view_idle`](Self::http_view_idle), a new group's POST
    /// answers `503` with `Retry-After` — no group's view is dropped for
    /// another's.
    ///
    /// ```
    /// use std::time::Duration;
    /// use livetemplate::{LiveTemplate, Templates};
    /// let live = LiveTemplate::builder(Templates::from_dir("templates"))
    ///     .max_http_views(50_000)
    ///     .http_view_idle(Duration::from_secs(10 * 60))
    ///     .build();
    /// ```
    pub fn max_http_views(mut self, views: usize) -> Builder {
        self.http_views.max = views;
        self
    }

    /// Drops the state of a client acting over HTTP once it sent nothing
    /// for `idle` (default 30 minutes); its next POST starts from mount.
    pub fn http_view_idle(mut self, idle: Duration) -> Builder {
        self.http_views.idle = idle;
        self
    }

    /// How long a write to a client may make no progress before its
    /// connection is closed and its tasks end (default 30 s). A client
    /// that stops reading costs at most two frames meanwhile: pushes for
    /// it change its state, and it gets one frame with all of them when
    /// it reads again.
    ///
    /// ```
    /// use std::time::Duration;
    /// use livetemplate::{LiveTemplate, Templates};
    /// let live = LiveTemplate::builder(Templates::from_dir("templates"))
    ///     .write_timeout(Duration::from_secs(10))
    ///     .build();
    /// ```
    pub fn write_timeout(mut self, timeout: Duration) -> Builder {
        self.socket_limits.write_timeout = timeout;
        self
    }

    /// How many actions one connection may send: `per_second` on average,
    /// `burst` at once after a quiet spell (default 50 a second, bursts of
    /// 100). An action over the limit is not run; the client gets
    /// `meta.errors._rate_limit`. A connection sending over twice the rate
    /// for longer than a burst is not read for the time a burst takes to
    /// refill (`burst / per_second`, 2 s by default): its frames wait in
    /// the network's buffers and cost the server nothing. After five such
    /// holds in a row it is closed (1008).
    ///
    /// ```
    /// use livetemplate::{LiveTemplate, Templates};
    /// let live = LiveTemplate::builder(Templates::from_dir("templates"))
    ///     .rate_limit(20, 40)
    ///     .build();
    /// ```
    pub fn rate_limit(mut self, per_second: u32, burst: u32) -> Builder {
        self.socket_limits.rate = Some(Rate {
            per_second: f64::from(per_second.max(1)),
            burst: f64::from(burst.max(1)),
        });
        self
    }

    /// No limit on the actions a connection sends (for tests and trusted
    /// clients; see [`rate_limit`](Self::rate_limit)).
    pub fn no_rate_limit(mut self) -> Builder {
        self.socket_limits.rate = None;
        self
    }

    /// When to look for dead peers: a client that has sent nothing for
    /// `every` gets a WebSocket ping (browsers answer it by themselves,
    /// even in a hidden tab); one that answers nothing for `timeout` after
    /// it is closed (1001, "no answer to ping") and its tasks end. Default
    /// 30 s and 10 s: a vanished laptop frees its connection within about
    /// a minute and ten seconds.
    ///
    /// ```
    /// use std::time::Duration;
    /// use livetemplate::{LiveTemplate, Templates};
    /// let live = LiveTemplate::builder(Templates::from_dir("templates"))
    ///     .ping(Duration::from_secs(15), Duration::from_secs(5))
    ///     .build();
    /// ```
    pub fn ping(mut self, every: Duration, timeout: Duration) -> Builder {
        self.socket_limits.ping = Some(Ping {
            every: every.max(Duration::from_millis(1)),
            timeout: timeout.max(Duration::from_millis(1)),
        });
        self
    }

    /// Never ping silent clients (see [`ping`](Self::ping)).
    pub fn no_ping(mut self) -> Builder {
        self.socket_limits.ping = None;
        self
    }

    /// The most background tasks ([`Context::spawn`](crate::Context::spawn)
    /// and its group forms, jobs included) running at once for one
    /// connection and for one session group (default 64 and 256). Over
    /// either, a spawn returns [`SpawnError`](crate::SpawnError).
    ///
    /// ```
    /// use livetemplate::{LiveTemplate, Templates};
    /// let live = LiveTemplate::builder(Templates::from_dir("templates"))
    ///     .max_tasks(8, 32)
    ///     .build();
    /// ```
    pub fn max_tasks(mut self, per_connection: usize, per_group: usize) -> Builder {
        self.task_limits.tasks_per_connection = per_connection;
        self.task_limits.tasks_per_group = per_group;
        self
    }

    /// The most jobs ([`Context::spawn_job`](crate::Context::spawn_job))
    /// running at once for one connection, one session group, and the
    /// whole server (default 8, 32 and 1024).
    ///
    /// ```
    /// use livetemplate::{LiveTemplate, Templates};
    /// let live = LiveTemplate::builder(Templates::from_dir("templates"))
    ///     .max_jobs(2, 4, 100)
    ///     .build();
    /// ```
    pub fn max_jobs(mut self, per_connection: usize, per_group: usize, total: usize) -> Builder {
        self.task_limits.jobs_per_connection = per_connection;
        self.task_limits.jobs_per_group = per_group;
        self.task_limits.jobs_total = total;
        self
    }

    /// How long a tab whose socket dropped (without the client closing it:
    /// the network went away, the peer went silent) is kept for it to come
    /// back to (default 30 s); zero keeps none.
    ///
    /// Kept, the tab's state goes on taking the pushes meant for it
    /// (`trigger_action`, broadcasts, jobs), unrendered; its tasks go on
    /// running, and `trigger_action` counts it as live. Each page load
    /// carries a token in the URL the stock client opens its socket on
    /// (the query parameter `lvt_tab`, which `mount` never sees); a socket
    /// that comes back with it within the grace gets that tab's own state,
    /// in one frame. A socket the client closes (a closed tab, a link to
    /// another page) ends its tab at once, as does one with files staged
    /// for an upload. Past the grace the tab is ended as a closed one is:
    /// tasks cancelled, `on_disconnect`; it then mounts afresh, with its
    /// persisted fields. See [`max_resumable`](Self::max_resumable) for the
    /// bounds on what kept tabs hold.
    ///
    /// ```
    /// use std::time::Duration;
    /// use livetemplate::{LiveTemplate, Templates};
    /// let live = LiveTemplate::builder(Templates::from_dir("templates"))
    ///     .resume_grace(Duration::from_secs(30))
    ///     .build();
    /// ```
    pub fn resume_grace(mut self, grace: Duration) -> Builder {
        self.resume.grace = grace;
        self
    }

    /// The most tabs kept in their grace period at once (see
    /// [`resume_grace`](Self::resume_grace)), and the most bytes they may
    /// hold, over every page; default 10 000 and 64 MiB. A kept tab counts
    /// its state as JSON plus 4 KiB for the rest (its rendered tree is not
    /// kept; the 4 KiB is measured with a small state). A dropped tab that
    /// does not fit, or that outgrows the bytes while kept, is ended at
    /// once. [`Metrics::parked`](crate::Metrics::parked) and
    /// [`Metrics::parked_bytes`](crate::Metrics::parked_bytes) say what is
    /// held.
    ///
    /// ```
    /// use std::time::Duration;
    /// use livetemplate::{LiveTemplate, Templates};
    /// let live = LiveTemplate::builder(Templates::from_dir("templates"))
    ///     .resume_grace(Duration::from_secs(30))
    ///     .max_resumable(1_000, 16 << 20)
    ///     .build();
    /// ```
    pub fn max_resumable(mut self, views: usize, bytes: usize) -> Builder {
        self.resume.max_views = views;
        self.resume.max_bytes = bytes;
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
        let metrics = Arc::new(Metrics::default());
        LiveTemplate {
            inner: Arc::new(Shared {
                templates: self.templates,
                metrics: metrics.clone(),
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
                handoffs: handoff::Handoffs::new(self.handoff_limits),
                handoff_ttl: self.handoff_ttl,
                http_views: self.http_views,
                socket_limits: self.socket_limits,
                task_limits: self.task_limits,
                resume: self.resume,
                resume_budget: Arc::new(Budget::new(self.resume, metrics)),
                upload_dir: self.upload_dir.unwrap_or_else(crate::upload::default_dir),
                flash_key: super::flash::FlashKey::random(),
                page_templates: Mutex::default(),
            }),
        }
    }
}
