//! The whole action path of big pages, in process: a real socket on
//! loopback, the runtime's own answer time (frame read → reply written),
//! and the round trip as the test client sees it — next to a `__ping__`
//! round trip in the same run (the socket and loop alone, no render).
//!
//! ```sh
//! cargo bench -p livetemplate --bench action_path
//! ```

use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use livetemplate::testing::TestServer;
use livetemplate::{Actions, Controller, LiveTemplate, Templates};
use serde::{Deserialize, Serialize};
use serde_json::json;
use tokio_tungstenite::tungstenite::Message;

const TABLE: &str = r#"<table>{% for row in rows %}<tr data-key="{{ row.id }}" class="{% if row.selected %}selected{% endif %}"><td>{{ row.id }}</td><td>{{ row.label }}</td><td><button name="toggle" value="{{ row.id }}">select</button></td></tr>{% endfor %}</table>"#;

const DOCUMENT: &str = r#"<article>{% for line in lines %}<p data-key="{{ line.id }}">{{ line.text }}</p>
{% endfor %}</article>"#;

struct Table;

#[derive(Clone, Serialize, Deserialize)]
struct Rows {
    rows: Vec<Row>,
}

#[derive(Clone, Serialize, Deserialize)]
struct Row {
    id: u64,
    label: String,
    selected: bool,
}

impl Default for Rows {
    fn default() -> Rows {
        let rows = (0..10_000)
            .map(|id| Row {
                id,
                label: format!("row {id}"),
                selected: false,
            })
            .collect();
        Rows { rows }
    }
}

#[derive(Deserialize)]
struct Pick {
    value: usize,
}

impl Controller for Table {
    type State = Rows;
    fn actions(actions: &mut Actions<Self>) {
        actions.on("toggle", |_, table, ctx| {
            let Pick { value } = ctx.data()?;
            if let Some(row) = table.rows.get_mut(value) {
                row.selected = !row.selected;
            }
            Ok(())
        });
    }
}

struct Document;

#[derive(Clone, Serialize, Deserialize)]
struct Lines {
    lines: Vec<Line>,
}

#[derive(Clone, Serialize, Deserialize)]
struct Line {
    id: u64,
    text: String,
}

impl Default for Lines {
    fn default() -> Lines {
        let lines = (0..50_000)
            .map(|id| Line {
                id,
                text: format!("Line {id} of a long document, with some words in it."),
            })
            .collect();
        Lines { lines }
    }
}

#[derive(Deserialize)]
struct Edit {
    line: usize,
    text: String,
}

impl Controller for Document {
    type State = Lines;
    fn actions(actions: &mut Actions<Self>) {
        actions.on("edit", |_, doc, ctx| {
            let Edit { line, text } = ctx.data()?;
            if let Some(l) = doc.lines.get_mut(line) {
                l.text = text;
            }
            Ok(())
        });
    }
}

/// The same document with its lines shared (`Arc`): copying the state for
/// a handler copies pointers, not 50,000 strings.
struct SharedDocument;

#[derive(Clone, Serialize, Deserialize)]
struct SharedLines {
    lines: Vec<std::sync::Arc<Line>>,
}

impl Default for SharedLines {
    fn default() -> SharedLines {
        SharedLines {
            lines: Lines::default()
                .lines
                .into_iter()
                .map(std::sync::Arc::new)
                .collect(),
        }
    }
}

impl Controller for SharedDocument {
    type State = SharedLines;
    fn actions(actions: &mut Actions<Self>) {
        actions.on("edit", |_, doc, ctx| {
            let Edit { line, text } = ctx.data()?;
            if let Some(l) = doc.lines.get_mut(line) {
                std::sync::Arc::make_mut(l).text = text;
            }
            Ok(())
        });
    }
}

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// The next text frame.
async fn next(ws: &mut Socket) -> String {
    loop {
        match ws.next().await {
            Some(Ok(Message::Text(text))) => return text.to_string(),
            Some(Ok(_)) => continue,
            other => panic!("socket closed: {other:?}"),
        }
    }
}

fn percentile(sorted: &[Duration], q: f64) -> Duration {
    sorted[((sorted.len() - 1) as f64 * q).round() as usize]
}

fn ms(d: Duration) -> String {
    format!("{:.3} ms", d.as_secs_f64() * 1e3)
}

#[tokio::main]
async fn main() {
    let n: usize = std::env::var("LVT_ACTIONS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(200);
    println!(
        "| page | action | frame | answer p50 | answer p99 | round trip p50 | ping p50 | target |"
    );
    println!("|---|---|---:|---:|---:|---:|---:|---|");
    for (page, target) in [
        ("table", Duration::from_millis(1)),
        ("document", Duration::from_millis(5)),
        ("document, Arc rows", Duration::from_millis(5)),
    ] {
        let templates = Templates::from_fn(|name| match name {
            "table.html" => Some(TABLE.into()),
            "document.html" => Some(DOCUMENT.into()),
            _ => None,
        });
        let live = LiveTemplate::new(templates);
        let route = match page {
            "table" => live.page("table.html", Table).build().expect("builds"),
            "document" => live
                .page("document.html", Document)
                .build()
                .expect("builds"),
            _ => live
                .page("document.html", SharedDocument)
                .build()
                .expect("builds"),
        };
        let app = axum::Router::new().route("/", route).merge(live.routes());
        let server = TestServer::start(app).await;
        // A raw socket: the round trip is the server's, not a test client's
        // folding of a 50,000-row tree.
        let url = server.url("/").replace("http://", "ws://");
        let (mut ws, _) = tokio_tungstenite::connect_async(url)
            .await
            .expect("connects");
        next(&mut ws).await; // the first frame
        let (mut trips, mut pings, mut bytes) = (Vec::new(), Vec::new(), 0);
        for i in 0..n {
            let message = match page {
                "table" => json!({ "action": "toggle", "data": { "value": (i * 37) % 10_000 } }),
                _ => {
                    json!({ "action": "edit", "data": { "line": (i * 251) % 50_000, "text": format!("edit {i}") } })
                }
            };
            let t = Instant::now();
            ws.send(Message::text(message.to_string()))
                .await
                .expect("sends");
            let reply = next(&mut ws).await;
            trips.push(t.elapsed());
            bytes = reply.len();
            assert!(reply.contains("\"u\""), "a row update: {reply}");
            let t = Instant::now();
            ws.send(Message::text(r#"{"action":"__ping__"}"#))
                .await
                .expect("sends");
            next(&mut ws).await;
            pings.push(t.elapsed());
        }
        trips.sort();
        pings.sort();
        let metrics = live.metrics();
        let (p50, p99) = (
            metrics.answer_time(0.5).unwrap_or_default(),
            metrics.answer_time(0.99).unwrap_or_default(),
        );
        let met = if p50 <= target { "✓" } else { "✗" };
        println!(
            "| {page} | {} | {bytes} B | ≤ {} | ≤ {} | {} | {} | p50 ≤ {} {met} |",
            if page == "table" {
                "toggle one of 10,000 rows"
            } else {
                "edit one of 50,000 lines"
            },
            ms(p50),
            ms(p99),
            ms(percentile(&trips, 0.5)),
            ms(percentile(&pings, 0.5)),
            ms(target),
        );
    }
}
