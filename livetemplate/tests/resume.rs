//! Resumable connections, over real TCP: a tab whose socket drops without a
//! close frame and comes back with its page load's token within the grace
//! gets its own state back, with the pushes made meanwhile; two tabs of one
//! group each get their own; past the grace it mounts afresh and its tasks
//! end; what is kept is bounded.

mod common;
#[path = "conformance/replay.rs"]
mod replay;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::{serve_with, templates, until, Counter};
use livetemplate::testing::{Browser, Frame, Tab, TestServer};
use livetemplate::{LiveTemplate, Session};
use serde_json::{json, Value};
use tokio::sync::mpsc;

struct App {
    server: TestServer,
    live: LiveTemplate,
    sessions: mpsc::UnboundedReceiver<Session>,
    disconnects: Arc<AtomicUsize>,
}

/// The counter at `/counter`, with `live`'s settings.
async fn app(live: LiveTemplate) -> App {
    let (tx, sessions) = mpsc::unbounded_channel();
    let disconnects = Arc::new(AtomicUsize::new(0));
    let counter = Counter {
        disconnects: disconnects.clone(),
        sessions: Some(tx),
    };
    let (server, live) = serve_with(live, counter).await;
    App {
        server,
        live,
        sessions,
        disconnects,
    }
}

fn resumable(grace: Duration) -> LiveTemplate {
    LiveTemplate::builder(templates())
        .resume_grace(grace)
        .build()
}

/// Loads the page as a browser does: its token, from the page.
async fn load(browser: &mut Browser) -> String {
    let page = browser
        .request("GET", "/counter", &[("accept", "text/html")], "")
        .await
        .unwrap();
    assert_eq!(page.status, 200);
    let at = page
        .body
        .find(r#""lvt_tab",""#)
        .expect("the page carries a token")
        + r#""lvt_tab",""#.len();
    page.body[at..at + 32].to_string()
}

/// Opens the socket of the page load `token`, as the stock client does
/// (the token in its URL); the tab and its first frame.
async fn connect(app: &App, browser: &Browser, token: &str) -> (Tab, Frame) {
    let origin = format!("http://{}", app.server.addr());
    let path = format!("/counter?lvt_tab={token}");
    let mut tab = browser.connect(&path, Some(&origin)).await.unwrap();
    let first = tab.next_frame().await.unwrap();
    (tab, first)
}

fn bytes(frame: &Frame) -> usize {
    match frame {
        Frame::Update { bytes, .. } => *bytes,
        other => panic!("not an update: {other:?}"),
    }
}

fn tree(frame: &Frame) -> Value {
    match frame {
        Frame::Update { tree, .. } => tree.clone(),
        other => panic!("not an update: {other:?}"),
    }
}

#[tokio::test]
async fn a_dropped_tab_comes_back_to_its_own_state_with_the_pushes_made_meanwhile() {
    let mut app = app(resumable(Duration::from_secs(5))).await;
    let mut browser = app.server.browser();
    let token = load(&mut browser).await;
    let (mut tab, first) = connect(&app, &browser, &token).await;
    let session = app.sessions.recv().await.unwrap();
    tab.click("increment").await.unwrap();
    assert!(tab.has_text("Count: 1"), "{}", tab.text());

    // The network drops: no close frame.
    drop(tab);
    let metrics = app.live.metrics().clone();
    until(|| metrics.parked() == 1, "the tab is kept").await;
    assert_eq!(metrics.connections(), 0);
    assert!(metrics.parked_bytes() > 0, "what it holds is counted");
    assert_eq!(app.disconnects.load(Ordering::SeqCst), 0, "not ended");
    // Away, the tab still counts as live, and takes its pushes.
    let before = metrics.actions();
    for _ in 0..3 {
        session.trigger_action("increment", ()).unwrap();
    }
    until(|| metrics.actions() == before + 3, "the pushes ran").await;

    let started = Instant::now();
    let (tab, caught_up) = connect(&app, &browser, &token).await;
    let latency = started.elapsed();
    assert!(tab.has_text("Count: 4"), "{}", tab.text());
    assert!(
        tree(&caught_up).get("s").is_some(),
        "the whole tree, statics included"
    );
    assert_eq!(metrics.parked(), 0);
    assert_eq!(metrics.parked_bytes(), 0);
    assert_eq!(metrics.resumes(), 1);
    assert_eq!(app.disconnects.load(Ordering::SeqCst), 0);
    assert!(
        app.sessions.try_recv().is_err(),
        "on_connect did not run again"
    );
    // Its session reaches it as before.
    session.trigger_action("increment", ()).unwrap();
    let mut tab = tab;
    tab.wait_for_text("Count: 5").await.unwrap();
    eprintln!(
        "resume: socket open to caught-up frame {latency:?}; catch-up {} bytes, fresh mount {} bytes",
        bytes(&caught_up),
        bytes(&first)
    );
}

#[tokio::test]
async fn two_tabs_of_one_group_each_get_their_own_view_back() {
    let mut app = app(resumable(Duration::from_secs(5))).await;
    let mut browser = app.server.browser();
    let (one, two) = (load(&mut browser).await, load(&mut browser).await);
    let (mut tab_one, _) = connect(&app, &browser, &one).await;
    let (mut tab_two, _) = connect(&app, &browser, &two).await;
    let session = app.sessions.recv().await.unwrap();
    tab_one
        .act("setLabel", json!({ "label": "first" }))
        .await
        .unwrap();
    tab_two
        .act("setLabel", json!({ "label": "second" }))
        .await
        .unwrap();
    tab_two.click("increment").await.unwrap();
    drop((tab_one, tab_two));
    let metrics = app.live.metrics().clone();
    until(|| metrics.parked() == 2, "both tabs kept").await;
    // A push for the group reaches both, away.
    let before = metrics.actions();
    session.trigger_action("increment", ()).unwrap();
    until(|| metrics.actions() == before + 2, "both took it").await;

    // Back in the other order.
    let (tab_two, _) = connect(&app, &browser, &two).await;
    let (tab_one, _) = connect(&app, &browser, &one).await;
    assert!(tab_one.has_text("Label: first"), "{}", tab_one.text());
    assert!(tab_one.has_text("Count: 1"), "{}", tab_one.text());
    assert!(tab_two.has_text("Label: second"), "{}", tab_two.text());
    assert!(tab_two.has_text("Count: 2"), "{}", tab_two.text());
    assert_eq!(metrics.resumes(), 2);
}

#[tokio::test]
async fn past_the_grace_the_tab_mounts_afresh_and_its_tasks_end() {
    let mut app = app(resumable(Duration::from_millis(300))).await;
    let mut browser = app.server.browser();
    let token = load(&mut browser).await;
    let (mut tab, _) = connect(&app, &browser, &token).await;
    let session = app.sessions.recv().await.unwrap();
    tab.click("increment").await.unwrap();
    // A task that checks nothing: only the end of its connection stops it.
    tab.act("startStubborn", json!({})).await.unwrap();
    let metrics = app.live.metrics().clone();
    until(|| metrics.tasks() == 1, "the task runs").await;

    drop(tab);
    until(|| metrics.parked() == 1, "the tab is kept").await;
    assert_eq!(metrics.tasks(), 1, "its task runs on meanwhile");
    assert!(
        session.trigger_action("increment", ()).is_ok(),
        "live meanwhile"
    );

    until(|| metrics.parked() == 0, "the grace ends").await;
    until(|| metrics.tasks() == 0, "its task ends").await;
    assert_eq!(metrics.connections(), 0);
    assert_eq!(metrics.parked_bytes(), 0);
    assert_eq!(
        app.disconnects.load(Ordering::SeqCst),
        1,
        "on_disconnect ran"
    );
    assert!(
        session.trigger_action("increment", ()).is_err(),
        "nobody left"
    );

    let (tab, _) = connect(&app, &browser, &token).await;
    assert!(tab.has_text("Count: 0"), "a fresh mount: {}", tab.text());
    assert!(app.sessions.recv().await.is_some(), "on_connect ran");
    assert_eq!(metrics.resumes(), 0);
}

/// The server may not know yet that a socket is dead (a vanished network
/// sends nothing) when its tab comes back on a new one.
#[tokio::test]
async fn a_tab_back_before_its_old_socket_is_known_dead_takes_its_view_over() {
    let mut app = app(resumable(Duration::from_secs(5))).await;
    let mut browser = app.server.browser();
    let token = load(&mut browser).await;
    let (mut old, _) = connect(&app, &browser, &token).await;
    let session = app.sessions.recv().await.unwrap();
    old.click("increment").await.unwrap();
    old.act("startStubborn", json!({})).await.unwrap();
    let metrics = app.live.metrics().clone();
    until(|| metrics.tasks() == 1, "the task runs").await;

    // The old socket is still open as far as the server knows.
    let (mut tab, _) = connect(&app, &browser, &token).await;
    assert!(tab.has_text("Count: 1"), "{}", tab.text());
    assert_eq!(metrics.resumes(), 1);
    assert_eq!(metrics.tasks(), 1, "its task runs on");
    assert_eq!(app.disconnects.load(Ordering::SeqCst), 0);
    until(|| metrics.connections() == 1, "the old socket is closed").await;
    session.trigger_action("increment", ()).unwrap();
    tab.wait_for_text("Count: 2").await.unwrap();
    drop(old);
}

/// `Context::drop_connection`: the reply, then the socket ends with no
/// close frame, and the tab is kept as after a network drop.
#[tokio::test]
async fn a_handler_can_drop_its_socket_as_a_failing_network_would() {
    let mut app = app(resumable(Duration::from_secs(5))).await;
    let mut browser = app.server.browser();
    let token = load(&mut browser).await;
    let (mut tab, _) = connect(&app, &browser, &token).await;
    let session = app.sessions.recv().await.unwrap();
    tab.click("increment").await.unwrap();
    let reply = tab.act("dropConnection", json!({})).await.unwrap();
    assert!(reply.errors().is_empty(), "{reply:?}");
    match tab.next_frame().await {
        Err(e) => assert!(
            !e.to_string().contains("socket closed: Some"),
            "ended without a close frame: {e}"
        ),
        Ok(frame) => panic!("the socket goes on: {frame:?}"),
    }
    let metrics = app.live.metrics().clone();
    until(|| metrics.parked() == 1, "the tab is kept").await;
    assert_eq!(app.disconnects.load(Ordering::SeqCst), 0, "not ended");
    session.trigger_action("increment", ()).unwrap();

    let (mut tab, _) = connect(&app, &browser, &token).await;
    assert!(tab.has_text("Count: 2"), "{}", tab.text());
    assert_eq!(metrics.resumes(), 1);
    // The socket it came back on stays.
    tab.click("increment").await.unwrap();
    tab.expect_no_update().await.unwrap();
    assert!(tab.has_text("Count: 3"), "{}", tab.text());
    assert_eq!(metrics.parked(), 0);
}

#[tokio::test]
async fn a_tab_that_closes_its_socket_is_not_kept() {
    let app = app(resumable(Duration::from_secs(5))).await;
    let mut browser = app.server.browser();
    let token = load(&mut browser).await;
    let (tab, _) = connect(&app, &browser, &token).await;
    tab.close().await;
    until(|| app.disconnects.load(Ordering::SeqCst) == 1, "ended").await;
    assert_eq!(app.live.metrics().parked(), 0);
}

#[tokio::test]
async fn a_token_is_only_good_for_its_own_session_group() {
    let app = app(resumable(Duration::from_secs(5))).await;
    let mut browser = app.server.browser();
    let token = load(&mut browser).await;
    let (mut tab, _) = connect(&app, &browser, &token).await;
    tab.click("increment").await.unwrap();
    drop(tab);
    let metrics = app.live.metrics().clone();
    until(|| metrics.parked() == 1, "the tab is kept").await;

    let mut stranger = app.server.browser();
    load(&mut stranger).await;
    let (taker, _) = connect(&app, &stranger, &token).await;
    assert!(taker.has_text("Count: 0"), "not theirs: {}", taker.text());
    assert_eq!(metrics.parked(), 1, "still kept for its own");
    let (mut tab, _) = connect(&app, &browser, &token).await;
    assert!(tab.has_text("Count: 1"), "{}", tab.text());
    // Nor can another group take it from its open socket.
    let (other, _) = connect(&app, &stranger, &token).await;
    assert!(other.has_text("Count: 0"), "{}", other.text());
    tab.click("increment").await.unwrap();
    assert!(tab.has_text("Count: 2"), "{}", tab.text());
    assert_eq!(metrics.resumes(), 1);
    // The token is still its own: dropped again, it comes back again.
    drop((tab, other, taker));
    until(|| metrics.parked() == 1, "kept again").await;
    let (tab, _) = connect(&app, &browser, &token).await;
    assert!(tab.has_text("Count: 2"), "{}", tab.text());
    assert_eq!(metrics.resumes(), 2);
}

#[tokio::test]
async fn what_is_kept_is_bounded_in_count_and_bytes() {
    // One tab at most.
    let app_one = app(LiveTemplate::builder(templates())
        .resume_grace(Duration::from_secs(5))
        .max_resumable(1, 1 << 20)
        .build())
    .await;
    let mut browser = app_one.server.browser();
    let (one, two) = (load(&mut browser).await, load(&mut browser).await);
    let (tab_one, _) = connect(&app_one, &browser, &one).await;
    let (tab_two, _) = connect(&app_one, &browser, &two).await;
    drop((tab_one, tab_two));
    let metrics = app_one.live.metrics().clone();
    until(
        || app_one.disconnects.load(Ordering::SeqCst) == 1,
        "the second is ended",
    )
    .await;
    assert_eq!(metrics.parked(), 1);

    // 4 KiB and 200 bytes at most (each kept tab counts 4 KiB besides its
    // state): a state that grows past it while kept is ended.
    let mut app_small = app(LiveTemplate::builder(templates())
        .resume_grace(Duration::from_secs(5))
        .max_resumable(10, 4096 + 200)
        .build())
    .await;
    let mut browser = app_small.server.browser();
    let token = load(&mut browser).await;
    let (tab, _) = connect(&app_small, &browser, &token).await;
    let session = app_small.sessions.recv().await.unwrap();
    drop(tab);
    let metrics = app_small.live.metrics().clone();
    until(|| metrics.parked() == 1, "a small state is kept").await;
    let held = metrics.parked_bytes();
    assert!(held > 4096 && held <= 4096 + 200, "{held} bytes");
    session
        .trigger_action("setLabel", json!({ "label": "x".repeat(300) }))
        .unwrap();
    until(
        || app_small.disconnects.load(Ordering::SeqCst) == 1,
        "outgrown: ended",
    )
    .await;
    assert_eq!(metrics.parked(), 0);
    assert_eq!(metrics.parked_bytes(), 0);
    let (tab, _) = connect(&app_small, &browser, &token).await;
    assert!(!tab.has_text("xxx"), "a fresh mount: {}", tab.text());
}

#[tokio::test]
async fn turned_off_the_page_carries_no_token_and_nothing_is_kept() {
    let app = app(resumable(Duration::ZERO)).await;
    let mut browser = app.server.browser();
    let page = browser
        .request("GET", "/counter", &[("accept", "text/html")], "")
        .await
        .unwrap();
    assert!(!page.body.contains("lvt_tab"), "{}", page.body);
    let (tab, _) = connect(&app, &browser, &"0".repeat(32)).await;
    drop(tab);
    until(|| app.disconnects.load(Ordering::SeqCst) == 1, "ended").await;
    assert_eq!(app.live.metrics().parked(), 0);
}

/// The catch-up frame is what the stock client, having forgotten its tree
/// on reconnecting, renders into the page as it is now.
#[tokio::test]
async fn the_catch_up_frame_replays_in_the_stock_client() {
    let mut app = app(resumable(Duration::from_secs(5))).await;
    let mut browser = app.server.browser();
    let token = load(&mut browser).await;
    let mut replay = replay::Replay::start();
    replay.reset("resume", common::COUNTER);
    let (mut tab, first) = connect(&app, &browser, &token).await;
    replay.step(&tree(&first), tab.html());
    let session = app.sessions.recv().await.unwrap();
    let update = tab.click("increment").await.unwrap();
    replay.step(&tree(&update), tab.html());
    drop(tab);
    let metrics = app.live.metrics().clone();
    until(|| metrics.parked() == 1, "the tab is kept").await;
    let before = metrics.actions();
    session
        .trigger_action("setLabel", json!({ "label": "while away" }))
        .unwrap();
    until(|| metrics.actions() == before + 1, "the push ran").await;
    let (tab, caught_up) = connect(&app, &browser, &token).await;
    assert!(tab.has_text("Label: while away"), "{}", tab.text());
    // The client resets its tree when it reconnects.
    replay.reset("resume: after the reconnect", common::COUNTER);
    replay.step(&tree(&caught_up), tab.html());
    let verdict = replay.finish();
    assert!(verdict.ok, "{}", verdict.mismatches);
}
