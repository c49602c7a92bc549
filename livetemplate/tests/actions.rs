//! Actions from the client: dispatch by name, minimal updates, errors.

mod common;

use common::{serve, Counter};
use livetemplate::testing::Frame;
use serde_json::json;

#[tokio::test]
async fn click_updates_only_the_changed_slot() {
    let (server, _live) = serve(Counter::default()).await;
    let mut tab = server.browser().open("/counter").await.unwrap();
    assert!(tab.has_text("Count: 0"), "{}", tab.text());

    let frame = tab.click("increment").await.unwrap();
    let Frame::Update { tree, meta, .. } = frame else {
        panic!("expected an update, got {frame:?}")
    };
    assert_eq!(tree, json!({ "0": "1" }), "only the count slot travels");
    assert_eq!(meta["action"], "increment");
    assert_eq!(meta["success"], true);
    assert!(tab.has_text("Count: 1"));
}

#[tokio::test]
async fn nothing_changed_sends_an_empty_tree() {
    let (server, _live) = serve(Counter::default()).await;
    let mut tab = server.browser().open("/counter").await.unwrap();
    let frame = tab.act("setLabel", json!({ "label": "" })).await.unwrap();
    let Frame::Update { tree, .. } = frame else {
        panic!("expected an update, got {frame:?}")
    };
    assert_eq!(tree, json!({}));
}

#[tokio::test]
async fn every_spelling_of_a_name_reaches_the_handler() {
    let (server, _live) = serve(Counter::default()).await;
    let mut tab = server.browser().open("/counter").await.unwrap();
    for (i, name) in [
        "increment",
        "Increment",
        "start_stubborn",
        "startStubborn",
        "start-stubborn",
    ]
    .iter()
    .enumerate()
    {
        let frame = tab.act(name, json!({})).await.unwrap();
        assert!(frame.errors().is_empty(), "{name}: {:?}", frame.errors());
        if i < 2 {
            assert!(tab.text().contains(&format!("Count: {}", i + 1)));
        }
    }
}

#[tokio::test]
async fn typed_data_and_field_errors() {
    let (server, _live) = serve(Counter::default()).await;
    let mut tab = server.browser().open("/counter").await.unwrap();
    tab.act("add", json!({ "by": 5 })).await.unwrap();
    assert!(tab.has_text("Count: 5"));

    let frame = tab.act("add", json!({ "by": -1 })).await.unwrap();
    assert_eq!(frame.errors()["by"], "must be positive");
    assert!(
        tab.text().contains("must be positive"),
        "the template shows field errors"
    );

    let frame = tab.act("add", json!({ "by": "lots" })).await.unwrap();
    let msg = frame.errors()["_general"].as_str().unwrap().to_string();
    assert!(msg.contains("invalid data for action \"add\""), "{msg}");
    assert!(tab.has_text("Count: 5"), "failed actions change nothing");
}

#[tokio::test]
async fn a_failing_handler_leaves_state_unchanged_and_the_page_shows_why() {
    let (server, _live) = serve(Counter::default()).await;
    let mut tab = server.browser().open("/counter").await.unwrap();
    tab.click("increment").await.unwrap();
    let frame = tab.click("fail").await.unwrap();
    let Frame::Update { meta, .. } = &frame else {
        panic!("expected an update, got {frame:?}")
    };
    assert_eq!(meta["success"], false);
    assert_eq!(meta["errors"]["_general"], "the action failed on purpose");
    assert!(tab.has_text("Count: 1"), "state unchanged: {}", tab.text());
    assert!(
        tab.text().contains("the action failed on purpose"),
        "the template renders lvt.errors"
    );

    tab.click("increment").await.unwrap();
    assert!(tab.has_text("Count: 2"));
    assert!(
        !tab.text().contains("failed on purpose"),
        "a success clears the error"
    );
}

#[tokio::test]
async fn a_panicking_handler_fails_only_that_action() {
    let (server, _live) = serve(Counter::default()).await;
    let mut browser = server.browser();
    let mut tab = browser.open("/counter").await.unwrap();
    let mut bystander = server.browser().open("/counter").await.unwrap();

    let frame = tab.click("explode").await.unwrap();
    assert_eq!(
        frame.errors()["_general"],
        "action \"explode\" failed unexpectedly"
    );
    assert!(tab.has_text("Count: 0"));

    tab.click("increment").await.unwrap();
    assert!(tab.has_text("Count: 1"), "the same socket keeps working");
    bystander.click("increment").await.unwrap();
    assert!(
        bystander.has_text("Count: 1"),
        "other connections are unaffected"
    );
}

#[tokio::test]
async fn mount_sees_the_query_and_navigate_mounts_again() {
    let (server, _live) = serve(Counter::default()).await;
    let mut tab = server.browser().open("/counter?start=7").await.unwrap();
    assert!(tab.has_text("Count: 7"));
    let frame = tab
        .act("__navigate__", json!({ "start": "42" }))
        .await
        .unwrap();
    assert_eq!(frame.errors().len(), 0);
    assert!(tab.has_text("Count: 42"), "{}", tab.text());
}

#[tokio::test]
async fn ping_gets_exactly_pong() {
    let (server, _live) = serve(Counter::default()).await;
    let mut tab = server.browser().open("/counter").await.unwrap();
    tab.send_text(r#"{"action":"__ping__"}"#).await.unwrap();
    assert_eq!(tab.next_frame().await.unwrap(), Frame::Pong);
}
