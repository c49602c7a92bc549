//! The stock `@livetemplate/client` bundle, embedded from the installed npm
//! package at build time (pinned in `package-lock.json`), with its gzip and
//! brotli forms made by `build.rs`: a request picks one, nothing is
//! compressed while serving.

use axum::body::Body;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::Response;

use super::encoding::{self, Coding};

/// Where the runtime serves the client script: a URL naming the bundle's
/// content (`/_lvt/client-<16 hex digits of its SHA-256>.js`), so browsers
/// may keep it for a year without asking again — a new bundle gets a new
/// URL. Layouts place it with `{{ client_script }}`.
pub const CLIENT_SCRIPT_PATH: &str = concat!("/_lvt/client-", env!("LVT_CLIENT_HASH"), ".js");

/// The client script's former address, still served for pages that name it
/// directly; browsers check with the server before reusing it (`no-cache`,
/// answered by a `304` while the bundle is unchanged). Prefer
/// [`CLIENT_SCRIPT_PATH`].
pub const UNVERSIONED_CLIENT_SCRIPT_PATH: &str = "/_lvt/livetemplate-client.js";

static RAW: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/livetemplate-client.js"));
static GZIP: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/livetemplate-client.js.gz"));
static BROTLI: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/livetemplate-client.js.br"));

// Each form is its own representation, so each has its own tag (RFC 9110 §8.8.3).
const ETAG: &str = concat!("\"", env!("LVT_CLIENT_HASH"), "\"");
const ETAG_GZIP: &str = concat!("\"", env!("LVT_CLIENT_HASH"), "-gzip\"");
const ETAG_BROTLI: &str = concat!("\"", env!("LVT_CLIENT_HASH"), "-br\"");

/// The content never changes under this URL.
const IMMUTABLE: &str = "public, max-age=31536000, immutable";
/// The content changes under this URL when the bundle does.
const REVALIDATE: &str = "no-cache";

/// `GET` [`CLIENT_SCRIPT_PATH`].
pub(crate) async fn versioned(request: HeaderMap) -> Response {
    serve(&request, IMMUTABLE)
}

/// `GET` [`UNVERSIONED_CLIENT_SCRIPT_PATH`].
pub(crate) async fn unversioned(request: HeaderMap) -> Response {
    serve(&request, REVALIDATE)
}

fn serve(request: &HeaderMap, cache_control: &'static str) -> Response {
    let coding = encoding::negotiate(request);
    let (body, etag, content_encoding) = match coding {
        Coding::Brotli => (BROTLI, ETAG_BROTLI, Some("br")),
        Coding::Gzip => (GZIP, ETAG_GZIP, Some("gzip")),
        Coding::Identity => (RAW, ETAG, None),
    };
    let fresh = encoding::not_modified(request, etag);
    let mut response = Response::new(if fresh {
        Body::empty()
    } else {
        Body::from(body)
    });
    if fresh {
        *response.status_mut() = StatusCode::NOT_MODIFIED;
    }
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/javascript; charset=utf-8"),
    );
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static(cache_control),
    );
    headers.insert(header::ETAG, HeaderValue::from_static(etag));
    // Caches must key the answer on what the request accepted.
    headers.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
    if let (Some(coding), false) = (content_encoding, fresh) {
        headers.insert(header::CONTENT_ENCODING, HeaderValue::from_static(coding));
    }
    response
}
