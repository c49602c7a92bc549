//! Forms: the checks a template's fields ask for, on submit (WebSocket,
//! HTTP, a plain form post) and as a person types (`change`).

use livetemplate::testing::{Frame, TestServer};
use livetemplate::{ActionError, Actions, Context, Controller, LiveTemplate, Templates};
use serde::{Deserialize, Serialize};
use serde_json::json;

const SIGN_UP: &str = r#"<form lvt-form:action="save" method="post" novalidate>
<label>Email <input name="email" type="email" value="{{ email }}" required></label>
<small id="email-error">{{ lvt.errors.email }}</small>
<label>Username <input name="username" value="{{ username }}" required minlength="3" maxlength="20"></label>
<small id="username-error">{{ lvt.errors.username }}</small>
<button>Sign up</button> <button name="draft" formnovalidate>Keep as a draft</button>
</form>
<p>{% if saved %}Saved {{ email }}{% endif %}{% if drafts %} Drafts: {{ drafts }}{% endif %}</p>"#;

struct SignUp;

#[derive(Clone, Default, Serialize, Deserialize)]
struct Fields {
    email: String,
    username: String,
    saved: bool,
    drafts: u32,
}

impl Controller for SignUp {
    type State = Fields;

    fn actions(actions: &mut Actions<Self>) {
        actions
            .on("save", |_, s, ctx| {
                s.email = ctx.get_string("email").unwrap_or_default();
                s.username = ctx.get_string("username").unwrap_or_default();
                s.saved = true;
                Ok(())
            })
            .on("draft", |_, s, _| {
                s.drafts += 1;
                Ok(())
            })
            .on("change", change);
    }
}

/// Keeps what the person typed; a name that is taken is a rule only the
/// server knows.
fn change(_: &SignUp, s: &mut Fields, ctx: &mut Context<SignUp>) -> Result<(), ActionError> {
    if let Some(email) = ctx.get_string("email") {
        s.email = email;
    }
    if let Some(name) = ctx.get_string("username") {
        s.username = name;
        if s.username == "admin" {
            return Err(ActionError::field("username", "That name is taken."));
        }
    }
    if ctx.get_string("email").as_deref() == Some("boom") {
        return Err(ActionError::msg("the handler gave up"));
    }
    Ok(())
}

/// The same form with no `change` handler: the template's checks alone.
struct Plain;

impl Controller for Plain {
    type State = Fields;

    fn actions(actions: &mut Actions<Self>) {
        actions
            .on("save", |_, s, _| {
                s.saved = true;
                Ok(())
            })
            .on("draft", |_, s, _| {
                s.drafts += 1;
                Ok(())
            });
    }
}

/// A page without checks.
struct Counter;

impl Controller for Counter {
    type State = Fields;

    fn actions(actions: &mut Actions<Self>) {
        actions.on("draft", |_, s, _| {
            s.drafts += 1;
            Ok(())
        });
    }
}

async fn serve() -> TestServer {
    let templates = Templates::from_fn(|name| match name {
        "signup.html" => Some(SIGN_UP.into()),
        "counter.html" => Some(r#"<button name="draft">+</button> {{ drafts }}"#.into()),
        _ => None,
    });
    let live = LiveTemplate::new(templates);
    let router = axum::Router::new()
        .route("/signup", live.page("signup.html", SignUp).build().unwrap())
        .route("/plain", live.page("signup.html", Plain).build().unwrap())
        .route(
            "/counter",
            live.page("counter.html", Counter).build().unwrap(),
        );
    TestServer::start(router).await
}

#[tokio::test]
async fn the_first_frame_offers_change_where_a_field_is_checked() {
    let server = serve().await;
    for (path, offered) in [("/signup", true), ("/plain", true), ("/counter", false)] {
        let mut tab = server.browser().connect(path, None).await.unwrap();
        let Frame::Update { meta, .. } = tab.next_frame().await.unwrap() else {
            panic!("a first update")
        };
        let capabilities = meta["capabilities"].as_array().unwrap();
        assert_eq!(
            capabilities.contains(&json!("change")),
            offered,
            "{path}: {meta}"
        );
    }
}

#[tokio::test]
async fn a_submit_that_fails_a_check_shows_why_and_runs_nothing() {
    let server = serve().await;
    let mut tab = server.browser().open("/signup").await.unwrap();
    let reply = tab
        .act("save", json!({ "email": "ann@", "username": "an" }))
        .await
        .unwrap();
    let errors = reply.errors();
    assert_eq!(
        errors["email"],
        "Enter an email address, like name@example.com."
    );
    assert_eq!(errors["username"], "Use at least 3 characters (now 2).");
    assert!(tab.has_text("Use at least 3 characters (now 2)."));
    assert!(!tab.has_text("Saved"), "the handler did not run");

    let reply = tab
        .act(
            "save",
            json!({ "email": "ann@example.com", "username": "ann" }),
        )
        .await
        .unwrap();
    assert!(reply.errors().is_empty(), "{reply:?}");
    assert!(tab.has_text("Saved ann@example.com"));
    assert!(!tab.has_text("Enter an email address"), "the errors went");
}

#[tokio::test]
async fn a_submit_button_with_formnovalidate_is_not_checked() {
    let server = serve().await;
    let mut tab = server.browser().open("/signup").await.unwrap();
    let reply = tab.act("draft", json!({ "email": "x" })).await.unwrap();
    assert!(reply.errors().is_empty(), "{reply:?}");
    assert!(tab.has_text("Drafts: 1"));
}

#[tokio::test]
async fn as_a_person_types_only_that_field_is_judged() {
    let server = serve().await;
    for path in ["/signup", "/plain"] {
        let mut tab = server.browser().open(path).await.unwrap();
        tab.act("change", json!({ "email": "ann@" })).await.unwrap();
        assert!(
            tab.html()
                .contains("<small id=\"email-error\">Enter an email address"),
            "{path}"
        );
        assert!(
            tab.html().contains("<small id=\"username-error\"></small>"),
            "{path}: a field not yet touched shows nothing: {}",
            tab.html()
        );
        tab.act("change", json!({ "username": "a" })).await.unwrap();
        assert!(tab.has_text("Use at least 3 characters (now 1)."), "{path}");
        assert!(
            tab.has_text("Enter an email address"),
            "{path}: the other field's error stays"
        );
        tab.act("change", json!({ "email": "ann@example.com" }))
            .await
            .unwrap();
        assert!(
            !tab.has_text("Enter an email address"),
            "{path}: fixing it clears it"
        );
        assert!(tab.has_text("Use at least 3 characters"), "{path}");
    }
}

#[tokio::test]
async fn a_change_handler_keeps_what_was_typed_and_adds_its_own_errors() {
    let server = serve().await;
    let mut tab = server.browser().open("/signup").await.unwrap();
    tab.act("change", json!({ "email": "ann@" })).await.unwrap();
    assert!(
        tab.html().contains(r#"value="ann@""#),
        "the state keeps what was typed, checks failing or not: {}",
        tab.html()
    );
    tab.act("change", json!({ "username": "admin" }))
        .await
        .unwrap();
    assert!(tab.has_text("That name is taken."));
    assert!(tab.has_text("Enter an email address"));
    assert!(
        tab.html().contains(r#"value="admin""#),
        "a field error keeps what the handler kept: {}",
        tab.html()
    );
    let reply = tab.act("change", json!({ "email": "boom" })).await.unwrap();
    assert_eq!(reply.errors()["_general"], "the handler gave up");
    assert!(
        tab.html().contains(r#"value="ann@""#),
        "a general error leaves the state as it was: {}",
        tab.html()
    );
}

#[tokio::test]
async fn a_refused_submit_keeps_what_was_typed_through_change() {
    let server = serve().await;
    let mut browser = server.browser();
    let posted = browser
        .post_form("/signup", "lvt-action=save&email=nope&username=admin")
        .await
        .unwrap();
    assert_eq!(posted.status, 303);
    let after = browser
        .request("GET", "/signup", &[("accept", "text/html")], "")
        .await
        .unwrap();
    for text in [
        r#"value="nope""#,
        r#"value="admin""#,
        "Enter an email address, like name@example.com.",
        "That name is taken.",
    ] {
        assert!(after.body.contains(text), "{text:?} in {}", after.body);
    }
    assert!(
        !after.body.contains("Saved"),
        "the submit's handler did not run"
    );

    let mut tab = server.browser().open("/signup").await.unwrap();
    let reply = tab
        .act("save", json!({ "email": "ann@", "username": "ann" }))
        .await
        .unwrap();
    assert!(!reply.errors().is_empty(), "still refused");
    assert!(tab.html().contains(r#"value="ann@""#), "{}", tab.html());
}

#[tokio::test]
async fn a_plain_form_post_gets_the_same_checks_and_shows_them_after_the_redirect() {
    let server = serve().await;
    let mut browser = server.browser();
    let page = browser
        .request("GET", "/plain", &[("accept", "text/html")], "")
        .await
        .unwrap();
    assert!(!page.body.contains("Enter an email address"));
    let posted = browser
        .post_form("/plain", "lvt-action=save&email=nope&username=ann")
        .await
        .unwrap();
    assert_eq!(posted.status, 303);
    let after = browser
        .request("GET", "/plain", &[("accept", "text/html")], "")
        .await
        .unwrap();
    assert!(
        after
            .body
            .contains("Enter an email address, like name@example.com."),
        "{}",
        after.body
    );
    assert!(!after.body.contains("Saved"), "the handler did not run");
    let again = browser
        .request("GET", "/plain", &[("accept", "text/html")], "")
        .await
        .unwrap();
    assert!(!again.body.contains("Enter an email address"), "shown once");

    browser
        .post_form(
            "/plain",
            "lvt-action=save&email=ann%40example.com&username=ann",
        )
        .await
        .unwrap();
    let saved = browser
        .request("GET", "/plain", &[("accept", "text/html")], "")
        .await
        .unwrap();
    assert!(saved.body.contains("Saved"), "{}", saved.body);
}

#[tokio::test]
async fn an_action_posted_as_json_is_checked_too() {
    let server = serve().await;
    let mut browser = server.browser();
    browser
        .request("GET", "/plain", &[("accept", "text/html")], "")
        .await
        .unwrap();
    let origin = format!("http://{}", server.addr());
    let reply = browser
        .request(
            "POST",
            "/plain",
            &[
                ("content-type", "application/json"),
                ("origin", origin.as_str()),
            ],
            json!({ "action": "save", "data": { "email": "x", "username": "ann" } }).to_string(),
        )
        .await
        .unwrap();
    let body: serde_json::Value = serde_json::from_str(&reply.body).unwrap();
    assert_eq!(body["meta"]["success"], false, "{body}");
    assert_eq!(
        body["meta"]["errors"]["email"],
        "Enter an email address, like name@example.com."
    );
}
