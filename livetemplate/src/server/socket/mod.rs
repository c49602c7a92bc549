//! One WebSocket connection: mount, first frame, then actions from the
//! client and pushes from the session, one at a time, until it closes.
//!
//! What one connection may hold is bounded: a frame being written and one
//! waiting (see [`writer`]), a bounded mailbox of pushes, and a rate of
//! actions (see [`rate`]). Every end the client can still hear gets a
//! close frame with a code and a reason (see [`close`]).

mod close;
mod ping;
mod rate;
pub(crate) mod resume;
mod writer;

pub(crate) use ping::Ping;
pub(crate) use rate::Rate;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::extract::ws::{Message, Utf8Bytes, WebSocket};
use axum::http::HeaderMap;
use futures_util::{FutureExt, StreamExt};
use serde_json::{Map, Value};
use tokio_util::sync::CancellationToken;

use self::close::Close;
use self::ping::{Pinger, Tick};
use self::rate::{Limiter, Verdict};
use self::resume::{Held, Parking};
use self::writer::Writer;
use crate::controller::{ActionError, Caller, Controller, Effects, Link, TopicRules};
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
    pub limits: SocketLimits,
}

/// What one connection may cost, as set on the [`Builder`](crate::Builder).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct SocketLimits {
    /// A write that makes no progress for this long closes the connection.
    pub write_timeout: Duration,
    /// Actions a client may send; `None`: no limit.
    pub rate: Option<Rate>,
    /// When to ping a silent client, and close it; `None`: never.
    pub ping: Option<Ping>,
}

/// The write timeout unless the builder says otherwise.
pub(crate) const DEFAULT_WRITE_TIMEOUT: Duration = Duration::from_secs(30);

impl Default for SocketLimits {
    fn default() -> SocketLimits {
        SocketLimits {
            write_timeout: DEFAULT_WRITE_TIMEOUT,
            rate: Some(Rate::default()),
            ping: Some(Ping::default()),
        }
    }
}

/// How long a closing connection waits for its close frame to go out and
/// for the client's answer.
const CLOSE_WAIT: Duration = Duration::from_secs(2);

/// Serves one connection until the client leaves or the server shuts down.
/// Its tasks are cancelled and it is unregistered before this returns —
/// unless its socket dropped and `resume` keeps it for a while (see
/// [`resume`]): then a socket with the same page load's token takes it back.
pub(crate) async fn serve_socket<C: Controller>(
    socket: WebSocket,
    page: Arc<Dispatch<C>>,
    identity: Identity,
    request: (HashMap<String, String>, HeaderMap),
    config: SocketConfig,
    resume: Option<(Arc<Parking<C>>, Arc<str>)>,
) {
    let (query, headers) = request;
    let headers = Arc::new(headers);
    let _live = page.metrics.connection_opened();
    let (sink, mut stream) = socket.split();
    let limits = config.limits;
    let writer = Writer::start(sink, limits.write_timeout);
    let resumed = match &resume {
        Some((parking, token)) => parking.resume(token, &identity).await,
        None => None,
    };
    let (held, effects) = match resumed {
        Some(held) => (held, None),
        None => match open(&page, identity, query, &headers, &config).await {
            Ok(opened) => opened,
            Err(e) => {
                let frame = ErrorFrame::new("mount_failed", e.to_string());
                let _ = writer.frames.send(Message::text(frame.to_text())).await;
                writer
                    .finish(Some(Close::FAILED.message()), CLOSE_WAIT)
                    .await;
                return;
            }
        },
    };
    let Held {
        mut view,
        registration,
        mut mailbox,
        link,
    } = held;
    // A drop asked for while the tab was away is not for the socket it
    // came back on.
    let _ = link.drop.notified().now_or_never();
    // Only the frame's text, moved into the send: the first tree as JSON
    // values is several times the page, and must not live as long as the
    // connection. (A resumed view has no tree either: the whole tree.)
    let first = match page.refresh(&mut view) {
        Ok(tree) => Envelope::first(tree, page.capabilities()).to_text(),
        Err(e) => {
            tracing::error!(error = %e, "first render failed");
            let frame = ErrorFrame::new("render_failed", "the page could not be rendered");
            let _ = writer.frames.send(Message::text(frame.to_text())).await;
            writer
                .finish(Some(Close::FAILED.message()), CLOSE_WAIT)
                .await;
            Held {
                view,
                registration,
                mailbox,
                link,
            }
            .end(&page);
            return;
        }
    };
    let _ = writer.frames.send(Message::text(first)).await;
    // Open under its token: the same page load coming back on another
    // socket (before this one is known to be dead) takes its view over.
    // (A token another session holds is not this one's to keep.)
    let entered = resume
        .as_ref()
        .and_then(|(parking, token)| parking.enter(token, &link.identity));
    let resume = resume.filter(|_| entered.is_some());
    let replaced = entered
        .as_ref()
        .map_or_else(CancellationToken::new, |e| e.replaced.clone());
    if let Some(effects) = effects {
        page.spread(&link, effects, Caller::Server);
    }

    let mut limiter = limits.rate.map(Limiter::new);
    // Until when a flooding client is not read (see `Verdict::Hold`).
    let mut held: Option<Instant> = None;
    let mut pinger = limits.ping.map(Pinger::new);
    let ping_timer = tokio::time::sleep(pinger.as_ref().map_or(Duration::MAX / 4, Pinger::first));
    tokio::pin!(ping_timer);
    let overflow = mailbox.overflow().clone();
    // How the loop ended: a close frame to send, or none (the client left,
    // or cannot be written to).
    let close: Option<Close>;
    // Whether the socket ended without the client saying so (the network
    // dropped, the peer went silent): then the tab may come back.
    let mut dropped = false;
    // One wait for the whole connection, not one made and dropped per frame.
    let shutdown = config.shutdown.cancelled();
    tokio::pin!(shutdown);
    loop {
        // Pushes already queued go first, so a client never sees its own
        // reply overtake an update that was decided before its message.
        // While the writer is busy, pushes change the state unrendered
        // (`view.defer`), and client frames wait: one frame catches up.
        tokio::select! {
            biased;
            _ = &mut shutdown => {
                close = Some(Close::GOING_AWAY);
                break;
            }
            _ = writer.gone.cancelled() => {
                close = None;
                dropped = true;
                break;
            }
            _ = overflow.cancelled() => {
                close = Some(Close::BEHIND);
                break;
            }
            _ = replaced.cancelled() => {
                close = Some(Close::REPLACED);
                dropped = true;
                break;
            }
            // A handler asked for it (`Context::drop_connection`): end
            // as a failing network does, once its reply is out.
            () = link.drop.notified() => {
                close = None;
                dropped = true;
                break;
            }
            // The writer took its frame: render what waits, or read on.
            // (A guard is not a wake-up: this is what wakes the loop.)
            permit = writer.frames.reserve(), if view.stale || !writer.is_free() => {
                let Ok(permit) = permit else {
                    close = None;
                    dropped = true;
                    break;
                };
                if view.stale {
                    view.defer = false;
                    let update = page.refresh(&mut view).unwrap_or_else(|e| {
                        tracing::error!(error = %e, "render failed");
                        Value::Object(Map::new())
                    });
                    view.stale = false;
                    permit.send(Message::text(Envelope::update(update, &view.errors, None).to_text()));
                }
            }
            Some(push) = mailbox.recv() => {
                let permit = writer.frames.try_reserve().ok();
                view.defer = permit.is_none();
                let frame = run_push(&page, &mut view, &link, push).await;
                if let (Some(permit), false) = (permit, view.stale) {
                    permit.send(Message::text(frame));
                }
            }
            () = hold_ends(held), if held.is_some() => held = None,
            () = &mut ping_timer, if pinger.is_some() => {
                let Some(pinger) = pinger.as_mut() else { continue };
                // A write under way is progress enough (a peer that stops
                // taking it is the write timeout's business).
                if !writer.is_free() {
                    pinger.heard();
                }
                let next = match pinger.tick() {
                    Tick::Wait(after) => after,
                    Tick::Ping(after) => {
                        let _ = writer.frames.try_send(Message::Ping(Default::default()));
                        after
                    }
                    Tick::Dead => {
                        tracing::info!("a client did not answer a ping: closing it");
                        close = Some(Close::SILENT);
                        dropped = true;
                        break;
                    }
                };
                ping_timer.as_mut().reset(tokio::time::Instant::now() + next);
            }
            frame = stream.next(), if writer.is_free() && !view.stale && held.is_none() => {
                if let (Some(pinger), Some(Ok(_))) = (pinger.as_mut(), &frame) {
                    pinger.heard();
                }
                let text = match frame {
                    Some(Ok(Message::Text(text))) => text,
                    Some(Ok(Message::Binary(_))) => {
                        let _ = writer.frames.try_send(Message::text(ErrorFrame::of(&FrameError::Binary).to_text()));
                        continue;
                    }
                    Some(Ok(Message::Ping(_) | Message::Pong(_))) => continue,
                    Some(Ok(Message::Close(_))) => {
                        close = None;
                        break;
                    }
                    // The connection ended without a close frame.
                    None => {
                        close = None;
                        dropped = true;
                        break;
                    }
                    Some(Err(e)) => {
                        close = Close::for_read_error(e);
                        dropped = true;
                        break;
                    }
                };
                let read = Instant::now();
                let message = parse(&page, &text, config.max_message_bytes);
                // Upload chunks are bounded by the upload's own limits, and
                // a file takes many: they do not count against the rate.
                let uploading = matches!(&message, Ok(msg) if page.is_upload(msg.action_name()));
                let verdict = match limiter.as_mut() {
                    Some(limiter) if !uploading => limiter.check(read),
                    _ => Verdict::Run,
                };
                let replies = match verdict {
                    Verdict::Run => {
                        view.defer = false;
                        let (replies, heartbeat) = answer(&page, &mut view, &link, &headers, message, &text).await;
                        // Heartbeats are not what a person waits for: keep them out of the figure.
                        if !heartbeat {
                            page.metrics.answered(read.elapsed());
                        }
                        replies
                    }
                    // A heartbeat is answered all the same (a missing pong
                    // makes the client reconnect), but counts.
                    Verdict::Refuse if is_ping(&message) => vec![Utf8Bytes::from_static(PONG)],
                    Verdict::Refuse => vec![rate_limited(&message, limits.rate.unwrap_or_default())],
                    Verdict::Hold(until) => {
                        tracing::debug!("a client sends over twice the rate limit: not reading it for a while");
                        held = Some(until);
                        vec![rate_limited(&message, limits.rate.unwrap_or_default())]
                    }
                    Verdict::Close => {
                        tracing::warn!("a client kept sending over the rate limit: closing it");
                        close = Some(Close::RATE);
                        break;
                    }
                };
                // One frame fits the writer's free slot; an upload's several
                // wait for it in turn (each write is bounded by the timeout).
                for reply in replies {
                    if writer.frames.send(Message::text(reply)).await.is_err() {
                        break;
                    }
                }
            }
        }
        view.release();
    }

    let held = Held {
        view,
        registration,
        mailbox,
        link,
    };
    let unkept = match resume {
        Some((parking, token)) if dropped => {
            parking.park(page.clone(), token, held, config.shutdown.clone())
        }
        _ => Some(held),
    };
    if let Some(held) = unkept {
        held.end(&page);
    }
    drop(entered);
    if writer.gone.is_cancelled() {
        // The client is gone or cannot be written to: nothing to tell it.
        return;
    }
    writer.finish(close.map(Close::message), CLOSE_WAIT).await;
    if close.is_none() && dropped {
        // Dropped on purpose: the socket goes unread and unclosed, as if
        // the network had failed (no close frame).
        return;
    }
    // Read on until the client answers our close (closing with its data
    // unread would reset the connection), or to send the answer to its.
    let _ = tokio::time::timeout(CLOSE_WAIT, async {
        while let Some(Ok(_)) = stream.next().await {}
    })
    .await;
}

/// A new connection: registered, its state mounted, `on_connect` run (its
/// effects are spread once the first frame is out).
async fn open<C: Controller>(
    page: &Arc<Dispatch<C>>,
    identity: Identity,
    query: HashMap<String, String>,
    headers: &Arc<HeaderMap>,
    config: &SocketConfig,
) -> Result<(Held<C>, Option<Effects>), ActionError> {
    let (registration, mailbox) = page.registry.register(ConnInfo {
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
        drop: Arc::default(),
    });
    let state = page.mount(query, headers, &link.identity).await?;
    let mut view = View::<C>::new(state);
    let effects = page.connect(&mut view, &link);
    let held = Held {
        view,
        registration,
        mailbox,
        link,
    };
    Ok((held, effects))
}

/// Resolves when a hold ends (never, if there is none).
async fn hold_ends(held: Option<Instant>) {
    match held {
        Some(until) => tokio::time::sleep_until(until.into()).await,
        None => std::future::pending().await,
    }
}

/// Runs one push on the view; its frame, unless the render was deferred.
pub(super) async fn run_push<C: Controller>(
    page: &Dispatch<C>,
    view: &mut View<C>,
    link: &Arc<Link>,
    push: Push,
) -> Utf8Bytes {
    match push {
        Push::Action {
            action,
            data,
            shared,
        } => {
            let outcome = page.run_shared(view, &action, data, link, Caller::Server, Some(&shared));
            if let Some(effects) = outcome.effects {
                page.spread(link, effects, Caller::Server);
            }
            outcome.update.into_frame(&view.errors, None)
        }
        Push::SyncTab => {
            let outcome = page.sync_tab(view, link).await;
            if let Some(effects) = outcome.effects {
                page.spread(link, effects, Caller::Server);
            }
            outcome.update.into_frame(&view.errors, None)
        }
        Push::Apply(change) => {
            let update = page.apply(view, change, &link.identity.group);
            Envelope::update(update, &view.errors, None)
                .to_text()
                .into()
        }
        Push::Resync => {
            let update = page.resync(view, link).await;
            Envelope::update(update, &view.errors, None)
                .to_text()
                .into()
        }
    }
}

const PONG: &str = r#"{"pong":true}"#;

fn is_ping(message: &Result<ClientMessage, FrameError>) -> bool {
    matches!(message, Ok(msg) if msg.action_name() == PING)
}

/// Parses a client's frame. An upload chunk may be larger than an action;
/// nothing else may.
fn parse<C: Controller>(
    page: &Dispatch<C>,
    text: &str,
    limit: usize,
) -> Result<ClientMessage, FrameError> {
    let chunk_limit = limit.max(page.uploads.frame_limit());
    let msg = ClientMessage::parse(text, chunk_limit)?;
    if text.len() <= limit || msg.action_name() == upload::CHUNK {
        Ok(msg)
    } else {
        Err(FrameError::TooLarge {
            size: text.len(),
            limit,
        })
    }
}

/// The answer to an action refused by the rate limit: nothing changed,
/// and why (with the action, so a form waiting on it is released).
fn rate_limited(message: &Result<ClientMessage, FrameError>, rate: Rate) -> Utf8Bytes {
    let action = message.as_ref().ok().map(ClientMessage::action_name);
    let mut errors = Map::new();
    errors.insert(
        "_rate_limit".into(),
        format!(
            "too many actions: at most {} a second (bursts of {}); slow down",
            rate.per_second, rate.burst
        )
        .into(),
    );
    Envelope::update(Value::Object(Map::new()), &errors, action)
        .to_text()
        .into()
}

/// The frames answering one client frame (an upload message may have
/// several), and whether it was a heartbeat.
async fn answer<C: Controller>(
    page: &Dispatch<C>,
    view: &mut View<C>,
    link: &Arc<Link>,
    headers: &Arc<HeaderMap>,
    message: Result<ClientMessage, FrameError>,
    text: &str,
) -> (Vec<Utf8Bytes>, bool) {
    let msg = match message {
        Ok(msg) => msg,
        Err(e) => return (vec![ErrorFrame::of(&e).to_text().into()], false),
    };
    if page.is_upload(msg.action_name()) {
        return (
            page.upload_message(view, link, msg.action_name(), text),
            false,
        );
    }
    let reply = match msg.action_name() {
        PING => return (vec![Utf8Bytes::from_static(PONG)], true),
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
    (vec![reply], false)
}
