//! File upload: choose several files and each uploads at once with its own
//! progress bar and Cancel button; a file that is too big or of a type the
//! page does not take is refused with the reason beside it (its content is
//! checked too, not only its name). Send keeps the finished files: images
//! are previewed, every file can be downloaded, and its SHA-256 shows it
//! arrived intact. Without JavaScript the same form posts the files in one
//! request and the same handler keeps them.
//!
//! The upload's limits are declared once (`uploads`); the runtime streams
//! the chunks to temporary files and deletes whatever is cancelled,
//! refused, or left when the tab closes. The handler only decides where a
//! finished file goes.

use std::collections::VecDeque;
use std::io::Read;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, PoisonError};

use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use livetemplate::{
    ActionError, Actions, Context, Controller, LiveError, Upload, UploadedFile, Uploads,
};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::catalog::{Category, Example, Gallery};

const MIB: u64 = 1024 * 1024;
/// Files the gallery keeps for everyone together; older ones are deleted.
const KEEP: usize = 40;

pub struct FileUpload {
    shelf: Shelf,
}

#[derive(Clone, Default, Serialize, Deserialize)]
pub struct Received {
    pub files: Vec<Kept>,
}

/// A file that was sent, as the page lists it.
#[derive(Clone, Serialize, Deserialize)]
pub struct Kept {
    pub name: String,
    pub size: String,
    pub url: String,
    pub image: bool,
    pub sha256: String,
}

impl Controller for FileUpload {
    type State = Received;

    fn actions(actions: &mut Actions<Self>) {
        actions.on("send", FileUpload::send);
    }

    fn uploads(uploads: &mut Uploads) {
        uploads.allow(
            "files",
            Upload::new()
                .accept([
                    "image/png",
                    "image/jpeg",
                    "image/gif",
                    "image/webp",
                    "application/pdf",
                    ".txt",
                ])
                .max_files(4)
                .max_size(10 * MIB),
        );
    }
}

impl FileUpload {
    /// Keeps the finished files (over the socket, or posted with the form).
    fn send(&self, received: &mut Received, ctx: &mut Context<Self>) -> Result<(), ActionError> {
        let files = ctx.uploads("files");
        if files.is_empty() {
            return Err(ActionError::field(
                "files",
                "Choose a file first, and wait for it to finish.",
            ));
        }
        for file in files {
            let kept = self
                .shelf
                .keep(&file)
                .map_err(|e| ActionError::msg(format!("{} could not be kept: {e}", file.name())))?;
            received.files.push(kept);
        }
        ctx.flash("success", "Sent.");
        Ok(())
    }
}

/// Where sent files stay: a directory of the gallery's, the newest
/// [`KEEP`] only, served at `/forms/file-upload/files/{id}`.
#[derive(Clone)]
struct Shelf {
    dir: PathBuf,
    /// (id, content type, name), oldest first.
    files: Arc<Mutex<VecDeque<(String, String, String)>>>,
}

impl Shelf {
    fn new() -> std::io::Result<Shelf> {
        let mut id = [0u8; 8];
        getrandom::fill(&mut id).map_err(std::io::Error::other)?;
        let dir = std::env::temp_dir().join(format!("gallery-file-upload-{}", hex::encode(id)));
        std::fs::create_dir_all(&dir)?;
        Ok(Shelf {
            dir,
            files: Arc::default(),
        })
    }

    fn keep(&self, file: &UploadedFile) -> std::io::Result<Kept> {
        let sha256 = sha256(file.path())?;
        let mut id = [0u8; 12];
        getrandom::fill(&mut id).map_err(std::io::Error::other)?;
        // The id names the stored file: never the visitor's name for it.
        let id = hex::encode(id);
        file.persist(self.dir.join(&id))?;
        let mut files = self.files.lock().unwrap_or_else(PoisonError::into_inner);
        if files.len() >= KEEP {
            if let Some((old, _, _)) = files.pop_front() {
                let _ = std::fs::remove_file(self.dir.join(old));
            }
        }
        let content_type = file.content_type().to_string();
        files.push_back((id.clone(), content_type.clone(), file.name().to_string()));
        Ok(Kept {
            name: file.name().to_string(),
            size: format_size(file.size()),
            url: format!("{}/files/{id}", EXAMPLE.path()),
            image: content_type.starts_with("image/"),
            sha256,
        })
    }
}

fn sha256(path: &std::path::Path) -> std::io::Result<String> {
    let mut file = std::fs::File::open(path)?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = file.read(&mut buf)?;
        if n == 0 {
            return Ok(hex::encode(hasher.finalize()));
        }
        hasher.update(&buf[..n]);
    }
}

fn format_size(bytes: u64) -> String {
    match bytes {
        b if b >= MIB => format!("{:.1} MiB", b as f64 / MIB as f64),
        b if b >= 1024 => format!("{} KiB", b / 1024),
        b => format!("{b} bytes"),
    }
}

/// `GET /forms/file-upload/files/{id}`: images inline (for the preview),
/// anything else as a download.
async fn serve(State(shelf): State<Shelf>, Path(id): Path<String>) -> Response {
    let found = {
        let files = shelf.files.lock().unwrap_or_else(PoisonError::into_inner);
        files.iter().find(|(k, _, _)| *k == id).cloned()
    };
    let Some((id, content_type, name)) = found else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let path = shelf.dir.join(id);
    let Ok(Ok(bytes)) = tokio::task::spawn_blocking(move || std::fs::read(path)).await else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let disposition = if content_type.starts_with("image/") {
        "inline"
    } else {
        "attachment"
    };
    let name: String = name
        .chars()
        .filter(|c| c.is_ascii_graphic() && *c != '"' || *c == ' ')
        .collect();
    (
        [
            (header::CONTENT_TYPE, content_type),
            (
                header::CONTENT_DISPOSITION,
                format!("{disposition}; filename=\"{name}\""),
            ),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff".to_string()),
        ],
        bytes,
    )
        .into_response()
}

pub const EXAMPLE: Example = Example {
    category: Category::Forms,
    slug: "file-upload",
    title: "File Upload",
    summary: "Several files at once, each with a progress bar and Cancel; too big or the wrong type refused with the reason beside the file; Send keeps the finished ones, with image previews and a SHA-256 to show they arrived intact.",
    try_it: "Choose two or three images: each shows its progress, then Send lists them with a preview. Try a file over 10 MiB, or a program renamed to .png: refused, with why. Cancel a file while it uploads. With JavaScript off, the same form posts the files.",
    template: "forms/file-upload.html",
    sign_in: false,
    source: crate::this_file!(),
    also: &[],
    routes,
};

/// The page, and `/forms/file-upload/files/{id}` where sent files are served.
fn routes(gallery: &Gallery) -> Result<Router, LiveError> {
    let shelf = Shelf::new().expect("the gallery's file-upload directory could not be made");
    let page = gallery.show(
        &EXAMPLE,
        gallery.live.page(
            EXAMPLE.template,
            FileUpload {
                shelf: shelf.clone(),
            },
        ),
    )?;
    let files = get(serve).with_state(shelf);
    Ok(page.route(&format!("{}/files/{{id}}", EXAMPLE.path()), files))
}
