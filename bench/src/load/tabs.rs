//! Memory of big pages: server RSS per open tab, next to the page's own
//! state as JSON, and the same for an idle counter tab.

use futures_util::SinkExt;
use tokio_tungstenite::tungstenite::Message;

use super::big::{applied, BigPage};
use super::{bytes, mark, next_frame, next_text, Error, LoadError, Server, Socket, Table};

/// How many times its JSON state a tab may cost.
const TARGET_RATIO: f64 = 2.0;
/// The idle-connection target of the performance issue.
const IDLE_TARGET_KIB: f64 = 16.0;

pub fn table() -> Table {
    Table::new(&[
        "page",
        "tabs",
        "server RSS per tab, open",
        "after one action each",
        "JSON state",
        "per tab / JSON state",
        "target",
        "",
    ])
}

fn increment(_: usize) -> String {
    r#"{"action":"increment","data":{}}"#.into()
}

/// The counter, for the idle-connection figure beside the big pages.
pub const COUNTER: BigPage = BigPage {
    title: "counter (idle connection)",
    what: "counter, increment",
    path: "/counter",
    page: "counter",
    target: std::time::Duration::ZERO,
    action: increment,
};

async fn open(server: &Server, path: &str) -> Result<Socket, Error> {
    let mut ws = server.socket(path).await?;
    next_text(&mut ws).await?;
    Ok(ws)
}

/// Opens `n` tabs of `page` on a fresh server and reads its RSS before,
/// after, and after one action on each tab.
pub async fn memory(page: &BigPage, n: usize, table: &mut Table) -> Result<(), Error> {
    let server = Server::start(&[])?;
    // A first tab, kept open: what every tab shares (the compiled template,
    // the runtime's first allocations) is then in the baseline.
    let mut tabs = vec![open(&server, page.path).await?];
    let before = server.rss_kib();
    // One at a time, so the figure is what tabs keep, not the transient
    // peaks of several first renders at once.
    for _ in 0..n {
        tabs.push(open(&server, page.path).await?);
    }
    let opened = server.rss_kib();
    for (i, tab) in tabs.iter_mut().enumerate().skip(1) {
        let action = (page.action)(i);
        tab.send(Message::text(action.as_str())).await?;
        let reply = next_frame(tab).await?;
        if !applied(&reply) {
            return Err(LoadError::NotApplied { action, reply }.into());
        }
    }
    let acted = server.rss_kib();
    let state = server.state_bytes(page.page).await?;
    let per_tab = |after: u64| after.saturating_sub(before) as f64 * 1024.0 / n as f64;
    let (open_b, acted_b) = (per_tab(opened), per_tab(acted));
    let worst = open_b.max(acted_b);
    let ratio = format!(
        "{:.1}× · {:.1}×",
        open_b / state as f64,
        acted_b / state as f64
    );
    // A counter's state is a few bytes: its yardstick is the idle target.
    let (ratio, target, met) = if page.page == "counter" {
        (
            "—".to_string(),
            format!("≤ {IDLE_TARGET_KIB:.0} KiB (idle)"),
            open_b <= IDLE_TARGET_KIB * 1024.0,
        )
    } else {
        (
            ratio,
            format!("≤ {TARGET_RATIO:.0}× JSON state"),
            worst <= TARGET_RATIO * state as f64,
        )
    };
    table.rows.push(vec![
        format!(
            "{} (server RSS {} → {} MiB)",
            page.title,
            before / 1024,
            acted / 1024
        ),
        n.to_string(),
        bytes(open_b as usize),
        bytes(acted_b as usize),
        bytes(state),
        ratio,
        target,
        mark(met).into(),
    ]);
    drop(tabs);
    Ok(())
}
