//! The host allow-list. A page on another site whose name an attacker
//! points at 127.0.0.1 (DNS rebinding) is same-origin with itself in the
//! browser, so checking `Origin` against `Host` cannot tell; but its `Host`
//! header still names the attacker's domain, and that is what is refused.

use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use axum::body::{Body, Bytes, HttpBody};
use axum::http::uri::Authority;
use axum::http::{header, HeaderMap, Request, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::BoxError;

/// The hosts a runtime answers to: loopback names, the addresses it
/// listens on, and the names allowed on its builder.
#[derive(Debug, Default)]
pub(crate) struct Hosts {
    allowed: Vec<Allowed>,
    listening: Vec<SocketAddr>,
}

/// One `allow_host` entry; without a port it matches any port.
#[derive(Debug)]
struct Allowed {
    name: String,
    port: Option<u16>,
}

/// A request for a host this server does not answer to.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("this server does not answer to the host {host:?}; if it should, allow it with Builder::allow_host (a name pointing at this server that nobody allowed is what DNS rebinding looks like)")]
pub(crate) struct Misdirected {
    host: String,
}

impl IntoResponse for Misdirected {
    fn into_response(self) -> Response {
        (StatusCode::MISDIRECTED_REQUEST, self.to_string()).into_response()
    }
}

impl Hosts {
    pub(crate) fn allow(&mut self, host: &str) {
        let (name, port) = split(host).unwrap_or_else(|| (host.trim().to_ascii_lowercase(), None));
        self.allowed.push(Allowed { name, port });
    }

    pub(crate) fn listen_on(&mut self, addr: SocketAddr) {
        self.listening.push(addr);
    }

    /// Checks the request's host: the URI's authority (HTTP/2, absolute
    /// form), else its `Host` header.
    pub(crate) fn check_request<B>(&self, request: &Request<B>) -> Result<(), Misdirected> {
        match request.uri().authority() {
            Some(authority) => self.check(Some(authority.as_str())),
            None => self.check_headers(request.headers()),
        }
    }

    pub(crate) fn check_headers(&self, headers: &HeaderMap) -> Result<(), Misdirected> {
        match headers.get(header::HOST) {
            None => self.check(None),
            Some(value) => match value.to_str() {
                Ok(host) => self.check(Some(host)),
                Err(_) => Err(Misdirected {
                    host: String::from_utf8_lossy(value.as_bytes()).into_owned(),
                }),
            },
        }
    }

    /// `host` is `name[:port]`, as a `Host` header carries it.
    fn check(&self, host: Option<&str>) -> Result<(), Misdirected> {
        // Every browser sends a host; a client that does not is not one a
        // rebinding page can drive.
        let Some(host) = host else { return Ok(()) };
        let refused = || Misdirected {
            host: host.to_string(),
        };
        let (name, port) = split(host).ok_or_else(refused)?;
        let ip = ip_of(&name);
        let loopback = name == "localhost" || ip.is_some_and(|ip| ip.to_canonical().is_loopback());
        let allowed = self
            .allowed
            .iter()
            .any(|a| a.name == name && (a.port.is_none() || a.port == port));
        // An address literal cannot be rebound: the browser's origin is the
        // address itself. So a server listening on every address (0.0.0.0)
        // answers to any of them; a name still has to be allowed.
        let listening = ip.is_some_and(|ip| {
            self.listening
                .iter()
                .any(|addr| addr.ip().is_unspecified() || addr.ip() == ip)
        });
        if loopback || allowed || listening {
            Ok(())
        } else {
            Err(refused())
        }
    }
}

/// `name[:port]` → lower-cased name without a trailing dot, and the port.
fn split(host: &str) -> Option<(String, Option<u16>)> {
    let authority: Authority = host.trim().parse().ok()?;
    if authority.as_str().contains('@') {
        return None;
    }
    let name = authority.host().trim_end_matches('.').to_ascii_lowercase();
    (!name.is_empty()).then(|| (name, authority.port_u16()))
}

/// The address a host name spells, if it is an address (`[::1]` included).
fn ip_of(name: &str) -> Option<IpAddr> {
    let bare = name
        .strip_prefix('[')
        .and_then(|n| n.strip_suffix(']'))
        .unwrap_or(name);
    bare.parse().ok()
}

/// A tower layer refusing, with `421 Misdirected Request`, every request
/// whose `Host` the runtime does not answer to; from
/// [`LiveTemplate::host_check`](crate::LiveTemplate::host_check).
#[derive(Debug, Clone)]
pub struct HostCheckLayer {
    pub(crate) hosts: Arc<Hosts>,
}

impl<S> tower_layer::Layer<S> for HostCheckLayer {
    type Service = HostCheck<S>;

    fn layer(&self, inner: S) -> HostCheck<S> {
        HostCheck {
            inner,
            hosts: self.hosts.clone(),
        }
    }
}

/// The service [`HostCheckLayer`] wraps around another.
#[derive(Debug, Clone)]
pub struct HostCheck<S> {
    inner: S,
    hosts: Arc<Hosts>,
}

impl<S, B, ResB> tower_service::Service<Request<B>> for HostCheck<S>
where
    S: tower_service::Service<Request<B>, Response = axum::http::Response<ResB>>,
    S::Error: Send + 'static,
    S::Future: Send + 'static,
    ResB: HttpBody<Data = Bytes> + Send + 'static,
    ResB::Error: Into<BoxError>,
{
    type Response = Response;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Response, S::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<B>) -> Self::Future {
        if let Err(refused) = self.hosts.check_request(&request) {
            tracing::warn!(host = %refused.host, "request for an unknown host refused");
            let response = refused.into_response();
            return Box::pin(async move { Ok(response) });
        }
        let answer = self.inner.call(request);
        Box::pin(async move { Ok(answer.await?.map(Body::new)) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hosts() -> Hosts {
        let mut hosts = Hosts::default();
        hosts.allow("Gallery.Example");
        hosts.allow("lan.example:8443");
        hosts.listen_on("192.168.1.5:8420".parse().unwrap());
        hosts
    }

    #[test]
    fn loopback_listening_and_allowed_hosts_pass() {
        let hosts = hosts();
        for ok in [
            "localhost",
            "localhost:8420",
            "LOCALHOST.",
            "127.0.0.1:1",
            "127.0.0.2",
            "[::1]:8420",
            "[::ffff:127.0.0.1]",
            "gallery.example",
            "gallery.example.:80",
            "lan.example:8443",
            "192.168.1.5:8420",
        ] {
            assert_eq!(hosts.check(Some(ok)), Ok(()), "{ok}");
        }
        assert_eq!(hosts.check(None), Ok(()));
    }

    #[test]
    fn other_hosts_are_misdirected() {
        let hosts = hosts();
        for bad in [
            "evil.example",
            "localhost.evil.example",
            "evil.localhost",
            "lan.example:8444",
            "192.168.1.6:8420",
            "user@localhost",
            "",
            "a b",
        ] {
            assert!(hosts.check(Some(bad)).is_err(), "{bad}");
        }
    }

    #[test]
    fn listening_on_every_address_accepts_address_literals_only() {
        let mut hosts = Hosts::default();
        hosts.listen_on("0.0.0.0:8420".parse().unwrap());
        assert_eq!(hosts.check(Some("10.1.2.3:8420")), Ok(()));
        assert!(hosts.check(Some("rebound.example:8420")).is_err());
    }
}
