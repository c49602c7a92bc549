//! The page a hand-off link opens: it says what joining means and joins
//! only when the person clicks, with a same-origin POST.

use axum::http::{header, HeaderValue};
use axum::response::{Html, IntoResponse, Response};
use minijinja::HtmlEscape;

/// The confirmation page for the link at `action`, going on to `next`
/// (already a path on this site).
pub(crate) fn render(action: &str, next: &str) -> Response {
    let (action, next) = (HtmlEscape(action), HtmlEscape(next));
    let html = format!(
        r#"<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Join this session?</title>
<style>body{{font:16px/1.5 system-ui,sans-serif;max-width:32rem;margin:15vh auto;padding:0 1rem}}button{{font:inherit;padding:.5rem 1.25rem;margin-right:1rem}}</style>
</head><body>
<h1>Join this session?</h1>
<p>It will share state with the device that made the link: what you do here shows there, and the other way round.</p>
<p>Join only if you made the link yourself, on a device you trust.</p>
<form method="post" action="{action}"><input type="hidden" name="next" value="{next}"><button type="submit">Join</button><a href="/">Not now</a></form>
</body></html>"#
    );
    let mut response = Html(html).into_response();
    let headers = response.headers_mut();
    // No other site may frame it and trick the click; the link is a secret
    // until used, so it is neither cached nor sent on as a Referer.
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'",
        ),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    // Not no-referrer: under it the form's POST would carry `Origin: null`.
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    response
}
