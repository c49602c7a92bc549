//! Cross-origin protection for the WebSocket and POSTs: a browser always
//! sends `Origin`; it must be the page's own origin or on the allow-list.

use axum::http::{header, HeaderMap};

/// Lower-cases an origin and drops a trailing slash.
pub(crate) fn normalize(origin: &str) -> String {
    origin.trim().trim_end_matches('/').to_ascii_lowercase()
}

/// `Ok` when the request may proceed; `Err` names the refused origin.
///
/// Requests without `Origin` come from non-browser clients, which cannot be
/// tricked into carrying a user's cookie, and are accepted.
pub(crate) fn check(headers: &HeaderMap, allowed: &[String]) -> Result<(), String> {
    let Some(origin) = headers.get(header::ORIGIN) else {
        return Ok(());
    };
    let origin = normalize(origin.to_str().map_err(|_| "<not text>".to_string())?);
    if allowed.contains(&origin) {
        return Ok(());
    }
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .map(str::to_ascii_lowercase);
    let authority = origin.split_once("://").map(|(_, rest)| rest);
    match (authority, host) {
        (Some(a), Some(h)) if a == h => Ok(()),
        _ => Err(origin),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(origin: Option<&str>, host: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(header::HOST, host.parse().unwrap());
        if let Some(o) = origin {
            h.insert(header::ORIGIN, o.parse().unwrap());
        }
        h
    }

    #[test]
    fn same_origin_passes_foreign_fails() {
        assert!(check(
            &headers(Some("http://127.0.0.1:8420"), "127.0.0.1:8420"),
            &[]
        )
        .is_ok());
        assert!(check(&headers(None, "127.0.0.1:8420"), &[]).is_ok());
        assert_eq!(
            check(&headers(Some("http://evil.example"), "127.0.0.1:8420"), &[]),
            Err("http://evil.example".to_string())
        );
        assert!(check(&headers(Some("null"), "127.0.0.1:8420"), &[]).is_err());
        let allowed = vec![normalize("http://Tauri.localhost/")];
        assert!(check(
            &headers(Some("http://tauri.localhost"), "127.0.0.1:8420"),
            &allowed
        )
        .is_ok());
    }
}
