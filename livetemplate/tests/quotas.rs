//! What the server keeps per visitor stays bounded, and one client cannot
//! push out another's: persisted fields, HTTP-mode views, hand-off links.

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::{serve_with, templates, Counter};
use livetemplate::testing::TestServer;
use livetemplate::{ActionError, Actions, Controller, LiveTemplate, MemoryStore, Templates};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// A page whose one field survives reloads.
struct Notes;

#[derive(Clone, Default, Serialize, Deserialize)]
struct NotesState {
    note: String,
}

impl Controller for Notes {
    type State = NotesState;
    const PERSIST: &'static [&'static str] = &["note"];

    fn actions(actions: &mut Actions<Self>) {
        actions.on("setNote", |_, s, ctx| {
            s.note = ctx
                .get_string("note")
                .ok_or_else(|| ActionError::msg("no note"))?;
            Ok(())
        });
    }
}

fn notes_templates() -> Templates {
    Templates::from_fn(|name| {
        (name == "notes.html")
            .then(|| "<p>Note: {{ note }}</p><button name=\"setNote\">save</button>".to_string())
    })
}

/// A visitor (its own cookie) saying `note` over HTTP; returns the status.
async fn set_note(server: &TestServer, visitor: &str, note: &str) -> u16 {
    let cookie = format!("livetemplate-id={visitor}");
    let body = format!(r#"{{"action":"setNote","data":{{"note":"{note}"}}}}"#);
    let headers = [("content-type", "application/json"), ("cookie", &cookie)];
    let answer = server
        .request("POST", "/notes", &headers, body)
        .await
        .unwrap();
    answer.status
}

async fn page_of(server: &TestServer, visitor: &str) -> String {
    let cookie = format!("livetemplate-id={visitor}");
    let answer = server
        .request("GET", "/notes", &[("cookie", &cookie)], "")
        .await
        .unwrap();
    assert_eq!(answer.status, 200);
    answer.body
}

#[tokio::test]
async fn ten_thousand_visitors_leave_at_most_the_store_cap() {
    let store = Arc::new(MemoryStore::new().max_entries(1_000));
    let live = LiveTemplate::builder(notes_templates())
        .store(store.clone())
        // Views are dropped once idle: this test is about the store.
        .http_view_idle(Duration::ZERO)
        .build();
    let app = axum::Router::new().route("/notes", live.page("notes.html", Notes).build().unwrap());
    let server = TestServer::start(app).await;
    for n in 0..10_000 {
        assert_eq!(
            set_note(&server, &format!("v{n}"), &format!("n{n}")).await,
            200
        );
    }
    assert_eq!(
        store.len(),
        1_000,
        "the store keeps its cap, not every visitor"
    );
    // The newest are kept, the oldest went first.
    assert!(page_of(&server, "v9999").await.contains("Note: n9999"));
    assert!(page_of(&server, "v0").await.contains("Note: </p>"));
}

/// `count` of the counter page as a visitor acting over HTTP sees it.
async fn increment(server: &TestServer, visitor: &str) -> (u16, Value) {
    let cookie = format!("livetemplate-id={visitor}");
    let headers = [("content-type", "application/json"), ("cookie", &cookie)];
    let answer = server
        .request("POST", "/counter", &headers, r#"{"action":"increment"}"#)
        .await
        .unwrap();
    let body = serde_json::from_str(&answer.body).unwrap_or(Value::Null);
    (answer.status, body)
}

fn count_in(update: &Value) -> String {
    let mut tree = Value::Null;
    livetemplate::unstable::apply_update(&mut tree, &update["tree"]).unwrap();
    livetemplate::unstable::render_html(&tree)
}

#[tokio::test]
async fn made_up_cookies_do_not_push_out_a_visitors_http_view() {
    let (server, _live) = serve_with(LiveTemplate::new(templates()), Counter::default()).await;
    let (status, first) = increment(&server, "visitor").await;
    assert_eq!(status, 200);
    assert!(count_in(&first).contains("Count: <b>1</b>"));
    let mut refused = 0;
    for n in 0..10_000 {
        let (status, body) = increment(&server, &format!("made-up-{n}")).await;
        match status {
            200 => {}
            503 => {
                assert_eq!(body["code"], "too_many_sessions", "{body}");
                refused += 1;
            }
            other => panic!("{other}: {body}"),
        }
    }
    assert_eq!(refused, 1, "the 10,000 slots were full for the last one");
    let (status, again) = increment(&server, "visitor").await;
    assert_eq!(status, 200);
    assert!(
        count_in(&again).contains("Count: <b>2</b>"),
        "the visitor's view was kept: {}",
        count_in(&again)
    );
}

#[tokio::test]
async fn idle_http_views_make_room() {
    let live = LiveTemplate::builder(templates())
        .max_http_views(2)
        .http_view_idle(Duration::from_millis(200))
        .build();
    let (server, _live) = serve_with(live, Counter::default()).await;
    assert_eq!(increment(&server, "a").await.0, 200);
    assert_eq!(increment(&server, "b").await.0, 200);
    assert_eq!(increment(&server, "c").await.0, 503);
    // Once a and b idled past 200 ms, c gets a view.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(3);
    while increment(&server, "c").await.0 == 503 {
        assert!(tokio::time::Instant::now() < deadline, "no room within 3 s");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // a starts over: its view was dropped.
    let (_, a) = increment(&server, "a").await;
    assert!(count_in(&a).contains("Count: <b>1</b>"));
}

async fn new_link(server: &TestServer, group: &str) -> (u16, Value) {
    let cookie = format!("livetemplate-id={group}");
    let answer = server
        .request(
            "POST",
            livetemplate::HANDOFF_PATH,
            &[("cookie", &cookie)],
            "",
        )
        .await
        .unwrap();
    (
        answer.status,
        serde_json::from_str(&answer.body).unwrap_or(Value::Null),
    )
}

#[tokio::test]
async fn made_up_cookies_do_not_evict_open_handoff_links() {
    let (server, _live) = serve_with(LiveTemplate::new(templates()), Counter::default()).await;
    let (status, link) = new_link(&server, "visitor").await;
    assert_eq!(status, 200, "{link}");
    let url = link["url"].as_str().unwrap().to_string();
    let mut refused = 0;
    for n in 0..10_000 {
        match new_link(&server, &format!("made-up-{n}")).await {
            (200, _) => {}
            (503, body) => {
                assert!(
                    body["error"].as_str().unwrap().contains("too many"),
                    "{body}"
                );
                refused += 1;
            }
            (other, body) => panic!("{other}: {body}"),
        }
    }
    assert_eq!(refused, 1, "the 10,000 slots were full for the last one");
    let origin = server.url("");
    let join = server
        .request(
            "POST",
            &url,
            &[
                ("origin", origin.as_str()),
                ("content-type", "application/x-www-form-urlencoded"),
            ],
            "next=/counter",
        )
        .await
        .unwrap();
    assert_eq!(
        join.status, 303,
        "the visitor's link still works: {}",
        join.body
    );
}

#[tokio::test]
async fn a_group_keeps_its_newest_links_within_its_quota() {
    let live = LiveTemplate::builder(templates())
        .max_handoff_links_per_group(2)
        .build();
    let (server, _live) = serve_with(live, Counter::default()).await;
    let mut urls = Vec::new();
    for _ in 0..3 {
        let (status, link) = new_link(&server, "g").await;
        assert_eq!(status, 200);
        urls.push(link["url"].as_str().unwrap().to_string());
    }
    let status = |url: String| {
        let server = &server;
        async move { server.request("GET", &url, &[], "").await.unwrap().status }
    };
    assert_eq!(status(urls[0].clone()).await, 410, "the oldest went");
    assert_eq!(status(urls[1].clone()).await, 200);
    assert_eq!(status(urls[2].clone()).await, 200);
}
