use gallery::catalog::Example;
use livetemplate::testing::TestServer;
use serde_json::json;

/// Runs `example`'s script if it is one of this category's (a new example
/// adds an arm: `"slug" => { …; true }`).
pub async fn script(example: &Example, server: &TestServer) -> bool {
    let path = example.path();
    match example.slug {
        "tabs" => {
            let mut tab = server.browser().open(&path).await.unwrap();
            // Tab links, then Back (the client navigates to the earlier query).
            for to in ["specs", "reviews", "specs", "pricing", "overview"] {
                tab.act("__navigate__", json!({ "tab": to })).await.unwrap();
            }
            tab.wait_for_text("boils water").await.unwrap();
            let reloaded = server
                .browser()
                .open(&format!("{path}?tab=reviews"))
                .await
                .unwrap();
            assert!(reloaded.has_text("Three years"), "{}", reloaded.text());
            true
        }
        _ => false,
    }
}
