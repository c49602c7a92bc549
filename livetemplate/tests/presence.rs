//! Presence (`ctx.track`): one entry per person with their tab count, meta
//! such as "typing…", a person kept while a dropped tab may resume and gone
//! after — on one instance and across two over a real `redis-server`.

mod common;

use std::time::Duration;

use common::redis_server::{connect, RedisServer};
use common::until;
use livetemplate::testing::{Browser, Tab, TestServer};
use livetemplate::{
    ActionError, Actions, Context, Controller, LiveTemplate, PresenceChange, Present,
    SignedCookieAuth, Templates,
};
use serde::{Deserialize, Serialize};

const ROOM: &str = r#"<ul>{% for p in here %}<li>{{ p.meta.name }}: {{ p.tabs }} tab{% if p.tabs != 1 %}s{% endif %}{% if p.meta.typing %} typing…{% endif %}</li>{% endfor %}</ul>
<p>Left: {{ left | join(", ") }}</p>
<button name="typing">type</button><button name="leave">leave</button>"#;

struct Room;

#[derive(Clone, Default, Serialize, Deserialize)]
struct RoomState {
    here: Vec<Present<Who>>,
    left: Vec<String>,
}

#[derive(Clone, Default, Serialize, Deserialize)]
struct Who {
    name: String,
    typing: bool,
}

fn who(ctx: &Context<Room>, typing: bool) -> Who {
    Who {
        name: ctx.user_id().unwrap_or("anonymous").to_string(),
        typing,
    }
}

impl Controller for Room {
    type State = RoomState;

    fn actions(actions: &mut Actions<Self>) {
        actions
            .on("typing", |_, _, ctx| {
                let me = who(ctx, true);
                ctx.track("room", me)?;
                Ok(())
            })
            .on("leave", |_, _, ctx| {
                ctx.untrack("room");
                Ok(())
            })
            .on_server("presence", |_, room, ctx| {
                let change: PresenceChange<Who> = ctx.data()?;
                room.here = change.here;
                room.left = change.left;
                Ok(())
            });
    }

    fn on_connect(&self, _: &mut RoomState, ctx: &mut Context<Self>) -> Result<(), ActionError> {
        let me = who(ctx, false);
        ctx.track("room", me)?;
        Ok(())
    }
}

struct App {
    server: TestServer,
    live: LiveTemplate,
}

async fn app(builder: livetemplate::Builder) -> App {
    let auth = SignedCookieAuth::new(b"presence test key");
    let live = builder
        .authenticator(auth.clone())
        .allow_topics(|_, topic| topic == "room")
        .build();
    let router = axum::Router::new()
        .route("/room", live.page("room.html", Room).build().unwrap())
        .nest("/auth", auth.routes(&live))
        .merge(live.routes());
    App {
        server: TestServer::start(router).await,
        live,
    }
}

fn room() -> livetemplate::Builder {
    LiveTemplate::builder(Templates::from_fn(|_| Some(ROOM.into())))
}

async fn signed_in(server: &TestServer, name: &str) -> Browser {
    let mut browser = server.browser();
    let answer = browser
        .post_form("/auth/sign-in", &format!("name={name}&return_to=/room"))
        .await
        .unwrap();
    assert_eq!(answer.status, 303);
    browser
}

/// Opens the room as a browser tab does: the page load, then its socket
/// with the load's token (so a dropped tab may resume).
async fn open(server: &TestServer, browser: &mut Browser) -> Tab {
    let page = browser
        .request("GET", "/room", &[("accept", "text/html")], "")
        .await
        .unwrap();
    let at = page.body.find(r#""lvt_tab",""#).expect("a tab token") + r#""lvt_tab",""#.len();
    let token = &page.body[at..at + 32];
    let origin = format!("http://{}", server.addr());
    let mut tab = browser
        .connect(&format!("/room?lvt_tab={token}"), Some(&origin))
        .await
        .unwrap();
    tab.next_frame().await.unwrap();
    tab
}

#[tokio::test]
async fn one_entry_per_person_with_tab_counts_and_typing() {
    let app = app(room()).await;
    let mut ana = signed_in(&app.server, "ana").await;
    let mut bo = signed_in(&app.server, "bo").await;
    let mut ana_tab_one = open(&app.server, &mut ana).await;
    let ana_tab_two = open(&app.server, &mut ana).await;
    let mut bo_tab = open(&app.server, &mut bo).await;

    bo_tab.wait_for_text("ana: 2 tabs").await.unwrap();
    bo_tab.wait_for_text("bo: 1 tab").await.unwrap();
    ana_tab_one.wait_for_text("bo: 1 tab").await.unwrap();
    let here = app.live.sessions().presence("room");
    assert_eq!(here.len(), 2, "one entry per person: {here:?}");

    // One of ana's two tabs closes: she is still here.
    ana_tab_two.close().await;
    bo_tab.wait_for_text("ana: 1 tab").await.unwrap();
    assert!(!bo_tab.has_text("Left: ana"), "{}", bo_tab.text());

    // bo types: ana's tab shows it.
    bo_tab.click("typing").await.unwrap();
    ana_tab_one
        .wait_for_text("bo: 1 tab typing…")
        .await
        .unwrap();

    // An untracked tab leaves the list but stays subscribed.
    bo_tab.click("leave").await.unwrap();
    ana_tab_one.wait_for_text("Left: bo").await.unwrap();

    // ana's last tab closes: she has left.
    ana_tab_one.close().await;
    until(
        || app.live.sessions().presence("room").is_empty(),
        "nobody left on the list",
    )
    .await;
    bo_tab.wait_for_text("Left: ana").await.unwrap();
}

#[tokio::test]
async fn a_dropped_tab_keeps_its_person_until_its_grace_period_ends() {
    let app = app(room().resume_grace(Duration::from_millis(800))).await;
    let mut ana = signed_in(&app.server, "ana").await;
    let mut bo = signed_in(&app.server, "bo").await;
    let ana_tab = open(&app.server, &mut ana).await;
    let mut bo_tab = open(&app.server, &mut bo).await;
    bo_tab.wait_for_text("ana: 1 tab").await.unwrap();

    // The network drops (no close frame): the tab is kept, ana with it.
    drop(ana_tab);
    let metrics = app.live.metrics().clone();
    until(|| metrics.parked() == 1, "the tab to be kept").await;
    let here = app.live.sessions().presence("room");
    assert!(
        here.iter().any(|p| p.key == "ana" && p.tabs == 1),
        "kept tabs count: {here:?}"
    );
    // Once the grace period is over she has left.
    bo_tab.wait_for_text("Left: ana").await.unwrap();
    assert_eq!(metrics.parked(), 0);
}

#[tokio::test]
async fn presence_spans_two_instances_over_redis() {
    let redis = RedisServer::start();
    let (bus_a, bus_b) = (connect(&redis.url()).await, connect(&redis.url()).await);
    let a = app(room().instance_name("a").bus(bus_a.bus())).await;
    let b = app(room().instance_name("b").bus(bus_b.bus())).await;

    // ana has a tab on each instance, bo one on b.
    let mut ana = signed_in(&a.server, "ana").await;
    let mut ana_on_b = ana.visiting(&b.server);
    let mut bo = signed_in(&b.server, "bo").await;
    let mut ana_tab_a = open(&a.server, &mut ana).await;
    let ana_tab_b = open(&b.server, &mut ana_on_b).await;
    let mut bo_tab = open(&b.server, &mut bo).await;

    bo_tab.wait_for_text("ana: 2 tabs").await.unwrap();
    ana_tab_a.wait_for_text("bo: 1 tab").await.unwrap();

    bo_tab.click("typing").await.unwrap();
    ana_tab_a.wait_for_text("bo: 1 tab typing…").await.unwrap();

    ana_tab_a.close().await;
    bo_tab.wait_for_text("ana: 1 tab").await.unwrap();
    ana_tab_b.close().await;
    bo_tab.wait_for_text("Left: ana").await.unwrap();
    until(
        || a.live.sessions().presence("room").len() == 1,
        "a to see bo alone",
    )
    .await;
}
