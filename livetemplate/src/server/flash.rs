//! Flash messages across a plain form post.
//!
//! A form posted without JavaScript is answered with `303 See Other`; the
//! page the browser then loads must show what the action flashed
//! ([`Context::flash`](crate::Context::flash)), once. The messages travel in
//! a short-lived cookie, `lvt-flash`: set on the 303, read by the next GET of
//! that page and cleared by the same answer.
//!
//! The cookie is `HttpOnly`, `SameSite=Lax`, scoped to the page's path and
//! lives a minute. Its value is signed (HMAC-SHA256 with a key of this
//! server, over the session group, the page path and the messages): a
//! cookie set by someone else — another browser, a sibling subdomain —
//! shows nothing. The messages are plain data for the template, which
//! escapes them like any other value.

use axum::http::HeaderMap;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use hmac::{Hmac, KeyInit, Mac};
use serde_json::{Map, Value};
use sha2::Sha256;

use crate::identity::cookie;

/// The cookie's name.
pub(crate) const FLASH_COOKIE: &str = "lvt-flash";

/// Long enough for the redirect to be followed, short enough that a flash
/// nobody came back for does not turn up much later.
const MAX_AGE_SECS: u32 = 60;

/// Browsers keep cookies up to about 4 KB, name and attributes included.
/// Larger flashes stay in the server's memory instead (one instance only).
const MAX_VALUE_BYTES: usize = 3000;

/// The key flash cookies are signed with; random per server.
pub(crate) struct FlashKey([u8; 32]);

impl FlashKey {
    pub(crate) fn random() -> FlashKey {
        FlashKey(crate::random::bytes::<32>())
    }

    fn mac(&self, group: &str, path: &str, payload: &str) -> Hmac<Sha256> {
        let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(&self.0)
            .expect("HMAC takes a key of any length");
        for part in [group, path, payload] {
            mac.update(part.as_bytes());
            mac.update(&[0]);
        }
        mac
    }

    /// The `Set-Cookie` value carrying `flash` to the next GET of `path` by
    /// `group`, or `None` when there is nothing to carry or it is too large
    /// for a cookie.
    pub(crate) fn set_cookie(
        &self,
        group: &str,
        path: &str,
        flash: &Map<String, Value>,
    ) -> Option<String> {
        if flash.is_empty() {
            return None;
        }
        let json = serde_json::to_vec(flash).ok()?;
        let payload = URL_SAFE_NO_PAD.encode(json);
        let path = cookie_path(path);
        let signature = hex::encode(self.mac(group, path, &payload).finalize().into_bytes());
        let value = format!("{payload}.{signature}");
        (value.len() <= MAX_VALUE_BYTES).then(|| {
            format!(
                "{FLASH_COOKIE}={value}; Path={path}; HttpOnly; SameSite=Lax; Max-Age={MAX_AGE_SECS}"
            )
        })
    }

    /// The flash a request to `path` by `group` carries, if its cookie is
    /// there and its signature holds.
    pub(crate) fn read(
        &self,
        headers: &HeaderMap,
        group: &str,
        path: &str,
    ) -> Option<Map<String, Value>> {
        let value = cookie::get(headers, FLASH_COOKIE)?;
        let (payload, signature) = value.rsplit_once('.')?;
        let signature = hex::decode(signature).ok()?;
        // In constant time: a forger learns nothing from how long it took.
        self.mac(group, cookie_path(path), payload)
            .verify_slice(&signature)
            .ok()?;
        let json = URL_SAFE_NO_PAD.decode(payload).ok()?;
        serde_json::from_slice(&json).ok()
    }
}

/// Whether the request carries a flash cookie (valid or not).
pub(crate) fn present(headers: &HeaderMap) -> bool {
    cookie::get(headers, FLASH_COOKIE).is_some()
}

/// The `Set-Cookie` value that clears the flash cookie of `path`.
pub(crate) fn clear_cookie(path: &str) -> String {
    format!(
        "{FLASH_COOKIE}=; Path={}; HttpOnly; SameSite=Lax; Max-Age=0",
        cookie_path(path)
    )
}

/// The cookie's `Path`: the page's path, or `/` when it holds a character
/// that would end the attribute or the header.
fn cookie_path(path: &str) -> &str {
    let safe = path.starts_with('/')
        && path
            .bytes()
            .all(|b| b.is_ascii_graphic() && b != b';' && b != b',');
    if safe {
        path
    } else {
        "/"
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;
    use serde_json::json;

    fn request_with(set_cookie: &str) -> HeaderMap {
        let pair = set_cookie.split(';').next().unwrap();
        let mut headers = HeaderMap::new();
        headers.insert("cookie", HeaderValue::from_str(pair).unwrap());
        headers
    }

    fn flash() -> Map<String, Value> {
        json!({ "success": "Saved <b>" })
            .as_object()
            .unwrap()
            .clone()
    }

    #[test]
    fn a_flash_comes_back_to_its_group_and_page_only() {
        let key = FlashKey::random();
        let set = key.set_cookie("g1", "/notes", &flash()).unwrap();
        assert!(set.contains("Path=/notes; HttpOnly; SameSite=Lax; Max-Age=60"));
        let headers = request_with(&set);
        assert_eq!(key.read(&headers, "g1", "/notes"), Some(flash()));
        assert_eq!(key.read(&headers, "g2", "/notes"), None);
        assert_eq!(key.read(&headers, "g1", "/other"), None);
        assert_eq!(FlashKey::random().read(&headers, "g1", "/notes"), None);
    }

    #[test]
    fn a_changed_message_is_refused() {
        let key = FlashKey::random();
        let set = key.set_cookie("g", "/p", &flash()).unwrap();
        let (_, signature) = set.split(';').next().unwrap().rsplit_once('.').unwrap();
        let forged = URL_SAFE_NO_PAD.encode(br#"{"error":"Call us at 555"}"#);
        let headers = request_with(&format!("{FLASH_COOKIE}={forged}.{signature}"));
        assert_eq!(key.read(&headers, "g", "/p"), None);
    }

    #[test]
    fn nothing_or_too_much_sets_no_cookie() {
        let key = FlashKey::random();
        assert_eq!(key.set_cookie("g", "/p", &Map::new()), None);
        let mut big = Map::new();
        big.insert("info".into(), Value::String("x".repeat(4000)));
        assert_eq!(key.set_cookie("g", "/p", &big), None);
    }

    #[test]
    fn odd_paths_fall_back_to_the_root() {
        assert_eq!(cookie_path("/a;b"), "/");
        assert_eq!(cookie_path("/a b"), "/");
        assert_eq!(
            cookie_path("/feedback/flash-messages"),
            "/feedback/flash-messages"
        );
        assert!(
            clear_cookie("/x").contains("Path=/x;") && clear_cookie("/x").contains("Max-Age=0")
        );
    }
}
