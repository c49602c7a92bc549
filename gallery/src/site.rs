//! The site: how the gallery is built and served; its pages are in
//! `pages`, `reach` and the examples' own files.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use livetemplate::{Builder, LiveError, LiveTemplate, SignedCookieAuth, Templates};
use rust_embed::Embed;

use crate::catalog::{Gallery, EXAMPLES};

#[derive(Embed)]
#[folder = "../templates/"]
struct TemplateFiles;

/// The gallery could not start.
#[derive(Debug, thiserror::Error)]
pub enum GalleryError {
    /// An example's page is misconfigured.
    #[error("example {path}: {source}")]
    Example {
        path: String,
        #[source]
        source: LiveError,
    },
    /// The address could not be bound.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: String,
        #[source]
        source: std::io::Error,
    },
    /// Redis was asked for and could not be used.
    #[error("{0}")]
    Redis(#[from] livetemplate::redis::RedisError),
    /// The server stopped with an error.
    #[error("server error: {0}")]
    Serve(#[source] std::io::Error),
}

/// The gallery site: its router and the runtime behind it.
#[derive(Debug)]
pub struct Site {
    pub router: Router,
    pub live: LiveTemplate,
}

/// The templates embedded in the binary.
pub fn templates() -> Templates {
    Templates::from_fn(|name| {
        TemplateFiles::get(name).map(|f| String::from_utf8_lossy(&f.data).into_owned())
    })
}

/// How an instance of the gallery runs: alone (the default, nothing else
/// needed), or as one of several sharing sessions through Redis.
#[derive(Debug, Clone, Default)]
pub struct Config {
    /// `redis://host:port`: share sessions, persisted fields and the
    /// sign-in key with the other instances using this Redis.
    pub redis_url: Option<String>,
    /// This instance's name among the others (default: generated).
    pub instance_name: Option<String>,
    /// Host names browsers may reach it by, besides loopback names and
    /// the address it listens on (more come from `LVT_ALLOWED_HOSTS`,
    /// comma-separated).
    pub allowed_hosts: Vec<String>,
    /// The address it listens on (a LAN address is then answered to).
    pub listening_on: Option<SocketAddr>,
    /// How long slow clients are waited for, and how long the shutdown
    /// waits for requests under way.
    pub timeouts: livetemplate::Timeouts,
    /// How long a tab whose socket dropped is kept for it to come back to
    /// (zero: not kept; default: the runtime's; see `Builder::resume_grace`).
    pub resume_grace: Option<std::time::Duration>,
}

/// The secrets of an instance: what sign-in cookies and webhook bodies
/// are signed with.
struct Secrets {
    auth: SignedCookieAuth,
    webhook: Arc<str>,
}

/// Builds the gallery site, alone.
pub fn app() -> Result<Site, GalleryError> {
    app_with(LiveTemplate::builder(templates()))
}

/// Builds the gallery site as `config` says: with Redis, every instance
/// reaches every other's tabs and signs cookies with one shared key.
pub async fn app_for(config: &Config) -> Result<Site, GalleryError> {
    let mut live = LiveTemplate::builder(templates());
    if let Some(name) = &config.instance_name {
        live = live.instance_name(name);
    }
    let Some(url) = &config.redis_url else {
        return build(live, Secrets::local(), config);
    };
    let redis = livetemplate::redis::Redis::connect(url).await?;
    tracing::info!(redis = redis.url(), "sharing sessions through Redis");
    // Any instance must accept a sign-in, or a webhook signature, made for another.
    let auth = match env_secret("LVT_SECRET") {
        Some(secret) => SignedCookieAuth::new(secret.as_bytes()),
        None => SignedCookieAuth::new(&redis.shared_secret("signin").await?),
    };
    let webhook = match env_secret("LVT_WEBHOOK_SECRET") {
        Some(secret) => secret,
        None => String::from_utf8_lossy(&redis.shared_secret("webhook").await?).into_owned(),
    };
    let secrets = Secrets {
        auth,
        webhook: webhook.into(),
    };
    build(live.bus(redis.bus()).store(redis.store()), secrets, config)
}

/// A secret set in the environment (so it survives a restart), if any.
fn env_secret(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|s| !s.is_empty())
}

impl Secrets {
    /// From `LVT_SECRET` and `LVT_WEBHOOK_SECRET`, else made now.
    fn local() -> Secrets {
        let auth = match env_secret("LVT_SECRET") {
            Some(secret) => SignedCookieAuth::new(secret.as_bytes()),
            None => SignedCookieAuth::random(),
        };
        let webhook = env_secret("LVT_WEBHOOK_SECRET").unwrap_or_else(|| {
            let mut bytes = [0u8; 16];
            // As SignedCookieAuth::random: no guessable secret, ever.
            getrandom::fill(&mut bytes).expect("the operating system's random source");
            hex::encode(bytes)
        });
        Secrets {
            auth,
            webhook: webhook.into(),
        }
    }
}

/// Builds the gallery site on a runtime the caller set up (it must render
/// [`templates`]); tests use it to trace every update.
pub fn app_with(live: Builder) -> Result<Site, GalleryError> {
    build(live, Secrets::local(), &Config::default())
}

fn build(live: Builder, secrets: Secrets, config: &Config) -> Result<Site, GalleryError> {
    let Secrets { auth, webhook } = secrets;
    let mut live = live;
    let from_env = std::env::var("LVT_ALLOWED_HOSTS").unwrap_or_default();
    let named = from_env.split(',').map(str::trim).filter(|h| !h.is_empty());
    for host in config.allowed_hosts.iter().map(String::as_str).chain(named) {
        live = live.allow_host(host);
    }
    if let Some(addr) = config.listening_on {
        live = live.listening_on(addr);
    }
    if let Some(grace) = config.resume_grace {
        live = live.resume_grace(grace);
    }
    let live = live
        .authenticator(auth.clone())
        // Signed-in users may join chat rooms; anyone may follow the feeds
        // of the pub/sub example and the team's list; nothing else is public.
        .allow_topics(|who, topic| {
            (who.user_id.is_some() && topic.starts_with("room:"))
                || topic.starts_with("feed:")
                || topic.starts_with("board:")
        })
        .build();
    let gallery = Gallery {
        live: live.clone(),
        auth: auth.clone(),
        webhook_secret: webhook,
    };
    let phone = crate::reach::PhoneReach::of(config.listening_on);
    let mut router: Router = Router::new()
        .route("/metrics", get(metrics))
        .route("/api/cluster.json", get(cluster_json))
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/assets/{*file}", get(crate::assets::asset))
        .with_state(gallery.clone())
        .merge(crate::pages::routes(&gallery))
        .merge(crate::reach::routes(&gallery, phone));
    for example in EXAMPLES {
        let routes = (example.routes)(&gallery).map_err(|source| GalleryError::Example {
            path: example.path(),
            source,
        })?;
        router = router.merge(routes);
    }
    let router = router
        .nest("/auth", auth.routes(&live))
        .merge(live.routes())
        .layer(crate::compression::layer())
        // Outermost: a request for a host this server does not answer to
        // (DNS rebinding) gets a 421 before anything else runs.
        .layer(live.host_check());
    Ok(Site { router, live })
}

/// Binds `addr`, prints `listening on http://ADDR` once connections are
/// accepted, and serves until `shutdown` completes (then waits at most
/// `config.timeouts.shutdown_grace` for requests under way). Browsers may
/// reach it by loopback names, by the address it listens on, and by the
/// names of `config.allowed_hosts`.
pub async fn serve(
    addr: &str,
    config: &Config,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> Result<(), GalleryError> {
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|source| GalleryError::Bind {
            addr: addr.to_string(),
            source,
        })?;
    let local: SocketAddr = listener.local_addr().map_err(GalleryError::Serve)?;
    let config = Config {
        listening_on: Some(local),
        ..config.clone()
    };
    let gallery = app_for(&config).await?;
    println!("listening on http://{local}");
    gallery
        .live
        .serve(listener, gallery.router)
        .timeouts(config.timeouts)
        .with_graceful_shutdown(shutdown)
        .await
        .map_err(GalleryError::Serve)
}

async fn metrics(State(gallery): State<Gallery>) -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        gallery.live.metrics().render_prometheus(),
    )
}

/// How this instance sees the others: for operators, and for tests that
/// wait until the instances have found each other.
async fn cluster_json(State(gallery): State<Gallery>) -> impl IntoResponse {
    axum::Json(gallery.live.sessions().cluster())
}

/// Alive: the process answers.
async fn healthz() -> &'static str {
    "ok"
}

/// Ready for traffic: every page's template loads and, with Redis, the
/// link to it is up; else 503 and why.
async fn readyz(State(gallery): State<Gallery>) -> Response {
    match gallery.live.ready() {
        Ok(()) => "ready".into_response(),
        Err(why) => (StatusCode::SERVICE_UNAVAILABLE, format!("not ready: {why}")).into_response(),
    }
}
