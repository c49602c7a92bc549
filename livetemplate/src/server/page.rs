//! The routes of one live page: GET (HTML or JSON), HEAD, POST (JSON or
//! form) and the WebSocket upgrade, all on the page's own URL.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use axum::extract::ws::WebSocketUpgrade;
use axum::extract::{FromRequestParts, OriginalUri, Query, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, MethodRouter};
use axum::Json;
use minijinja::Value as JinjaValue;
use serde_json::Value;

use super::flash;
use super::socket::resume::{token_script, Parking, TAB_PARAM};
use super::socket::{serve_socket, SocketConfig};
use super::{LiveTemplate, CLIENT_SCRIPT_PATH};
use crate::controller::{Caller, Controller, Link};
use crate::dispatch::{Dispatch, View};
use crate::identity::{cookie, Identity};
use crate::kept::Recent;
use crate::lock::lock;
use crate::protocol::{form, ClientMessage, Envelope, ErrorFrame};
use crate::redirect;
use crate::report::error_chain;
use crate::session::TaskScope;
use crate::template::RenderCache;
use crate::upload;

/// Inbound messages over this close the socket (1009); up to it they are
/// answered with an error frame when over the configured limit.
const HARD_MESSAGE_LIMIT: usize = 1024 * 1024;

/// How many HTTP-mode views a page keeps, and for how long unused.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ViewLimits {
    pub max: usize,
    pub idle: Duration,
}

impl Default for ViewLimits {
    fn default() -> ViewLimits {
        ViewLimits {
            max: 10_000,
            idle: Duration::from_secs(30 * 60),
        }
    }
}

struct PageState<C: Controller> {
    dispatch: Arc<Dispatch<C>>,
    live: LiveTemplate,
    layout: Option<(String, Value)>,
    /// State of clients acting over HTTP (their socket is down or
    /// disabled), one per session group, dropped when idle.
    http_views: Mutex<Recent<String, View<C>>>,
    /// Tabs whose socket dropped, kept for a while under their page load's
    /// token (see `socket::resume`).
    parking: Arc<Parking<C>>,
}

pub(crate) fn routes<C: Controller, S: Clone + Send + Sync + 'static>(
    dispatch: Dispatch<C>,
    live: LiveTemplate,
    layout: Option<(String, Value)>,
) -> MethodRouter<S> {
    let idle = live.inner.http_views.idle;
    let parking = Arc::new(Parking::new(
        live.inner.resume.grace,
        live.inner.resume_budget.clone(),
    ));
    let state = Arc::new(PageState {
        dispatch: Arc::new(dispatch),
        live,
        layout,
        http_views: Mutex::new(Recent::new(idle)),
        parking,
    });
    get(get_page::<C>)
        .head(head_page)
        .post(post_page::<C>)
        .with_state(state)
}

impl<C: Controller> PageState<C> {
    fn lock_views(&self) -> MutexGuard<'_, Recent<String, View<C>>> {
        lock(&self.http_views)
    }
}

/// Adds the protocol header, and the session cookie when the browser has none.
fn finish(mut response: Response, new_session: Option<&str>) -> Response {
    let headers = response.headers_mut();
    headers.insert(
        "x-livetemplate-websocket",
        HeaderValue::from_static("enabled"),
    );
    if let Some(id) = new_session {
        if let Ok(v) = HeaderValue::from_str(&cookie::set_cookie(id)) {
            headers.append(header::SET_COOKIE, v);
        }
    }
    response
}

async fn head_page(headers: HeaderMap) -> Response {
    let new = cookie::session_id(&headers)
        .is_none()
        .then(crate::random::id);
    finish(StatusCode::OK.into_response(), new.as_deref())
}

async fn get_page<C: Controller>(
    State(page): State<Arc<PageState<C>>>,
    request: Request,
) -> Response {
    let (mut parts, _) = request.into_parts();
    let mut query: HashMap<String, String> = match Query::try_from_uri(&parts.uri) {
        Ok(Query(q)) => q,
        Err(e) => return (StatusCode::BAD_REQUEST, e.to_string()).into_response(),
    };
    // A page load's token is the runtime's, not the page's query.
    let token = query.remove(TAB_PARAM);
    let headers = parts.headers.clone();
    let (identity, new_session) = page.live.identify(&headers);
    if is_websocket(&headers) {
        return match WebSocketUpgrade::from_request_parts(&mut parts, &()).await {
            Ok(ws) => upgrade(page, headers, (query, token), ws, identity),
            Err(rejection) => rejection.into_response(),
        };
    }
    let new_session = new_session.as_deref();
    let dispatch = &page.dispatch;
    let user = identity.user_id.clone();
    // After a plain form post, the page shows what the post did (the
    // errors once), as a live page would have.
    let posted = page.lock_views().get_mut(&identity.group).and_then(|view| {
        std::mem::take(&mut view.redirected).then(|| {
            let lvt = (
                std::mem::take(&mut view.errors),
                std::mem::take(&mut view.flash),
            );
            (view.state.clone(), lvt)
        })
    });
    // A flash set by a plain form post arrives in a cookie (see `flash`);
    // this answer shows it and clears the cookie, so it shows once.
    let path = parts.uri.path().to_string();
    let carried = page
        .live
        .inner
        .flash_key
        .read(&headers, &identity.group, &path);
    let forget = flash::present(&headers).then(|| flash::clear_cookie(&path));
    let respond =
        |response: Response| forget_flash(finish(response, new_session), forget.as_deref());
    let (state, (errors, mut flash)) = match posted {
        Some(posted) => posted,
        None => match dispatch
            .mount(query, &Arc::new(headers.clone()), &Arc::new(identity))
            .await
        {
            Ok(state) => (state, Default::default()),
            Err(e) => return respond(error_page(StatusCode::BAD_REQUEST, &e.to_string())),
        },
    };
    if let Some(carried) = carried {
        flash.extend(carried);
    }
    let tree = match dispatch.render(&state, &errors, &flash, &mut RenderCache::default()) {
        Ok(tree) => tree,
        Err(e) => {
            tracing::error!(error = %e, "page render failed");
            return respond(error_page(
                StatusCode::INTERNAL_SERVER_ERROR,
                "the page could not be rendered",
            ));
        }
    };
    if wants_json(&headers) {
        return respond(
            Json(Envelope::first(
                crate::diff::full(&tree),
                dispatch.capabilities(),
            ))
            .into_response(),
        );
    }
    let inner = tree.to_html();
    let mut wrapper = format!(
        r#"<div data-lvt-id="lvt-{}" data-lvt-loading="true">{inner}</div>"#,
        &crate::random::id()[..12]
    );
    if page.parking.enabled() {
        // This page load's token, for its socket to come back with.
        wrapper.push_str(&token_script(&crate::random::id()));
    }
    let html = match &page.layout {
        Some((layout, ctx)) => {
            let ctx = minijinja::context! {
                live => JinjaValue::from_safe_string(wrapper),
                client_script => CLIENT_SCRIPT_PATH,
                page => JinjaValue::from(minijinja::value::Serde(ctx)),
                user => user,
            };
            match page.live.templates().render_plain(layout, ctx) {
                Ok(html) => html,
                Err(e) => {
                    tracing::error!(error = %e, "layout render failed");
                    return respond(error_page(StatusCode::INTERNAL_SERVER_ERROR, "the page could not be rendered"));
                }
            }
        }
        None => format!(
            "<!doctype html><html><head><meta charset=\"utf-8\"><link rel=\"icon\" href=\"data:,\"><script defer src=\"{CLIENT_SCRIPT_PATH}\"></script></head><body>{wrapper}</body></html>"
        ),
    };
    respond(Html(html).into_response())
}

/// Adds the `Set-Cookie` that clears the flash cookie, if the request had one.
fn forget_flash(mut response: Response, clear: Option<&str>) -> Response {
    if let Some(Ok(v)) = clear.map(HeaderValue::from_str) {
        response.headers_mut().append(header::SET_COOKIE, v);
    }
    response
}

fn upgrade<C: Controller>(
    page: Arc<PageState<C>>,
    headers: HeaderMap,
    (query, token): (HashMap<String, String>, Option<String>),
    ws: WebSocketUpgrade,
    identity: Identity,
) -> Response {
    let shared = &page.live.inner;
    if let Err(refused) = shared.guard.check(&headers) {
        tracing::warn!(%refused, "cross-origin WebSocket refused");
        return refused.into_response();
    }
    let config = SocketConfig {
        max_message_bytes: shared.max_message_bytes,
        shutdown: shared.shutdown.clone(),
        topics: shared.topics.clone(),
        limits: shared.socket_limits,
    };
    let hard_limit = HARD_MESSAGE_LIMIT
        .max(shared.max_message_bytes)
        .max(page.dispatch.uploads.frame_limit());
    let dispatch = page.dispatch.clone();
    // Only a token this runtime could have made: 32 hex digits.
    let resume = token
        .filter(|t| {
            page.parking.enabled() && t.len() == 32 && t.bytes().all(|b| b.is_ascii_hexdigit())
        })
        .map(|t| (page.parking.clone(), Arc::from(t)));
    ws.max_message_size(hard_limit)
        .max_frame_size(hard_limit)
        // Actions are small: a frame larger than the read buffer grows it
        // (up to the message limit) and takes a few more reads. Pushes are
        // written out as they are made.
        .read_buffer_size(READ_BUFFER_BYTES)
        .write_buffer_size(0)
        .on_upgrade(move |socket| {
            serve_socket(
                socket,
                dispatch,
                identity,
                (query, detached(&headers)),
                config,
                resume,
            )
        })
}

/// A WebSocket's read buffer; each open connection holds one.
const READ_BUFFER_BYTES: usize = 2 * 1024;

/// A copy of `headers` that owns its values. Parsed header values are
/// slices of the HTTP connection's read buffer (16 KiB): a socket that kept
/// them for its lifetime would keep that whole buffer alive.
fn detached(headers: &HeaderMap) -> HeaderMap {
    let mut copy = HeaderMap::with_capacity(headers.len());
    for (name, value) in headers {
        let mut owned = HeaderValue::from_bytes(value.as_bytes()).unwrap_or_else(|_| value.clone());
        owned.set_sensitive(value.is_sensitive());
        copy.append(name.clone(), owned);
    }
    copy
}

/// POST: an action from a client whose socket is down (JSON), a plain
/// form submitted without JavaScript (urlencoded or, with files, multipart;
/// answered with a redirect), or an upload over HTTP (`X-Lvt-Upload`).
async fn post_page<C: Controller>(
    State(page): State<Arc<PageState<C>>>,
    OriginalUri(uri): OriginalUri,
    Query(mut query): Query<HashMap<String, String>>,
    request: Request,
) -> Response {
    query.remove(TAB_PARAM);
    let (parts, body) = request.into_parts();
    let headers = parts.headers;
    let shared = &page.live.inner;
    if let Err(refused) = shared.guard.check(&headers) {
        return refused.into_response();
    }
    let (identity, new_session) = page.live.identify(&headers);
    let new_session = new_session.as_deref();
    let group = identity.group.clone();
    let identity = Arc::new(identity);
    let dispatch = &page.dispatch;
    let refuse = |status: StatusCode, frame: ErrorFrame| {
        finish((status, Json(frame)).into_response(), new_session)
    };
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let upload_header = headers
        .get("x-lvt-upload")
        .and_then(|v| v.to_str().ok())
        .map(str::to_ascii_lowercase);
    // A form with files (with or without JavaScript), or the client's
    // one-request upload: read as it streams, files to temporary files.
    let multipart = if dispatch.uploads.is_empty() {
        None
    } else {
        upload::multipart::boundary(content_type)
    };
    let is_json = content_type.starts_with("application/json");
    let (parsed, received) = match multipart {
        Some(boundary) => {
            let limit = shared.max_message_bytes;
            match upload::multipart::receive(body, boundary, &dispatch.uploads, limit).await {
                Ok(mut received) => {
                    let fields = std::mem::take(&mut received.fields);
                    (
                        Ok(form::action_of(fields, |name| page.dispatch.answers(name))),
                        Some(received),
                    )
                }
                Err(e) => {
                    let status = match e {
                        upload::multipart::MultipartError::TooLarge(_)
                        | upload::multipart::MultipartError::FieldsTooLarge(_) => {
                            StatusCode::PAYLOAD_TOO_LARGE
                        }
                        _ => StatusCode::BAD_REQUEST,
                    };
                    return refuse(status, ErrorFrame::new("upload_refused", e.to_string()));
                }
            }
        }
        None => {
            let limit = shared.max_message_bytes;
            let body = match axum::body::to_bytes(body, limit).await {
                Ok(body) => body,
                Err(e) => {
                    let e = e.into_inner();
                    // Over the limit, or the body broke off (or did not
                    // arrive in time): two different answers.
                    if e.is::<http_body_util::LengthLimitError>() {
                        let msg = format!("request body is over the limit of {limit} bytes");
                        return refuse(
                            StatusCode::PAYLOAD_TOO_LARGE,
                            ErrorFrame::new("message_too_large", msg),
                        );
                    }
                    return refuse(
                        StatusCode::BAD_REQUEST,
                        ErrorFrame::new("body_unreadable", error_chain(&*e)),
                    );
                }
            };
            match upload_header.as_deref() {
                // The upload handshake with the socket down: the entries' verdicts.
                Some("start") => {
                    return match serde_json::from_slice::<upload::protocol::Start>(&body) {
                        Ok(start) => finish(
                            Json(upload::multipart::start(&dispatch.uploads, start))
                                .into_response(),
                            new_session,
                        ),
                        Err(e) => refuse(
                            StatusCode::BAD_REQUEST,
                            ErrorFrame::new("malformed_message", e.to_string()),
                        ),
                    };
                }
                // Only direct-to-storage uploads complete over HTTP; this
                // server stages every upload itself.
                Some("complete") => {
                    return refuse(
                        StatusCode::BAD_REQUEST,
                        ErrorFrame::new(
                            "upload_not_direct",
                            "uploads here are sent to this server, not to storage: there is nothing to complete",
                        ),
                    );
                }
                _ => {}
            }
            let parsed = if is_json {
                ClientMessage::parse_bytes(&body, limit)
                    .map(|msg| (msg.action_name().to_string(), msg.data_map()))
            } else {
                form::action(&body, |name| page.dispatch.answers(name))
            };
            (parsed, None)
        }
    };
    let (action, data) = match parsed {
        Ok(parsed) => parsed,
        Err(e) => return refuse(StatusCode::BAD_REQUEST, ErrorFrame::of(&e)),
    };
    // Holds the request's files until the handler ran: dropping it deletes
    // what the handler did not move.
    let received_files = received.is_some();
    let (files, refused, _temps) = match received {
        Some(r) => (r.files, r.refused, r.temps),
        None => Default::default(),
    };
    // Answered as JSON unless a browser posted the form itself (the
    // client's own multipart posts ask for JSON).
    let answer_json =
        is_json || upload_header.is_some() || (received_files && wants_json(&headers));

    // Mounting may wait for the store, so it happens outside the lock.
    let mut mounted = None;
    let (update, flash_cookie) = loop {
        let needs_view = mounted.is_none() && {
            let mut views = page.lock_views();
            views.expire();
            if !views.contains(&group) && views.len() >= shared.http_views.max {
                drop(views);
                // Full: nothing to mount for (and a flood mounts nothing).
                return finish(views_full(), new_session);
            }
            !views.contains(&group)
        };
        if needs_view {
            let headers = Arc::new(headers.clone());
            match dispatch.mount(query.clone(), &headers, &identity).await {
                Ok(state) => mounted = Some(state),
                Err(err) => {
                    return finish(
                        (StatusCode::BAD_REQUEST, err.to_string()).into_response(),
                        new_session,
                    )
                }
            }
        }
        let mut views = page.lock_views();
        views.expire();
        let view = match (views.contains(&group), mounted.take()) {
            (true, _) => views.get_mut(&group),
            // Full: refuse rather than drop another group's view (made-up
            // cookies are free; the views of real visitors are not).
            (false, Some(_)) if views.len() >= shared.http_views.max => {
                drop(views);
                return finish(views_full(), new_session);
            }
            (false, Some(state)) => Some(views.insert(group.clone(), View::new(state))),
            (false, None) => None,
        };
        // Dropped since it was looked up: mount again.
        let Some(view) = view else { continue };
        // The client's tree is unknown over HTTP: answer with the full tree.
        view.tree = None;
        view.rendered = None;
        // Tasks started over HTTP have no connection to end with; they end
        // with the server.
        let link = Arc::new(Link {
            registry: dispatch.registry.clone(),
            page: dispatch.page.clone(),
            identity,
            conn: None,
            tasks: TaskScope::new(&shared.shutdown, dispatch.metrics.clone()),
            topics: shared.topics.clone(),
            drop: Arc::default(),
        });
        let outcome = if refused.is_empty() {
            let action = Arc::from(action.as_str());
            let data = Arc::new(data);
            dispatch.run_with_files(view, &action, data, &link, Caller::Client, None, files)
        } else {
            // A refused file fails the whole post: the handler does not run.
            dispatch.fail(view, &action, upload::refusals(refused))
        };
        // Nobody waits on this answer's frame yet: drop it here, lock held or not.
        view.release();
        if let Some(effects) = outcome.effects {
            dispatch.spread(&link, effects, Caller::Client);
        }
        view.redirected = !answer_json;
        // The page after the redirect shows the flash from a cookie (it
        // may be served by another instance, or after this view was
        // dropped); one too large for a cookie stays with the view.
        let carry = if answer_json {
            None
        } else {
            let cookie = shared.flash_key.set_cookie(&group, uri.path(), &view.flash);
            if cookie.is_some() {
                view.flash.clear();
            }
            cookie
        };
        break (
            Envelope::update(outcome.update.into_value(), &view.errors, Some(&action)),
            carry,
        );
    };
    if answer_json {
        finish(Json(update).into_response(), new_session)
    } else {
        let location = uri
            .path_and_query()
            .map(|p| p.as_str())
            .unwrap_or("/")
            .to_string();
        finish(
            redirect::see_other(&location, flash_cookie.as_deref()),
            new_session,
        )
    }
}

/// `503`: every slot for HTTP-mode views is taken by a group active
/// within the idle time.
fn views_full() -> Response {
    let message = "this page keeps state for too many visitors without a live connection; try again in a few minutes";
    let mut response = (
        StatusCode::SERVICE_UNAVAILABLE,
        Json(ErrorFrame::new("too_many_sessions", message)),
    )
        .into_response();
    response
        .headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from_static("60"));
    response
}

fn is_websocket(headers: &HeaderMap) -> bool {
    headers
        .get(header::UPGRADE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("websocket"))
}

fn wants_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("application/json") && !v.contains("text/html"))
}

fn error_page(status: StatusCode, message: &str) -> Response {
    let body = format!(
        "<!doctype html><meta charset=\"utf-8\"><title>Error</title><p>{}</p>",
        minijinja::HtmlEscape(message)
    );
    (status, Html(body)).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Bytes;

    #[test]
    fn sockets_keep_header_copies_not_the_request_buffer() {
        // As hyper parses them: values are slices of one read buffer.
        let buffer = Bytes::from(vec![b'x'; 16 * 1024]);
        let mut headers = HeaderMap::new();
        let value = HeaderValue::from_maybe_shared(buffer.slice(0..5)).unwrap();
        headers.insert(header::COOKIE, value);
        let copy = detached(&headers);
        assert_eq!(copy[header::COOKIE], "xxxxx");
        let inside = buffer.as_ptr_range();
        assert!(!inside.contains(&copy[header::COOKIE].as_bytes().as_ptr()));
    }
}
