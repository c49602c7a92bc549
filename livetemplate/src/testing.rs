//! An in-process test client: opens a page like a browser (GET, cookie,
//! WebSocket), clicks buttons by name, receives pushes, and folds every
//! update into HTML the way `@livetemplate/client` does.
//!
//! ```no_run
//! # async fn demo(app: axum::Router) -> Result<(), livetemplate::testing::TestError> {
//! use livetemplate::testing::TestServer;
//! let server = TestServer::start(app).await;
//! let mut tab = server.browser().open("/counter").await?;
//! tab.click("increment").await?;
//! assert!(tab.text().contains("1"));
//! # Ok(()) }
//! ```

use std::net::SocketAddr;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use crate::tree::{apply_update, render_html};

/// How long a test waits for a frame before failing.
pub const WAIT: Duration = Duration::from_secs(10);

/// Something the test client could not do.
#[derive(Debug, thiserror::Error)]
pub enum TestError {
    /// Network trouble talking to the server.
    #[error("i/o: {0}")]
    Io(#[from] std::io::Error),
    /// The WebSocket failed (the handshake was refused, the socket closed…).
    #[error("websocket: {0}")]
    WebSocket(#[from] Box<tokio_tungstenite::tungstenite::Error>),
    /// The server sent something that is not a protocol frame.
    #[error("bad frame from server: {0}")]
    BadFrame(String),
    /// Nothing arrived in time.
    #[error("timed out waiting for {0}")]
    Timeout(String),
    /// The page has no button (or `lvt-on:` element) for this action.
    #[error("no button named {0:?} on the page")]
    NoSuchButton(String),
    /// The HTTP request failed.
    #[error("GET {path} answered {status}")]
    Http {
        /// The path requested.
        path: String,
        /// The status line's code.
        status: u16,
    },
}

/// A server on a free loopback port, serving `router`.
#[derive(Debug)]
pub struct TestServer {
    addr: SocketAddr,
    task: tokio::task::JoinHandle<()>,
}

impl TestServer {
    /// Serves `router` on `127.0.0.1:0`.
    pub async fn start(router: axum::Router) -> TestServer {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind a loopback port");
        let addr = listener.local_addr().expect("local address");
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, router).await;
        });
        TestServer { addr, task }
    }

    /// The server's address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://ADDR{path}`.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// A new browser: its own cookie jar, so its own session group.
    pub fn browser(&self) -> Browser {
        Browser {
            addr: self.addr,
            cookies: Vec::new(),
        }
    }

    /// A plain HTTP request; returns status, headers and body. It names
    /// the server's address as its `Host`, unless `headers` has one.
    pub async fn request(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: impl AsRef<[u8]>,
    ) -> Result<HttpResponse, TestError> {
        http(self.addr, method, path, headers, body.as_ref()).await
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// A browser: tabs opened from it share its cookies, so its session group.
#[derive(Debug)]
pub struct Browser {
    addr: SocketAddr,
    cookies: Vec<(String, String)>,
}

impl Browser {
    /// A new browser for a server at `addr` started some other way (with
    /// [`LiveTemplate::serve`](crate::LiveTemplate::serve), say).
    pub fn at(addr: SocketAddr) -> Browser {
        Browser {
            addr,
            cookies: Vec::new(),
        }
    }

    /// The `Cookie` header this browser sends, if it has cookies.
    fn cookie_header(&self) -> Option<String> {
        (!self.cookies.is_empty()).then(|| {
            self.cookies
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
                .join("; ")
        })
    }

    /// Keeps the cookies a response sets (an empty value removes one).
    fn take_cookies(&mut self, response: &HttpResponse) {
        for (name, value) in &response.headers {
            if name != "set-cookie" {
                continue;
            }
            let Some((k, v)) = value.split(';').next().and_then(|kv| kv.split_once('=')) else {
                continue;
            };
            self.cookies.retain(|(name, _)| name != k);
            if !v.is_empty() {
                self.cookies.push((k.to_string(), v.to_string()));
            }
        }
    }

    /// A request from this browser (its cookies sent, the ones set kept),
    /// as a form POST or a fetch would make it.
    pub async fn request(
        &mut self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: impl AsRef<[u8]>,
    ) -> Result<HttpResponse, TestError> {
        let body = body.as_ref();
        let cookie = self.cookie_header();
        let mut all: Vec<(&str, &str)> = headers.to_vec();
        if let Some(c) = &cookie {
            all.push(("cookie", c));
        }
        let response = http(self.addr, method, path, &all, body).await?;
        self.take_cookies(&response);
        Ok(response)
    }

    /// This browser, with its cookies, going to `server` instead: another
    /// instance on the same host (cookies are per host, not per port).
    pub fn visiting(&self, server: &TestServer) -> Browser {
        Browser {
            addr: server.addr(),
            cookies: self.cookies.clone(),
        }
    }

    /// The value of one of this browser's cookies.
    pub fn cookie(&self, name: &str) -> Option<&str> {
        self.cookies
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// Submits a urlencoded form, as a page without JavaScript would.
    pub async fn post_form(&mut self, path: &str, body: &str) -> Result<HttpResponse, TestError> {
        let origin = format!("http://{}", self.addr);
        let headers = [
            ("content-type", "application/x-www-form-urlencoded"),
            ("origin", origin.as_str()),
        ];
        self.request("POST", path, &headers, body).await
    }

    /// Opens `path` in a new tab: GET the page (taking its cookies), then
    /// connect the WebSocket and apply the first frame.
    pub async fn open(&mut self, path: &str) -> Result<Tab, TestError> {
        let page = self
            .request("GET", path, &[("accept", "text/html")], "")
            .await?;
        if page.status != 200 {
            return Err(TestError::Http {
                path: path.to_string(),
                status: page.status,
            });
        }
        let origin = format!("http://{}", self.addr);
        let mut tab = self.connect(path, Some(&origin)).await?;
        tab.next_frame().await?;
        Ok(tab)
    }

    /// Opens the page's WebSocket with the given `Origin` (or none) and no
    /// further steps; the first frame is not read.
    pub async fn connect(&self, path: &str, origin: Option<&str>) -> Result<Tab, TestError> {
        let mut request = format!("ws://{}{path}", self.addr)
            .into_client_request()
            .map_err(|e| TestError::WebSocket(Box::new(e)))?;
        if let Some(origin) = origin.and_then(|o| HeaderValue::from_str(o).ok()) {
            request.headers_mut().insert("origin", origin);
        }
        if let Some(v) = self
            .cookie_header()
            .and_then(|c| HeaderValue::from_str(&c).ok())
        {
            request.headers_mut().insert("cookie", v);
        }
        let (ws, _) = tokio_tungstenite::connect_async(request)
            .await
            .map_err(|e| TestError::WebSocket(Box::new(e)))?;
        Ok(Tab {
            ws,
            tree: json!({}),
            html: String::new(),
        })
    }
}

/// One frame from the server.
#[derive(Debug, Clone, PartialEq)]
pub enum Frame {
    /// An update: `tree` (already folded into the tab) and `meta`.
    Update {
        /// The update as sent.
        tree: Value,
        /// Its meta (`Null` when absent).
        meta: Value,
        /// Its size on the wire, in bytes.
        bytes: usize,
    },
    /// `{"pong":true}`.
    Pong,
    /// `{"type":"error",…}`.
    Error {
        /// The error code.
        code: String,
        /// The message.
        message: String,
    },
    /// An upload message: the answer to `upload_start` or `upload_complete`,
    /// or `{"type":"upload_progress",…}`.
    Upload(Value),
}

impl Frame {
    /// The `meta.errors` of an update (empty otherwise).
    pub fn errors(&self) -> serde_json::Map<String, Value> {
        match self {
            Frame::Update { meta, .. } => meta
                .get("errors")
                .and_then(Value::as_object)
                .cloned()
                .unwrap_or_default(),
            _ => Default::default(),
        }
    }
}

/// An open page: its socket and the HTML the client would show.
#[derive(Debug)]
pub struct Tab {
    ws: WebSocketStream<MaybeTlsStream<TcpStream>>,
    tree: Value,
    html: String,
}

impl Tab {
    /// The live region's HTML as the client would render it.
    pub fn html(&self) -> &str {
        &self.html
    }

    /// The live region's text: tags removed, whitespace collapsed.
    pub fn text(&self) -> String {
        let mut out = String::new();
        let mut in_tag = false;
        for c in self.html.chars() {
            match c {
                '<' => in_tag = true,
                '>' => {
                    in_tag = false;
                    out.push(' ');
                }
                c if !in_tag => out.push(c),
                _ => {}
            }
        }
        out.split_whitespace().collect::<Vec<_>>().join(" ")
    }

    /// Clicks the button named `action` (it must be on the page) and returns
    /// the reply to it; pushes that arrive first are applied on the way.
    pub async fn click(&mut self, action: &str) -> Result<Frame, TestError> {
        let named = format!("name=\"{action}\"");
        let on = format!("=\"{action}\"");
        let on_page = self.html.contains(&named)
            || (self.html.contains("lvt-on:") && self.html.contains(&on));
        if !on_page {
            return Err(TestError::NoSuchButton(action.to_string()));
        }
        self.act(action, json!({})).await
    }

    /// Sends an action with data and returns the reply to it.
    pub async fn act(&mut self, action: &str, data: Value) -> Result<Frame, TestError> {
        self.send_text(&json!({ "action": action, "data": data }).to_string())
            .await?;
        self.reply_to(action).await
    }

    /// Sends the client's heartbeat (`__ping__`) and waits for the pong.
    pub async fn ping(&mut self) -> Result<(), TestError> {
        self.send_text(r#"{"action":"__ping__"}"#).await?;
        loop {
            if let Frame::Pong = self.next_frame().await? {
                return Ok(());
            }
        }
    }

    /// Sends a raw text frame.
    pub async fn send_text(&mut self, text: &str) -> Result<(), TestError> {
        self.ws
            .send(Message::text(text))
            .await
            .map_err(|e| TestError::WebSocket(Box::new(e)))
    }

    /// Waits for the update whose `meta.action` is `action`.
    pub async fn reply_to(&mut self, action: &str) -> Result<Frame, TestError> {
        loop {
            let frame = self.next_frame().await?;
            if let Frame::Update { meta, .. } = &frame {
                if meta.get("action").and_then(Value::as_str) == Some(action) {
                    return Ok(frame);
                }
            }
        }
    }

    /// The next frame (updates are folded into the tab's HTML).
    pub async fn next_frame(&mut self) -> Result<Frame, TestError> {
        self.next_frame_within(WAIT).await
    }

    /// Like [`next_frame`](Self::next_frame) with a custom wait.
    pub async fn next_frame_within(&mut self, wait: Duration) -> Result<Frame, TestError> {
        loop {
            let msg = tokio::time::timeout(wait, self.ws.next())
                .await
                .map_err(|_| TestError::Timeout("a frame".into()))?;
            let text = match msg {
                Some(Ok(Message::Text(t))) => t.to_string(),
                Some(Ok(Message::Close(c))) => {
                    return Err(TestError::BadFrame(format!("socket closed: {c:?}")))
                }
                Some(Ok(_)) => continue,
                Some(Err(e)) => return Err(TestError::WebSocket(Box::new(e))),
                None => return Err(TestError::BadFrame("socket closed".into())),
            };
            return self.fold(&text);
        }
    }

    /// Checks that no update is waiting for this tab: it pings, and the
    /// server answers pings only after the pushes already queued for the
    /// connection, so an update that was on its way arrives first.
    pub async fn expect_no_update(&mut self) -> Result<(), TestError> {
        self.send_text(r#"{"action":"__ping__","data":{}}"#).await?;
        match self.next_frame().await? {
            Frame::Pong => Ok(()),
            other => Err(TestError::BadFrame(format!(
                "expected no update, got {other:?}"
            ))),
        }
    }

    /// Whether the tab's [text](Self::text) holds `phrase` as whole words:
    /// `"Count: 1"` is in `"Count: 1 Label"`, not in `"Count: 10"`.
    pub fn has_text(&self, phrase: &str) -> bool {
        let text = self.text();
        let phrase = phrase.split_whitespace().collect::<Vec<_>>().join(" ");
        let boundary = |c: Option<char>| !matches!(c, Some(c) if c.is_alphanumeric());
        text.match_indices(phrase.as_str()).any(|(at, found)| {
            let before = text[..at].chars().next_back();
            let after = text[at + found.len()..].chars().next();
            let edge_ok = |inner: Option<char>, outer: Option<char>| {
                // A phrase that ends in punctuation may touch anything.
                !inner.is_some_and(char::is_alphanumeric) || boundary(outer)
            };
            edge_ok(phrase.chars().next(), before) && edge_ok(phrase.chars().next_back(), after)
        })
    }

    /// Waits until the tab's text holds `phrase` as whole words (see
    /// [`has_text`](Self::has_text)).
    pub async fn wait_for_text(&mut self, needle: &str) -> Result<(), TestError> {
        let deadline = tokio::time::Instant::now() + WAIT;
        while !self.has_text(needle) {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            if left.is_zero() {
                return Err(TestError::Timeout(format!(
                    "text {needle:?}; page: {}",
                    self.text()
                )));
            }
            self.next_frame_within(left).await?;
        }
        Ok(())
    }

    fn fold(&mut self, text: &str) -> Result<Frame, TestError> {
        let value: Value =
            serde_json::from_str(text).map_err(|e| TestError::BadFrame(format!("{e}: {text}")))?;
        if value.get("pong") == Some(&Value::Bool(true)) {
            return Ok(Frame::Pong);
        }
        if value.get("type").and_then(Value::as_str) == Some("error") {
            let field = |k: &str| {
                value
                    .get(k)
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string()
            };
            return Ok(Frame::Error {
                code: field("code"),
                message: field("message"),
            });
        }
        if value.get("upload_name").is_some()
            || value.get("type").and_then(Value::as_str) == Some("upload_progress")
        {
            return Ok(Frame::Upload(value));
        }
        let tree = value
            .get("tree")
            .cloned()
            .ok_or_else(|| TestError::BadFrame(format!("no tree: {text}")))?;
        apply_update(&mut self.tree, &tree).map_err(|e| TestError::BadFrame(e.to_string()))?;
        self.html = render_html(&self.tree);
        Ok(Frame::Update {
            tree,
            meta: value.get("meta").cloned().unwrap_or(Value::Null),
            bytes: text.len(),
        })
    }

    /// Closes the tab's socket.
    pub async fn close(mut self) {
        let _ = self.ws.close(None).await;
    }
}

/// An HTTP response read by the test client.
#[derive(Debug, Clone)]
pub struct HttpResponse {
    /// Status code.
    pub status: u16,
    /// Header lines (lower-cased names).
    pub headers: Vec<(String, String)>,
    /// The body as text (lossy: see [`bytes`](Self::bytes) for a body that
    /// is not UTF-8, such as a compressed one).
    pub body: String,
    /// The body as sent, without the chunked framing; still in its
    /// `Content-Encoding`.
    pub bytes: Vec<u8>,
}

impl HttpResponse {
    /// The first header of that name.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// A one-shot HTTP/1.1 request (Connection: close).
async fn http(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> Result<HttpResponse, TestError> {
    let mut stream = TcpStream::connect(addr).await?;
    let mut req = format!(
        "{method} {path} HTTP/1.1\r\nconnection: close\r\ncontent-length: {}\r\n",
        body.len()
    );
    // The server's own address, unless the test names another host.
    if !headers.iter().any(|(k, _)| k.eq_ignore_ascii_case("host")) {
        req.push_str(&format!("host: {addr}\r\n"));
    }
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("\r\n");
    let mut req = req.into_bytes();
    req.extend_from_slice(body);
    stream.write_all(&req).await?;
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).await?;
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map_or((raw.len(), raw.len()), |at| (at, at + 4));
    let head = String::from_utf8_lossy(&raw[..split.0]);
    let mut lines = head.lines();
    let status = lines
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| TestError::BadFrame(format!("not an HTTP response: {head}")))?;
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    let chunked = headers
        .iter()
        .any(|(k, v)| k == "transfer-encoding" && v.eq_ignore_ascii_case("chunked"));
    // These answers have no body, whatever their headers announce.
    let bodiless = method.eq_ignore_ascii_case("HEAD")
        || status == 204
        || status == 304
        || (100..200).contains(&status);
    let bytes = if bodiless {
        Vec::new()
    } else if chunked {
        dechunk(&raw[split.1..])?
    } else {
        raw[split.1..].to_vec()
    };
    Ok(HttpResponse {
        status,
        headers,
        body: String::from_utf8_lossy(&bytes).into_owned(),
        bytes,
    })
}

/// The data of a `Transfer-Encoding: chunked` body (streamed responses,
/// such as compressed ones, come this way).
fn dechunk(mut raw: &[u8]) -> Result<Vec<u8>, TestError> {
    let bad = || TestError::BadFrame("malformed chunked body".into());
    let mut data = Vec::new();
    loop {
        let line_end = raw.windows(2).position(|w| w == b"\r\n").ok_or_else(bad)?;
        let size_field = std::str::from_utf8(&raw[..line_end]).map_err(|_| bad())?;
        // Chunk extensions (`;name=value`) carry nothing a test needs.
        let size_hex = size_field.split(';').next().unwrap_or_default().trim();
        let size = usize::from_str_radix(size_hex, 16).map_err(|_| bad())?;
        raw = &raw[line_end + 2..];
        if size == 0 {
            return Ok(data);
        }
        if raw.len() < size + 2 {
            return Err(bad());
        }
        data.extend_from_slice(&raw[..size]);
        raw = &raw[size + 2..];
    }
}
