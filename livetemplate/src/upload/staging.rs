//! One connection's uploads: the entries `upload_start` made, the bytes
//! their chunks brought, and the files waiting for a handler.
//!
//! Entries belong to the connection that started them: an id sent on
//! another connection is simply not found there. Dropping the staging (the
//! connection ended) deletes every file no handler took.

use std::sync::Arc;

use base64::Engine;
use serde_json::{json, Value};

use super::check::{self, Refusal};
use super::protocol::{Chunk, EntryInfo, Start, StartReply};
use super::sniff::HEAD;
use super::temp::TempFile;
use super::{UploadRules, UploadedFile};

/// Refused entries kept for the page to show, per upload.
const MAX_REFUSED_SHOWN: usize = 20;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Status {
    /// Refused at `upload_start`: listed with its reason, never written.
    Refused,
    /// Taken; its bytes are arriving (or about to).
    Receiving,
    /// Every byte is in and checked: waiting for a handler.
    Done,
    /// Refused on the way; its bytes are deleted.
    Failed,
    /// Cancelled while its bytes were arriving: not shown, its bytes
    /// deleted, and the chunks the client had already sent dropped quietly.
    Cancelled,
}

#[derive(Debug)]
struct Entry {
    id: String,
    upload: Arc<str>,
    client_name: String,
    declared_type: String,
    size: u64,
    received: u64,
    status: Status,
    error: Option<String>,
    file: Option<TempFile>,
    /// The first bytes, until the content is checked.
    head: Vec<u8>,
    checked: bool,
    content_type: Option<&'static str>,
    /// The percentage last rendered.
    shown: u8,
}

impl Entry {
    fn percent(&self) -> u8 {
        if self.size == 0 {
            return if self.status == Status::Done { 100 } else { 0 };
        }
        (self.received.saturating_mul(100) / self.size).min(100) as u8
    }

    fn fail(&mut self, why: Refusal) {
        self.status = Status::Failed;
        self.error = Some(why.to_string());
        // Dropping the file deletes it.
        self.file = None;
        self.head = Vec::new();
    }

    /// Checks the content's first bytes once enough of them are in.
    fn check_content(&mut self, rules: &UploadRules) -> Result<(), Refusal> {
        if self.checked || (self.head.len() < HEAD && self.received < self.size) {
            return Ok(());
        }
        let upload = rules
            .get(&self.upload)
            .ok_or_else(|| Refusal::UnknownUpload(self.upload.to_string()))?;
        self.content_type = check::content(upload, &self.head)?;
        self.checked = true;
        self.head = Vec::new();
        Ok(())
    }
}

/// What a chunk did.
#[derive(Debug)]
pub(crate) enum ChunkOutcome {
    /// Written: the progress to report, and whether the page should re-render
    /// (the percentage changed).
    Written {
        progress: ProgressInfo,
        rerender: bool,
    },
    /// Refused: the entry failed (its reason is on the page).
    Failed,
    /// For an entry already finished, failed or cancelled: nothing to do.
    Ignored,
}

/// An entry's progress, for `upload_progress`.
#[derive(Debug)]
pub(crate) struct ProgressInfo {
    pub upload: Arc<str>,
    pub entry_id: String,
    pub client_name: String,
    pub percent: u8,
    pub received: u64,
    pub size: u64,
}

/// A chunk named no entry of this connection.
#[derive(Debug, thiserror::Error)]
#[error("no upload entry {0:?} on this connection")]
pub(crate) struct UnknownEntry(pub String);

/// One connection's upload entries.
#[derive(Debug, Default)]
pub(crate) struct Staging {
    entries: Vec<Entry>,
}

/// An entry as templates see it (`lvt.uploads.<name>.entries`).
#[derive(Debug)]
pub(crate) struct Shown<'a> {
    pub upload: &'a str,
    entry: &'a Entry,
}

impl Shown<'_> {
    pub(crate) fn to_value(&self) -> Value {
        let e = self.entry;
        json!({
            "id": e.id,
            "name": e.client_name,
            "size": e.size,
            "size_text": check::size(e.size),
            "type": e.content_type.unwrap_or(&e.declared_type),
            "progress": e.percent(),
            "bytes": e.received,
            "valid": e.status != Status::Refused,
            "uploading": e.status == Status::Receiving,
            "done": e.status == Status::Done,
            "error": e.error,
        })
    }
}

impl Staging {
    /// Whether nothing is staged (most connections).
    pub(crate) fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The entries, as templates see them.
    pub(crate) fn shown(&self) -> Vec<Shown<'_>> {
        self.entries
            .iter()
            .filter(|e| e.status != Status::Cancelled)
            .map(|entry| Shown {
                upload: &entry.upload,
                entry,
            })
            .collect()
    }

    /// `upload_start`: one entry per file, taken or refused with its reason.
    /// Refused and failed entries of an earlier start of the same upload
    /// make way.
    pub(crate) fn start(&mut self, rules: &UploadRules, start: Start) -> StartReply {
        let name = start.upload_name;
        let Some(upload) = rules.get(&name) else {
            let why = Refusal::UnknownUpload(name.clone());
            let entries = start
                .files
                .into_iter()
                .map(|f| refused_info(f.name, &why, false))
                .collect();
            return StartReply {
                upload_name: name,
                entries,
            };
        };
        let key: Arc<str> = Arc::from(name.as_str());
        self.entries.retain(|e| {
            *e.upload != *name
                || matches!(
                    e.status,
                    Status::Receiving | Status::Done | Status::Cancelled
                )
        });
        self.forget_cancelled();
        let mut held = self
            .entries
            .iter()
            .filter(|e| *e.upload == *name && e.status != Status::Cancelled)
            .count();
        let mut refused_kept = 0;
        let mut infos = Vec::with_capacity(start.files.len());
        for file in start.files {
            let verdict = check::declared(upload, &file.name, &file.content_type, file.size)
                .and_then(|()| {
                    (held < upload.max_files)
                        .then_some(())
                        .ok_or(Refusal::TooMany(upload.max_files))
                });
            let id = crate::random::id();
            let info = match &verdict {
                Ok(()) => EntryInfo {
                    entry_id: id.clone(),
                    client_name: file.name.clone(),
                    valid: true,
                    error: None,
                    auto_upload: upload.auto_upload,
                    mode: "volume",
                },
                Err(why) => EntryInfo {
                    entry_id: id.clone(),
                    ..refused_info(file.name.clone(), why, upload.auto_upload)
                },
            };
            infos.push(info);
            let status = match verdict {
                Ok(()) => {
                    held += 1;
                    Status::Receiving
                }
                Err(_) if refused_kept >= MAX_REFUSED_SHOWN => continue,
                Err(_) => {
                    refused_kept += 1;
                    Status::Refused
                }
            };
            let error = infos.last().and_then(|i| i.error.clone());
            self.entries.push(Entry {
                id,
                upload: key.clone(),
                // Shown escaped like any value; never used in a path.
                client_name: file.name,
                declared_type: file.content_type,
                size: file.size,
                received: 0,
                status,
                error,
                file: None,
                head: Vec::new(),
                checked: false,
                content_type: None,
                shown: 0,
            });
        }
        StartReply {
            upload_name: name,
            entries: infos,
        }
    }

    /// `upload_chunk`: checks the chunk against its entry and writes it.
    /// A bad chunk fails its entry (the reason is shown, the bytes so far
    /// deleted); the connection goes on.
    pub(crate) fn chunk(
        &mut self,
        rules: &UploadRules,
        chunk: &Chunk<'_>,
    ) -> Result<ChunkOutcome, UnknownEntry> {
        let entry = self
            .entries
            .iter_mut()
            .find(|e| e.id == chunk.entry_id)
            .ok_or_else(|| UnknownEntry(chunk.entry_id.clone()))?;
        if entry.status != Status::Receiving {
            return Ok(ChunkOutcome::Ignored);
        }
        match write_chunk(entry, rules, chunk) {
            Ok(()) => {
                let percent = entry.percent();
                let rerender = percent != entry.shown;
                entry.shown = percent;
                Ok(ChunkOutcome::Written {
                    progress: ProgressInfo {
                        upload: entry.upload.clone(),
                        entry_id: entry.id.clone(),
                        client_name: entry.client_name.clone(),
                        percent,
                        received: entry.received,
                        size: entry.size,
                    },
                    rerender,
                })
            }
            Err(why) => {
                entry.fail(why);
                Ok(ChunkOutcome::Failed)
            }
        }
    }

    /// `upload_complete`: each named entry of this connection that has all
    /// its bytes is done; one that has not fails. Returns the uploads that
    /// gained a finished file, and the first reason one failed.
    pub(crate) fn complete(
        &mut self,
        rules: &UploadRules,
        ids: &[String],
    ) -> (Vec<Arc<str>>, Option<String>) {
        let mut finished: Vec<Arc<str>> = Vec::new();
        let mut failure = None;
        for entry in self
            .entries
            .iter_mut()
            .filter(|e| ids.contains(&e.id) && e.status == Status::Receiving)
        {
            let result = finish(entry, rules);
            match result {
                Ok(()) => {
                    entry.status = Status::Done;
                    if !finished.contains(&entry.upload) {
                        finished.push(entry.upload.clone());
                    }
                }
                Err(why) => {
                    failure.get_or_insert_with(|| why.to_string());
                    entry.fail(why);
                }
            }
        }
        (finished, failure)
    }

    /// `cancel_upload`: the entry goes, and its bytes with it (one still
    /// arriving stays as a quiet mark, for the chunks already on their
    /// way). False when this connection has no such entry.
    pub(crate) fn cancel(&mut self, id: &str) -> bool {
        let Some(at) = self.entries.iter().position(|e| e.id == id) else {
            return false;
        };
        let entry = &mut self.entries[at];
        match entry.status {
            Status::Cancelled => {}
            Status::Receiving => {
                entry.status = Status::Cancelled;
                entry.file = None;
                entry.head = Vec::new();
            }
            _ => {
                self.entries.remove(at);
            }
        }
        true
    }

    /// Lets go of the marks of cancelled entries, keeping the newest few.
    fn forget_cancelled(&mut self) {
        let cancelled = self
            .entries
            .iter()
            .filter(|e| e.status == Status::Cancelled)
            .count();
        let mut extra = cancelled.saturating_sub(MAX_REFUSED_SHOWN);
        self.entries.retain(|e| {
            let drop = extra > 0 && e.status == Status::Cancelled;
            extra -= usize::from(drop);
            !drop
        });
    }

    /// The finished files, for a handler.
    pub(crate) fn files(&self) -> Vec<UploadedFile> {
        self.entries
            .iter()
            .filter(|e| e.status == Status::Done)
            .filter_map(|e| {
                let file = e.file.as_ref()?;
                Some(UploadedFile {
                    upload: e.upload.clone(),
                    path: file.path().to_path_buf(),
                    name: e.client_name.clone(),
                    content_type: e
                        .content_type
                        .map(str::to_string)
                        .unwrap_or_else(|| e.declared_type.clone()),
                    size: file.len(),
                })
            })
            .collect()
    }

    /// A handler took the finished files of `uploads`: their entries go,
    /// and whatever the handler left at the temporary paths is deleted.
    pub(crate) fn take(&mut self, uploads: &[String]) {
        self.entries
            .retain(|e| !(e.status == Status::Done && uploads.iter().any(|u| *u == *e.upload)));
    }
}

fn refused_info(client_name: String, why: &Refusal, auto_upload: bool) -> EntryInfo {
    EntryInfo {
        entry_id: crate::random::id(),
        client_name,
        valid: false,
        error: Some(why.to_string()),
        auto_upload,
        mode: "volume",
    }
}

fn write_chunk(entry: &mut Entry, rules: &UploadRules, chunk: &Chunk<'_>) -> Result<(), Refusal> {
    let upload = rules
        .get(&entry.upload)
        .ok_or_else(|| Refusal::UnknownUpload(entry.upload.to_string()))?;
    if chunk.total != entry.size {
        return Err(Refusal::SizeChanged {
            total: chunk.total,
            declared: entry.size,
        });
    }
    if chunk.offset != entry.received {
        return Err(Refusal::OutOfOrder {
            offset: chunk.offset,
            expected: entry.received,
        });
    }
    let text = chunk.chunk_base64.as_bytes();
    // Refused before decoding: a huge chunk is not decoded to be measured.
    let at_most = text.len() / 4 * 3;
    if at_most > upload.chunk_size + 3 {
        return Err(Refusal::ChunkTooLarge {
            size: at_most,
            limit: upload.chunk_size,
        });
    }
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(text)
        .map_err(|_| Refusal::BadBase64)?;
    if bytes.len() > upload.chunk_size {
        return Err(Refusal::ChunkTooLarge {
            size: bytes.len(),
            limit: upload.chunk_size,
        });
    }
    let end = entry.received + bytes.len() as u64;
    if end > entry.size {
        return Err(Refusal::PastEnd {
            end,
            total: entry.size,
        });
    }
    if !entry.checked {
        let want = HEAD - entry.head.len();
        entry
            .head
            .extend_from_slice(&bytes[..want.min(bytes.len())]);
    }
    entry.received = end;
    entry.check_content(rules)?;
    if entry.file.is_none() {
        entry.file = Some(TempFile::create(&rules.dir).map_err(storage)?);
    }
    if let Some(file) = entry.file.as_mut() {
        file.write(&bytes).map_err(storage)?;
    }
    Ok(())
}

/// The last checks of a finished entry: every byte in, the content seen.
fn finish(entry: &mut Entry, rules: &UploadRules) -> Result<(), Refusal> {
    if entry.received != entry.size {
        return Err(Refusal::Incomplete {
            received: entry.received,
            size: entry.size,
        });
    }
    entry.check_content(rules)?;
    if entry.file.is_none() {
        // An empty file had no chunk to make it.
        entry.file = Some(TempFile::create(&rules.dir).map_err(storage)?);
    }
    if let Some(file) = entry.file.as_mut() {
        file.finish().map_err(storage)?;
    }
    Ok(())
}

fn storage(e: std::io::Error) -> Refusal {
    tracing::error!(error = %e, "an upload could not be written");
    Refusal::Storage
}
