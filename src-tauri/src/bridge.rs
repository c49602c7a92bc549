//! What the pages in a desktop window may ask of the app, over plain HTTP
//! on the gallery's own server (`/_desktop/…`), so no Tauri IPC is exposed
//! to remote content.
//!
//! Each request must carry the token only the desktop's page script knows
//! (`x-lvt-desktop`), so a browser tab on the same server — or any site —
//! cannot open windows or programs on this desktop.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::json;

use crate::browser;
use crate::smoke::{Report, Smoke};
use crate::windows::Windows;

/// The header carrying the token.
pub const TOKEN_HEADER: &str = "x-lvt-desktop";

#[derive(Clone)]
pub struct Bridge {
    pub windows: Windows,
    pub token: Arc<str>,
    pub smoke: Option<Arc<Smoke>>,
}

/// `POST /_desktop/open-in-browser`, `/_desktop/new-window` (`{"path": …}`)
/// and, in smoke mode, `/_desktop/smoke`.
pub fn routes(bridge: Bridge) -> Router {
    Router::new()
        .route("/_desktop/open-in-browser", post(open_in_browser))
        .route("/_desktop/new-window", post(new_window))
        .route("/_desktop/smoke", post(smoke))
        .route_layer(middleware::from_fn_with_state(
            bridge.clone(),
            require_token,
        ))
        .with_state(bridge)
}

#[derive(Deserialize)]
struct Page {
    path: String,
}

async fn open_in_browser(State(bridge): State<Bridge>, Json(page): Json<Page>) -> Response {
    let Some(url) = bridge
        .windows
        .origin()
        .join(&page.path)
        .ok()
        .filter(|u| bridge.windows.is_gallery(u))
    else {
        return error(StatusCode::BAD_REQUEST, "not a page of the gallery");
    };
    let opened = tokio::task::spawn_blocking(move || browser::open(url.as_str())).await;
    match opened {
        Ok(Ok(())) => Json(json!({ "opened": true })).into_response(),
        Ok(Err(e)) => error(StatusCode::INTERNAL_SERVER_ERROR, &e.to_string()),
        Err(_) => error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "the browser could not be started",
        ),
    }
}

async fn new_window(State(bridge): State<Bridge>, Json(page): Json<Page>) -> Response {
    // Creating a window waits for the GTK main thread; keep it off the
    // async workers.
    let windows = bridge.windows.clone();
    let opened = tokio::task::spawn_blocking(move || {
        windows.open(&page.path).map(|w| w.label().to_string())
    })
    .await;
    match opened {
        Ok(Ok(label)) => Json(json!({ "window": label })).into_response(),
        Ok(Err(e)) => error(StatusCode::BAD_REQUEST, &e.to_string()),
        Err(_) => error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "the window could not be opened",
        ),
    }
}

async fn smoke(State(bridge): State<Bridge>, Json(report): Json<Report>) -> Response {
    match &bridge.smoke {
        Some(smoke) => {
            smoke.report(report);
            StatusCode::NO_CONTENT.into_response()
        }
        None => error(StatusCode::NOT_FOUND, "not in smoke mode"),
    }
}

/// Refuses every request without the desktop's token.
async fn require_token(State(bridge): State<Bridge>, request: Request, next: Next) -> Response {
    let given = request
        .headers()
        .get(TOKEN_HEADER)
        .map(|v| v.as_bytes())
        .unwrap_or_default();
    if constant_time_eq(given, bridge.token.as_bytes()) {
        next.run(request).await
    } else {
        error(
            StatusCode::FORBIDDEN,
            "only the desktop app's own windows may ask for this",
        )
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn error(status: StatusCode, message: &str) -> Response {
    (status, Json(json!({ "error": message }))).into_response()
}
