//! `303 See Other` answers, and keeping their targets on this site.

use std::borrow::Cow;

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use percent_encoding::percent_decode_str;
use url::Url;

/// A base no real request has: a target that resolves against it to
/// another origin would leave the site.
const BASE: &str = "http://this-site.invalid/";

/// `next` if it is a path on this site, else `/`: an open redirect would let
/// other sites bounce users through this one.
pub(crate) fn same_site(next: Option<&str>) -> String {
    next.and_then(local_path).unwrap_or_else(|| "/".to_string())
}

/// `target` as a path on this site (normalized, percent-encoded as a
/// browser would send it), or `None` when a browser could read it as
/// leaving the site.
///
/// Browsers drop tabs and newlines inside URLs, read `\` as `/` and trim
/// spaces, so `/\t/evil.example` is `//evil.example`: anything of the kind
/// is refused outright rather than cleaned up.
fn local_path(target: &str) -> Option<String> {
    let suspicious =
        |s: &str| s.starts_with("//") || s.chars().any(|c| c.is_control() || c == '\\');
    if !target.starts_with('/') || suspicious(target) || target.chars().any(char::is_whitespace) {
        return None;
    }
    // Encoded, they are harmless to a browser, but a server behind this one
    // may decode them; no page needs them in a redirect.
    let decoded: Cow<'_, str> = percent_decode_str(target).decode_utf8().ok()?;
    if suspicious(&decoded) {
        return None;
    }
    let base = Url::parse(BASE).ok()?;
    let url = base.join(target).ok()?;
    if url.origin() != base.origin() {
        return None;
    }
    let mut path = url.path().to_string();
    if let Some(query) = url.query() {
        path.push('?');
        path.push_str(query);
    }
    if let Some(fragment) = url.fragment() {
        path.push('#');
        path.push_str(fragment);
    }
    Some(path)
}

/// A 303 to `to` — a path on this site, else `/` — setting `set_cookie` if given.
pub(crate) fn see_other(to: &str, set_cookie: Option<&str>) -> Response {
    let to = same_site(Some(to));
    let mut response = StatusCode::SEE_OTHER.into_response();
    let headers = response.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&to) {
        headers.insert(header::LOCATION, v);
    }
    if let Some(Ok(v)) = set_cookie.map(HeaderValue::from_str) {
        headers.insert(header::SET_COOKIE, v);
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redirects_stay_on_site() {
        for good in ["/realtime/chat", "/a?b=1&c=%20#top", "/"] {
            assert_eq!(same_site(Some(good)), good);
        }
        assert_eq!(same_site(Some("/a/../b")), "/b");
        for bad in [
            "//evil.example",
            "https://evil.example",
            "/\\evil",
            "\\\\evil",
            "/\t/evil.example",
            "/\n/evil.example",
            " //evil.example",
            "/ /evil",
            "\u{a0}//evil",
            "/\u{3000}/evil",
            "/%0d%0aSet-Cookie:x",
            "/%2f%2fevil.example",
            "/%5cevil",
            "/%ff",
            "javascript:alert(1)",
            "evil.example",
            "",
        ] {
            assert_eq!(same_site(Some(bad)), "/", "{bad:?}");
        }
        assert_eq!(same_site(None), "/");
    }

    #[test]
    fn see_other_never_leaves_the_site() {
        let r = see_other("//evil.example", Some("a=b"));
        assert_eq!(r.headers()[header::LOCATION], "/");
        assert_eq!(r.headers()[header::SET_COOKIE], "a=b");
    }
}
