//! File uploads, in the stock client's protocol.
//!
//! A controller declares what it takes in [`Controller::uploads`](crate::Controller::uploads);
//! a file input names the upload (`<input type="file" lvt-upload="photos">`).
//! Files arrive in chunks over the WebSocket (`upload_start` → entries,
//! `upload_chunk` → `upload_progress`, `upload_complete`, `cancel_upload`),
//! or as one multipart POST when the socket is down or JavaScript is off.
//! They are written to a temporary file as they arrive, never held whole
//! in memory, checked against the upload's limits on the way, and handed to
//! handlers by [`Context::uploads`](crate::Context::uploads) as paths they
//! may move. What no handler takes is deleted when the upload is cancelled,
//! fails, or its connection ends.
//!
//! One concern per file: `protocol` (the messages), `check` (names, types,
//! sizes, with `sniff` for magic bytes), `temp` (the temporary files),
//! `staging` (one connection's entries), `socket` (the WebSocket messages)
//! and `multipart` (the HTTP paths).

mod check;
pub(crate) mod multipart;
pub(crate) mod protocol;
mod sniff;
pub(crate) mod socket;
mod staging;
mod temp;

pub(crate) use staging::Staging;

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde_json::{json, Map, Value};

/// The chunk size the stock client sends (256 KiB), and the default largest chunk taken.
pub const DEFAULT_CHUNK_SIZE: usize = 256 * 1024;

/// What one upload takes: which types, how many files, how large.
///
/// ```
/// use livetemplate::Upload;
/// let photos = Upload::new()
///     .accept(["image/png", "image/jpeg"])
///     .max_files(3)
///     .max_size(5 * 1024 * 1024);
/// ```
///
/// Types are checked twice: the name and type the browser declares when the
/// upload starts, and the content's first bytes (PNG, JPEG, GIF, WebP, BMP,
/// ICO, PDF, ZIP, gzip and executables are recognised), so a renamed `.exe`
/// is refused as what it is.
#[derive(Debug, Clone)]
pub struct Upload {
    pub(crate) accept: Vec<String>,
    pub(crate) max_files: usize,
    pub(crate) max_size: u64,
    pub(crate) chunk_size: usize,
    pub(crate) auto_upload: bool,
}

impl Default for Upload {
    fn default() -> Upload {
        Upload {
            accept: Vec::new(),
            max_files: 1,
            max_size: 8 * 1024 * 1024,
            chunk_size: DEFAULT_CHUNK_SIZE,
            auto_upload: true,
        }
    }
}

impl Upload {
    /// Any type, one file of at most 8 MiB, 256 KiB chunks, sent as soon as chosen.
    pub fn new() -> Upload {
        Upload::default()
    }

    /// The types taken: MIME types (`image/png`), families (`image/*`) or
    /// extensions (`.pdf`). None given: any type.
    pub fn accept<I, S>(mut self, types: I) -> Upload
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.accept = types
            .into_iter()
            .map(|t| t.into().trim().to_ascii_lowercase())
            .collect();
        self
    }

    /// How many files may be held at once (sent, or waiting for a handler).
    pub fn max_files(mut self, n: usize) -> Upload {
        self.max_files = n.max(1);
        self
    }

    /// The largest file taken, in bytes.
    pub fn max_size(mut self, bytes: u64) -> Upload {
        self.max_size = bytes;
        self
    }

    /// The largest chunk taken, in bytes (decoded). The stock client sends
    /// 256 KiB chunks, so a smaller value refuses its uploads.
    pub fn chunk_size(mut self, bytes: usize) -> Upload {
        self.chunk_size = bytes.max(1);
        self
    }

    /// Whether files are sent as soon as they are chosen (the default), or
    /// when their form is submitted.
    pub fn auto_upload(mut self, on: bool) -> Upload {
        self.auto_upload = on;
        self
    }

    /// The `accept` attribute for the file input: `image/png,image/jpeg`.
    fn accept_attribute(&self) -> String {
        self.accept.join(",")
    }
}

/// The uploads a controller takes, by name; filled in by
/// [`Controller::uploads`](crate::Controller::uploads).
///
/// ```
/// use livetemplate::{Actions, Controller, Upload, Uploads};
/// # #[derive(Clone, Default, serde::Serialize, serde::Deserialize)] struct Album;
/// struct Photos;
/// impl Controller for Photos {
///     type State = Album;
///     fn actions(_: &mut Actions<Self>) {}
///     fn uploads(uploads: &mut Uploads) {
///         // <input type="file" lvt-upload="photos" multiple>
///         uploads.allow("photos", Upload::new().accept(["image/*"]).max_files(3));
///     }
/// }
/// ```
#[derive(Debug, Default)]
pub struct Uploads {
    list: Vec<(String, Upload)>,
}

impl Uploads {
    /// Takes files for the upload `name` (the file input's `lvt-upload`, or
    /// its `name` in a plain form), within `upload`'s limits.
    pub fn allow(&mut self, name: &str, upload: Upload) -> &mut Self {
        self.list.retain(|(n, _)| n != name);
        self.list.push((name.to_string(), upload));
        self
    }
}

/// A page's uploads and where their files are written.
#[derive(Debug)]
pub(crate) struct UploadRules {
    list: Vec<(String, Upload)>,
    pub(crate) dir: PathBuf,
    /// `lvt.uploads` with no entries yet.
    empty: Value,
}

impl UploadRules {
    /// The uploads `C` declares, written under `dir`.
    pub(crate) fn of<C: crate::Controller>(dir: PathBuf) -> UploadRules {
        let mut uploads = Uploads::default();
        C::uploads(&mut uploads);
        let mut rules = UploadRules {
            list: uploads.list,
            dir,
            empty: Value::Null,
        };
        rules.empty = rules.summary(&[]);
        rules
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    pub(crate) fn get(&self, name: &str) -> Option<&Upload> {
        self.list.iter().find(|(n, _)| n == name).map(|(_, u)| u)
    }

    /// The largest text frame an upload chunk may take: its base64 and the
    /// JSON around it. 0 without uploads.
    pub(crate) fn frame_limit(&self) -> usize {
        self.list
            .iter()
            .map(|(_, u)| u.chunk_size.div_ceil(3) * 4 + 1024)
            .max()
            .unwrap_or(0)
    }

    /// The most bytes one request may carry in files: every upload full.
    pub(crate) fn max_body(&self) -> u64 {
        self.list
            .iter()
            .map(|(_, u)| u.max_size.saturating_mul(u.max_files as u64))
            .fold(0u64, u64::saturating_add)
    }

    /// What templates see as `lvt.uploads`, for `entries` of a view.
    pub(crate) fn summary(&self, entries: &[staging::Shown<'_>]) -> Value {
        if self.list.is_empty() {
            return Value::Null;
        }
        let mut out = Map::new();
        for (name, upload) in &self.list {
            let listed: Vec<Value> = entries
                .iter()
                .filter(|e| e.upload == name)
                .map(staging::Shown::to_value)
                .collect();
            out.insert(
                name.clone(),
                json!({
                    "entries": listed,
                    "accept": upload.accept_attribute(),
                    "max_files": upload.max_files,
                    "max_size": upload.max_size,
                    "auto_upload": upload.auto_upload,
                }),
            );
        }
        Value::Object(out)
    }

    /// `lvt.uploads` with no entries.
    pub(crate) fn empty_summary(&self) -> &Value {
        &self.empty
    }
}

/// Files refused in a multipart post, as the error the page shows: one
/// message per upload (`lvt.errors.<upload>`).
pub(crate) fn refusals(refused: Vec<(String, String)>) -> crate::ActionError {
    let mut fields: Vec<(String, String)> = Vec::new();
    for (upload, message) in refused {
        match fields.iter_mut().find(|(u, _)| *u == upload) {
            Some((_, all)) => {
                all.push_str("; ");
                all.push_str(&message);
            }
            None => fields.push((upload, message)),
        }
    }
    crate::ActionError::Fields { fields }
}

/// The default directory for files being uploaded: `livetemplate-uploads`
/// under the system's temporary directory.
pub(crate) fn default_dir() -> PathBuf {
    std::env::temp_dir().join("livetemplate-uploads")
}

/// A file that finished uploading, as [`Context::uploads`](crate::Context::uploads)
/// hands it to a handler.
///
/// It lives at a temporary path; [`persist`](Self::persist) moves it where
/// it should stay. Whatever is still at the temporary path when the handler
/// returns successfully is deleted.
#[derive(Clone)]
pub struct UploadedFile {
    pub(crate) upload: Arc<str>,
    pub(crate) path: PathBuf,
    pub(crate) name: String,
    pub(crate) content_type: String,
    pub(crate) size: u64,
}

impl fmt::Debug for UploadedFile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UploadedFile")
            .field("upload", &self.upload)
            .field("name", &self.name)
            .field("content_type", &self.content_type)
            .field("size", &self.size)
            .field("path", &self.path)
            .finish()
    }
}

impl UploadedFile {
    /// Where the file is now (a temporary path).
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The name the browser gave it: a plain file name (no `/`, `\`,
    /// control characters, at most 255 bytes) — still the client's word, so
    /// do not build paths from it without care.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Its type: what its content is when recognised, else what the browser said.
    pub fn content_type(&self) -> &str {
        &self.content_type
    }

    /// Its size in bytes.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// Moves the file to `dest` (a rename, or a copy when `dest` is on
    /// another file system).
    ///
    /// ```no_run
    /// # fn keep(file: &livetemplate::UploadedFile) -> std::io::Result<()> {
    /// file.persist(std::path::Path::new("/srv/photos").join("42.png"))?;
    /// # Ok(()) }
    /// ```
    pub fn persist(&self, dest: impl AsRef<Path>) -> std::io::Result<()> {
        let dest = dest.as_ref();
        match std::fs::rename(&self.path, dest) {
            Ok(()) => Ok(()),
            Err(_) => {
                // Another file system: copy, then let go of the temporary file.
                std::fs::copy(&self.path, dest)?;
                std::fs::remove_file(&self.path)
            }
        }
    }
}
