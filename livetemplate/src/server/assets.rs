//! The stock `@livetemplate/client` bundle, embedded from the installed npm
//! package at build time (pinned in `package-lock.json`).

use axum::http::header;
use axum::response::IntoResponse;

/// Where the runtime serves the client script.
pub const CLIENT_SCRIPT_PATH: &str = "/_lvt/livetemplate-client.js";

#[derive(rust_embed::Embed)]
#[folder = "../node_modules/@livetemplate/client/dist/"]
#[include = "livetemplate-client.browser.js"]
struct ClientBundle;

pub(crate) async fn client_script() -> impl IntoResponse {
    let body = ClientBundle::get("livetemplate-client.browser.js")
        .map(|f| f.data.into_owned())
        .unwrap_or_default();
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        body,
    )
}
