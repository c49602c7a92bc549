use gallery::catalog::Example;
use livetemplate::testing::TestServer;
use serde_json::json;

/// Runs `example`'s script if it is one of this category's (a new example
/// adds an arm: `"slug" => { …; true }`).
pub async fn script(example: &Example, server: &TestServer) -> bool {
    let path = example.path();
    match example.slug {
        "active-search" => {
            let mut tab = server.browser().open(&path).await.unwrap();
            // What the client sends after each pause in typing.
            for q in [
                "arr",
                "arrow",
                "arrow with h",
                "arrow with <b>",
                "",
                "heart",
            ] {
                tab.act("change", json!({ "q": q })).await.unwrap();
            }
            tab.wait_for_text("characters match").await.unwrap();
            assert!(tab.html().contains("<mark>heart</mark>"), "{}", tab.html());
            tab.act("change", json!({ "q": "<b>" })).await.unwrap();
            tab.wait_for_text("No character's name contains")
                .await
                .unwrap();
            true
        }
        "url-filters" => {
            let mut tab = server.browser().open(&path).await.unwrap();
            // The links a person clicks, as the client sends them.
            for query in [
                json!({ "department": "kitchen" }),
                json!({ "department": "kitchen", "sort": "price-high" }),
                json!({ "department": "kitchen", "sort": "price-high", "page": "2" }),
                json!({ "department": "kitchen", "sort": "price-high" }),
                json!({ "page": "abc", "sort": "cheapest" }),
                json!({ "price": "over-50", "page": "9" }),
                json!({}),
            ] {
                tab.act("__navigate__", query).await.unwrap();
            }
            tab.wait_for_text("35 products · page 1 of 6")
                .await
                .unwrap();
            let bookmarked = server
                .browser()
                .open(&format!("{path}?department=kitchen&sort=price-high&page=2"))
                .await
                .unwrap();
            assert!(
                bookmarked.has_text("Wooden Spoon Set"),
                "{}",
                bookmarked.text()
            );
            true
        }
        _ => false,
    }
}
