//! What a file is, from its first bytes — for the types where that is cheap.

/// How many leading bytes [`sniff`] looks at.
pub(super) const HEAD: usize = 16;

/// Magic numbers: (offset, bytes, MIME type).
const MAGIC: &[(usize, &[u8], &str)] = &[
    (0, b"\x89PNG\r\n\x1a\n", "image/png"),
    (0, b"\xff\xd8\xff", "image/jpeg"),
    (0, b"GIF87a", "image/gif"),
    (0, b"GIF89a", "image/gif"),
    (8, b"WEBP", "image/webp"),
    (0, b"BM", "image/bmp"),
    (0, b"\x00\x00\x01\x00", "image/x-icon"),
    (0, b"%PDF-", "application/pdf"),
    (0, b"PK\x03\x04", "application/zip"),
    (0, b"\x1f\x8b", "application/gzip"),
    (0, b"\x7fELF", "application/x-executable"),
    (0, b"MZ", "application/x-msdownload"),
];

/// The type `head` (a file's first bytes) shows, if it is one we know.
pub(super) fn sniff(head: &[u8]) -> Option<&'static str> {
    MAGIC
        .iter()
        .find(|(at, magic, _)| head.get(*at..at + magic.len()) == Some(*magic))
        .map(|(_, _, mime)| *mime)
        // WebP is RIFF....WEBP: the WEBP alone could be anything.
        .filter(|mime| *mime != "image/webp" || head.starts_with(b"RIFF"))
}

/// Whether content of type `mime` can be recognised by [`sniff`].
pub(super) fn recognisable(mime: &str) -> bool {
    let mime = canonical(mime);
    MAGIC.iter().any(|(_, _, m)| *m == mime)
}

/// The type an extension names, for the types [`sniff`] knows.
pub(super) fn type_of_extension(ext: &str) -> Option<&'static str> {
    Some(match ext.trim_start_matches('.') {
        "png" => "image/png",
        "jpg" | "jpeg" | "jpe" => "image/jpeg",
        "gif" => "image/gif",
        "webp" => "image/webp",
        "bmp" => "image/bmp",
        "ico" => "image/x-icon",
        "pdf" => "application/pdf",
        "zip" => "application/zip",
        "gz" => "application/gzip",
        "exe" | "dll" => "application/x-msdownload",
        _ => return None,
    })
}

/// One spelling per type: `image/jpg` is `image/jpeg`.
pub(super) fn canonical(mime: &str) -> &str {
    match mime {
        "image/jpg" | "image/pjpeg" => "image/jpeg",
        "image/vnd.microsoft.icon" => "image/x-icon",
        "application/x-gzip" => "application/gzip",
        "application/x-zip-compressed" => "application/zip",
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_formats_are_recognised_by_their_first_bytes() {
        assert_eq!(sniff(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR"), Some("image/png"));
        assert_eq!(sniff(b"\xff\xd8\xff\xe0\0\x10JFIF"), Some("image/jpeg"));
        assert_eq!(sniff(b"RIFF\x10\0\0\0WEBPVP8 "), Some("image/webp"));
        assert_eq!(
            sniff(b"RIFF\x10\0\0\0WAVEfmt "),
            None,
            "a RIFF that is no WebP"
        );
        assert_eq!(sniff(b"MZ\x90\0"), Some("application/x-msdownload"));
        assert_eq!(sniff(b"hello, world"), None);
        assert_eq!(sniff(b""), None);
        assert!(recognisable("image/jpg"));
        assert!(!recognisable("text/plain"));
    }
}
