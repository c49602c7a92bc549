use std::time::Duration;

use gallery::catalog::Example;
use livetemplate::testing::TestServer;
use serde_json::json;

/// Runs `example`'s script if it is one of this category's (a new example
/// adds an arm: `"slug" => { …; true }`).
pub async fn script(example: &Example, server: &TestServer) -> bool {
    let path = example.path();
    match example.slug {
        "lazy-loading" => {
            let mut browser = server.browser();
            // Without a connection: placeholders, and no data. (The page
            // shows the sources too, escaped: markup is the live region's.)
            let page = browser
                .request("GET", &path, &[("accept", "text/html")], "")
                .await
                .unwrap();
            let placeholder = r#"<span class="sr-only">Loading the orders…</span>"#;
            assert!(page.body.contains(placeholder), "{}", page.body);
            assert!(!page.body.contains("<strong>Ada Lovelace</strong>"));
            // Connected: the first frame has the placeholders, then each
            // part arrives in its own push.
            let mut tab = browser.open(&path).await.unwrap();
            assert!(tab.has_text("Loading the account…"), "{}", tab.text());
            tab.wait_for_text("Ada Lovelace").await.unwrap();
            tab.wait_for_text("Mechanical keyboard").await.unwrap();
            tab.wait_for_text("Monitor arm").await.unwrap();
            assert!(!tab.has_text("Loading the picks…"));
            // Reload: placeholders again in the click's own reply, then the data.
            tab.click("reload").await.unwrap();
            assert!(tab.has_text("Loading the orders…"), "{}", tab.text());
            tab.wait_for_text("Monitor arm").await.unwrap();
            true
        }
        "progress-bar" => {
            let mut browser = server.browser();
            let mut tab = browser.open(&path).await.unwrap();
            let mut other = browser.open(&path).await.unwrap();
            tab.click("start").await.unwrap();
            for text in ["Working… 25%", "Working… 50%", "Done: 100%"] {
                tab.wait_for_text(text).await.unwrap();
            }
            // The other tab of the group followed the same run.
            other.wait_for_text("Done: 100%").await.unwrap();
            // Start again, and cancel from the other tab.
            tab.click("start").await.unwrap();
            other.wait_for_text("Working… 10%").await.unwrap();
            other.click("cancel").await.unwrap();
            assert!(other.has_text("Cancelled at"), "{}", other.text());
            tab.wait_for_text("Cancelled at").await.unwrap();
            // The task is gone: no step comes in the time of three.
            let quiet = tab.next_frame_within(Duration::from_millis(450)).await;
            assert!(quiet.is_err(), "a step after Cancel: {quiet:?}");
            true
        }
        "async-operations" => {
            let mut tab = server.browser().open(&path).await.unwrap();
            tab.act("fetch", json!({})).await.unwrap();
            assert!(tab.has_text("Fetching…"), "{}", tab.text());
            tab.wait_for_text("Report ready: 1284 orders")
                .await
                .unwrap();
            tab.act("fetch", json!({ "fail": "on" })).await.unwrap();
            tab.wait_for_text("Failed: the report service timed out (simulated)")
                .await
                .unwrap();
            tab.click("fetch").await.unwrap();
            tab.wait_for_text("attempt 3").await.unwrap();
            assert!(tab.has_text("Report ready"), "{}", tab.text());
            true
        }
        _ => false,
    }
}
