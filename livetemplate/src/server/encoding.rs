//! Which precompressed form of a static file a request may receive
//! (`Accept-Encoding`, RFC 9110 §12.5.3), and whether its cached copy is
//! still good (`If-None-Match`, §13.1.2).

use axum::http::{header, HeaderMap};

/// A form the runtime keeps a static file in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Coding {
    /// `br`.
    Brotli,
    /// `gzip`.
    Gzip,
    /// As is.
    Identity,
}

/// The best coding the request accepts: the higher `q` wins, brotli on a
/// tie (it is smaller); as is when the request names neither (nor `*`) with
/// a `q` above zero. An item whose `q` does not parse is ignored rather than
/// guessed at.
pub(crate) fn negotiate(request: &HeaderMap) -> Coding {
    let (mut br, mut gzip, mut any) = (None, None, None);
    let items = request
        .get_all(header::ACCEPT_ENCODING)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','));
    for item in items {
        let mut parts = item.split(';');
        let name = parts.next().unwrap_or_default().trim();
        let Some(q) = quality(parts) else { continue };
        let slot = if name.eq_ignore_ascii_case("br") {
            &mut br
        } else if name.eq_ignore_ascii_case("gzip") || name.eq_ignore_ascii_case("x-gzip") {
            &mut gzip
        } else if name == "*" {
            &mut any
        } else {
            continue;
        };
        // A coding listed twice keeps its best weight.
        *slot = Some(slot.map_or(q, |old: f32| old.max(q)));
    }
    // `*` stands for the codings not named on their own.
    let br = br.or(any).unwrap_or(0.0);
    let gzip = gzip.or(any).unwrap_or(0.0);
    if br > 0.0 && br >= gzip {
        Coding::Brotli
    } else if gzip > 0.0 {
        Coding::Gzip
    } else {
        Coding::Identity
    }
}

/// The `q` parameter of one item (1 when absent); `None` when malformed.
fn quality<'a>(params: impl Iterator<Item = &'a str>) -> Option<f32> {
    let mut q = 1.0;
    for param in params {
        let (key, value) = param.split_once('=')?;
        if key.trim().eq_ignore_ascii_case("q") {
            q = value.trim().parse::<f32>().ok()?;
            if !(0.0..=1.0).contains(&q) {
                return None;
            }
        }
    }
    Some(q)
}

/// Whether the request's `If-None-Match` names `etag` (or is `*`), so a
/// `304 Not Modified` will do. Weak comparison, as the RFC asks for this header.
pub(crate) fn not_modified(request: &HeaderMap, etag: &str) -> bool {
    let ours = opaque(etag);
    request
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .any(|tag| tag == "*" || opaque(tag) == ours)
}

fn opaque(tag: &str) -> &str {
    tag.strip_prefix("W/").unwrap_or(tag)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn accepting(values: &[&str]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for v in values {
            headers.append(header::ACCEPT_ENCODING, v.parse().unwrap());
        }
        headers
    }

    #[test]
    fn picks_brotli_over_gzip_unless_weighted_lower() {
        let cases: &[(&[&str], Coding)] = &[
            (&["gzip, deflate, br, zstd"], Coding::Brotli),
            (&["gzip, deflate"], Coding::Gzip),
            (&["GZIP"], Coding::Gzip),
            (&["br;q=0.5, gzip"], Coding::Gzip),
            (&["br;q=1.0, gzip;q=0.8"], Coding::Brotli),
            (&["gzip", "br"], Coding::Brotli),
            (&[], Coding::Identity),
            (&[""], Coding::Identity),
            (&["identity"], Coding::Identity),
            (&["deflate, zstd"], Coding::Identity),
            (&["br;q=0, gzip;q=0"], Coding::Identity),
            (&["*"], Coding::Brotli),
            (&["*, br;q=0"], Coding::Gzip),
            (&["*;q=0"], Coding::Identity),
            (&["br;q=banana, gzip"], Coding::Gzip),
            (&["br;q=2"], Coding::Identity),
            (&["br;level"], Coding::Identity),
            (&["br ; q=0.9 , gzip ; q=0.1"], Coding::Brotli),
        ];
        for (values, expected) in cases {
            assert_eq!(negotiate(&accepting(values)), *expected, "{values:?}");
        }
    }

    #[test]
    fn if_none_match_compares_weakly() {
        let mut headers = HeaderMap::new();
        assert!(!not_modified(&headers, "\"abc\""));
        headers.insert(header::IF_NONE_MATCH, "\"x\", W/\"abc\"".parse().unwrap());
        assert!(not_modified(&headers, "\"abc\""));
        assert!(!not_modified(&headers, "\"abd\""));
        headers.insert(header::IF_NONE_MATCH, "*".parse().unwrap());
        assert!(not_modified(&headers, "\"abc\""));
    }
}
