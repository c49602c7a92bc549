//! The server-actions model (seed 002) through the in-process test client:
//! session groups, all-tab delivery, users, Sync, broadcast, topics and
//! their rules, reaching users from outside, group tasks, jobs, persisted
//! fields and flash.

use std::sync::Arc;

use livetemplate::testing::{Browser, TestServer};
use livetemplate::{
    ActionError, Actions, Context, Controller, LiveTemplate, SessionError, SignedCookieAuth,
    Templates,
};
use serde::{Deserialize, Serialize};
use tokio::sync::Notify;

const BOARD: &str = r#"<p>count: {{ count }}</p>
<p>synced: {{ synced }}</p>
<p>bumped: {{ bumped }}</p>
<p>progress: {{ progress }}</p>
<p>notes: {{ notes|join(",") }}</p>
<p>user: {{ user }}</p>
{% if lvt.flash.success %}<p class="flash">{{ lvt.flash.success }}</p>{% endif %}
{% if lvt.errors._general %}<p role="alert">{{ lvt.errors._general }}</p>{% endif %}
<button name="increment">+1</button><button name="bumpOthers">bump the others</button>
<button name="whoami">who am I</button><button name="startJob">start job</button>
<button name="holdGroup">group task</button><button name="fail">fail</button>"#;

/// A page that uses every server-action feature.
struct Board {
    /// Lets a test decide when the job's second step runs.
    gate: Arc<Notify>,
}

#[derive(Clone, Default, Serialize, Deserialize)]
struct BoardState {
    count: i64,
    synced: i64,
    bumped: i64,
    progress: i64,
    notes: Vec<String>,
    user: String,
}

impl Controller for Board {
    type State = BoardState;
    const PERSIST: &'static [&'static str] = &["count"];
    const SYNC_TABS: bool = true;

    fn on_other_tab_action(
        &self,
        s: &mut BoardState,
        _: &mut Context<Self>,
    ) -> Result<(), ActionError> {
        s.synced += 1;
        Ok(())
    }

    fn actions(actions: &mut Actions<Self>) {
        actions
            .on("increment", |_, s, ctx| {
                s.count += 1;
                ctx.flash("success", format!("saved {}", s.count));
                Ok(())
            })
            .on("bumpOthers", |_, _, ctx| {
                ctx.broadcast_action("bumped", ())?;
                Ok(())
            })
            .on_server("bumped", |_, s, _| {
                s.bumped += 1;
                Ok(())
            })
            .on("join", |_, _, ctx| {
                let topic = ctx.get_string("topic").unwrap_or_default();
                ctx.subscribe(&topic)?;
                Ok(())
            })
            .on("say", |_, _, ctx| {
                let topic = ctx.get_string("topic").unwrap_or_default();
                let text = ctx.get_string("text").unwrap_or_default();
                ctx.publish(&topic, "note", serde_json::json!({ "text": text }))?;
                Ok(())
            })
            .on_server("note", |_, s, ctx| {
                s.notes.push(ctx.get_string("text").unwrap_or_default());
                Ok(())
            })
            .on("whoami", |_, s, ctx| {
                s.user = ctx.user_id().unwrap_or("anonymous").to_string();
                Ok(())
            })
            .on("startJob", |board, _, ctx| {
                let gate = board.gate.clone();
                ctx.spawn_job(|job| async move {
                    job.update(|s| s.progress = 1);
                    gate.notified().await;
                    job.update(|s| s.progress += 1);
                })?;
                Ok(())
            })
            .on("holdGroup", |_, _, ctx| {
                ctx.spawn_for_group(std::future::pending())?;
                Ok(())
            })
            .on("fail", |_, _, ctx| {
                ctx.broadcast_action("bumped", ())?;
                ctx.flash("success", "never shown");
                Err(ActionError::msg("nope"))
            });
    }
}

struct App {
    server: TestServer,
    live: LiveTemplate,
    gate: Arc<Notify>,
    auth: SignedCookieAuth,
}

async fn app() -> App {
    let auth = SignedCookieAuth::new(b"test key");
    let live = LiveTemplate::builder(Templates::from_fn(|_| Some(BOARD.into())))
        .authenticator(auth.clone())
        .allow_topics(|who, topic| who.user_id.is_some() && topic.starts_with("room:"))
        .build();
    let gate = Arc::new(Notify::new());
    let router = axum::Router::new()
        .route(
            "/board",
            live.page("board.html", Board { gate: gate.clone() })
                .build()
                .unwrap(),
        )
        .route(
            "/other",
            live.page("other.html", Board { gate: gate.clone() })
                .build()
                .unwrap(),
        )
        .nest("/auth", auth.routes(&live))
        .merge(live.routes());
    App {
        server: TestServer::start(router).await,
        live,
        gate,
        auth,
    }
}

async fn signed_in(app: &App, name: &str) -> Browser {
    let mut browser = app.server.browser();
    let answer = browser
        .post_form("/auth/sign-in", &format!("name={name}&return_to=/board"))
        .await
        .unwrap();
    assert_eq!(answer.status, 303);
    assert_eq!(answer.header("location"), Some("/board"));
    browser
}

#[tokio::test]
async fn trigger_action_reaches_every_tab_of_the_group_and_only_it() {
    let app = app().await;
    let mut browser = app.server.browser();
    let mut tab1 = browser.open("/board").await.unwrap();
    let mut tab2 = browser.open("/board").await.unwrap();
    let mut stranger = app.server.browser().open("/board").await.unwrap();
    // The session a handler sees: this page, this group.
    tab1.click("whoami").await.unwrap();
    assert!(tab1.text().contains("user: anonymous"));
    // Reach the group from outside: every tab of this browser, on any page
    // that handles the action; not the stranger.
    let mut tab3 = browser.open("/other").await.unwrap();
    let sessions = app.live.sessions();
    let group = browser.cookie("livetemplate-id").unwrap().to_string();
    let reached = sessions.group(&group).trigger_action("bumped", ()).unwrap();
    assert_eq!(reached, 3);
    for tab in [&mut tab1, &mut tab2, &mut tab3] {
        tab.wait_for_text("bumped: 1").await.unwrap();
    }
    stranger.expect_no_update().await.unwrap();
    // A broadcast from one tab: the page's other tabs of the group only.
    tab1.click("bumpOthers").await.unwrap();
    tab2.wait_for_text("bumped: 2").await.unwrap();
    assert!(tab1.text().contains("bumped: 1"));
    tab3.expect_no_update().await.unwrap();
    stranger.expect_no_update().await.unwrap();
    assert_eq!(
        sessions.group("no-such-group").trigger_action("bumped", ()),
        Err(SessionError::NoLiveConnection)
    );
}

#[tokio::test]
async fn a_signed_in_users_tabs_in_two_browsers_form_one_group() {
    let app = app().await;
    let mut ana_laptop = signed_in(&app, "ana").await;
    let mut ana_phone = signed_in(&app, "ana").await;
    let mut ben = signed_in(&app, "ben").await;
    let mut a1 = ana_laptop.open("/board").await.unwrap();
    let mut a2 = ana_phone.open("/board").await.unwrap();
    let mut b1 = ben.open("/board").await.unwrap();
    a1.click("whoami").await.unwrap();
    assert!(a1.text().contains("user: ana"), "{}", a1.text());

    let reached = app
        .live
        .sessions()
        .user("ana")
        .trigger_action("note", serde_json::json!({ "text": "hi ana" }))
        .unwrap();
    assert_eq!(reached, 2);
    a1.wait_for_text("notes: hi ana").await.unwrap();
    a2.wait_for_text("notes: hi ana").await.unwrap();
    b1.expect_no_update().await.unwrap();
    // A forged cookie is just an anonymous browser.
    let mut forged = app.server.browser();
    let cookie = "livetemplate-user=ana.0000";
    let page = forged
        .request("GET", "/board", &[("cookie", cookie)], "")
        .await
        .unwrap();
    assert_eq!(page.status, 200);
    assert!(
        forged.cookie("livetemplate-id").is_some(),
        "treated as anonymous"
    );
    assert_eq!(app.auth.user(&Default::default()), None);
}

#[tokio::test]
async fn sync_follows_each_client_action_on_the_other_tabs() {
    let app = app().await;
    let mut browser = app.server.browser();
    let mut tab1 = browser.open("/board").await.unwrap();
    let mut tab2 = browser.open("/board").await.unwrap();
    let mut tab3 = browser.open("/board").await.unwrap();
    let mut elsewhere = app.server.browser().open("/board").await.unwrap();
    tab1.click("increment").await.unwrap();
    tab2.wait_for_text("synced: 1").await.unwrap();
    tab3.wait_for_text("synced: 1").await.unwrap();
    assert!(tab1.text().contains("synced: 0"), "not the tab that acted");
    // Before its sync handler, a tab takes the group's persisted fields.
    assert!(tab2.has_text("count: 1"), "{}", tab2.text());
    elsewhere.expect_no_update().await.unwrap();
    // Sync follows client actions only: the sync itself starts nothing.
    tab2.expect_no_update().await.unwrap();
}

#[tokio::test]
async fn broadcast_runs_on_the_other_tabs_and_not_when_the_action_fails() {
    let app = app().await;
    let mut browser = app.server.browser();
    let mut tab1 = browser.open("/board").await.unwrap();
    let mut tab2 = browser.open("/board").await.unwrap();
    tab1.click("fail").await.unwrap();
    assert!(tab1.text().contains("nope"));
    assert!(
        !tab1.text().contains("never shown"),
        "no flash from a failed action"
    );
    // Neither the broadcast nor the tab sync of a failed action arrives.
    tab2.expect_no_update().await.unwrap();
    assert!(tab2.text().contains("bumped: 0") && tab2.text().contains("synced: 0"));
    tab1.click("bumpOthers").await.unwrap();
    tab2.wait_for_text("bumped: 1").await.unwrap();
    assert!(tab1.text().contains("bumped: 0"));
}

#[tokio::test]
async fn topics_follow_their_rules_and_reach_subscribers_from_anywhere() {
    let app = app().await;
    let mut ana = signed_in(&app, "ana").await.open("/board").await.unwrap();
    let mut ben = signed_in(&app, "ben").await.open("/other").await.unwrap();
    let mut anon = app.server.browser().open("/board").await.unwrap();

    let join = |topic: &str| serde_json::json!({ "topic": topic });
    assert!(ana
        .act("join", join("room:lobby"))
        .await
        .unwrap()
        .errors()
        .is_empty());
    assert!(ben
        .act("join", join("room:lobby"))
        .await
        .unwrap()
        .errors()
        .is_empty());
    // Denied by the rule: anonymous users, and topics outside `room:`.
    anon.act("join", serde_json::json!({ "topic": "room:lobby" }))
        .await
        .unwrap();
    assert!(
        anon.text().contains("room:lobby&quot; is not allowed here"),
        "{}",
        anon.text()
    );
    ana.act("join", serde_json::json!({ "topic": "admin" }))
        .await
        .unwrap();
    assert!(ana.text().contains("admin&quot; is not allowed here"));
    // One's own topic needs no rule; another user's is refused.
    assert!(ben
        .act("join", join("user:ben"))
        .await
        .unwrap()
        .errors()
        .is_empty());
    assert!(!ben
        .act("join", join("user:ana"))
        .await
        .unwrap()
        .errors()
        .is_empty());

    ana.act(
        "say",
        serde_json::json!({ "topic": "room:lobby", "text": "hello" }),
    )
    .await
    .unwrap();
    ana.wait_for_text("notes: hello").await.unwrap();
    ben.wait_for_text("notes: hello").await.unwrap();
    anon.expect_no_update().await.unwrap();

    // Server code publishes without rules, to any page that handles the action.
    let reached = app
        .live
        .sessions()
        .topic("room:lobby")
        .trigger_action("note", serde_json::json!({ "text": "from the server" }))
        .unwrap();
    assert_eq!(reached, 2);
    ben.wait_for_text("hello,from the server").await.unwrap();
}

#[tokio::test]
async fn group_tasks_end_with_the_groups_last_tab() {
    let app = app().await;
    let metrics = app.live.metrics();
    let mut browser = app.server.browser();
    let mut tab1 = browser.open("/board").await.unwrap();
    let tab2 = browser.open("/board").await.unwrap();
    tab1.click("holdGroup").await.unwrap();
    assert_eq!(metrics.tasks(), 1);
    tab1.close().await;
    // Still one tab of the group: the task lives on. Prove the close was
    // processed by waiting for the connection count, then check.
    until(|| metrics.connections() == 1).await;
    assert_eq!(metrics.tasks(), 1);
    tab2.close().await;
    until(|| metrics.tasks() == 0).await;
}

#[tokio::test]
async fn a_jobs_updates_apply_to_the_current_state() {
    let app = app().await;
    let mut tab = app.server.browser().open("/board").await.unwrap();
    tab.click("startJob").await.unwrap();
    tab.wait_for_text("progress: 1").await.unwrap();
    tab.click("increment").await.unwrap();
    assert!(tab.has_text("count: 1"));
    app.gate.notify_one();
    tab.wait_for_text("progress: 2").await.unwrap();
    assert!(
        tab.has_text("count: 1"),
        "the job did not write back a stale copy"
    );
}

#[tokio::test]
async fn persisted_fields_survive_a_reload_and_others_do_not() {
    let app = app().await;
    let mut browser = app.server.browser();
    let mut tab = browser.open("/board").await.unwrap();
    tab.click("increment").await.unwrap();
    tab.click("increment").await.unwrap();
    tab.click("bumpOthers").await.unwrap();
    tab.click("whoami").await.unwrap();
    tab.close().await;
    let page = browser.request("GET", "/board", &[], "").await.unwrap();
    assert!(
        page.body.contains("count: 2</p>"),
        "the page GET has it: {}",
        page.body
    );
    let tab = browser.open("/board").await.unwrap();
    assert!(tab.has_text("count: 2"));
    assert!(!tab.text().contains("anonymous"), "`user` is not persisted");
    // Another page (template) keeps its own fields; another browser its own.
    let other = browser.open("/other").await.unwrap();
    assert!(other.has_text("count: 0"));
    let stranger = app.server.browser().open("/board").await.unwrap();
    assert!(stranger.has_text("count: 0"));
}

#[tokio::test]
async fn flash_lasts_until_the_next_client_action() {
    let app = app().await;
    let mut browser = app.server.browser();
    let mut tab = browser.open("/board").await.unwrap();
    tab.click("increment").await.unwrap();
    assert!(tab.text().contains("saved 1"));
    // A push in between leaves it on screen.
    let group = browser.cookie("livetemplate-id").unwrap().to_string();
    let note = serde_json::json!({ "text": "pushed" });
    app.live
        .sessions()
        .group(&group)
        .trigger_action("note", note)
        .unwrap();
    tab.wait_for_text("notes: pushed").await.unwrap();
    assert!(tab.text().contains("saved 1"), "{}", tab.text());
    tab.click("whoami").await.unwrap();
    assert!(!tab.text().contains("saved"), "{}", tab.text());
}

#[tokio::test]
async fn a_client_cannot_send_an_action_only_the_server_runs() {
    let app = app().await;
    let mut browser = app.server.browser();
    let mut tab = browser.open("/board").await.unwrap();
    let answer = tab
        .act("note", serde_json::json!({ "text": "forged" }))
        .await
        .unwrap();
    assert_eq!(
        answer.errors().get("_general").and_then(|e| e.as_str()),
        Some("unknown action \"note\""),
        "the same answer as an action that does not exist"
    );
    assert!(!tab.text().contains("forged"), "{}", tab.text());
    // The server itself still may.
    let group = browser.cookie("livetemplate-id").unwrap().to_string();
    let note = serde_json::json!({ "text": "from the server" });
    app.live
        .sessions()
        .group(&group)
        .trigger_action("note", note)
        .unwrap();
    tab.wait_for_text("notes: from the server").await.unwrap();
}

async fn until(mut check: impl FnMut() -> bool) {
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(5);
    while !check() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "condition not met in 5 s"
        );
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
}
