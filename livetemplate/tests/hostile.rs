//! Bad input gets a clear error, and the connection keeps working.

mod common;

use common::{serve, serve_with, templates, Counter};
use livetemplate::testing::Frame;
use livetemplate::LiveTemplate;

async fn still_works(tab: &mut livetemplate::testing::Tab, expected: i64) {
    tab.click("increment").await.unwrap();
    assert!(
        tab.text().contains(&format!("Count: {expected}")),
        "{}",
        tab.text()
    );
}

#[tokio::test]
async fn malformed_json_gets_an_error_frame() {
    let (server, _live) = serve(Counter::default()).await;
    let mut tab = server.browser().open("/counter").await.unwrap();
    for bad in ["{not json", "[1,2]", "\"str\"", r#"{"action": 5}"#] {
        tab.send_text(bad).await.unwrap();
        let Frame::Error { code, message } = tab.next_frame().await.unwrap() else {
            panic!("{bad}")
        };
        assert_eq!(code, "malformed_message", "{bad}");
        assert!(message.starts_with("malformed message:"), "{message}");
    }
    still_works(&mut tab, 1).await;
}

#[tokio::test]
async fn unknown_action_gets_an_error_reply() {
    let (server, _live) = serve(Counter::default()).await;
    let mut tab = server.browser().open("/counter").await.unwrap();
    let frame = tab
        .act("launchMissiles", serde_json::json!({}))
        .await
        .unwrap();
    let Frame::Update { meta, .. } = &frame else {
        panic!("expected an update, got {frame:?}")
    };
    assert_eq!(meta["success"], false);
    assert_eq!(
        meta["errors"]["_general"],
        "unknown action \"launchMissiles\""
    );
    still_works(&mut tab, 1).await;
}

#[tokio::test]
async fn oversized_message_gets_an_error_and_the_socket_stays_open() {
    let live = LiveTemplate::builder(templates())
        .max_message_bytes(1024)
        .build();
    let (server, _live) = serve_with(live, Counter::default()).await;
    let mut tab = server.browser().open("/counter").await.unwrap();
    let big = format!(
        r#"{{"action":"setLabel","data":{{"label":"{}"}}}}"#,
        "x".repeat(4096)
    );
    tab.send_text(&big).await.unwrap();
    let frame = tab.next_frame().await.unwrap();
    let Frame::Error { code, message } = frame else {
        panic!("expected an error frame, got {frame:?}")
    };
    assert_eq!(code, "message_too_large");
    assert!(
        message.contains("over the limit of 1024 bytes"),
        "{message}"
    );
    assert!(
        !tab.text().contains("xxxx"),
        "the oversized action did not run"
    );
    still_works(&mut tab, 1).await;
}

#[tokio::test]
async fn default_limit_is_64_kib() {
    let (server, _live) = serve(Counter::default()).await;
    let mut tab = server.browser().open("/counter").await.unwrap();
    let big = format!(
        r#"{{"action":"setLabel","data":{{"label":"{}"}}}}"#,
        "x".repeat(70 * 1024)
    );
    tab.send_text(&big).await.unwrap();
    let frame = tab.next_frame().await.unwrap();
    let Frame::Error { code, .. } = frame else {
        panic!("expected an error frame, got {frame:?}")
    };
    assert_eq!(code, "message_too_large");
    still_works(&mut tab, 1).await;
}

#[tokio::test]
async fn foreign_origin_is_refused() {
    let (server, _live) = serve(Counter::default()).await;
    let browser = server.browser();
    let err = browser
        .connect("/counter", Some("http://evil.example"))
        .await
        .expect_err("refused");
    assert!(err.to_string().contains("403"), "{err}");
    // The page's own origin is fine.
    let own = format!("http://{}", server.addr());
    assert!(browser.connect("/counter", Some(&own)).await.is_ok());
}

#[tokio::test]
async fn allow_listed_origin_is_accepted() {
    let live = LiveTemplate::builder(templates())
        .allow_origin("http://tauri.localhost")
        .build();
    let (server, _live) = serve_with(live, Counter::default()).await;
    assert!(server
        .browser()
        .connect("/counter", Some("http://tauri.localhost"))
        .await
        .is_ok());
    assert!(server
        .browser()
        .connect("/counter", Some("http://other.example"))
        .await
        .is_err());
}

#[tokio::test]
async fn foreign_origin_post_is_refused() {
    let (server, _live) = serve(Counter::default()).await;
    let resp = server
        .request(
            "POST",
            "/counter",
            &[
                ("content-type", "application/json"),
                ("origin", "http://evil.example"),
            ],
            r#"{"action":"increment"}"#,
        )
        .await
        .unwrap();
    assert_eq!(resp.status, 403);
    assert!(
        resp.body
            .contains("origin http://evil.example is not allowed"),
        "{}",
        resp.body
    );
}
