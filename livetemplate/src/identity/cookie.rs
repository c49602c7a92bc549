//! Cookies: reading one from a request, and the anonymous session cookie
//! `livetemplate-id`, shared by all tabs of a browser.

use axum::http::HeaderMap;

pub(crate) const SESSION_COOKIE: &str = "livetemplate-id";

/// The value of cookie `name`, if the request carries it.
pub(crate) fn get(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(axum::http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(n, _)| *n == name)
        .map(|(_, value)| value.to_string())
}

/// The session group id from the request's cookies, if it has a valid one.
pub(crate) fn session_id(headers: &HeaderMap) -> Option<String> {
    get(headers, SESSION_COOKIE).filter(|v| {
        !v.is_empty() && v.len() <= 64 && v.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
    })
}

/// The `Set-Cookie` value for a new session id.
pub(crate) fn set_cookie(id: &str) -> String {
    format!("{SESSION_COOKIE}={id}; Path=/; HttpOnly; SameSite=Lax; Max-Age=31536000")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_cookie_among_others() {
        let mut h = HeaderMap::new();
        h.insert(
            "cookie",
            "a=1; livetemplate-id=abc123; b=2".parse().unwrap(),
        );
        assert_eq!(session_id(&h).as_deref(), Some("abc123"));
        h.insert("cookie", "livetemplate-id=<bad>".parse().unwrap());
        assert_eq!(session_id(&h), None);
    }
}
