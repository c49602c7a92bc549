//! Cross-site protection for everything that changes state (the WebSocket,
//! POSTs): the request must come from this site — same scheme, host and
//! port — or from an origin on the allow-list, and name a host this server
//! answers to.

use std::sync::Arc;

use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use url::Url;

use super::host::{Hosts, Misdirected};

/// Who may send state-changing requests.
#[derive(Debug)]
pub(crate) struct Guard {
    pub(crate) hosts: Arc<Hosts>,
    /// Origins allowed besides the server's own, as [`normalize`] made them.
    pub(crate) allowed: Vec<String>,
    /// Whether `X-Forwarded-Proto` says which scheme the browser used.
    pub(crate) trust_forwarded_proto: bool,
}

/// Why a request was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum Refused {
    /// The request names a host this server does not answer to.
    #[error(transparent)]
    Host(#[from] Misdirected),
    /// The request comes from another site.
    #[error("origin {origin} is not allowed: only this site ({own}) and the origins allowed with Builder::allow_origin may send this{hint}")]
    Foreign {
        origin: String,
        own: String,
        hint: &'static str,
    },
    /// A browser sent it without saying where from.
    #[error("a browser request without Origin or Referer is refused: where it comes from cannot be checked")]
    Unproven,
}

impl IntoResponse for Refused {
    fn into_response(self) -> Response {
        match self {
            Refused::Host(misdirected) => misdirected.into_response(),
            other => (
                StatusCode::FORBIDDEN,
                format!("cross-origin request refused: {other}"),
            )
                .into_response(),
        }
    }
}

/// `scheme://host[:port]` as browsers serialize an origin (default port
/// dropped, host lower-cased). A scheme without such origins (an app's
/// own, like `tauri://localhost`) is kept as written, lower-cased, so
/// `allow_origin` can still name it.
pub(crate) fn normalize(origin: &str) -> String {
    let origin = origin.trim();
    match Url::parse(origin) {
        Ok(url) if url.origin().is_tuple() => url.origin().ascii_serialization(),
        _ => origin.trim_end_matches('/').to_ascii_lowercase(),
    }
}

impl Guard {
    /// `Ok` when the request may change state.
    ///
    /// `Origin` decides; without it, `Referer`; without either, a browser
    /// (it sends `Sec-Fetch-*` headers, or posts a form) is refused unless
    /// it says the request is same-origin, and any other client is
    /// accepted: it cannot be tricked into carrying a user's cookie.
    pub(crate) fn check(&self, headers: &HeaderMap) -> Result<(), Refused> {
        self.hosts.check_headers(headers)?;
        let claimed = [header::ORIGIN, header::REFERER]
            .into_iter()
            .find_map(|name| headers.get(name));
        let Some(claimed) = claimed else {
            return if is_browser(headers) && sec_fetch_site(headers) != Some("same-origin") {
                Err(Refused::Unproven)
            } else {
                Ok(())
            };
        };
        let origin = normalize(claimed.to_str().unwrap_or_default());
        let own = self.own_origin(headers);
        let is_own = own.as_deref() == Some(origin.as_str());
        if origin != "null" && (is_own || self.allowed.contains(&origin)) {
            return Ok(());
        }
        let own = own.unwrap_or_else(|| "unknown: the request names no host".into());
        let other_scheme = origin.split_once("://").map(|(_, rest)| rest)
            == own.split_once("://").map(|(_, rest)| rest);
        Err(Refused::Foreign {
            origin,
            own,
            hint: if other_scheme {
                " (behind a proxy that terminates TLS? see Builder::trust_forwarded_proto)"
            } else {
                ""
            },
        })
    }

    /// This server's origin as the request reached it, if it names a host.
    fn own_origin(&self, headers: &HeaderMap) -> Option<String> {
        let host = headers.get(header::HOST)?.to_str().ok()?;
        let url = Url::parse(&format!("{}://{host}", self.scheme(headers))).ok()?;
        Some(url.origin().ascii_serialization())
    }

    /// `http`, unless a trusted proxy says the browser used `https`.
    pub(crate) fn scheme(&self, headers: &HeaderMap) -> &'static str {
        let forwarded = self.trust_forwarded_proto.then(|| {
            headers
                .get("x-forwarded-proto")
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.split(',').next())
                .map(str::trim)
        });
        match forwarded.flatten() {
            Some(p) if p.eq_ignore_ascii_case("https") => "https",
            _ => "http",
        }
    }
}

fn sec_fetch_site(headers: &HeaderMap) -> Option<&str> {
    headers.get("sec-fetch-site").and_then(|v| v.to_str().ok())
}

/// Whether only a browser would send this: `Sec-Fetch-*` headers (scripts
/// cannot set them), or a body type an HTML form can post.
fn is_browser(headers: &HeaderMap) -> bool {
    let form = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| {
            v.split(';')
                .next()
                .unwrap_or_default()
                .trim()
                .to_ascii_lowercase()
        })
        .is_some_and(|t| {
            matches!(
                t.as_str(),
                "application/x-www-form-urlencoded" | "multipart/form-data" | "text/plain"
            )
        });
    form || headers.contains_key("sec-fetch-site") || headers.contains_key("sec-fetch-mode")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn guard(allowed: &[&str], trust_forwarded_proto: bool) -> Guard {
        Guard {
            hosts: Arc::default(),
            allowed: allowed.iter().map(|o| normalize(o)).collect(),
            trust_forwarded_proto,
        }
    }

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(header::HOST, "127.0.0.1:8420".parse().unwrap());
        for (k, v) in pairs {
            h.insert(*k, v.parse().unwrap());
        }
        h
    }

    fn check(g: &Guard, pairs: &[(&'static str, &str)]) -> Result<(), Refused> {
        g.check(&headers(pairs))
    }

    #[test]
    fn same_origin_passes_foreign_fails() {
        let g = guard(&["http://Tauri.localhost/", "tauri://localhost"], false);
        let ok = |pairs: &[(&'static str, &str)]| check(&g, pairs);
        assert_eq!(ok(&[("origin", "http://127.0.0.1:8420")]), Ok(()));
        assert_eq!(ok(&[("origin", "http://tauri.localhost")]), Ok(()));
        assert_eq!(ok(&[("origin", "tauri://localhost")]), Ok(()));
        assert_eq!(ok(&[("referer", "http://127.0.0.1:8420/a?b")]), Ok(()));
        assert_eq!(ok(&[("content-type", "application/json")]), Ok(()));
        assert_eq!(ok(&[]), Ok(()));
        for foreign in [
            "http://evil.example",
            "null",
            "https://127.0.0.1:8420",
            "made-up://127.0.0.1:8420",
            "tauri://127.0.0.1:8420",
            "",
            "http://127.0.0.1:8421",
        ] {
            assert!(ok(&[("origin", foreign)]).is_err(), "{foreign}");
        }
        assert!(ok(&[("referer", "http://evil.example/")]).is_err());
        // Origin decides, even when Referer would pass.
        let both = [
            ("origin", "http://evil.example"),
            ("referer", "http://127.0.0.1:8420/"),
        ];
        assert!(ok(&both).is_err());
    }

    #[test]
    fn browsers_must_say_where_they_come_from() {
        let g = guard(&[], false);
        for browser in [
            &[("content-type", "application/x-www-form-urlencoded")][..],
            &[("content-type", "Multipart/Form-Data; boundary=x")],
            &[("content-type", "text/plain")],
            &[("sec-fetch-site", "cross-site")],
            &[("sec-fetch-mode", "navigate")],
        ] {
            assert_eq!(check(&g, browser), Err(Refused::Unproven), "{browser:?}");
        }
        assert_eq!(check(&g, &[("sec-fetch-site", "same-origin")]), Ok(()));
    }

    #[test]
    fn the_scheme_counts_and_a_proxy_is_believed_only_when_trusted() {
        let https = [
            ("origin", "https://127.0.0.1:8420"),
            ("x-forwarded-proto", "https"),
        ];
        let refused = guard(&[], false).check(&headers(&https)).unwrap_err();
        assert!(
            refused.to_string().contains("trust_forwarded_proto"),
            "{refused}"
        );
        assert_eq!(guard(&[], true).check(&headers(&https)), Ok(()));
        let http_origin = [
            ("origin", "http://127.0.0.1:8420"),
            ("x-forwarded-proto", "https"),
        ];
        assert!(guard(&[], true).check(&headers(&http_origin)).is_err());
    }

    #[test]
    fn an_unknown_host_is_misdirected() {
        let g = guard(&[], false);
        let mut h = headers(&[("origin", "http://evil.example")]);
        h.insert(header::HOST, "evil.example".parse().unwrap());
        assert!(matches!(g.check(&h), Err(Refused::Host(_))));
    }
}
