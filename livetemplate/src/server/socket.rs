//! One WebSocket connection: mount, first frame, then actions from the
//! client and pushes from the session, one at a time, until it closes.

use std::collections::HashMap;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;
use std::time::Instant;

use axum::extract::ws::{Message, Utf8Bytes, WebSocket};
use axum::http::HeaderMap;
use serde_json::{Map, Value};
use tokio_util::sync::CancellationToken;

use crate::controller::{Caller, Controller, Link, TopicRules};
use crate::dispatch::{Dispatch, View};
use crate::identity::Identity;
use crate::protocol::{ClientMessage, Envelope, ErrorFrame, FrameError, NAVIGATE, PING};
use crate::session::{ConnInfo, Push, TaskScope};
use crate::upload::protocol as upload;

/// Settings a connection needs from its server.
#[derive(Clone)]
pub(crate) struct SocketConfig {
    pub max_message_bytes: usize,
    pub shutdown: CancellationToken,
    pub topics: TopicRules,
}

/// Serves one connection until the client leaves or the server shuts down.
/// Its tasks are cancelled and it is unregistered before this returns.
pub(crate) async fn serve_socket<C: Controller>(
    mut socket: WebSocket,
    page: Arc<Dispatch<C>>,
    identity: Identity,
    request: (HashMap<String, String>, HeaderMap),
    config: SocketConfig,
) {
    let (query, headers) = request;
    let headers = Arc::new(headers);
    let _live = page.metrics.connection_opened();
    let (registration, mut mailbox) = page.registry.register(ConnInfo {
        page: page.page.clone(),
        group: Arc::from(identity.group.as_str()),
        user: identity.user_id.as_deref().map(Arc::from),
    });
    let link = Arc::new(Link {
        registry: page.registry.clone(),
        page: page.page.clone(),
        conn: Some(registration.id),
        tasks: TaskScope::new(&config.shutdown, page.metrics.clone()),
        topics: config.topics.clone(),
        identity: Arc::new(identity),
    });

    let state = match page.mount(query, &headers, &link.identity).await {
        Ok(state) => state,
        Err(e) => {
            let frame = ErrorFrame::new("mount_failed", e.to_string());
            let _ = socket.send(Message::text(frame.to_text())).await;
            return;
        }
    };
    let mut view = View::<C>::new(state);
    let effects = page.connect(&mut view, &link);
    // Only the frame's text, moved into the send: the first tree as JSON
    // values is several times the page, and must not live as long as the
    // connection.
    let first = match page.refresh(&mut view) {
        Ok(tree) => Envelope::first(tree, page.capabilities()).to_text(),
        Err(e) => {
            tracing::error!(error = %e, "first render failed");
            let frame = ErrorFrame::new("render_failed", "the page could not be rendered");
            let _ = socket.send(Message::text(frame.to_text())).await;
            return;
        }
    };
    let mut open = socket.send(Message::text(first)).await.is_ok();
    if let Some(effects) = effects {
        page.spread(&link, effects, Caller::Server);
    }

    // When the client's frame being answered was read.
    let mut answering = None;
    // Frames that go out before the reply (an upload message's answers).
    let mut before = Vec::new();
    // One wait for the whole connection, not one made and dropped per frame.
    let shutdown = config.shutdown.cancelled();
    tokio::pin!(shutdown);
    while open {
        // Pushes already queued go first, so a client never sees its own
        // reply overtake an update that was decided before its message.
        let reply = tokio::select! {
            biased;
            _ = &mut shutdown => break,
            Some(push) = mailbox.recv() => Some(match push {
                Push::Action { action, data, shared } => {
                    let outcome = page.run_shared(&mut view, &action, data, &link, Caller::Server, Some(&shared));
                    if let Some(effects) = outcome.effects {
                        page.spread(&link, effects, Caller::Server);
                    }
                    outcome.update.into_frame(&view.errors, None)
                }
                Push::SyncTab => {
                    let outcome = page.sync_tab(&mut view, &link).await;
                    if let Some(effects) = outcome.effects {
                        page.spread(&link, effects, Caller::Server);
                    }
                    outcome.update.into_frame(&view.errors, None)
                }
                Push::Apply(change) => {
                    let update = page.apply(&mut view, change, &link.identity.group);
                    Envelope::update(update, &view.errors, None).to_text().into()
                }
                Push::Resync => {
                    let update = page.resync(&mut view, &link).await;
                    Envelope::update(update, &view.errors, None).to_text().into()
                }
            }),
            frame = socket.recv() => match frame {
                Some(Ok(Message::Text(text))) => {
                    let read = Instant::now();
                    let (reply, heartbeat) = answer(&page, &mut view, &link, &headers, &text, config.max_message_bytes, &mut before).await;
                    // Heartbeats are not what a person waits for: keep them out of the figure.
                    answering = (!heartbeat).then_some(read);
                    reply
                }
                Some(Ok(Message::Binary(_))) => Some(ErrorFrame::of(&FrameError::Binary).to_text().into()),
                Some(Ok(Message::Ping(_) | Message::Pong(_))) => None,
                Some(Ok(Message::Close(_))) | Some(Err(_)) | None => break,
            },
        };
        for text in before.drain(..) {
            open = open && socket.send(Message::text(text)).await.is_ok();
        }
        if let Some(text) = reply.filter(|_| open) {
            open = socket.send(Message::text(text)).await.is_ok();
        }
        if let Some(started) = answering.take() {
            page.metrics.answered(started.elapsed());
        }
        view.release();
    }

    link.tasks.cancel();
    drop(registration);
    let state = &view.state;
    if catch_unwind(AssertUnwindSafe(|| page.controller.on_disconnect(state))).is_err() {
        tracing::error!("on_disconnect panicked");
    }
}

/// The reply to one text frame (if it has one), and whether it answered a
/// heartbeat; an upload message's frames go in `frames`.
async fn answer<C: Controller>(
    page: &Dispatch<C>,
    view: &mut View<C>,
    link: &Arc<Link>,
    headers: &Arc<HeaderMap>,
    text: &str,
    limit: usize,
    frames: &mut Vec<Utf8Bytes>,
) -> (Option<Utf8Bytes>, bool) {
    // An upload chunk may be larger than an action; nothing else may.
    let chunk_limit = limit.max(page.uploads.frame_limit());
    let msg = match ClientMessage::parse(text, chunk_limit) {
        Ok(msg) if text.len() <= limit || msg.action_name() == upload::CHUNK => msg,
        Ok(_) => {
            let e = FrameError::TooLarge {
                size: text.len(),
                limit,
            };
            return (Some(ErrorFrame::of(&e).to_text().into()), false);
        }
        Err(e) => return (Some(ErrorFrame::of(&e).to_text().into()), false),
    };
    if upload::is_upload_action(msg.action_name()) && !page.uploads.is_empty() {
        frames.extend(page.upload_message(view, link, msg.action_name(), text));
        return (None, false);
    }
    let reply = match msg.action_name() {
        PING => return (Some(Utf8Bytes::from_static(r#"{"pong":true}"#)), true),
        NAVIGATE => {
            let query = msg
                .data_map()
                .into_iter()
                .map(|(k, v)| match v {
                    Value::String(s) => (k, s),
                    other => (k, other.to_string()),
                })
                .collect();
            match page.mount(query, headers, &link.identity).await {
                Ok(state) => {
                    view.state = state;
                    view.errors.clear();
                }
                Err(e) => view.errors = e.to_map(),
            }
            let update = page.refresh(view).unwrap_or_else(|e| {
                tracing::error!(error = %e, "render failed after navigate");
                Value::Object(Map::new())
            });
            Envelope::update(update, &view.errors, Some(NAVIGATE))
                .to_text()
                .into()
        }
        action => {
            let outcome = page.run(view, action, Arc::new(msg.data_map()), link, Caller::Client);
            if let Some(effects) = outcome.effects {
                page.spread(link, effects, Caller::Client);
            }
            outcome.update.into_frame(&view.errors, Some(action))
        }
    };
    (Some(reply), false)
}
