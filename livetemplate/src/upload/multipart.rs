//! Uploads over HTTP: a multipart POST (a plain form without JavaScript,
//! the client's form post with files, or its one-request upload when the
//! socket is down), and the `upload_start` handshake posted as JSON.
//!
//! A multipart body is read as it streams in: each file part is checked
//! (name, declared type, then its first bytes and its size as they arrive)
//! and written to a temporary file; a refused part is read to its end and
//! dropped, so the request still gets its answer.

use axum::body::Body;

use super::check::{self, Refusal};
use super::protocol::{Start, StartReply};
use super::sniff::HEAD;
use super::staging::Staging;
use super::temp::TempFile;
use super::{UploadRules, UploadedFile};

/// Room for the parts' headers and boundaries beyond their contents.
const OVERHEAD: u64 = 64 * 1024;

/// What a multipart body brought.
#[derive(Debug, Default)]
pub(crate) struct Received {
    /// The text fields, in order.
    pub fields: Vec<(String, String)>,
    /// The files taken, for the handler.
    pub files: Vec<UploadedFile>,
    /// The files' temporary copies: dropping them deletes what no handler moved.
    pub temps: Vec<TempFile>,
    /// Files refused: (upload, message), for `lvt.errors.<upload>`.
    pub refused: Vec<(String, String)>,
}

/// A multipart body that could not be read.
#[derive(Debug, thiserror::Error)]
pub(crate) enum MultipartError {
    #[error("the request is over the limit of {0} bytes")]
    TooLarge(u64),
    #[error("the text fields are over the limit of {0} bytes")]
    FieldsTooLarge(usize),
    #[error("a form field is not valid UTF-8")]
    NotUtf8,
    #[error("the multipart body is malformed: {0}")]
    Malformed(String),
}

/// The boundary of a `multipart/form-data` content type, if it is one.
pub(crate) fn boundary(content_type: &str) -> Option<String> {
    multer::parse_boundary(content_type).ok()
}

/// Reads a multipart body: text fields (at most `field_limit` bytes in
/// all) and the files of the page's uploads, each within its upload's limits.
pub(crate) async fn receive(
    body: Body,
    boundary: String,
    rules: &UploadRules,
    field_limit: usize,
) -> Result<Received, MultipartError> {
    let whole = rules
        .max_body()
        .saturating_add(field_limit as u64)
        .saturating_add(OVERHEAD);
    let constraints =
        multer::Constraints::new().size_limit(multer::SizeLimit::new().whole_stream(whole));
    let mut parts =
        multer::Multipart::with_constraints(body.into_data_stream(), boundary, constraints);
    let mut received = Received::default();
    let mut text_bytes = 0usize;
    let read_error = |e: multer::Error| match e {
        multer::Error::StreamSizeExceeded { .. } => MultipartError::TooLarge(whole),
        other => MultipartError::Malformed(other.to_string()),
    };
    while let Some(mut part) = parts.next_field().await.map_err(read_error)? {
        let name = part.name().unwrap_or_default().to_string();
        let Some(file_name) = part.file_name().map(str::to_string) else {
            let mut text = Vec::new();
            while let Some(bytes) = part.chunk().await.map_err(read_error)? {
                text_bytes += bytes.len();
                if text_bytes > field_limit {
                    return Err(MultipartError::FieldsTooLarge(field_limit));
                }
                text.extend_from_slice(&bytes);
            }
            let text = String::from_utf8(text).map_err(|_| MultipartError::NotUtf8)?;
            received.fields.push((name, text));
            continue;
        };
        let declared = part
            .content_type()
            .map(|m| m.essence_str().to_string())
            .unwrap_or_default();
        let taken = received.files.iter().filter(|f| *f.upload == *name).count();
        let file = Part {
            name: &name,
            file_name: &file_name,
            declared: &declared,
            taken,
        };
        match take(&mut part, rules, file).await? {
            Taken::File(file, temp) => {
                received.files.push(file);
                received.temps.push(temp);
            }
            // An empty file input sends an empty part with no name: nothing chosen.
            Taken::Nothing => {}
            Taken::Refused(why) => received.refused.push((name, format!("{file_name}: {why}"))),
        }
    }
    Ok(received)
}

struct Part<'a> {
    name: &'a str,
    file_name: &'a str,
    declared: &'a str,
    /// Files of this upload already taken from the body.
    taken: usize,
}

enum Taken {
    File(UploadedFile, TempFile),
    Nothing,
    Refused(Refusal),
}

/// Reads one file part to its end: into a temporary file if it is taken.
async fn take(
    part: &mut multer::Field<'_>,
    rules: &UploadRules,
    file: Part<'_>,
) -> Result<Taken, MultipartError> {
    let read_error = |e: multer::Error| match e {
        multer::Error::StreamSizeExceeded { limit } => MultipartError::TooLarge(limit),
        other => MultipartError::Malformed(other.to_string()),
    };
    let verdict = match rules.get(file.name) {
        None => Err(Refusal::UnknownUpload(file.name.to_string())),
        Some(_) if file.file_name.is_empty() => Ok(None),
        Some(upload) if file.taken >= upload.max_files => Err(Refusal::TooMany(upload.max_files)),
        Some(upload) => {
            check::declared(upload, file.file_name, file.declared, 0).map(|()| Some(upload))
        }
    };
    let upload = match verdict {
        Ok(Some(upload)) => upload,
        Ok(None) | Err(_) => {
            // Read past it; its bytes go nowhere.
            let mut any = false;
            while let Some(bytes) = part.chunk().await.map_err(read_error)? {
                any |= !bytes.is_empty();
            }
            return Ok(match verdict {
                Err(why) => Taken::Refused(why),
                Ok(_) if any => Taken::Refused(Refusal::NoName),
                Ok(_) => Taken::Nothing,
            });
        }
    };
    let mut temp = match TempFile::create(&rules.dir) {
        Ok(temp) => temp,
        Err(e) => {
            tracing::error!(error = %e, "an upload could not be written");
            return Ok(Taken::Refused(Refusal::Storage));
        }
    };
    let mut head = Vec::with_capacity(HEAD);
    let mut content_type = None;
    let mut checked = false;
    let mut refusal = None;
    while let Some(bytes) = part.chunk().await.map_err(read_error)? {
        if refusal.is_some() {
            continue;
        }
        let size = temp.len() + bytes.len() as u64;
        if size > upload.max_size {
            refusal = Some(Refusal::TooLarge {
                size,
                limit: upload.max_size,
            });
            continue;
        }
        if !checked {
            let want = HEAD - head.len();
            head.extend_from_slice(&bytes[..want.min(bytes.len())]);
            if head.len() >= HEAD {
                checked = true;
                match check::content(upload, &head) {
                    Ok(found) => content_type = found,
                    Err(why) => {
                        refusal = Some(why);
                        continue;
                    }
                }
            }
        }
        if temp.write(&bytes).is_err() {
            refusal = Some(Refusal::Storage);
        }
    }
    if refusal.is_none() && !checked {
        match check::content(upload, &head) {
            Ok(found) => content_type = found,
            Err(why) => refusal = Some(why),
        }
    }
    if refusal.is_none() && temp.finish().is_err() {
        refusal = Some(Refusal::Storage);
    }
    if let Some(why) = refusal {
        // Dropping the temporary file deletes what was written.
        return Ok(Taken::Refused(why));
    }
    let file = UploadedFile {
        upload: file.name.into(),
        path: temp.path().to_path_buf(),
        name: file.file_name.to_string(),
        content_type: content_type
            .map(str::to_string)
            .unwrap_or_else(|| file.declared.to_string()),
        size: temp.len(),
    };
    Ok(Taken::File(file, temp))
}

/// `X-Lvt-Upload: start` with the socket down: the same verdicts as over
/// the socket. Nothing is kept: the files then come as one multipart POST.
pub(crate) fn start(rules: &UploadRules, start: Start) -> StartReply {
    Staging::default().start(rules, start)
}
