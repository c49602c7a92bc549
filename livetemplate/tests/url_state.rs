//! State in the URL: the page's query, read with `MountContext::query_as`,
//! renders the same page over GET (a bookmark, a reload) and over the
//! socket (`__navigate__`, as the client sends for a link that changes
//! only the query); a value that does not fit is a message, not a failure.

use livetemplate::testing::TestServer;
use livetemplate::{ActionError, Actions, Controller, LiveTemplate, MountContext, Templates};
use serde::{Deserialize, Serialize};
use serde_json::json;

const PAGE: &str = r#"<p>Page {{ page }}, by {{ sort }}{% if shade %}, {{ shade }}{% endif %}</p>
{% for problem in problems %}<p role="alert">{{ problem }}</p>{% endfor %}
<a href="?page={{ page + 1 }}&sort={{ sort }}">Next</a>"#;

#[derive(Default, Deserialize)]
#[serde(default)]
struct Filters {
    page: u32,
    sort: Sort,
    shade: Option<String>,
}

#[derive(Clone, Copy, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
enum Sort {
    #[default]
    Name,
    Price,
}

#[derive(Clone, Default, Serialize, Deserialize)]
struct Listing {
    page: u32,
    sort: Sort,
    shade: Option<String>,
    problems: Vec<String>,
}

struct Catalog;

impl Controller for Catalog {
    type State = Listing;

    fn actions(_: &mut Actions<Self>) {}

    fn mount(&self, ctx: &MountContext) -> Result<Listing, ActionError> {
        let query = ctx.query_as::<Filters>();
        Ok(Listing {
            page: query.value.page.max(1),
            sort: query.value.sort,
            shade: query.value.shade,
            problems: query.errors.iter().map(ToString::to_string).collect(),
        })
    }
}

async fn serve() -> TestServer {
    let live = LiveTemplate::new(Templates::from_fn(|name| {
        (name == "list.html").then(|| PAGE.to_string())
    }));
    let route = live
        .page("list.html", Catalog)
        .build()
        .expect("page builds");
    let app = axum::Router::new()
        .route("/list", route)
        .merge(live.routes());
    TestServer::start(app).await
}

/// The GET page's text, tags removed, spaces folded.
async fn page_text(server: &TestServer, path: &str) -> (u16, String) {
    let page = server
        .browser()
        .request("GET", path, &[("accept", "text/html")], "")
        .await
        .unwrap();
    let text = strip_tags(&page.body);
    (page.status, text)
}

fn strip_tags(html: &str) -> String {
    let mut out = String::new();
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' => {
                in_tag = false;
                out.push(' ');
            }
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[tokio::test]
async fn the_query_renders_the_same_page_over_get_and_over_the_socket() {
    let server = serve().await;
    let (status, text) = page_text(&server, "/list?page=2&sort=price").await;
    assert_eq!(status, 200);
    assert!(text.contains("Page 2, by price"), "{text}");

    let tab = server
        .browser()
        .open("/list?page=2&sort=price")
        .await
        .unwrap();
    assert!(tab.has_text("Page 2, by price"), "{}", tab.text());
}

#[tokio::test]
async fn navigate_mounts_again_and_matches_a_fresh_get_of_that_url() {
    let server = serve().await;
    let mut tab = server.browser().open("/list").await.unwrap();
    assert!(tab.has_text("Page 1, by name"), "{}", tab.text());

    // What the client sends for `<a href="?page=3&sort=price">`.
    let frame = tab
        .act("__navigate__", json!({ "page": "3", "sort": "price" }))
        .await
        .unwrap();
    assert!(frame.errors().is_empty(), "{:?}", frame.errors());
    assert!(tab.has_text("Page 3, by price"), "{}", tab.text());
    let (_, text) = page_text(&server, "/list?page=3&sort=price").await;
    assert!(
        text.contains(&tab.text()),
        "GET: {text}\nsocket: {}",
        tab.text()
    );

    // Back to where it was: the client navigates with the old query.
    tab.act("__navigate__", json!({})).await.unwrap();
    assert!(tab.has_text("Page 1, by name"), "{}", tab.text());
}

#[tokio::test]
async fn a_value_that_does_not_fit_is_a_message_and_the_rest_still_applies() {
    let server = serve().await;
    let (_, text) = page_text(&server, "/list?page=&sort=price&shade=").await;
    assert!(
        text.contains("Page 1, by price Next"),
        "an empty value is a missing one: {text}"
    );

    let (status, text) = page_text(&server, "/list?page=two&sort=size&shade=teal&utm=x").await;
    assert_eq!(status, 200, "a bad parameter is not a failed page: {text}");
    assert!(text.contains("Page 1, by name, teal"), "{text}");
    assert!(
        text.contains("two&quot; is not a valid page: invalid digit found in string"),
        "{text}"
    );
    assert!(
        text.contains("size&quot; is not a valid sort: unknown variant `size`"),
        "{text}"
    );

    let mut tab = server.browser().open("/list").await.unwrap();
    let frame = tab
        .act("__navigate__", json!({ "page": "-1", "sort": "price" }))
        .await
        .unwrap();
    assert!(frame.errors().is_empty(), "{:?}", frame.errors());
    assert!(tab.has_text("Page 1, by price"), "{}", tab.text());
    assert!(
        tab.has_text("is not a valid page: invalid digit"),
        "{}",
        tab.text()
    );
}
