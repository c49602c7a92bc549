//! Flash messages after a form posted without JavaScript: carried through
//! the `303` by the `lvt-flash` cookie, shown once by the page that follows.

use livetemplate::testing::{HttpResponse, TestServer};
use livetemplate::{Actions, Controller, LiveTemplate, Templates};
use serde::{Deserialize, Serialize};

const PAGE: &str = r#"<form method="post"><input name="title"><button name="save">Save</button></form>
{% if lvt.flash.success %}<p class="flash">{{ lvt.flash.success }}</p>{% endif %}
<p>Saved: {{ saved }}</p>"#;

struct Notes;

#[derive(Clone, Default, Serialize, Deserialize)]
struct NotesState {
    saved: u32,
}

impl Controller for Notes {
    type State = NotesState;

    fn actions(actions: &mut Actions<Self>) {
        actions.on("save", |_, state, ctx| {
            state.saved += 1;
            let title = ctx.get_string("title").unwrap_or_default();
            ctx.flash("success", format!("Saved “{title}”."));
            Ok(())
        });
    }
}

async fn serve() -> TestServer {
    let templates = Templates::from_fn(|name| (name == "notes.html").then(|| PAGE.into()));
    let live = LiveTemplate::new(templates);
    let router = axum::Router::new()
        .route("/notes", live.page("notes.html", Notes).build().unwrap())
        .route("/other", live.page("notes.html", Notes).build().unwrap());
    TestServer::start(router).await
}

fn set_cookies(response: &HttpResponse) -> Vec<&str> {
    response
        .headers
        .iter()
        .filter(|(name, _)| name == "set-cookie")
        .map(|(_, value)| value.as_str())
        .collect()
}

/// A page load of `path` that sends exactly `cookies`.
async fn get_with_cookies(server: &TestServer, path: &str, cookies: &str) -> HttpResponse {
    server
        .request(
            "GET",
            path,
            &[("accept", "text/html"), ("cookie", cookies)],
            "",
        )
        .await
        .unwrap()
}

fn flash_cookie(response: &HttpResponse) -> Option<&str> {
    set_cookies(response)
        .into_iter()
        .find(|c| c.starts_with("lvt-flash="))
}

#[tokio::test]
async fn a_flash_set_by_a_plain_post_shows_once_after_the_redirect() {
    let server = serve().await;
    let mut browser = server.browser();
    let posted = browser
        .post_form("/notes", "title=Groceries&save=")
        .await
        .unwrap();
    assert_eq!(posted.status, 303);
    let cookie = flash_cookie(&posted).expect("the 303 sets the flash cookie");
    for attribute in ["HttpOnly", "SameSite=Lax", "Path=/notes", "Max-Age=60"] {
        assert!(cookie.contains(attribute), "{cookie}");
    }

    let after = browser
        .request("GET", "/notes", &[("accept", "text/html")], "")
        .await
        .unwrap();
    assert!(
        after
            .body
            .contains(r#"<p class="flash">Saved “Groceries”.</p>"#),
        "{}",
        after.body
    );
    let cleared = flash_cookie(&after).expect("the page clears the flash cookie");
    assert!(
        cleared.starts_with("lvt-flash=;") && cleared.contains("Max-Age=0"),
        "{cleared}"
    );
    assert!(cleared.contains("Path=/notes"), "{cleared}");

    let again = browser
        .request("GET", "/notes", &[("accept", "text/html")], "")
        .await
        .unwrap();
    assert!(
        !again.body.contains("class=\"flash\""),
        "shown once: {}",
        again.body
    );
    assert!(flash_cookie(&again).is_none(), "nothing left to clear");
}

#[tokio::test]
async fn the_cookie_is_what_carries_the_flash() {
    // A page load without the cookie (it expired, or was blocked) shows the
    // post's outcome but no flash: the server keeps no copy to show twice.
    let server = serve().await;
    let mut browser = server.browser();
    browser
        .post_form("/notes", "title=Tea&save=")
        .await
        .unwrap();
    let session = browser.cookie("livetemplate-id").unwrap().to_string();
    let header = format!("livetemplate-id={session}");
    let page = get_with_cookies(&server, "/notes", &header).await;
    assert!(page.body.contains("Saved: 1"), "{}", page.body);
    assert!(!page.body.contains("Tea"), "{}", page.body);
}

#[tokio::test]
async fn a_flash_cookie_from_another_group_or_page_shows_nothing() {
    let server = serve().await;
    let mut ann = server.browser();
    let posted = ann.post_form("/notes", "title=Mine&save=").await.unwrap();
    let cookie = flash_cookie(&posted)
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_string();

    // Another browser replays Ann's cookie: not signed for its group.
    let mut ben = server.browser();
    ben.request("GET", "/notes", &[("accept", "text/html")], "")
        .await
        .unwrap();
    let ben_id = ben.cookie("livetemplate-id").unwrap().to_string();
    let header = format!("livetemplate-id={ben_id}; {cookie}");
    let page = get_with_cookies(&server, "/notes", &header).await;
    assert!(!page.body.contains("Mine"), "{}", page.body);
    assert!(flash_cookie(&page).is_some(), "the bad cookie is cleared");

    // Ann's own cookie on another page: signed for /notes only.
    let ann_id = ann.cookie("livetemplate-id").unwrap().to_string();
    let header = format!("livetemplate-id={ann_id}; {cookie}");
    let other = get_with_cookies(&server, "/other", &header).await;
    assert!(!other.body.contains("Mine"), "{}", other.body);
}

#[tokio::test]
async fn hostile_flash_text_is_escaped() {
    let server = serve().await;
    let mut browser = server.browser();
    browser
        .post_form("/notes", "title=%3Cscript%3Ealert(1)%3C%2Fscript%3E&save=")
        .await
        .unwrap();
    let after = browser
        .request("GET", "/notes", &[("accept", "text/html")], "")
        .await
        .unwrap();
    assert!(!after.body.contains("<script>alert(1)"), "{}", after.body);
    assert!(
        after.body.contains("&lt;script&gt;alert(1)"),
        "{}",
        after.body
    );
}

#[tokio::test]
async fn a_flash_over_the_websocket_sets_no_cookie() {
    let server = serve().await;
    let mut browser = server.browser();
    let mut tab = browser.open("/notes").await.unwrap();
    tab.act("save", serde_json::json!({ "title": "Live" }))
        .await
        .unwrap();
    assert!(tab.html().contains("Saved “Live”."), "{}", tab.html());
    assert!(browser.cookie("lvt-flash").is_none());
}
