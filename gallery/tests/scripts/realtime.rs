use gallery::catalog::Example;
use livetemplate::testing::TestServer;
use serde_json::json;

/// Runs `example`'s script if it is one of this category's (a new example
/// adds an arm: `"slug" => { …; true }`). The seeds' realtime examples are
/// still in `conformance.rs`.
pub async fn script(example: &Example, server: &TestServer) -> bool {
    let path = example.path();
    match example.slug {
        "live-preview" => {
            let mut tab = server.browser().open(&path).await.unwrap();
            assert!(
                tab.html().contains("<h3>Release notes</h3>"),
                "{}",
                tab.html()
            );
            let source = "# Hello *there*\n\n<script>alert(1)</script>\n\n\
                          [x](javascript:alert(1)) and [ok](https://example.com)";
            tab.act("render", json!({ "value": source })).await.unwrap();
            tab.wait_for_text("Hello there").await.unwrap();
            let html = tab.html().to_string();
            assert!(html.contains("<h3>Hello <em>there</em></h3>"), "{html}");
            // (minijinja escapes `/` too.)
            assert!(
                html.contains("&lt;script&gt;alert(1)&lt;&#x2f;script&gt;"),
                "{html}"
            );
            assert!(!html.contains("<script"), "{html}");
            assert!(!html.to_lowercase().contains("javascript:alert"), "{html}");
            assert!(
                html.contains(r#"href="https:&#x2f;&#x2f;example.com""#),
                "{html}"
            );
            assert!(tab.has_text("7 words"), "{}", tab.text());
            // The client sends a textarea of digits as a number.
            tab.act("render", json!({ "value": 42 })).await.unwrap();
            tab.wait_for_text("1 word").await.unwrap();
            tab.act("render", json!({ "value": "" })).await.unwrap();
            tab.wait_for_text("Nothing to preview yet.").await.unwrap();
            true
        }
        "pubsub" => {
            let (mut ana, mut ben) = (
                server.browser().open(&path).await.unwrap(),
                server.browser().open(&path).await.unwrap(),
            );
            ana.act("subscribe", json!({ "value": "alerts" }))
                .await
                .unwrap();
            assert!(ana.html().contains("Unsubscribe from #alerts"));
            let post = |topic: &str, text: &str| json!({ "topic": topic, "text": text });
            ben.act("publish", post("deploys", "v2 is out <b>"))
                .await
                .unwrap();
            ben.wait_for_text("to #deploys.").await.unwrap();
            ben.act("publish", post("alerts", "disk at 91%"))
                .await
                .unwrap();
            ana.wait_for_text("#alerts disk at 91%").await.unwrap();
            // Sent before the alert, to a topic ana does not follow: never came.
            assert!(!ana.text().contains("v2 is out"), "{}", ana.text());
            // ben follows only #chat: the alert is not in his feed either.
            assert!(
                !ben.text().contains("#alerts disk at 91%"),
                "{}",
                ben.text()
            );
            ana.act("unsubscribe", json!({ "value": "alerts" }))
                .await
                .unwrap();
            ben.act("publish", post("chat", "hello")).await.unwrap();
            ana.wait_for_text("#chat hello").await.unwrap();
            ben.wait_for_text("#chat hello").await.unwrap();
            ana.act("subscribe", json!({ "value": "nope" }))
                .await
                .unwrap();
            true
        }
        "multi-user-refresh" => {
            let (mut ana, mut ben) = (
                server.browser().open(&path).await.unwrap(),
                server.browser().open(&path).await.unwrap(),
            );
            let me = ana.html().split(r#"class="me">"#).nth(1).unwrap();
            let me = me.split('<').next().unwrap().to_string();
            assert!(me.starts_with("guest-"), "{me}");
            ana.act("add", json!({ "text": "Ship it <b>now</b>" }))
                .await
                .unwrap();
            ben.wait_for_text("Ship it &lt;b&gt;now").await.unwrap();
            ben.wait_for_text(&format!("Last change: {me} added"))
                .await
                .unwrap();
            let id = ben.html().split("data-key=\"").nth(3).unwrap();
            let id: u64 = id.split('"').next().unwrap().parse().unwrap();
            ben.act("toggle", json!({ "id": id })).await.unwrap();
            ana.wait_for_text("checked “Ship it").await.unwrap();
            ben.act("remove", json!({ "id": id })).await.unwrap();
            ana.wait_for_text("removed “Ship it").await.unwrap();
            ana.act("remove", json!({ "id": id })).await.unwrap();
            ana.click("reset").await.unwrap();
            ben.wait_for_text("reset the list").await.unwrap();
            true
        }
        "presence" => {
            let mut eli_browser = crate::signed_in(server, "eli").await;
            let mut eli = eli_browser.open(&path).await.unwrap();
            let mut fay = crate::signed_in(server, "fay")
                .await
                .open(&path)
                .await
                .unwrap();
            eli.wait_for_text("Here now (2)").await.unwrap();
            // A second tab of eli's: still one line, with the count.
            let eli_again = eli_browser.open(&path).await.unwrap();
            fay.wait_for_text("eli · 2 tabs").await.unwrap();
            // Typing shows beside eli for fay, until eli pauses.
            eli.act("typing", json!({ "text": "he" })).await.unwrap();
            fay.wait_for_text("eli · 2 tabs typing…").await.unwrap();
            eli.act("idle", json!({})).await.unwrap();
            while fay.has_text("typing…") {
                fay.next_frame().await.unwrap();
            }
            eli.act("typing", json!({ "text": "hello <b>" }))
                .await
                .unwrap();
            fay.wait_for_text("typing…").await.unwrap();
            // Saying something stops the typing and shows under the name.
            eli.act("say", json!({ "text": "hello <b>all</b>" }))
                .await
                .unwrap();
            fay.wait_for_text("hello &lt;b&gt;all").await.unwrap();
            assert!(!fay.has_text("typing…"), "{}", fay.text());
            let refused = eli.act("say", json!({ "text": "  " })).await.unwrap();
            assert_eq!(refused.errors()["text"], "say something");
            // Closing one of eli's tabs keeps eli, with one tab.
            eli_again.close().await;
            while fay.has_text("2 tabs") {
                fay.next_frame().await.unwrap();
            }
            assert!(fay.has_text("eli · 1 tab"), "{}", fay.text());
            assert!(fay.has_text("Here now (2)"), "{}", fay.text());
            // What eli said stays through another tab's tracking.
            let _third = eli_browser.open(&path).await.unwrap();
            fay.wait_for_text("eli · 2 tabs").await.unwrap();
            assert!(fay.has_text("hello &lt;b&gt;all"), "{}", fay.text());
            fay.close().await;
            eli.wait_for_text("fay left").await.unwrap();
            assert!(eli.has_text("Here now (1)"), "{}", eli.text());
            true
        }
        "reconnection" => {
            // As the stock client does it: the page load's token rides in
            // the socket's URL, so the tab can come back to its own view.
            let mut browser = server.browser();
            let page = browser
                .request("GET", &path, &[("accept", "text/html")], "")
                .await
                .unwrap();
            let token = page.body.split(r#""lvt_tab",""#).nth(1).unwrap();
            let socket = format!("{path}?lvt_tab={}", &token[..32]);
            let origin = server.url("");
            let mut tab = browser.connect(&socket, Some(&origin)).await.unwrap();
            tab.next_frame().await.unwrap();
            tab.click("start").await.unwrap();
            tab.wait_for_text("Tick 2 / 60").await.unwrap();
            tab.click("cut").await.unwrap();
            // Then the socket ends, with no close frame.
            assert!(tab.next_frame().await.is_err());
            let mut tab = browser.connect(&socket, Some(&origin)).await.unwrap();
            tab.next_frame().await.unwrap();
            assert!(tab.has_text("✂ marks each cut"), "{}", tab.text());
            tab.wait_for_text("Tick 4 / 60").await.unwrap();
            let ticks = tab.html().split(r#"class="ticks""#).nth(1).unwrap();
            assert!(
                ticks.contains(r#"class="cut-after">2<"#)
                    || ticks.contains(r#"class="cut-after">3<"#),
                "{ticks}"
            );
            for tick in 1..=4 {
                assert_eq!(
                    ticks.matches(&format!(">{tick}</li>")).count(),
                    1,
                    "{ticks}"
                );
            }
            true
        }
        _ => false,
    }
}
