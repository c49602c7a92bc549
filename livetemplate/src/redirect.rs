//! `303 See Other` answers, and keeping their targets on this site.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

/// `next` if it is a path on this site, else `/`: an open redirect would let
/// other sites bounce users through this one.
pub(crate) fn same_site(next: Option<&str>) -> &str {
    match next {
        Some(p) if p.starts_with('/') && !p.starts_with("//") && !p.contains('\\') => p,
        _ => "/",
    }
}

/// A 303 to `to`, setting `set_cookie` if given.
pub(crate) fn see_other(to: &str, set_cookie: Option<&str>) -> Response {
    let mut response = StatusCode::SEE_OTHER.into_response();
    let headers = response.headers_mut();
    if let Ok(v) = HeaderValue::from_str(to) {
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
        assert_eq!(same_site(Some("/realtime/chat")), "/realtime/chat");
        for bad in ["//evil.example", "https://evil.example", "/\\evil"] {
            assert_eq!(same_site(Some(bad)), "/", "{bad}");
        }
        assert_eq!(same_site(None), "/");
    }
}
