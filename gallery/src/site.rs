//! The site: index, example pages, assets, metrics.

use std::net::SocketAddr;

use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use livetemplate::{LiveError, LiveTemplate, SignedCookieAuth, Templates};
use rust_embed::Embed;
use serde_json::json;

use crate::catalog::{Category, Gallery, EXAMPLES};

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
        return build(
            live,
            auth_from_env().unwrap_or_else(SignedCookieAuth::random),
        );
    };
    let redis = livetemplate::redis::Redis::connect(url).await?;
    tracing::info!(redis = redis.url(), "sharing sessions through Redis");
    let auth = match auth_from_env() {
        Some(auth) => auth,
        // Any instance must accept a sign-in made on another.
        None => SignedCookieAuth::new(&redis.shared_secret("signin").await?),
    };
    build(live.bus(redis.bus()).store(redis.store()), auth)
}

/// The key sign-in cookies are signed with, if `LVT_SECRET` sets one (so
/// sign-ins survive a restart).
fn auth_from_env() -> Option<SignedCookieAuth> {
    match std::env::var("LVT_SECRET") {
        Ok(secret) if !secret.is_empty() => Some(SignedCookieAuth::new(secret.as_bytes())),
        _ => None,
    }
}

/// Builds the gallery site on a runtime the caller set up (it must render
/// [`templates`]); tests use it to trace every update.
pub fn app_with(live: livetemplate::Builder) -> Result<Site, GalleryError> {
    build(
        live,
        auth_from_env().unwrap_or_else(SignedCookieAuth::random),
    )
}

fn build(live: livetemplate::Builder, auth: SignedCookieAuth) -> Result<Site, GalleryError> {
    let live = live
        .authenticator(auth.clone())
        // Signed-in users may join chat rooms; nothing else is public.
        .allow_topics(|who, topic| who.user_id.is_some() && topic.starts_with("room:"))
        .build();
    let gallery = Gallery {
        live: live.clone(),
        auth: auth.clone(),
    };
    let mut router: Router = Router::new()
        .route("/", get(index))
        .route("/api/index.json", get(index_json))
        .route("/metrics", get(metrics))
        .route("/api/cluster.json", get(cluster_json))
        .route("/assets/{*file}", get(crate::assets::asset))
        .with_state(gallery.clone());
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
        .layer(crate::compression::layer());
    Ok(Site { router, live })
}

/// Binds `addr`, prints `listening on http://ADDR` once connections are
/// accepted, and serves until `shutdown` completes.
pub async fn serve(
    addr: &str,
    config: &Config,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> Result<(), GalleryError> {
    let gallery = app_for(config).await?;
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|source| GalleryError::Bind {
            addr: addr.to_string(),
            source,
        })?;
    let local: SocketAddr = listener.local_addr().map_err(GalleryError::Serve)?;
    println!("listening on http://{local}");
    let live = gallery.live.clone();
    axum::serve(listener, gallery.router)
        .with_graceful_shutdown(async move {
            shutdown.await;
            // Close the live connections so their tasks end before we exit.
            live.shutdown();
        })
        .await
        .map_err(GalleryError::Serve)
}

fn catalog_json() -> serde_json::Value {
    let categories: Vec<_> = Category::ALL
        .iter()
        .map(|category| {
            let examples: Vec<_> = EXAMPLES
                .iter()
                .filter(|e| e.category == *category)
                .map(|e| json!({ "title": e.title, "slug": e.slug, "path": e.path(), "summary": e.summary, "try": e.try_it, "sign_in": e.sign_in }))
                .collect();
            json!({ "name": category.name(), "slug": category.slug(), "examples": examples })
        })
        .filter(|category| category["examples"].as_array().is_some_and(|e| !e.is_empty()))
        .collect();
    json!({ "categories": categories })
}

async fn index(State(gallery): State<Gallery>, headers: HeaderMap) -> Response {
    let mut ctx = catalog_json();
    ctx["user"] = json!(gallery.auth.user(&headers));
    match gallery.live.templates().render_plain("index.html", ctx) {
        Ok(html) => Html(html).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "index render failed");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                "the index could not be rendered",
            )
                .into_response()
        }
    }
}

async fn index_json() -> impl IntoResponse {
    axum::Json(catalog_json())
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
