//! The gallery's static files (`/assets/*`): its CSS and scripts, and the
//! pinned highlight.js, embedded at build time. Each answer carries a tag of
//! its content, so a browser that kept a copy revalidates with a `304`
//! after the hour it may keep it for.

use axum::body::Body;
use axum::extract::Path;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use rust_embed::Embed;

#[derive(Embed)]
#[folder = "../assets/"]
struct AssetFiles;

/// highlight.js, pinned in `package.json`, for the source panels.
#[derive(Embed)]
#[folder = "../node_modules/@highlightjs/cdn-assets/"]
#[include = "highlight.min.js"]
#[include = "languages/django.min.js"]
#[include = "styles/atom-one-dark.min.css"]
struct Highlight;

/// Embedded, so unchanged until the binary is; an hour bounds how long a
/// browser shows an old copy after an upgrade.
const CACHE_CONTROL: &str = "public, max-age=3600";

/// `GET /assets/{*file}`.
pub(crate) async fn asset(Path(file): Path<String>, request: HeaderMap) -> Response {
    let found = match file.strip_prefix("highlight/") {
        Some(vendored) => Highlight::get(vendored),
        None => AssetFiles::get(&file),
    };
    let Some(found) = found else {
        return (StatusCode::NOT_FOUND, "no such asset").into_response();
    };
    // Weak: the compression layer sends this content in several encodings
    // under the one tag, and a weak tag promises only the same content.
    let etag = format!("W/\"{}\"", hex::encode(&found.metadata.sha256_hash()[..8]));
    let fresh = cached_copy_matches(&request, &etag);
    let mut response = if fresh {
        (StatusCode::NOT_MODIFIED, Body::empty()).into_response()
    } else {
        let mime = match file.rsplit('.').next() {
            Some("css") => "text/css; charset=utf-8",
            Some("js") => "text/javascript; charset=utf-8",
            Some("svg") => "image/svg+xml",
            Some("png") => "image/png",
            _ => "application/octet-stream",
        };
        ([(header::CONTENT_TYPE, mime)], found.data.into_owned()).into_response()
    };
    let headers = response.headers_mut();
    if let Ok(etag) = HeaderValue::from_str(&etag) {
        headers.insert(header::ETAG, etag);
    }
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static(CACHE_CONTROL),
    );
    response
}

/// Whether `If-None-Match` names `etag` (or is `*`); weak comparison
/// (RFC 9110 §13.1.2): tags match if their opaque parts do.
fn cached_copy_matches(request: &HeaderMap, etag: &str) -> bool {
    let opaque = |tag: &str| tag.trim().trim_start_matches("W/").to_string();
    let ours = opaque(etag);
    request
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|tag| tag.trim() == "*" || opaque(tag) == ours)
}
