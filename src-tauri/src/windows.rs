//! Desktop windows on gallery pages.
//!
//! Every window shows a page of the in-process server and shares one
//! WebKit context, so one cookie jar: all desktop windows are one session
//! group, like the tabs of one browser. Links leaving the gallery open in
//! the system browser; `target="_blank"` links open another desktop window.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use tauri::webview::NewWindowResponse;
use tauri::{AppHandle, Url, WebviewUrl, WebviewWindow, WebviewWindowBuilder};

use crate::browser;

const WIDTH: f64 = 1280.0;
const HEIGHT: f64 = 860.0;
const PRODUCT: &str = "LiveTemplate Gallery";

/// Opens windows on the gallery served at `origin`.
#[derive(Clone)]
pub struct Windows {
    inner: Arc<Inner>,
}

struct Inner {
    app: AppHandle,
    origin: Url,
    /// Runs in every gallery page of every window (see `desktop.js`).
    script: String,
    opened: AtomicUsize,
}

impl Windows {
    pub fn new(app: AppHandle, origin: Url, script: String) -> Self {
        Windows {
            inner: Arc::new(Inner {
                app,
                origin,
                script,
                opened: AtomicUsize::new(0),
            }),
        }
    }

    /// The gallery's own address, e.g. `http://127.0.0.1:8420/`.
    pub fn origin(&self) -> &Url {
        &self.inner.origin
    }

    /// Whether `url` is a page of this gallery (same scheme, host and port).
    pub fn is_gallery(&self, url: &Url) -> bool {
        url.origin() == self.inner.origin.origin()
    }

    /// Opens a new window on `path` (a path on the gallery; anything else
    /// is refused rather than loaded).
    pub fn open(&self, path: &str) -> Result<WebviewWindow, WindowError> {
        let url = self
            .inner
            .origin
            .join(path)
            .ok()
            .filter(|u| self.is_gallery(u))
            .ok_or_else(|| WindowError::NotAPage(path.to_string()))?;
        let n = self.inner.opened.fetch_add(1, Ordering::Relaxed);
        let label = format!("gallery-{n}");
        let host = self.host();
        let follow = self.clone();
        let blank = self.clone();
        WebviewWindowBuilder::new(&self.inner.app, label, WebviewUrl::External(url))
            .title(format!("{PRODUCT} — {host}"))
            .inner_size(WIDTH, HEIGHT)
            .min_inner_size(720.0, 480.0)
            .initialization_script(self.inner.script.clone())
            .on_document_title_changed(move |window, title| {
                // "Server Push · LiveTemplate Gallery — 127.0.0.1:8420"
                let _ = window.set_title(&format!("{title} — {host}"));
            })
            .on_navigation(move |url| follow.navigate(url))
            .on_new_window(move |url, _features| {
                blank.open_elsewhere(&url);
                NewWindowResponse::Deny
            })
            .build()
            .map_err(WindowError::Tauri)
    }

    /// Gallery pages load here; everything else goes to the system browser.
    fn navigate(&self, url: &Url) -> bool {
        if self.is_gallery(url) || url.scheme() == "about" {
            return true;
        }
        if let Err(e) = browser::open(url.as_str()) {
            tracing::warn!(%url, error = %e, "could not open the link in the system browser");
        }
        false
    }

    /// `target="_blank"`: a gallery page gets a desktop window of its own.
    fn open_elsewhere(&self, url: &Url) {
        if self.is_gallery(url) {
            let path = match url.query() {
                Some(query) => format!("{}?{query}", url.path()),
                None => url.path().to_string(),
            };
            if let Err(e) = self.open(&path) {
                tracing::warn!(%url, error = %e, "could not open a window");
            }
        } else {
            self.navigate(url);
        }
    }

    fn host(&self) -> String {
        let origin = &self.inner.origin;
        match origin.port() {
            Some(port) => format!("{}:{port}", origin.host_str().unwrap_or("127.0.0.1")),
            None => origin.host_str().unwrap_or("127.0.0.1").to_string(),
        }
    }
}

/// A window could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum WindowError {
    #[error("{0:?} is not a page of the gallery")]
    NotAPage(String),
    #[error("the window could not be created: {0}")]
    Tauri(#[source] tauri::Error),
}
