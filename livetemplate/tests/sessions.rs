//! trigger_action, session groups, and tasks tied to connections.

mod common;

use std::sync::atomic::Ordering;

use common::{serve, serve_with_sessions, until, Counter};
use livetemplate::SessionError;

#[tokio::test]
async fn trigger_action_reaches_every_tab_of_the_group_and_no_other() {
    let (server, _live, mut sessions) = serve_with_sessions().await;
    let mut ana = server.browser();
    let mut tab1 = ana.open("/counter").await.unwrap();
    let mut tab2 = ana.open("/counter").await.unwrap();
    let mut other = server.browser().open("/counter").await.unwrap();
    let session = sessions.recv().await.unwrap();
    let _ = (sessions.recv().await, sessions.recv().await);

    assert_eq!(
        session.trigger_action("increment", ()).unwrap(),
        2,
        "both of ana's tabs"
    );
    for tab in [&mut tab1, &mut tab2] {
        let frame = tab.next_frame().await.unwrap();
        let livetemplate::testing::Frame::Update { meta, tree, .. } = frame else {
            panic!("expected an update, got {frame:?}")
        };
        assert!(
            meta.is_null(),
            "a push that went well carries no meta: {meta}"
        );
        assert!(
            meta.get("action").is_none(),
            "a push carries no action echo: {meta}"
        );
        assert_eq!(tree, serde_json::json!({ "0": "1" }));
        assert!(tab.has_text("Count: 1"));
    }
    // The other browser got nothing.
    other.click("increment").await.unwrap();
    assert!(other.has_text("Count: 1"));
}

#[tokio::test]
async fn each_tab_runs_the_trigger_against_its_own_state() {
    let (server, _live, mut sessions) = serve_with_sessions().await;
    let mut browser = server.browser();
    let mut tab1 = browser.open("/counter?start=10").await.unwrap();
    let mut tab2 = browser.open("/counter?start=20").await.unwrap();
    let session = sessions.recv().await.unwrap();
    session.trigger_action("increment", ()).unwrap();
    tab1.wait_for_text("Count: 11").await.unwrap();
    tab2.wait_for_text("Count: 21").await.unwrap();
}

#[tokio::test]
async fn trigger_action_errors_once_the_group_has_no_live_connection() {
    let (server, live, mut sessions) = serve_with_sessions().await;
    let tab = server.browser().open("/counter").await.unwrap();
    let session = sessions.recv().await.unwrap();
    assert_eq!(session.live_connections(), 1);
    tab.close().await;
    let metrics = live.metrics();
    until(|| metrics.connections() == 0, "connection closed").await;
    assert_eq!(
        session.trigger_action("increment", ()),
        Err(SessionError::NoLiveConnection)
    );
}

#[tokio::test]
async fn answers_to_client_actions_are_timed_and_pushes_and_heartbeats_are_not() {
    let (server, live, mut sessions) = serve_with_sessions().await;
    let metrics = live.metrics();
    let mut tab = server.browser().open("/counter").await.unwrap();
    tab.click("increment").await.unwrap();
    tab.click("increment").await.unwrap();
    // Recorded once the reply is written, which may be after the tab read it.
    until(|| metrics.answers() == 2, "two answers timed").await;
    let p99 = metrics.answer_time(0.99).expect("a time");
    assert!(p99 < std::time::Duration::from_secs(5), "{p99:?}");
    sessions
        .recv()
        .await
        .unwrap()
        .trigger_action("increment", ())
        .unwrap();
    tab.wait_for_text("Count: 3").await.unwrap();
    tab.ping().await.unwrap();
    tab.click("increment").await.unwrap();
    until(|| metrics.answers() == 3, "the third answer timed").await;
    assert!(metrics
        .render_prometheus()
        .contains("livetemplate_answer_seconds_count 3\n"));
}

#[tokio::test]
async fn a_task_that_checks_trigger_errors_ends_with_the_tab() {
    let (server, _live, mut sessions) = serve_with_sessions().await;
    let mut tab = server.browser().open("/counter").await.unwrap();
    let session = sessions.recv().await.unwrap();
    // A task outside any connection's scope (a plain tokio task, as the
    // seed's goroutine): closing the tab cannot cancel it, so only the
    // error from trigger_action can end it.
    let (done, ended) = tokio::sync::oneshot::channel();
    tokio::spawn(async move {
        let error = loop {
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
            if let Err(e) = session.trigger_action("increment", ()) {
                break e;
            }
        };
        let _ = done.send(error);
    });
    tab.wait_for_text("Count: 3").await.unwrap(); // the task is pushing
    tab.close().await;
    let error = tokio::time::timeout(std::time::Duration::from_secs(3), ended)
        .await
        .expect("the task stopped within 3 s of the tab closing")
        .unwrap();
    assert_eq!(error, SessionError::NoLiveConnection);
}

#[tokio::test]
async fn a_task_that_never_checks_anything_is_cancelled_with_its_connection() {
    let counter = Counter::default();
    let disconnects = counter.disconnects.clone();
    let (server, live) = serve(counter).await;
    let mut tab = server.browser().open("/counter").await.unwrap();
    tab.click("start_stubborn").await.unwrap();
    tab.click("start_stubborn").await.unwrap();
    let metrics = live.metrics();
    assert_eq!(metrics.tasks(), 2);
    tab.close().await;
    until(|| metrics.tasks() == 0, "stubborn tasks cancelled").await;
    until(
        || disconnects.load(Ordering::SeqCst) == 1,
        "on_disconnect ran",
    )
    .await;
}

#[tokio::test]
async fn shutdown_closes_connections_and_ends_tasks() {
    let (server, live) = serve(Counter::default()).await;
    let mut tab = server.browser().open("/counter").await.unwrap();
    tab.click("start_stubborn").await.unwrap();
    live.shutdown();
    let metrics = live.metrics();
    until(
        || metrics.tasks() == 0 && metrics.connections() == 0,
        "everything closed",
    )
    .await;
}

#[tokio::test]
async fn a_failing_push_reports_its_error_in_meta_and_on_the_page() {
    let (server, _live, mut sessions) = serve_with_sessions().await;
    let mut tab = server.browser().open("/counter").await.unwrap();
    let session = sessions.recv().await.unwrap();
    session.trigger_action("fail", ()).unwrap();
    let frame = tab.next_frame().await.unwrap();
    let livetemplate::testing::Frame::Update { meta, .. } = &frame else {
        panic!("expected an update, got {frame:?}")
    };
    assert_eq!(meta["success"], false);
    assert_eq!(meta["errors"]["_general"], "the action failed on purpose");
    assert!(meta.get("action").is_none());
    assert!(tab.text().contains("the action failed on purpose"));
    assert!(tab.has_text("Count: 0"));
}

#[tokio::test]
async fn tabs_showing_the_same_state_share_one_render_of_a_push() {
    let (server, live, mut sessions) = serve_with_sessions().await;
    let mut browser = server.browser();
    let mut same = Vec::new();
    for _ in 0..3 {
        same.push(browser.open("/counter").await.unwrap());
    }
    let mut other = browser.open("/counter?start=5").await.unwrap();
    let session = sessions.recv().await.unwrap();
    assert_eq!(session.trigger_action("increment", ()).unwrap(), 4);
    for tab in &mut same {
        tab.wait_for_text("Count: 1").await.unwrap();
    }
    other.wait_for_text("Count: 6").await.unwrap();
    assert_eq!(
        live.metrics().shared_renders(),
        2,
        "the first of the three renders; the state-5 tab renders its own"
    );
}
