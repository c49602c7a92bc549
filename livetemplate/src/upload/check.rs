//! The checks a file meets before and while it arrives: its name, its
//! declared type and size, and what its first bytes are.

use super::sniff::{canonical, recognisable, sniff, type_of_extension};
use super::Upload;

/// The longest file name taken, in bytes (what file systems allow).
pub(super) const MAX_NAME_BYTES: usize = 255;

/// Why a file was refused; the message is what the page shows beside it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum Refusal {
    #[error("this page takes no upload named {0:?}")]
    UnknownUpload(String),
    #[error("the file has no name")]
    NoName,
    #[error("the file name is {0} bytes long; at most 255 are taken")]
    NameTooLong(usize),
    #[error("the file name must not contain / or \\")]
    NameHasSeparator,
    #[error("the file name must not be . or ..")]
    NameIsDots,
    #[error("the file name must not contain control characters")]
    NameHasControl,
    #[error("too many files: at most {0} at a time")]
    TooMany(usize),
    #[error("{}", too_large(*.size, *.limit))]
    TooLarge { size: u64, limit: u64 },
    #[error("{declared} files are not accepted here (accepted: {accepted})")]
    WrongType { declared: String, accepted: String },
    #[error("the content is {found}, which is not accepted here (accepted: {accepted})")]
    WrongContent {
        found: &'static str,
        accepted: String,
    },
    #[error("the content does not look like {accepted}")]
    UnrecognisedContent { accepted: String },
    #[error(
        "the chunk says the file is {total} bytes, but the upload started as {declared} bytes"
    )]
    SizeChanged { total: u64, declared: u64 },
    #[error("a chunk at byte {offset} arrived where byte {expected} was due: chunks must come in order, without gaps or overlaps")]
    OutOfOrder { offset: u64, expected: u64 },
    #[error("a chunk goes past the end of the file ({end} of {total} bytes)")]
    PastEnd { end: u64, total: u64 },
    #[error("a chunk of {size} bytes is over the chunk limit of {limit}")]
    ChunkTooLarge { size: usize, limit: usize },
    #[error("a chunk is not valid base64")]
    BadBase64,
    #[error("the upload ended after {received} of {size} bytes")]
    Incomplete { received: u64, size: u64 },
    #[error("the file could not be stored")]
    Storage,
}

/// `1.5 MiB`, `300 KiB`, `12 bytes`.
pub(crate) fn size(bytes: u64) -> String {
    const KIB: f64 = 1024.0;
    let b = bytes as f64;
    if b >= KIB * KIB {
        format!("{:.1} MiB", b / KIB / KIB)
    } else if b >= KIB {
        format!("{:.0} KiB", b / KIB)
    } else {
        format!("{bytes} bytes")
    }
}

/// `12.0 MiB is over the limit of 10.0 MiB`, in bytes when rounding would
/// make the two look the same.
fn too_large(bytes: u64, limit: u64) -> String {
    let (a, b) = (size(bytes), size(limit));
    if a == b {
        format!("{bytes} bytes is over the limit of {limit} bytes")
    } else {
        format!("{a} is over the limit of {b}")
    }
}

/// A file name as it may be kept: a plain name, never a path.
pub(super) fn name(name: &str) -> Result<(), Refusal> {
    if name.is_empty() {
        return Err(Refusal::NoName);
    }
    if name.len() > MAX_NAME_BYTES {
        return Err(Refusal::NameTooLong(name.len()));
    }
    if name.contains(['/', '\\']) {
        return Err(Refusal::NameHasSeparator);
    }
    if name == "." || name == ".." {
        return Err(Refusal::NameIsDots);
    }
    if name.chars().any(char::is_control) {
        return Err(Refusal::NameHasControl);
    }
    Ok(())
}

/// The accepted types, for messages.
fn accepted(upload: &Upload) -> String {
    upload.accept.join(", ")
}

fn extension(name: &str) -> Option<String> {
    name.rsplit_once('.')
        .map(|(_, ext)| format!(".{}", ext.to_ascii_lowercase()))
}

/// Whether `mime` is one of the accepted types (by type, family, or the
/// extension that names it).
fn accepts_type(upload: &Upload, mime: &str) -> bool {
    let mime = canonical(mime);
    upload.accept.iter().any(|a| {
        if let Some(family) = a.strip_suffix("/*") {
            mime.split_once('/').is_some_and(|(f, _)| f == family)
        } else if a.starts_with('.') {
            type_of_extension(a) == Some(mime)
        } else {
            canonical(a) == mime
        }
    })
}

/// What the client declares: its name, type and size, before any byte.
pub(super) fn declared(
    upload: &Upload,
    file_name: &str,
    mime: &str,
    bytes: u64,
) -> Result<(), Refusal> {
    name(file_name)?;
    if bytes > upload.max_size {
        return Err(Refusal::TooLarge {
            size: bytes,
            limit: upload.max_size,
        });
    }
    if upload.accept.is_empty() {
        return Ok(());
    }
    let mime = mime.trim().to_ascii_lowercase();
    let ext = extension(file_name);
    let by_ext = ext
        .as_deref()
        .is_some_and(|e| upload.accept.iter().any(|a| a == e));
    if by_ext || accepts_type(upload, &mime) {
        return Ok(());
    }
    let declared = match (mime.is_empty() || mime == "application/octet-stream", ext) {
        (false, _) => mime,
        (true, Some(ext)) => ext,
        (true, None) => "untyped".into(),
    };
    Err(Refusal::WrongType {
        declared,
        accepted: accepted(upload),
    })
}

/// What the content's first bytes are, once they are in: a recognised type
/// must be accepted; content of no recognised type passes only if some
/// accepted type could not have been recognised anyway.
pub(super) fn content(upload: &Upload, head: &[u8]) -> Result<Option<&'static str>, Refusal> {
    let found = sniff(head);
    if upload.accept.is_empty() {
        return Ok(found);
    }
    match found {
        Some(found) if accepts_type(upload, found) => Ok(Some(found)),
        Some(found) => Err(Refusal::WrongContent {
            found,
            accepted: accepted(upload),
        }),
        None => {
            let opaque = upload.accept.iter().any(|a| {
                if a.starts_with('.') {
                    type_of_extension(a).is_none()
                } else {
                    // `image/*` also covers images we cannot recognise (SVG).
                    a.ends_with("/*") || !recognisable(a)
                }
            });
            if opaque {
                Ok(None)
            } else {
                Err(Refusal::UnrecognisedContent {
                    accepted: accepted(upload),
                })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn images() -> Upload {
        Upload::new()
            .accept(["image/png", "image/jpeg"])
            .max_size(1000)
    }

    #[test]
    fn names_that_could_be_paths_or_hide_characters_are_refused() {
        assert_eq!(name("../etc/passwd"), Err(Refusal::NameHasSeparator));
        assert_eq!(name("..\\boot.ini"), Err(Refusal::NameHasSeparator));
        assert_eq!(name(".."), Err(Refusal::NameIsDots));
        assert_eq!(name("a\0.png"), Err(Refusal::NameHasControl));
        assert_eq!(name("a\u{1b}[31m.png"), Err(Refusal::NameHasControl));
        assert_eq!(name(&"a".repeat(4096)), Err(Refusal::NameTooLong(4096)));
        assert_eq!(name(""), Err(Refusal::NoName));
        assert_eq!(name("<img src=x onerror=alert(1)>.png"), Ok(()));
        assert_eq!(name("..hidden.png"), Ok(()), "dots inside a name are fine");
    }

    #[test]
    fn declared_type_and_size_are_checked_before_any_byte() {
        let up = images();
        assert_eq!(declared(&up, "a.png", "image/png", 1000), Ok(()));
        assert_eq!(declared(&up, "a.jpg", "image/jpg", 10), Ok(()));
        assert_eq!(
            declared(&up, "a.png", "image/png", 1001),
            Err(Refusal::TooLarge {
                size: 1001,
                limit: 1000
            })
        );
        let refused = declared(&up, "notes.txt", "text/plain", 10).unwrap_err();
        assert_eq!(
            refused.to_string(),
            "text/plain files are not accepted here (accepted: image/png, image/jpeg)"
        );
        let by_ext = Upload::new().accept([".csv"]);
        assert_eq!(declared(&by_ext, "Data.CSV", "", 10), Ok(()));
        assert!(declared(&by_ext, "data.xls", "", 10).is_err());
        assert_eq!(declared(&Upload::new(), "x.bin", "", 10), Ok(()));
    }

    #[test]
    fn content_must_be_what_is_accepted() {
        let up = images();
        assert_eq!(
            content(&up, b"\x89PNG\r\n\x1a\n...."),
            Ok(Some("image/png"))
        );
        assert!(matches!(
            content(&up, b"MZ\x90\0 this is a program"),
            Err(Refusal::WrongContent {
                found: "application/x-msdownload",
                ..
            })
        ));
        assert!(matches!(
            content(&up, b"just some text"),
            Err(Refusal::UnrecognisedContent { .. })
        ));
        let any_image = Upload::new().accept(["image/*"]);
        assert_eq!(content(&any_image, b"<svg xmlns=..."), Ok(None));
        assert!(content(&any_image, b"%PDF-1.7").is_err());
        let text = Upload::new().accept(["text/plain"]);
        assert_eq!(content(&text, b"hello"), Ok(None));
        assert!(content(&text, b"\x7fELF\x02\x01").is_err());
    }

    #[test]
    fn sizes_read_like_a_person_writes_them() {
        assert_eq!(size(12), "12 bytes");
        assert_eq!(size(300 * 1024), "300 KiB");
        assert_eq!(size(5 * 1024 * 1024 + 1), "5.0 MiB");
    }
}
