//! [`SignedCookieAuth`]: sign-in by name with an HMAC-signed cookie.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Form, Router};
use hmac::{Hmac, KeyInit, Mac};
use serde::Deserialize;
use sha2::Sha256;

use super::{cookie, Authenticator, Identity};
use crate::redirect::see_other;
use crate::LiveTemplate;

/// Sign-in by name with an HMAC-SHA256 signed cookie; the group is the user.
///
/// Not a password check: it proves only that this server issued the cookie.
/// Good for demos and for apps that put a real login in front of it.
///
/// ```
/// use livetemplate::{LiveTemplate, SignedCookieAuth, Templates};
/// let auth = SignedCookieAuth::new(b"a secret of at least 32 bytes....");
/// let live = LiveTemplate::builder(Templates::from_dir("templates"))
///     .authenticator(auth.clone())
///     .build();
/// // POST /auth/sign-in (form: name, return_to) and POST /auth/sign-out:
/// let app: axum::Router = axum::Router::new().nest("/auth", auth.routes(&live));
/// ```
#[derive(Clone)]
pub struct SignedCookieAuth {
    key: std::sync::Arc<[u8]>,
}

impl std::fmt::Debug for SignedCookieAuth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the key.
        f.debug_struct("SignedCookieAuth").finish_non_exhaustive()
    }
}

/// The cookie holding `name.signature`.
pub const USER_COOKIE: &str = "livetemplate-user";

/// A name [`SignedCookieAuth`] refuses.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a user name is 1 to 32 letters, digits, '-', '_' or '.' (got {0:?})")]
pub struct InvalidUserName(pub String);

impl SignedCookieAuth {
    /// Signs with `key` (use 32 random bytes; a restart with a new key signs everyone out).
    pub fn new(key: &[u8]) -> SignedCookieAuth {
        SignedCookieAuth { key: key.into() }
    }

    /// Signs with a random key: sign-ins last as long as the process.
    ///
    /// # Panics
    ///
    /// If the operating system's random source fails: a guessable key would
    /// let anyone sign in as anyone.
    pub fn random() -> SignedCookieAuth {
        SignedCookieAuth::new(&crate::random::bytes::<32>())
    }

    fn mac(&self, name: &str) -> Hmac<Sha256> {
        let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(&self.key)
            .expect("HMAC takes a key of any length");
        mac.update(name.as_bytes());
        mac
    }

    fn signature(&self, name: &str) -> String {
        hex::encode(self.mac(name).finalize().into_bytes())
    }

    /// The `Set-Cookie` value that signs `name` in.
    pub fn sign_in_cookie(&self, name: &str) -> Result<String, InvalidUserName> {
        let name = name.trim();
        let valid = (1..=32).contains(&name.len())
            && name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
        if !valid {
            return Err(InvalidUserName(name.to_string()));
        }
        Ok(format!(
            "{USER_COOKIE}={name}.{}; Path=/; HttpOnly; SameSite=Lax; Max-Age=2592000",
            self.signature(name)
        ))
    }

    /// The `Set-Cookie` value that signs out.
    pub fn sign_out_cookie(&self) -> String {
        format!("{USER_COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0")
    }

    /// The signed-in user of a request, if its cookie's signature holds.
    pub fn user(&self, headers: &HeaderMap) -> Option<String> {
        let value = cookie::get(headers, USER_COOKIE)?;
        let (name, signature) = value.rsplit_once('.')?;
        let signature = hex::decode(signature).ok()?;
        // In constant time: a forger learns nothing from how long it took.
        self.mac(name)
            .verify_slice(&signature)
            .ok()
            .map(|()| name.to_string())
    }

    /// `POST /sign-in` (form fields `name`, optional `return_to`) and
    /// `POST /sign-out`; both answer 303 back to `return_to` when it is a
    /// path on this site, else to `/`.
    ///
    /// Both check where the request comes from as `live`'s pages do
    /// (hosts, origins, scheme): another site cannot sign a visitor in as
    /// someone else, or out.
    pub fn routes<S: Clone + Send + Sync + 'static>(&self, live: &LiveTemplate) -> Router<S> {
        Router::new()
            .route("/sign-in", post(sign_in))
            .route("/sign-out", post(sign_out))
            .with_state(Routes {
                auth: self.clone(),
                live: live.clone(),
            })
    }
}

impl Authenticator for SignedCookieAuth {
    fn identify(&self, headers: &HeaderMap) -> Option<Identity> {
        let user = self.user(headers)?;
        Some(Identity {
            group: format!("user:{user}"),
            user_id: Some(user),
        })
    }

    fn handoff_cookie(&self, identity: &Identity) -> Option<String> {
        self.sign_in_cookie(identity.user_id.as_deref()?).ok()
    }
}

#[derive(Deserialize)]
struct SignInForm {
    name: String,
    #[serde(default)]
    return_to: Option<String>,
}

#[derive(Deserialize)]
struct SignOutForm {
    #[serde(default)]
    return_to: Option<String>,
}

#[derive(Clone)]
struct Routes {
    auth: SignedCookieAuth,
    live: LiveTemplate,
}

async fn sign_in(
    State(routes): State<Routes>,
    headers: HeaderMap,
    Form(form): Form<SignInForm>,
) -> Response {
    if let Err(refused) = routes.live.check_request(&headers) {
        return refused.into_response();
    }
    match routes.auth.sign_in_cookie(&form.name) {
        Ok(cookie) => see_other(form.return_to.as_deref().unwrap_or("/"), Some(&cookie)),
        Err(e) => (StatusCode::BAD_REQUEST, e.to_string()).into_response(),
    }
}

async fn sign_out(
    State(routes): State<Routes>,
    headers: HeaderMap,
    Form(form): Form<SignOutForm>,
) -> Response {
    if let Err(refused) = routes.live.check_request(&headers) {
        return refused.into_response();
    }
    let cookie = routes.auth.sign_out_cookie();
    see_other(form.return_to.as_deref().unwrap_or("/"), Some(&cookie))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_cookie(cookie: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(axum::http::header::COOKIE, cookie.parse().unwrap());
        h
    }

    #[test]
    fn a_signed_name_is_the_user_and_its_group() {
        let auth = SignedCookieAuth::new(b"k");
        let set = auth.sign_in_cookie(" ana ").unwrap();
        let value = set.split(';').next().unwrap();
        let id = auth.identify(&with_cookie(value)).unwrap();
        assert_eq!(id.user_id.as_deref(), Some("ana"));
        assert_eq!(id.group, "user:ana");
    }

    #[test]
    fn forged_or_foreign_cookies_are_anonymous() {
        let auth = SignedCookieAuth::new(b"k");
        let other = SignedCookieAuth::new(b"other key");
        let foreign = other.sign_in_cookie("ana").unwrap();
        let foreign = foreign.split(';').next().unwrap();
        assert_eq!(auth.user(&with_cookie(foreign)), None);
        assert_eq!(auth.user(&with_cookie("livetemplate-user=ana.00")), None);
        assert_eq!(auth.user(&with_cookie("livetemplate-user=ana")), None);
    }

    #[test]
    fn names_are_checked() {
        let auth = SignedCookieAuth::new(b"k");
        for bad in ["", "a b", "<script>", &"x".repeat(33), "a;b"] {
            assert!(auth.sign_in_cookie(bad).is_err(), "{bad:?}");
        }
    }
}
