//! Compression of the site's answers (pages, JSON, CSS, scripts): gzip or
//! brotli, as the request's `Accept-Encoding` allows.

use axum::http::{Extensions, HeaderMap, StatusCode, Version};
use tower_http::compression::predicate::{DefaultPredicate, Predicate};
use tower_http::compression::CompressionLayer;

/// The layer for the whole router. It leaves alone what is already encoded
/// (the runtime's client bundle, compressed at build time, says so in
/// `Content-Encoding`), small answers, images, and WebSocket upgrades.
pub(crate) fn layer() -> CompressionLayer<impl Predicate> {
    CompressionLayer::new()
        .gzip(true)
        .br(true)
        .compress_when(DefaultPredicate::new().and(not_an_upgrade))
}

/// A `101 Switching Protocols` has no body to compress; its empty body
/// already keeps the default predicate off, this says so outright.
fn not_an_upgrade(status: StatusCode, _: Version, _: &HeaderMap, _: &Extensions) -> bool {
    status != StatusCode::SWITCHING_PROTOCOLS
}
