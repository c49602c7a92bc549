//! How other devices and tabs reach this gallery: the address a phone can
//! open a hand-off link at (and its QR code), and how many tabs a browser's
//! session group has open.

use std::net::{IpAddr, SocketAddr, UdpSocket};

use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use livetemplate::Authenticator;
use serde::Deserialize;
use serde_json::json;

use crate::catalog::Gallery;

/// Where a phone on the same network can reach this server, or why it cannot.
#[derive(Debug, Clone)]
pub(crate) enum PhoneReach {
    /// `http://<LAN address>:<port>`.
    At(String),
    Not(String),
}

impl PhoneReach {
    /// From the address the server listens on: every interface means the
    /// machine's LAN address; loopback means no phone can reach it.
    pub(crate) fn of(listening_on: Option<SocketAddr>) -> PhoneReach {
        let Some(addr) = listening_on else {
            return PhoneReach::Not("this gallery does not know the address it listens on".into());
        };
        let ip = addr.ip();
        if ip.is_loopback() {
            return PhoneReach::Not(format!(
                "this gallery listens on {addr}, which only this computer can reach; \
                 start it with --addr 0.0.0.0:{} (on a network you trust) to hand off to a phone",
                addr.port()
            ));
        }
        let ip = if ip.is_unspecified() {
            match lan_address() {
                Some(lan) => lan,
                None => {
                    return PhoneReach::Not(
                        "this computer has no network address a phone could reach".into(),
                    )
                }
            }
        } else {
            ip
        };
        let host = match ip {
            IpAddr::V6(v6) => format!("[{v6}]"),
            IpAddr::V4(v4) => v4.to_string(),
        };
        PhoneReach::At(format!("http://{host}:{}", addr.port()))
    }
}

/// The address this machine would send from to reach the outside: its LAN
/// address. Connecting a UDP socket sends nothing; it only picks a route.
fn lan_address() -> Option<IpAddr> {
    let socket = UdpSocket::bind("0.0.0.0:0").ok()?;
    socket.connect("192.0.2.1:9").ok()?; // TEST-NET-1: never reached
    let ip = socket.local_addr().ok()?.ip();
    (!ip.is_loopback() && !ip.is_unspecified()).then_some(ip)
}

#[derive(Clone)]
struct ReachState {
    gallery: Gallery,
    phone: PhoneReach,
}

/// `GET /api/reach.json`, `GET /api/handoff-qr.svg?link=…`, `GET /api/group.json`.
pub(crate) fn routes(gallery: &Gallery, phone: PhoneReach) -> Router {
    Router::new()
        .route("/api/reach.json", get(reach_json))
        .route("/api/handoff-qr.svg", get(handoff_qr))
        .route("/api/group.json", get(group_json))
        .with_state(ReachState {
            gallery: gallery.clone(),
            phone,
        })
}

async fn reach_json(State(state): State<ReachState>) -> impl IntoResponse {
    match state.phone {
        PhoneReach::At(base) => Json(json!({ "phone_base": base })),
        PhoneReach::Not(why) => Json(json!({ "phone_base": null, "why": why })),
    }
}

#[derive(Deserialize)]
struct Link {
    link: String,
}

/// A hand-off link (`/_lvt/handoff/…`) at the phone's address, as a QR code.
async fn handoff_qr(
    State(state): State<ReachState>,
    Query(Link { link }): Query<Link>,
) -> Response {
    let PhoneReach::At(base) = state.phone else {
        return (StatusCode::NOT_FOUND, "no address a phone can reach").into_response();
    };
    if !link.starts_with("/_lvt/handoff/") {
        return (StatusCode::BAD_REQUEST, "only hand-off links are drawn").into_response();
    }
    match qrcode::QrCode::new(format!("{base}{link}").as_bytes()) {
        Ok(code) => {
            let svg = code
                .render::<qrcode::render::svg::Color<'_>>()
                .min_dimensions(220, 220)
                .quiet_zone(true)
                .build();
            ([(header::CONTENT_TYPE, "image/svg+xml")], svg).into_response()
        }
        Err(e) => (StatusCode::BAD_REQUEST, format!("QR code: {e}")).into_response(),
    }
}

/// How many live tabs the asking browser's session group has, on any page:
/// its signed-in user's, else its `livetemplate-id` cookie's.
async fn group_json(State(state): State<ReachState>, headers: HeaderMap) -> impl IntoResponse {
    let group = state
        .gallery
        .auth
        .identify(&headers)
        .map(|identity| identity.group)
        .or_else(|| cookie(&headers, "livetemplate-id"));
    let tabs = group.map_or(0, |g| {
        state.gallery.live.sessions().group(&g).live_connections()
    });
    Json(json!({ "tabs": tabs }))
}

fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(n, _)| *n == name)
        .map(|(_, value)| value.to_string())
}
