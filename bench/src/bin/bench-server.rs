//! The server the load client measures (started by `lvt-load`, one process
//! per instance, so its memory can be read from `/proc`).
//!
//! - `/counter`: a live counter page (`increment`).
//! - `/fanout`: a live page whose connections all subscribe to `all`;
//!   `POST /publish` runs `bump` on every one of them, on every instance.
//! - `/echo`: a raw WebSocket echo on the same runtime: the physical baseline
//!   of a round trip.
//! - `/raw-fanout`: raw WebSockets that `POST /raw-publish` writes one fixed
//!   frame to, through a broadcast channel: the physical baseline of a fan-out.
//! - `/table` (10,000 rows, `toggle`), `/document` (50,000 lines, `edit`)
//!   and `/list` (the table with 1,000 rows, for the browser): big pages.
//! - `/state-bytes/{page}`: the size of a page's starting state as JSON.
//! - `/feed`: a live page showing a text; `POST /feed/{group}` pushes a new
//!   4 KiB text to every feed connection of that session group (cookie
//!   `livetemplate-id`), for the slow-reader probe.
//! - `/gauges`: live connections and tasks (`connections tasks`).
//! - `/counter`'s `hold` action starts a task that lives as long as its
//!   connection, for the churn soak.
//!
//! Every response is cross-origin isolated (COOP + COEP), so a browser
//! measuring a page gets `performance.now()` at its finest resolution.

use axum::extract::ws::{Message, Utf8Bytes, WebSocket, WebSocketUpgrade};
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use clap::Parser;
use livetemplate::{
    ActionError, Actions, Context, Controller, LiveTemplate, Metrics, Sessions, Templates,
};
use lvt_bench::pages::{
    self, Document, Table, DOCUMENT_LINES, DOCUMENT_TEMPLATE, LIST_ROWS, TABLE_ROWS, TABLE_TEMPLATE,
};
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use tokio::sync::broadcast;

#[derive(Parser)]
struct Args {
    #[arg(long, default_value = "127.0.0.1:0")]
    addr: String,
    #[arg(long)]
    redis_url: Option<String>,
    #[arg(long, default_value = "bench")]
    instance_name: String,
    /// Actions per second and burst per connection, as `50,100`; without
    /// it, no limit (the round-trip figures send as fast as replies come).
    #[arg(long)]
    rate_limit: Option<String>,
    /// Seconds a write may make no progress before the connection closes.
    #[arg(long, default_value_t = 30)]
    write_timeout: u64,
}

struct Counter;

#[derive(Clone, Default, Serialize, Deserialize)]
struct Count {
    count: i64,
}

impl Controller for Counter {
    type State = Count;
    fn actions(actions: &mut Actions<Self>) {
        actions
            .on("increment", |_, s, _| {
                s.count += 1;
                Ok(())
            })
            .on("hold", |_, _, ctx| {
                ctx.spawn(std::future::pending())?;
                Ok(())
            });
    }
}

struct Feed;

#[derive(Clone, Default, Serialize, Deserialize)]
struct FeedState {
    n: i64,
    text: String,
}

impl Controller for Feed {
    type State = FeedState;
    fn actions(actions: &mut Actions<Self>) {
        actions.on("post", |_, s, ctx| {
            s.n = ctx.get_int("n").unwrap_or_default();
            s.text = ctx.get_string("text").unwrap_or_default();
            Ok(())
        });
    }
}

const FEED: &str = r#"<p>Post {{ n }}</p><pre>{{ text }}</pre>"#;

/// Pushes post `n` (the body) with a 4 KiB text to a group's feed tabs.
async fn feed(
    State(sessions): State<Sessions>,
    Path(group): Path<String>,
    body: String,
) -> impl IntoResponse {
    let n: i64 = body.trim().parse().unwrap_or(0);
    let text = format!("{n:08} {}", "lorem ipsum ".repeat(340));
    let reached = sessions
        .group(&group)
        .trigger_action("post", serde_json::json!({ "n": n, "text": text }))
        .unwrap_or(0);
    reached.to_string()
}

/// `connections tasks`, as the runtime counts them now.
async fn gauges(State(metrics): State<Arc<Metrics>>) -> String {
    format!("{} {}", metrics.connections(), metrics.tasks())
}

struct Fanout;

impl Controller for Fanout {
    type State = Count;
    fn actions(actions: &mut Actions<Self>) {
        actions.on("bump", |_, s, ctx| {
            s.count = ctx.get_int("n").unwrap_or_default();
            Ok(())
        });
    }
    fn on_connect(&self, _: &mut Count, ctx: &mut Context<Self>) -> Result<(), ActionError> {
        ctx.subscribe("all")?;
        Ok(())
    }
}

const COUNTER: &str = r#"<p>Count: {{ count }}</p><button name="increment">+1</button>"#;
const FANOUT: &str = r#"<p>Value: {{ count }}</p>"#;

async fn publish(State(sessions): State<Sessions>, body: String) -> impl IntoResponse {
    let n: i64 = body.trim().parse().unwrap_or(0);
    let reached = sessions
        .topic("all")
        .trigger_action("bump", serde_json::json!({ "n": n }))
        .unwrap_or(0);
    reached.to_string()
}

/// The frames `/raw-publish` sends to every `/raw-fanout` socket.
type RawFrames = broadcast::Sender<Utf8Bytes>;

async fn raw_publish(State(frames): State<RawFrames>, body: String) -> impl IntoResponse {
    // The size of the live page's push frame for the same value.
    let frame = format!(r#"{{"tree":{{"0":{}}}}}"#, body.trim());
    frames.send(frame.into()).unwrap_or(0).to_string()
}

async fn raw_fanout(ws: WebSocketUpgrade, State(frames): State<RawFrames>) -> impl IntoResponse {
    // The live pages' buffer settings, so only the runtime differs.
    ws.read_buffer_size(2 * 1024)
        .write_buffer_size(0)
        .on_upgrade(move |mut socket: WebSocket| async move {
            let mut frames = frames.subscribe();
            if socket.send(Message::text("{}")).await.is_err() {
                return;
            }
            loop {
                tokio::select! {
                    frame = frames.recv() => match frame {
                        Ok(text) => {
                            if socket.send(Message::Text(text)).await.is_err() {
                                break;
                            }
                        }
                        Err(broadcast::error::RecvError::Lagged(_)) => {}
                        Err(broadcast::error::RecvError::Closed) => break,
                    },
                    message = socket.recv() => match message {
                        Some(Ok(Message::Close(_)) | Err(_)) | None => break,
                        Some(Ok(_)) => {}
                    },
                }
            }
        })
}

/// The server-side answer time of client frames: `p50 p99 count`, in ns.
async fn answer_time(State(metrics): State<Arc<Metrics>>) -> String {
    let nanos = |q| metrics.answer_time(q).map_or(0, |d| d.as_nanos());
    format!("{} {} {}", nanos(0.5), nanos(0.99), metrics.answers())
}

/// The size of a page's starting state as JSON, in bytes.
async fn state_bytes(Path(page): Path<String>) -> Result<String, StatusCode> {
    let bytes = match page.as_str() {
        "counter" => serde_json::to_vec(&Count::default()).map(|j| j.len()).ok(),
        other => pages::state_bytes(other),
    };
    bytes.map(|b| b.to_string()).ok_or(StatusCode::NOT_FOUND)
}

/// Cross-origin isolation: without it Chromium coarsens `performance.now()`
/// to 100 µs, too coarse for the browser benchmark's split.
async fn isolate(mut response: Response) -> Response {
    let headers = response.headers_mut();
    headers.insert(
        "cross-origin-opener-policy",
        HeaderValue::from_static("same-origin"),
    );
    headers.insert(
        "cross-origin-embedder-policy",
        HeaderValue::from_static("require-corp"),
    );
    response
}

async fn echo(ws: WebSocketUpgrade) -> impl IntoResponse {
    ws.on_upgrade(|mut socket: WebSocket| async move {
        while let Some(Ok(message)) = socket.recv().await {
            let reply = match message {
                Message::Text(t) => Message::Text(t),
                Message::Binary(b) => Message::Binary(b),
                Message::Close(_) => break,
                _ => continue,
            };
            if socket.send(reply).await.is_err() {
                break;
            }
        }
    })
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = Args::parse();
    let templates = Templates::from_fn(|name| match name {
        "counter.html" => Some(COUNTER.into()),
        "fanout.html" => Some(FANOUT.into()),
        "table.html" => Some(TABLE_TEMPLATE.into()),
        "document.html" => Some(DOCUMENT_TEMPLATE.into()),
        "feed.html" => Some(FEED.into()),
        _ => None,
    });
    let mut live = LiveTemplate::builder(templates)
        .instance_name(args.instance_name)
        .allow_topics(|_, topic| topic == "all")
        .write_timeout(std::time::Duration::from_secs(args.write_timeout));
    live = match args.rate_limit.as_deref().and_then(|r| r.split_once(',')) {
        Some((rate, burst)) => live.rate_limit(rate.parse()?, burst.parse()?),
        None => live.no_rate_limit(),
    };
    if let Some(url) = &args.redis_url {
        let redis = livetemplate::redis::Redis::connect(url).await?;
        live = live.bus(redis.bus()).store(redis.store());
    }
    let live = live.build();
    let (raw, _) = broadcast::channel::<Utf8Bytes>(16);
    let app = Router::new()
        .route("/counter", live.page("counter.html", Counter).build()?)
        .route("/fanout", live.page("fanout.html", Fanout).build()?)
        .route(
            "/table",
            live.page("table.html", Table { rows: TABLE_ROWS })
                .build()?,
        )
        .route(
            "/list",
            live.page("table.html", Table { rows: LIST_ROWS }).build()?,
        )
        .route(
            "/document",
            live.page(
                "document.html",
                Document {
                    lines: DOCUMENT_LINES,
                },
            )
            .build()?,
        )
        .route("/state-bytes/{page}", get(state_bytes))
        .route("/feed", live.page("feed.html", Feed).build()?)
        .route("/feed/{group}", post(feed).with_state(live.sessions()))
        .route("/gauges", get(gauges).with_state(live.metrics()))
        .route("/publish", post(publish).with_state(live.sessions()))
        .route("/echo", get(echo))
        .route("/answer-time", get(answer_time).with_state(live.metrics()))
        .route("/raw-fanout", get(raw_fanout).with_state(raw.clone()))
        .route("/raw-publish", post(raw_publish).with_state(raw))
        .merge(live.routes())
        .layer(axum::middleware::map_response(isolate));
    let listener = tokio::net::TcpListener::bind(&args.addr).await?;
    println!("listening on http://{}", listener.local_addr()?);
    axum::serve(listener, app).await?;
    Ok(())
}
