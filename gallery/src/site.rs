//! The site: index, example pages, assets, metrics.

use std::net::SocketAddr;

use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use livetemplate::{LiveError, LiveTemplate, Templates};
use rust_embed::Embed;
use serde_json::json;

use crate::catalog::{CATEGORIES, EXAMPLES};

#[derive(Embed)]
#[folder = "../templates/"]
struct TemplateFiles;

#[derive(Embed)]
#[folder = "../assets/"]
struct AssetFiles;

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
    /// The server stopped with an error.
    #[error("server error: {0}")]
    Serve(#[source] std::io::Error),
}

/// The gallery's router and the runtime behind it.
pub struct Gallery {
    pub router: Router,
    pub live: LiveTemplate,
}

/// The templates embedded in the binary.
pub fn templates() -> Templates {
    Templates::from_fn(|name| {
        TemplateFiles::get(name).map(|f| String::from_utf8_lossy(&f.data).into_owned())
    })
}

/// Builds the gallery site.
pub fn app() -> Result<Gallery, GalleryError> {
    app_with(LiveTemplate::new(templates()))
}

/// Builds the gallery site on a runtime the caller configured (it must
/// render [`templates`]); tests use it to trace every update.
pub fn app_with(live: LiveTemplate) -> Result<Gallery, GalleryError> {
    let mut router: Router = Router::new()
        .route("/", get(index))
        .route("/api/index.json", get(index_json))
        .route("/metrics", get(metrics))
        .route("/assets/{*file}", get(asset))
        .with_state(live.clone());
    for example in EXAMPLES {
        let route = example
            .route(&live)
            .map_err(|source| GalleryError::Example {
                path: example.path(),
                source,
            })?;
        router = router.route(&example.path(), route);
    }
    let router = router.merge(live.routes());
    Ok(Gallery { router, live })
}

/// Binds `addr`, prints `listening on http://ADDR` once connections are
/// accepted, and serves until `shutdown` completes.
pub async fn serve(
    addr: &str,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> Result<(), GalleryError> {
    let gallery = app()?;
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
    let categories: Vec<_> = CATEGORIES
        .iter()
        .map(|(name, slug)| {
            let examples: Vec<_> = EXAMPLES
                .iter()
                .filter(|e| e.category == *name)
                .map(|e| json!({ "title": e.title, "slug": e.slug, "path": e.path(), "summary": e.summary, "try": e.try_it }))
                .collect();
            json!({ "name": name, "slug": slug, "examples": examples })
        })
        .collect();
    json!({ "categories": categories })
}

async fn index(State(live): State<LiveTemplate>) -> Response {
    match live.templates().render_plain("index.html", catalog_json()) {
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

async fn metrics(State(live): State<LiveTemplate>) -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        live.metrics().render_prometheus(),
    )
}

async fn asset(axum::extract::Path(file): axum::extract::Path<String>) -> Response {
    let Some(found) = AssetFiles::get(&file) else {
        return (StatusCode::NOT_FOUND, "no such asset").into_response();
    };
    let mime = match file.rsplit('.').next() {
        Some("css") => "text/css; charset=utf-8",
        Some("js") => "text/javascript; charset=utf-8",
        Some("svg") => "image/svg+xml",
        Some("png") => "image/png",
        _ => "application/octet-stream",
    };
    ([(header::CONTENT_TYPE, mime)], found.data.into_owned()).into_response()
}
