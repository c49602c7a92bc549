use gallery::catalog::Example;
use livetemplate::testing::TestServer;
use serde_json::json;

/// Runs `example`'s script if it is one of this category's (a new example
/// adds an arm: `"slug" => { …; true }`).
pub async fn script(example: &Example, server: &TestServer) -> bool {
    let path = example.path();
    match example.slug {
        "animations" => {
            let mut tab = server.browser().open(&path).await.unwrap();
            tab.act("add", json!({ "text": "Buy <milk>" }))
                .await
                .unwrap();
            assert!(tab.html().contains("Buy &lt;milk&gt;"), "{}", tab.html());
            tab.act("add", json!({ "text": "  " })).await.unwrap();
            tab.wait_for_text("Type something to add.").await.unwrap();
            // Fades out, then the job removes it.
            tab.act("remove", json!({ "value": 1 })).await.unwrap();
            assert!(tab.html().contains(r#"class="leaving""#), "{}", tab.html());
            while tab.has_text("Water the plants") {
                tab.next_frame().await.unwrap();
            }
            tab.click("toggle").await.unwrap();
            assert!(tab.has_text("2 items in the list."), "{}", tab.text());
            tab.click("toggle").await.unwrap();
            assert!(tab.has_text("Show details"), "{}", tab.text());
            true
        }
        "loading-states" => {
            let mut tab = server.browser().open(&path).await.unwrap();
            tab.act("save", json!({ "note": "" })).await.unwrap();
            tab.wait_for_text("Write a note first.").await.unwrap();
            tab.act("save", json!({ "note": "First" })).await.unwrap();
            assert!(tab.has_text("Saving “First”…"), "{}", tab.text());
            // A second save while one runs changes nothing.
            tab.act("save", json!({ "note": "Second" })).await.unwrap();
            while tab.has_text("Saving “First”…") {
                tab.next_frame().await.unwrap();
            }
            assert!(tab.has_text("First"), "{}", tab.text());
            assert!(!tab.has_text("Second"), "{}", tab.text());
            true
        }
        "highlight" => {
            let mut tab = server.browser().open(&path).await.unwrap();
            assert!(
                !tab.html().contains("lvt-fx:highlight"),
                "nothing changed yet"
            );
            tab.click("update").await.unwrap();
            assert_eq!(
                tab.html().matches("lvt-fx:highlight").count(),
                2,
                "{}",
                tab.html()
            );
            tab.click("updateOne").await.unwrap();
            assert_eq!(
                tab.html().matches("lvt-fx:highlight").count(),
                1,
                "{}",
                tab.html()
            );
            tab.wait_for_text("Prices, updated 2 times").await.unwrap();
            true
        }
        "flash-messages" => {
            let mut browser = server.browser();
            let mut tab = browser.open(&path).await.unwrap();
            tab.act("send", json!({ "message": "Lunch at <noon>?" }))
                .await
                .unwrap();
            assert!(
                tab.html().contains("Sent “Lunch at &lt;noon&gt;?”."),
                "{}",
                tab.html()
            );
            tab.act("send", json!({ "message": "" })).await.unwrap();
            assert!(
                tab.has_text("Write something before sending."),
                "{}",
                tab.text()
            );
            assert!(!tab.has_text("Sent “Lunch"), "one flash at a time");
            tab.click("check").await.unwrap();
            assert!(tab.has_text("No replies yet"), "{}", tab.text());
            tab.click("dismiss").await.unwrap();
            assert!(!tab.has_text("No replies yet"), "{}", tab.text());
            // Without JavaScript: the flash shows once after the redirect.
            let posted = browser
                .post_form(&path, "message=From+a+form&send=")
                .await
                .unwrap();
            assert_eq!(posted.status, 303);
            let page = browser
                .request("GET", &path, &[("accept", "text/html")], "")
                .await
                .unwrap();
            assert!(page.body.contains("Sent “From a form”."), "{}", page.body);
            let again = browser
                .request("GET", &path, &[("accept", "text/html")], "")
                .await
                .unwrap();
            assert!(!again.body.contains("Sent “From a form”."), "shown once");
            true
        }
        _ => false,
    }
}
