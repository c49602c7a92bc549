//! Hand-off links: another browser joins this one's session group — once,
//! for a few minutes, only this group, and only when the person opening the
//! link confirms.

mod common;

use std::time::Duration;

use livetemplate::testing::TestServer;
use livetemplate::{LiveTemplate, SignedCookieAuth, Templates};
use serde_json::Value;

use common::{Counter, COUNTER};

async fn server(ttl: Duration) -> (TestServer, LiveTemplate) {
    let auth = SignedCookieAuth::new(b"handoff test key");
    let live = LiveTemplate::builder(Templates::from_fn(|_| Some(COUNTER.into())))
        .authenticator(auth.clone())
        .handoff_ttl(ttl)
        .build();
    let router = axum::Router::new()
        .route(
            "/",
            live.page("counter.html", Counter::default())
                .build()
                .unwrap(),
        )
        .nest("/auth", auth.routes(&live))
        .merge(live.routes());
    (TestServer::start(router).await, live)
}

fn json(body: &str) -> Value {
    serde_json::from_str(body).unwrap_or_else(|e| panic!("{e}: {body}"))
}

#[tokio::test]
async fn a_link_makes_another_browser_join_the_group_once() {
    let (server, live) = server(Duration::from_secs(300)).await;
    let mut desktop = server.browser();
    let mut desktop_tab = desktop.open("/").await.unwrap();
    let made = desktop
        .request("POST", "/_lvt/handoff", &[], "")
        .await
        .unwrap();
    assert_eq!(made.status, 200, "{}", made.body);
    let made = json(&made.body);
    let url = made["url"].as_str().unwrap();
    assert_eq!(made["expires_in"], 300);
    assert!(made["absolute_url"]
        .as_str()
        .unwrap()
        .starts_with("http://127.0.0.1:"));

    let qr = server
        .request("GET", made["qr"].as_str().unwrap(), &[], "")
        .await
        .unwrap();
    assert_eq!(qr.header("content-type"), Some("image/svg+xml"));
    assert!(qr.body.contains("<svg"));

    let mut phone = server.browser();
    // Opening the link asks first, and joins nothing.
    let asked = phone
        .request("GET", &format!("{url}?next=/counter"), &[], "")
        .await
        .unwrap();
    assert_eq!(asked.status, 200, "{}", asked.body);
    assert!(asked.body.contains("Join this session?"), "{}", asked.body);
    assert!(asked
        .body
        .contains("It will share state with the device that made the link"));
    assert!(
        asked.body.contains(&format!(
            r#"<form method="post" action="{}""#,
            url.replace('/', "&#x2f;")
        )),
        "{}",
        asked.body
    );
    assert!(
        asked.body.contains(r#"name="next" value="&#x2f;counter""#),
        "{}",
        asked.body
    );
    assert_eq!(asked.header("set-cookie"), None);
    let csp = asked.header("content-security-policy").unwrap_or_default();
    assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
    assert_eq!(phone.cookie("livetemplate-id"), None);

    // Confirming (the page's same-origin form POST) joins.
    let joined = phone.post_form(url, "next=%2F").await.unwrap();
    assert_eq!((joined.status, joined.header("location")), (303, Some("/")));
    assert_eq!(
        phone.cookie("livetemplate-id"),
        desktop.cookie("livetemplate-id")
    );

    // One group now: a push to it reaches the desktop tab and the phone's.
    let mut phone_tab = phone.open("/").await.unwrap();
    let group = desktop.cookie("livetemplate-id").unwrap();
    let reached = live
        .sessions()
        .group(group)
        .trigger_action("increment", ())
        .unwrap();
    assert_eq!(reached, 2);
    desktop_tab.wait_for_text("Count: 1").await.unwrap();
    phone_tab.wait_for_text("Count: 1").await.unwrap();

    // Used up.
    let again = server.browser().request("GET", url, &[], "").await.unwrap();
    assert_eq!(again.status, 410);
    assert!(again.body.contains("already used"), "{}", again.body);
    let again = server.browser().post_form(url, "next=%2F").await.unwrap();
    assert_eq!(again.status, 410);
}

#[tokio::test]
async fn another_site_cannot_join_a_visitor_to_its_group() {
    let (server, _) = server(Duration::from_secs(300)).await;
    let mut attacker = server.browser();
    attacker.open("/").await.unwrap();
    let made = json(
        &attacker
            .request("POST", "/_lvt/handoff", &[], "")
            .await
            .unwrap()
            .body,
    );
    let url = made["url"].as_str().unwrap();
    let mut visitor = server.browser();
    visitor.open("/").await.unwrap();
    let own_group = visitor.cookie("livetemplate-id").unwrap().to_string();
    let form = ("content-type", "application/x-www-form-urlencoded");
    for headers in [
        &[form, ("origin", "http://evil.example")][..],
        &[form, ("referer", "http://evil.example/")],
        &[form],
        &[form, ("sec-fetch-site", "cross-site")],
    ] {
        let refused = visitor
            .request("POST", url, headers, "next=%2F")
            .await
            .unwrap();
        assert_eq!(refused.status, 403, "{headers:?}: {}", refused.body);
        assert_eq!(refused.header("set-cookie"), None);
        assert_eq!(visitor.cookie("livetemplate-id"), Some(own_group.as_str()));
    }
    // Refusals do not use the link up: its maker can still confirm it.
    let asked = visitor.request("GET", url, &[], "").await.unwrap();
    assert_eq!(asked.status, 200);
    assert_eq!(visitor.cookie("livetemplate-id"), Some(own_group.as_str()));
}

#[tokio::test]
async fn an_expired_link_is_refused() {
    let (server, _) = server(Duration::ZERO).await;
    let mut desktop = server.browser();
    desktop.open("/").await.unwrap();
    let made = json(
        &desktop
            .request("POST", "/_lvt/handoff", &[], "")
            .await
            .unwrap()
            .body,
    );
    let mut phone = server.browser();
    let url = made["url"].as_str().unwrap();
    let late = phone.request("GET", url, &[], "").await.unwrap();
    assert_eq!(late.status, 410);
    assert!(late.body.contains("expired"), "{}", late.body);
    let late = phone.post_form(url, "next=%2F").await.unwrap();
    assert_eq!(late.status, 410);
    assert!(late.body.contains("expired"), "{}", late.body);
    assert_eq!(phone.cookie("livetemplate-id"), None, "joined nothing");
}

#[tokio::test]
async fn a_link_is_made_only_for_the_callers_own_group() {
    let (server, _) = server(Duration::from_secs(300)).await;
    let mut desktop = server.browser();
    desktop.open("/").await.unwrap();
    let mut other = server.browser();
    other.open("/").await.unwrap();
    let theirs = format!(
        r#"{{"group":"{}"}}"#,
        other.cookie("livetemplate-id").unwrap()
    );
    let refused = desktop
        .request("POST", "/_lvt/handoff", &[], &theirs)
        .await
        .unwrap();
    assert_eq!(refused.status, 403, "{}", refused.body);
    assert!(refused
        .body
        .contains("only the session group that makes it"));
    let mine = format!(
        r#"{{"group":"{}"}}"#,
        desktop.cookie("livetemplate-id").unwrap()
    );
    let made = desktop
        .request("POST", "/_lvt/handoff", &[], &mine)
        .await
        .unwrap();
    assert_eq!(made.status, 200);
    // A browser that has no group yet has nothing to hand off.
    let fresh = server
        .browser()
        .request("POST", "/_lvt/handoff", &[], "")
        .await
        .unwrap();
    assert_eq!(fresh.status, 400);
    // Nor can another site make one with the user's cookie.
    let foreign = desktop
        .request(
            "POST",
            "/_lvt/handoff",
            &[("origin", "https://evil.example")],
            "",
        )
        .await
        .unwrap();
    assert_eq!(foreign.status, 403);
}

#[tokio::test]
async fn a_signed_in_user_hands_off_their_sign_in() {
    let (server, _) = server(Duration::from_secs(300)).await;
    let mut desktop = server.browser();
    desktop
        .post_form("/auth/sign-in", "name=ana")
        .await
        .unwrap();
    let made = json(
        &desktop
            .request("POST", "/_lvt/handoff", &[], "")
            .await
            .unwrap()
            .body,
    );
    let mut phone = server.browser();
    phone
        .post_form(made["url"].as_str().unwrap(), "next=%2F")
        .await
        .unwrap();
    assert_eq!(
        phone.cookie("livetemplate-user"),
        desktop.cookie("livetemplate-user")
    );
}
