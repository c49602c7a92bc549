//! Every gallery example, driven through a script of what a person would do,
//! with every update the server sends replayed through the stock client's
//! tree renderer: after each one it must show what the server rendered.

#[path = "../../livetemplate/tests/conformance/replay.rs"]
mod replay;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use gallery::catalog::{Example, EXAMPLES};
use livetemplate::testing::{Tab, TestServer};
use livetemplate::LiveTemplate;
use serde_json::Value;

/// Per client tree: its updates and the HTML after each.
type Traces = Arc<Mutex<BTreeMap<u64, Vec<(Value, String)>>>>;

/// What a person does on `example`. A new example needs a script here.
async fn script(example: &Example, tab: &mut Tab) {
    match example.slug {
        "server-push" => {
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
        other => panic!("example {other:?} has no conformance script: add one here"),
    }
}

#[tokio::test]
async fn every_example_renders_in_the_stock_client_as_on_the_server() {
    let traces = Traces::default();
    let sink = traces.clone();
    let live = LiveTemplate::new(gallery::templates()).trace(move |t| {
        let mut traces = sink.lock().unwrap();
        traces
            .entry(t.view)
            .or_default()
            .push((t.update.clone(), t.html()));
    });
    let server = TestServer::start(gallery::app_with(live).unwrap().router).await;
    for example in EXAMPLES {
        let mut tab = server.browser().open(&example.path()).await.unwrap();
        script(example, &mut tab).await;
        tab.close().await;
    }

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
