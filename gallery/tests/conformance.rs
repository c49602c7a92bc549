//! Every gallery example, driven through a script of what a person would do,
//! with every update the server sends replayed through the stock client's
//! tree renderer: after each one it must show what the server rendered.

#[path = "../../livetemplate/tests/conformance/replay.rs"]
mod replay;
mod scripts;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use gallery::catalog::{Example, EXAMPLES};
use livetemplate::testing::{Browser, TestServer};
use livetemplate::LiveTemplate;
use serde_json::{json, Value};

/// Per client tree: its updates and the HTML after each.
type Traces = Arc<Mutex<BTreeMap<u64, Vec<(Value, String)>>>>;

/// A browser signed in as `name`.
async fn signed_in(server: &TestServer, name: &str) -> Browser {
    let mut browser = server.browser();
    let answer = browser
        .post_form("/auth/sign-in", &format!("name={name}&return_to=/"))
        .await
        .unwrap();
    assert_eq!(answer.status, 303, "{}", answer.body);
    browser
}

/// What a person does on `example`. A new example needs a script here.
async fn script(example: &Example, server: &TestServer) {
    let path = example.path();
    match example.slug {
        "server-push" => {
            let mut tab = server.browser().open(&path).await.unwrap();
            tab.click("startTimer").await.unwrap();
            // Each wait is bounded: go by steps (the run takes 10 real seconds;
            // paused time does not mix with the real sockets under test).
            for text in [
                "Timer running: 4 / 10s",
                "Timer running: 8 / 10s",
                "Last completed: 10s",
            ] {
                tab.wait_for_text(text).await.unwrap();
            }
            tab.click("startTimer").await.unwrap();
            tab.wait_for_text("Timer running: 2 / 10s").await.unwrap();
        }
        "ticker" => {
            let mut browser = server.browser();
            let mut tab1 = browser.open(&path).await.unwrap();
            tab1.wait_for_text("2 s").await.unwrap();
            let mut tab2 = browser.open(&path).await.unwrap();
            tab2.wait_for_text("3 s").await.unwrap();
            tab1.click("reset").await.unwrap();
            tab2.wait_for_text("1 s").await.unwrap();
        }
        "dashboard" => {
            let mut tab = server.browser().open(&path).await.unwrap();
            tab.click("refresh").await.unwrap();
            tab.wait_for_text("sample 2").await.unwrap();
        }
        "file-upload" => {
            let mut tab = server.browser().open(&path).await.unwrap();
            let files = json!([{ "name": "dot.png", "type": "image/png", "size": 8 },
                { "name": "setup.exe", "type": "application/x-msdownload", "size": 8 }]);
            let start = json!({ "action": "upload_start", "upload_name": "files", "files": files });
            tab.send_text(&start.to_string()).await.unwrap();
            let id = loop {
                if let livetemplate::testing::Frame::Upload(reply) = tab.next_frame().await.unwrap()
                {
                    break reply["entries"][0]["entry_id"]
                        .as_str()
                        .unwrap()
                        .to_string();
                }
            };
            tab.wait_for_text("not accepted here").await.unwrap();
            // A PNG's eight magic bytes, base64.
            let chunk = json!({ "action": "upload_chunk", "entry_id": id,
                "chunk_base64": "iVBORw0KGgo=", "offset": 0, "total": 8 });
            tab.send_text(&chunk.to_string()).await.unwrap();
            let done =
                json!({ "action": "upload_complete", "upload_name": "files", "entry_ids": [id] });
            tab.send_text(&done.to_string()).await.unwrap();
            tab.wait_for_text("ready").await.unwrap();
            tab.click("send").await.unwrap();
            tab.wait_for_text("Sent.").await.unwrap();
        }
        "export" => {
            let mut browser = server.browser();
            let mut tab = browser.open(&path).await.unwrap();
            tab.act("startExport", json!({ "fail": "on" }))
                .await
                .unwrap();
            tab.wait_for_text("Failed: the disk is full").await.unwrap();
            tab.click("startExport").await.unwrap();
            tab.wait_for_text("Complete").await.unwrap();
        }
        "notifications" => {
            let mut ana = signed_in(server, "ana").await;
            let (mut a1, mut a2) = (
                ana.open(&path).await.unwrap(),
                ana.open(&path).await.unwrap(),
            );
            a1.act("send", json!({ "to": "ana", "message": "hello ana" }))
                .await
                .unwrap();
            a2.wait_for_text("hello ana").await.unwrap();
            a1.act("send", json!({ "to": "nobody", "message": "x" }))
                .await
                .unwrap();
            a1.click("dismiss").await.unwrap();
        }
        "webhook" => {
            let mut tab = signed_in(server, "wes").await.open(&path).await.unwrap();
            let body = r#"{"user_id":"wes","message":"Deploy finished"}"#;
            // Signed with the secret the page shows, as its commands do.
            let secret = tab.html().split(r#"class="secret">"#).nth(1).unwrap();
            let secret = secret.split('<').next().unwrap();
            let signature =
                gallery::examples::realtime::webhook::signature(secret, body.as_bytes());
            let answer = server
                .request(
                    "POST",
                    "/webhooks/notify",
                    &[
                        ("content-type", "application/json"),
                        ("x-signature", &signature),
                    ],
                    body,
                )
                .await
                .unwrap();
            assert_eq!(answer.body, r#"{"delivered":1}"#);
            tab.wait_for_text("Deploy finished").await.unwrap();
        }
        "welcome" => {
            let mut tab = signed_in(server, "wil").await.open(&path).await.unwrap();
            tab.wait_for_text("Welcome back, wil!").await.unwrap();
            tab.click("dismiss").await.unwrap();
        }
        "cross-tab" => {
            let mut browser = server.browser();
            let (mut t1, mut t2) = (
                browser.open(&path).await.unwrap(),
                browser.open(&path).await.unwrap(),
            );
            t1.click("increment").await.unwrap();
            t2.wait_for_text("Sync dispatches received: 1")
                .await
                .unwrap();
            t1.click("wave").await.unwrap();
            t2.wait_for_text("Waves received: 1").await.unwrap();
            t2.click("ringAll").await.unwrap();
            t1.wait_for_text("Rings: 1").await.unwrap();
        }
        "chat" => {
            let mut cai_browser = signed_in(server, "cai").await;
            let mut cai = cai_browser.open(&path).await.unwrap();
            let mut dee = signed_in(server, "dee").await.open(&path).await.unwrap();
            cai.wait_for_text("Here now (2)").await.unwrap();
            // A second tab of cai's: still one entry, with its tab count.
            let cai_again = cai_browser.open(&path).await.unwrap();
            dee.wait_for_text("cai · 2 tabs").await.unwrap();
            cai_again.close().await;
            while dee.has_text("2 tabs") {
                dee.next_frame().await.unwrap();
            }
            assert!(dee.has_text("Here now (2)"), "{}", dee.text());
            cai.act("send", json!({ "text": "hello dee" }))
                .await
                .unwrap();
            dee.wait_for_text("cai hello dee").await.unwrap();
            dee.close().await;
            cai.wait_for_text("Here now (1)").await.unwrap();
        }
        "multi-instance" => {
            let mut browser = server.browser();
            let (mut t1, mut t2) = (
                browser.open(&path).await.unwrap(),
                browser.open(&path).await.unwrap(),
            );
            assert!(t1.text().contains("Running alone"), "{}", t1.text());
            t1.click("increment").await.unwrap();
            t2.click("ping").await.unwrap();
            t1.wait_for_text("ping from instance").await.unwrap();
        }
        "delete-row" => {
            let mut tab = server.browser().open(&path).await.unwrap();
            tab.act("delete", json!({ "value": 2 })).await.unwrap();
            tab.click("undo").await.unwrap();
            for id in 1..=6 {
                tab.act("delete", json!({ "value": id })).await.unwrap();
            }
            tab.wait_for_text("Nobody left.").await.unwrap();
            tab.click("restore").await.unwrap();
        }
        "click-to-load" => {
            let mut tab = server.browser().open(&path).await.unwrap();
            while tab.html().contains("name=\"loadMore\"") {
                tab.click("loadMore").await.unwrap();
            }
            assert!(tab.has_text("Showing 45 of 45 orders."), "{}", tab.text());
        }
        "infinite-scroll" => {
            let mut tab = server.browser().open(&path).await.unwrap();
            for _ in 0..2 {
                tab.act("load_more", json!({})).await.unwrap();
            }
            tab.wait_for_text("60 of 200 commits loaded.")
                .await
                .unwrap();
        }
        "value-select" => {
            let mut tab = server.browser().open(&path).await.unwrap();
            tab.act("change", json!({ "country": "Japan" }))
                .await
                .unwrap();
            tab.act("change", json!({ "city": "Kyoto" })).await.unwrap();
            tab.wait_for_text("About 1.5 million people live in Kyoto, Japan.")
                .await
                .unwrap();
            tab.act("change", json!({ "country": "Kenya" }))
                .await
                .unwrap();
        }
        "sortable" => {
            let mut tab = server.browser().open(&path).await.unwrap();
            let drop = json!({ "dragSourceKey": "6", "dragTargetKey": "2" });
            tab.act("reorder", drop).await.unwrap();
            tab.act("move", json!({ "value": 1, "by": 1 }))
                .await
                .unwrap();
            tab.click("reset").await.unwrap();
        }
        "large-table" => {
            let mut tab = server.browser().open(&path).await.unwrap();
            tab.act("delete", json!({ "value": 9998 })).await.unwrap();
            tab.act("edit", json!({ "value": 10 })).await.unwrap();
            tab.act("rename", json!({ "value": 10, "name": "Zed <Z>" }))
                .await
                .unwrap();
            let row = json!({ "name": "New", "email": "new@example.com" });
            tab.act("add", row).await.unwrap();
            tab.act("sort", json!({ "value": "score" })).await.unwrap();
            tab.act("change", json!({ "filter": "zed" })).await.unwrap();
            tab.wait_for_text("Showing 1 of 10000 rows.").await.unwrap();
        }
        "click-to-edit" => {
            let mut tab = server.browser().open(&path).await.unwrap();
            tab.click("edit").await.unwrap();
            let empty =
                json!({ "first_name": "", "last_name": "Lovelace", "email": "ada@example.com" });
            tab.act("save", empty).await.unwrap();
            let saved = json!({ "first_name": "Augusta", "last_name": "Lovelace", "email": "ada@example.com" });
            tab.act("save", saved).await.unwrap();
            tab.wait_for_text("Augusta Lovelace").await.unwrap();
            tab.click("edit").await.unwrap();
            tab.click("cancel").await.unwrap();
        }
        "edit-row" => {
            let mut tab = server.browser().open(&path).await.unwrap();
            tab.act("edit", json!({ "id": 2 })).await.unwrap();
            let row = json!({ "id": 2, "name": "Alan M. Turing", "email": "alan@example.com" });
            tab.act("save", row).await.unwrap();
            tab.wait_for_text("Alan M. Turing").await.unwrap();
            tab.act("edit", json!({ "id": 1 })).await.unwrap();
            tab.click("cancel").await.unwrap();
        }
        "inline-validation" => {
            let mut tab = server.browser().open(&path).await.unwrap();
            for field in [
                json!({ "email": "nope" }),
                json!({ "email": "ann@example.com" }),
                json!({ "username": "admin" }),
                json!({ "username": "ann" }),
                json!({ "password": "abc" }),
                json!({ "password": "abc12345xyz" }),
            ] {
                tab.act("change", field).await.unwrap();
            }
            let form =
                json!({ "email": "ann@example.com", "username": "ann", "password": "abc12345xyz" });
            tab.act("register", form).await.unwrap();
        }
        "bulk-update" => {
            let mut tab = server.browser().open(&path).await.unwrap();
            tab.act("activate", json!({ "ids": ["2", "4", "1"] }))
                .await
                .unwrap();
            tab.wait_for_text("Activated 2 users. 1 already active.")
                .await
                .unwrap();
            tab.act("deactivate", json!({ "ids": ["2"] }))
                .await
                .unwrap();
        }
        "reset-input" => {
            let mut tab = server.browser().open(&path).await.unwrap();
            for note in ["milk", "milk", "bread"] {
                tab.act("add", json!({ "note": note })).await.unwrap();
            }
            tab.wait_for_text("bread").await.unwrap();
        }
        "preserve-inputs" => {
            let mut tab = server.browser().open(&path).await.unwrap();
            for to in ["ann", "ben", "nobody"] {
                tab.act("send", json!({ "to": to, "message": "See you at 5 <pm>" }))
                    .await
                    .unwrap();
            }
        }
        other => {
            let ran = scripts::search::script(example, server).await
                || scripts::loading::script(example, server).await
                || scripts::navigation::script(example, server).await
                || scripts::feedback::script(example, server).await
                || scripts::realtime::script(example, server).await;
            assert!(ran, "example {other:?} has no conformance script: add one");
        }
    }
}

#[tokio::test]
async fn every_example_renders_in_the_stock_client_as_on_the_server() {
    let traces = Traces::default();
    let sink = traces.clone();
    let live = LiveTemplate::builder(gallery::templates()).trace(move |t| {
        let mut traces = sink.lock().unwrap();
        traces
            .entry(t.view)
            .or_default()
            .push((t.update.clone(), t.html()));
    });
    let server = TestServer::start(gallery::app_with(live).unwrap().router).await;
    // The scripts run side by side; each uses its own browsers and names.
    futures_util::future::join_all(EXAMPLES.iter().map(|example| script(example, &server))).await;

    let mut replay = replay::Replay::start();
    let traces = std::mem::take(&mut *traces.lock().unwrap());
    let updates: usize = traces.values().map(Vec::len).sum();
    for (view, steps) in &traces {
        replay.reset(&format!("view {view}"), "");
        for (update, html) in steps {
            replay.step(update, html);
        }
    }
    let verdict = replay.finish();
    assert!(
        verdict.ok,
        "the client renders differently:\n{}",
        verdict.mismatches
    );
    assert!(
        updates >= EXAMPLES.len() * 3,
        "the scripts sent updates ({updates})"
    );
}
