//! The page over plain HTTP: HTML, JSON, HEAD, POSTed actions, start-up checks.

mod common;

use common::{serve, Counter};
use serde_json::Value;

#[tokio::test]
async fn get_serves_the_wrapper_header_and_cookie() {
    let (server, _live) = serve(Counter::default()).await;
    let resp = server.request("GET", "/counter", &[], "").await.unwrap();
    assert_eq!(resp.status, 200);
    assert_eq!(resp.header("x-livetemplate-websocket"), Some("enabled"));
    let cookie = resp.header("set-cookie").unwrap();
    assert!(
        cookie.starts_with("livetemplate-id=")
            && cookie.contains("HttpOnly")
            && cookie.contains("SameSite=Lax"),
        "{cookie}"
    );
    assert!(
        resp.body.contains(r#"data-lvt-loading="true">"#),
        "{}",
        resp.body
    );
    assert!(resp.body.contains(r#"<div data-lvt-id="lvt-"#));
    assert!(resp.body.contains("Count: <b>0</b>"));
    assert!(resp.body.contains(livetemplate::CLIENT_SCRIPT_PATH));
}

#[tokio::test]
async fn head_answers_headers_only() {
    let (server, _live) = serve(Counter::default()).await;
    let resp = server.request("HEAD", "/counter", &[], "").await.unwrap();
    assert_eq!(resp.status, 200);
    assert_eq!(resp.header("x-livetemplate-websocket"), Some("enabled"));
    assert!(resp.body.is_empty());
}

#[tokio::test]
async fn json_get_returns_the_full_tree() {
    let (server, _live) = serve(Counter::default()).await;
    let resp = server
        .request("GET", "/counter", &[("accept", "application/json")], "")
        .await
        .unwrap();
    let v: Value = serde_json::from_str(&resp.body).unwrap();
    assert_eq!(v["meta"]["success"], true);
    assert!(v["tree"]["s"].is_array(), "{v}");
}

#[tokio::test]
async fn posted_json_actions_work_while_the_socket_is_down() {
    let (server, _live) = serve(Counter::default()).await;
    let headers = [
        ("content-type", "application/json"),
        ("cookie", "livetemplate-id=posttest"),
    ];
    let post = || async {
        let resp = server
            .request("POST", "/counter", &headers, r#"{"action":"increment"}"#)
            .await
            .unwrap();
        serde_json::from_str::<Value>(&resp.body).unwrap()
    };
    let first = post().await;
    assert_eq!(first["meta"]["action"], "increment");
    let second = post().await;
    let mut tree = Value::Null;
    livetemplate::unstable::apply_update(&mut tree, &second["tree"]).unwrap();
    assert!(
        livetemplate::unstable::render_html(&tree).contains("Count: <b>2</b>"),
        "state kept between POSTs"
    );

    let bad = server
        .request(
            "POST",
            "/counter",
            &[("content-type", "application/json")],
            "{oops",
        )
        .await
        .unwrap();
    assert_eq!(bad.status, 400);
    assert!(bad.body.contains("malformed_message"), "{}", bad.body);
}

#[tokio::test]
async fn form_post_without_javascript_redirects_back() {
    let (server, _live) = serve(Counter::default()).await;
    let resp = server
        .request(
            "POST",
            "/counter?start=1",
            &[
                ("content-type", "application/x-www-form-urlencoded"),
                ("cookie", "livetemplate-id=formtest"),
                ("origin", &server.url("")),
            ],
            "increment=",
        )
        .await
        .unwrap();
    assert_eq!(resp.status, 303);
    assert_eq!(resp.header("location"), Some("/counter?start=1"));
}

#[tokio::test]
async fn the_client_script_is_the_stock_bundle() {
    let (server, _live) = serve(Counter::default()).await;
    let resp = server
        .request("GET", livetemplate::CLIENT_SCRIPT_PATH, &[], "")
        .await
        .unwrap();
    assert_eq!(resp.status, 200);
    let installed = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../node_modules/@livetemplate/client/dist/livetemplate-client.browser.js"
    ))
    .unwrap();
    assert_eq!(resp.body.len(), installed.len());
    assert!(resp.body == installed);
}

/// Regression: a body that was not UTF-8 reached handlers as U+FFFD.
#[tokio::test]
async fn a_body_that_is_not_utf8_is_refused_with_a_400() {
    let (server, _live) = serve(Counter::default()).await;
    let origin = server.url("");
    let form = [
        ("content-type", "application/x-www-form-urlencoded"),
        ("cookie", "livetemplate-id=utf8test"),
        ("origin", &origin),
    ];
    for body in [&b"setLabel=&label=\xff"[..], b"setLabel=&label=%FF"] {
        let answer = server
            .request("POST", "/counter", &form, body)
            .await
            .unwrap();
        assert_eq!(answer.status, 400, "{}", answer.body);
        assert!(answer.body.contains("not_utf8"), "{}", answer.body);
    }
    let json = [("content-type", "application/json")];
    let answer = server
        .request(
            "POST",
            "/counter",
            &json,
            b"{\"action\":\"setLabel\",\"data\":{\"label\":\"\xff\"}}",
        )
        .await
        .unwrap();
    assert_eq!(answer.status, 400, "{}", answer.body);
    // A valid body still works, so nothing was left half-done.
    let answer = server
        .request("POST", "/counter", &form, "setLabel=&label=caf%C3%A9")
        .await
        .unwrap();
    assert_eq!(answer.status, 303);
}
