//! The whole action path of a big page through a real socket: actions that
//! each change one row, from the client's send to the reply read, next to
//! the raw WebSocket echo of the same process (interleaved, so the
//! machine's drift hits both alike) and the runtime's own answer time.

use std::time::{Duration, Instant};

use futures_util::SinkExt;
use serde_json::Value;
use tokio_tungstenite::tungstenite::Message;

use super::{bytes, mark, next_frame, next_text, stats, us, Error, LoadError, Server, Table};
use crate::pages::{DOCUMENT_LINES, TABLE_ROWS};

/// A big page and the action run on it.
pub struct BigPage {
    /// The page, for the memory table.
    pub title: &'static str,
    /// The page and its action, for the action table.
    pub what: &'static str,
    /// The page's URL path.
    pub path: &'static str,
    /// Its name for `/state-bytes/{page}`.
    pub page: &'static str,
    /// The end-to-end target for one action (round trip p50).
    pub target: Duration,
    /// The `i`-th action's frame.
    pub action: fn(usize) -> String,
}

/// A stride coprime with both row counts: each action reaches a row no
/// earlier one did, so none is a no-op or a repeat the caches could serve.
const STRIDE: usize = 7_919;

fn toggle(i: usize) -> String {
    let id = (i * STRIDE) % TABLE_ROWS;
    format!(r#"{{"action":"toggle","data":{{"id":{id}}}}}"#)
}

fn edit(i: usize) -> String {
    let id = (i * STRIDE) % DOCUMENT_LINES;
    format!(r#"{{"action":"edit","data":{{"id":{id},"text":"Line {id}, edited ({i})."}}}}"#)
}

pub const TABLE: BigPage = BigPage {
    title: "10k-row table",
    what: "10k-row table, toggle one row",
    path: "/table",
    page: "table",
    target: Duration::from_millis(1),
    action: toggle,
};

pub const DOCUMENT: BigPage = BigPage {
    title: "50k-line document",
    what: "50k-line document, edit one line",
    path: "/document",
    page: "document",
    target: Duration::from_millis(5),
    action: edit,
};

pub const PAGES: [BigPage; 2] = [TABLE, DOCUMENT];

pub fn table() -> Table {
    Table::new(&[
        "scenario",
        "first frame",
        "action frame",
        "round trip p50 · p99",
        "answer time p50 · p99",
        "echo p50 · p99 (same run)",
        "target (round trip p50)",
        "",
    ])
}

/// Whether a reply says the action succeeded and changed something.
pub fn applied(reply: &str) -> bool {
    let Ok(reply) = serde_json::from_str::<Value>(reply) else {
        return false;
    };
    reply["meta"]["success"] == Value::Bool(true)
        && reply["tree"].as_object().is_some_and(|t| !t.is_empty())
}

/// `n` actions on a fresh server's `page`, interleaved with echoes.
pub async fn actions(page: &BigPage, n: usize, table: &mut Table) -> Result<(), Error> {
    // A fresh process: the answer-time histogram then holds this page only.
    let server = Server::start(&[])?;
    let mut live = server.socket(page.path).await?;
    let first = next_text(&mut live).await?;
    let mut echo = server.socket("/echo").await?;
    let warm_up = (n / 10).max(5);
    let (mut rtt, mut echoes) = (Vec::with_capacity(n), Vec::with_capacity(n));
    let mut reply_bytes = 0;
    for i in 0..warm_up + n {
        let action = (page.action)(i);
        let start = Instant::now();
        live.send(Message::text(action.as_str())).await?;
        let reply = next_frame(&mut live).await?;
        let took = start.elapsed();
        if !applied(&reply) {
            return Err(LoadError::NotApplied { action, reply }.into());
        }
        let start = Instant::now();
        echo.send(Message::text(action.as_str())).await?;
        next_text(&mut echo).await?;
        if i >= warm_up {
            rtt.push(took);
            echoes.push(start.elapsed());
            reply_bytes = reply.len();
        }
    }
    let (rtt, echoes) = (stats(rtt), stats(echoes));
    let answer = match server.answer_time().await? {
        Some((p50, p99, count)) => {
            format!("≤ {} · ≤ {} ({count} answers)", us(p50), us(p99))
        }
        None => "none".into(),
    };
    let state = server.state_bytes(page.page).await?;
    table.rows.push(vec![
        format!("{} ({n} actions; JSON state {})", page.what, bytes(state)),
        bytes(first),
        format!("{reply_bytes} B"),
        format!("{} · {}", us(rtt.p50), us(rtt.p99)),
        answer,
        format!("{} · {}", us(echoes.p50), us(echoes.p99)),
        format!("≤ {} ms", page.target.as_millis()),
        mark(rtt.p50 <= page.target).into(),
    ]);
    Ok(())
}
