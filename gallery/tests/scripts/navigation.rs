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
            // Tab links, as the client sends them (Back and Forward GET the page instead).
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
        "modal-dialog" => {
            let mut tab = server.browser().open(&path).await.unwrap();
            // The clock's push arrives while the page is open.
            tab.next_frame().await.unwrap();
            // The dialog's form, refused by the template's own checks.
            let refused = tab
                .act("save", json!({ "name": "", "email": "ada@example" }))
                .await
                .unwrap();
            assert!(refused.errors().contains_key("name"), "{refused:?}");
            assert!(tab.html().contains("data-key=\"edit-0\""), "still open");
            let name = json!({ "name": "Grace Hopper", "email": "grace@example.org" });
            tab.act("save", name).await.unwrap();
            assert!(tab.has_text("Grace Hopper"));
            assert!(tab.has_text("Saved at"));
            assert!(tab.html().contains("data-key=\"edit-1\""), "a new dialog");
            true
        }
        "confirm-dialog" => {
            let mut tab = server.browser().open(&path).await.unwrap();
            assert!(tab.has_text("Delete team-photo.jpg?"));
            // Cancel is the dialog's own: only the confirmation reaches the server.
            tab.act("delete", json!({ "value": 2 })).await.unwrap();
            assert!(tab.has_text("Deleted team-photo.jpg."));
            assert!(!tab.has_text("Delete team-photo.jpg?"));
            for id in [1, 3, 4] {
                tab.act("delete", json!({ "value": id })).await.unwrap();
            }
            tab.click("restore").await.unwrap();
            assert!(tab.has_text("team-photo.jpg"));
            true
        }
        "spa-navigation" => {
            let mut browser = server.browser();
            let mut home = browser.open(&path).await.unwrap();
            home.click("clap").await.unwrap();
            home.click("clap").await.unwrap();
            // The client leaves a page by closing its socket and opening the next.
            home.close().await;
            let mut tasks = browser.open(&format!("{path}/tasks")).await.unwrap();
            tasks
                .act("add", json!({ "title": "Water the plants" }))
                .await
                .unwrap();
            assert!(tasks.has_text("Water the plants"));
            assert!(tasks.has_text("Tasks (1)"));
            tasks.close().await;
            let mut settings = browser.open(&format!("{path}/settings")).await.unwrap();
            settings.click("toggle_digest").await.unwrap();
            assert!(settings.html().contains("aria-pressed=\"true\""));
            settings.close().await;
            let home = browser.open(&path).await.unwrap();
            assert!(home.html().contains("<strong>2</strong>"), "the claps kept");
            assert!(home.html().contains("aria-current=\"page\">Home"));
            true
        }
        "keyboard-shortcuts" => {
            let mut tab = server.browser().open(&path).await.unwrap();
            // j j Enter: the third message opens; Escape closes it.
            tab.act("next", json!({})).await.unwrap();
            tab.act("next", json!({})).await.unwrap();
            tab.act("open", json!({})).await.unwrap();
            assert!(tab.has_text("Notes on the analytical engine"));
            tab.act("escape", json!({})).await.unwrap();
            // / then typing: the search narrows the list; Escape empties it.
            tab.act("focus_search", json!({})).await.unwrap();
            assert!(tab.html().contains("data-key=\"search-1\" lvt-autofocus"));
            tab.act("search", json!({ "query": "invoice" }))
                .await
                .unwrap();
            assert!(tab.has_text("Invoice for the bombe parts"));
            assert!(!tab.has_text("Compiler meeting"));
            tab.act("escape", json!({})).await.unwrap();
            assert!(tab.has_text("Compiler meeting"));
            // ? shows the key list, Escape hides it.
            tab.click("help").await.unwrap();
            assert!(tab.html().contains("aria-label=\"Keyboard shortcuts\">"));
            tab.act("escape", json!({})).await.unwrap();
            assert!(tab
                .html()
                .contains("aria-label=\"Keyboard shortcuts\" hidden"));
            true
        }
        _ => false,
    }
}
