//! File uploads: chunks over the socket, multipart posts, and every way a
//! client can get them wrong — each refused with its reason beside the
//! file, nothing written outside the upload directory, the connection
//! still usable, and nothing left behind.
//!
//! The helpers and the page under test are here; the tests are in
//! [`socket`] (the stock client's chunked uploads) and [`http`] (plain
//! multipart posts, and the client's HTTP fallbacks).

mod http;
mod socket;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use base64::Engine;
use livetemplate::testing::{Frame, Tab, TestServer};
use livetemplate::{
    ActionError, Actions, Context, Controller, LiveTemplate, Templates, Upload, Uploads,
};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

const PAGE: &str = r#"<form method="post" enctype="multipart/form-data">
<input type="file" name="photos" lvt-upload="photos" multiple accept="{{ lvt.uploads.photos.accept }}">
<ul>{% for e in lvt.uploads.photos.entries %}<li>{{ e.name }} {{ e.progress }}%{% if e.done %} done{% endif %}{% if e.error %} refused: {{ e.error }}{% endif %}</li>{% endfor %}</ul>
<p>{{ lvt.errors.photos }}</p>
<p>Kept: {% for k in kept %}[{{ k }}] {% endfor %}</p>
<input name="caption" value="{{ caption }}">
<button name="upload_photos_complete">Upload</button>
</form>"#;

/// A PNG's first bytes, then `n` bytes of body.
fn png(n: usize) -> Vec<u8> {
    let mut bytes = b"\x89PNG\r\n\x1a\n".to_vec();
    bytes.extend((0..n).map(|i| (i * 7 % 251) as u8));
    bytes
}

struct Album {
    keep: PathBuf,
}

#[derive(Clone, Default, Serialize, Deserialize)]
struct Photos {
    kept: Vec<String>,
    caption: String,
}

impl Controller for Album {
    type State = Photos;

    fn actions(actions: &mut Actions<Self>) {
        actions.on("upload_photos_complete", Album::keep);
    }

    fn uploads(uploads: &mut Uploads) {
        uploads.allow(
            "photos",
            Upload::new()
                .accept(["image/png"])
                .max_files(2)
                .max_size(1000)
                .chunk_size(100),
        );
    }
}

impl Album {
    fn keep(&self, photos: &mut Photos, ctx: &mut Context<Self>) -> Result<(), ActionError> {
        if let Some(caption) = ctx.get_string("caption") {
            photos.caption = caption;
        }
        for file in ctx.uploads("photos") {
            let dest = self.keep.join(format!("{}.png", photos.kept.len()));
            file.persist(&dest)
                .map_err(|e| ActionError::msg(e.to_string()))?;
            photos.kept.push(format!(
                "{} {} {}",
                file.name(),
                file.size(),
                file.content_type()
            ));
        }
        Ok(())
    }
}

/// A server whose uploads go to a directory of its own, and the
/// directories: (root, uploads, kept).
async fn serve() -> (TestServer, PathBuf, PathBuf, PathBuf) {
    let root = std::env::temp_dir().join(format!("lvt-uploads-test-{}", rand_id()));
    let uploads = root.join("uploads");
    let keep = root.join("kept");
    std::fs::create_dir_all(&keep).unwrap();
    let templates = Templates::from_fn(|name| (name == "album.html").then(|| PAGE.into()));
    let live = LiveTemplate::builder(templates)
        .upload_dir(&uploads)
        .build();
    let album = Album { keep: keep.clone() };
    let router = axum::Router::new().route("/", live.page("album.html", album).build().unwrap());
    (TestServer::start(router).await, root, uploads, keep)
}

fn rand_id() -> String {
    format!(
        "{}-{:?}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos()
    )
}

fn files_in(dir: &Path) -> Vec<PathBuf> {
    match std::fs::read_dir(dir) {
        Ok(entries) => entries.map(|e| e.unwrap().path()).collect(),
        Err(_) => Vec::new(),
    }
}

/// Everything under `root`, as paths relative to it: proof nothing was
/// written anywhere but the upload directory and where handlers put files.
fn tree(root: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut todo = vec![root.to_path_buf()];
    while let Some(dir) = todo.pop() {
        for path in files_in(&dir) {
            if path.is_dir() {
                todo.push(path.clone());
            }
            out.push(path.strip_prefix(root).unwrap().display().to_string());
        }
    }
    out.sort();
    out
}

/// Waits until `dir` holds no file (a connection's end is noticed a little
/// after the socket closes).
async fn until_empty(dir: &Path) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    while !files_in(dir).is_empty() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "left behind: {:?}",
            files_in(dir)
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Text as a person reads it: the entities the template's escaping made, undone.
fn unescape(text: &str) -> String {
    text.replace("&#x2f;", "/")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#x27;", "'")
        .replace("&amp;", "&")
}

/// Waits until the tab shows `phrase` (as a person reads it).
async fn wait_shown(tab: &mut Tab, phrase: &str) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    while !unescape(&tab.text()).contains(phrase) {
        let left = deadline.saturating_duration_since(tokio::time::Instant::now());
        assert!(
            !left.is_zero(),
            "{phrase:?} not shown; page: {}",
            unescape(&tab.text())
        );
        let _ = tab.next_frame_within(left).await;
    }
}

/// The next upload message (updates on the way are applied to the tab).
async fn upload_frame(tab: &mut Tab) -> Value {
    loop {
        match tab.next_frame().await.unwrap() {
            Frame::Upload(value) => return value,
            Frame::Error { code, message } => panic!("error frame {code}: {message}"),
            _ => {}
        }
    }
}

/// The next error frame.
async fn error_frame(tab: &mut Tab) -> (String, String) {
    loop {
        if let Frame::Error { code, message } = tab.next_frame().await.unwrap() {
            return (code, message);
        }
    }
}

async fn start(tab: &mut Tab, files: Value) -> Vec<Value> {
    let msg = json!({ "action": "upload_start", "upload_name": "photos", "files": files });
    tab.send_text(&msg.to_string()).await.unwrap();
    let reply = upload_frame(tab).await;
    reply["entries"].as_array().unwrap().clone()
}

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

async fn chunk(tab: &mut Tab, id: &str, bytes: &[u8], offset: usize, total: usize) {
    let msg = json!({ "action": "upload_chunk", "entry_id": id,
        "chunk_base64": b64(bytes), "offset": offset, "total": total });
    tab.send_text(&msg.to_string()).await.unwrap();
}

async fn complete(tab: &mut Tab, id: &str) -> Value {
    let msg = json!({ "action": "upload_complete", "upload_name": "photos", "entry_ids": [id] });
    tab.send_text(&msg.to_string()).await.unwrap();
    upload_frame(tab).await
}

fn one_png(name: &str, size: usize) -> Value {
    json!([{ "name": name, "type": "image/png", "size": size }])
}
