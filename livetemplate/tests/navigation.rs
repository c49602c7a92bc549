//! Following a link from one live page to another, the way the stock
//! client does it: fetch the next page, close this page's socket, open one
//! on the next page. What the old page ran must end with its socket — its
//! connection, its tasks and its group's tasks for it — and the tab is one
//! connection throughout.

use std::sync::Arc;
use std::time::Duration;

use livetemplate::testing::{Browser, Tab, TestServer};
use livetemplate::{ActionError, Actions, Context, Controller, LiveTemplate, Metrics, Templates};
use serde::{Deserialize, Serialize};

/// A page that starts a task of its connection and one of its group when
/// a tab connects, the way a ticking clock does.
struct Busy;

/// A page that runs nothing.
struct Quiet;

#[derive(Clone, Default, Serialize, Deserialize)]
struct Page {
    name: String,
}

impl Controller for Busy {
    type State = Page;

    fn actions(_: &mut Actions<Self>) {}

    fn on_connect(&self, _: &mut Page, ctx: &mut Context<Self>) -> Result<(), ActionError> {
        ctx.spawn(std::future::pending())?;
        ctx.spawn_once_for_group("clock", std::future::pending())?;
        Ok(())
    }
}

impl Controller for Quiet {
    type State = Page;

    fn actions(_: &mut Actions<Self>) {}
}

struct App {
    server: TestServer,
    metrics: Arc<Metrics>,
}

/// `/busy` (two tasks per tab), `/quiet` and `/other` (none).
async fn app() -> App {
    let live = LiveTemplate::builder(Templates::from_fn(|name| {
        Some(format!("<p>{name}</p><a href=\"/quiet\">next</a>"))
    }))
    .build();
    let router = axum::Router::new()
        .route("/busy", live.page("busy.html", Busy).build().unwrap())
        .route("/quiet", live.page("quiet.html", Quiet).build().unwrap())
        .route("/other", live.page("other.html", Quiet).build().unwrap())
        .merge(live.routes());
    App {
        server: TestServer::start(router).await,
        metrics: live.metrics(),
    }
}

/// The client's way to another page: the next page's HTML is fetched while
/// this page is still live, then this socket closes and the next one opens.
async fn follow_link(browser: &mut Browser, tab: Tab, path: &str) -> Tab {
    let page = browser
        .request("GET", path, &[("accept", "text/html")], "")
        .await
        .unwrap();
    assert_eq!(page.status, 200);
    tab.close().await;
    browser.open(path).await.unwrap()
}

/// Waits (by polling the gauges, with a deadline) until `f` holds.
async fn until(metrics: &Metrics, f: impl Fn(&Metrics) -> bool, what: &str) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(3);
    while !f(metrics) {
        assert!(
            tokio::time::Instant::now() < deadline,
            "not within 3 s: {what} (connections {}, tasks {})",
            metrics.connections(),
            metrics.tasks()
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

#[tokio::test]
async fn following_a_link_ends_the_old_pages_connection_and_tasks() {
    let App { server, metrics } = app().await;
    let mut browser = server.browser();
    let tab = browser.open("/busy").await.unwrap();
    assert_eq!((metrics.connections(), metrics.tasks()), (1, 2));

    let tab = follow_link(&mut browser, tab, "/quiet").await;
    until(&metrics, |m| m.connections() == 1, "one connection").await;
    until(&metrics, |m| m.tasks() == 0, "the old page's tasks ended").await;
    assert!(tab.has_text("quiet.html"));

    // And back: the page starts its tasks again, once.
    let tab = follow_link(&mut browser, tab, "/busy").await;
    until(&metrics, |m| m.connections() == 1 && m.tasks() == 2, "back").await;
    tab.close().await;
    until(
        &metrics,
        |m| m.connections() == 0 && m.tasks() == 0,
        "closed",
    )
    .await;
}

#[tokio::test]
async fn a_group_task_ends_with_its_page_though_the_group_has_other_tabs() {
    let App { server, metrics } = app().await;
    let mut browser = server.browser();
    // Another tab of the same browser (session group), on another page.
    let _other = browser.open("/other").await.unwrap();
    let tab = browser.open("/busy").await.unwrap();
    assert_eq!((metrics.connections(), metrics.tasks()), (2, 2));

    let _tab = follow_link(&mut browser, tab, "/quiet").await;
    until(&metrics, |m| m.connections() == 2, "two tabs").await;
    until(
        &metrics,
        |m| m.tasks() == 0,
        "the old page's group task ended",
    )
    .await;
}

#[tokio::test]
async fn the_old_page_ends_though_the_server_sees_the_new_socket_first() {
    let App { server, metrics } = app().await;
    let mut browser = server.browser();
    let old = browser.open("/busy").await.unwrap();
    let _new = browser.open("/quiet").await.unwrap();
    old.close().await;
    until(&metrics, |m| m.connections() == 1, "one connection").await;
    until(&metrics, |m| m.tasks() == 0, "the old page's tasks ended").await;
}

#[tokio::test]
async fn the_group_task_is_the_pages_own_and_starts_again_on_return() {
    let App { server, metrics } = app().await;
    let mut browser = server.browser();
    // Two tabs of the group on the busy page: one group task between them.
    let first = browser.open("/busy").await.unwrap();
    let mut second = browser.open("/busy").await.unwrap();
    assert_eq!(metrics.tasks(), 3, "a task per tab and one for the group");
    // One of them leaves: the group still has a tab there, so its task stays.
    let _gone = follow_link(&mut browser, first, "/quiet").await;
    until(&metrics, |m| m.connections() == 2, "two tabs").await;
    until(&metrics, |m| m.tasks() == 2, "the leaver's own task ended").await;
    second.ping().await.unwrap();
    assert_eq!(
        metrics.tasks(),
        2,
        "the group task stays while a tab is on its page"
    );
}
