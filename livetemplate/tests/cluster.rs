//! Two instances sharing sessions through a real `redis-server`, started
//! on a free port by each test (install it with `scripts/setup --test`).

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use livetemplate::redis::Redis;
use livetemplate::testing::{Tab, TestServer, WAIT};
use livetemplate::{
    ActionError, Actions, Context, Controller, LiveTemplate, Session, SessionError, Store,
    Templates,
};
use serde::{Deserialize, Serialize};
use serde_json::json;

const BOARD: &str = "<p>Count: {{ count }}</p><p>Note: {{ note }}</p><p>Resyncs: {{ resyncs }}</p>\
<button name=\"increment\">+1</button>";

/// A page whose count is persisted, with actions pushed from elsewhere.
struct Board;

#[derive(Clone, Default, Serialize, Deserialize)]
struct BoardState {
    count: i64,
    note: String,
    resyncs: u32,
}

impl Controller for Board {
    type State = BoardState;
    const PERSIST: &'static [&'static str] = &["count"];
    const SYNC_TABS: bool = true;

    fn actions(actions: &mut Actions<Self>) {
        actions
            .on("increment", |_, s, _| {
                s.count += 1;
                Ok(())
            })
            .on_server("note", |_, s, ctx| {
                s.note = ctx.get_string("text").unwrap_or_default();
                Ok(())
            })
            .on("shout", |_, _, ctx| {
                let text = ctx.get_string("text").unwrap_or_default();
                ctx.publish("room", "note", json!({ "text": text }))?;
                Ok(())
            });
    }

    fn on_connect(&self, _: &mut BoardState, ctx: &mut Context<Self>) -> Result<(), ActionError> {
        ctx.subscribe("room")?;
        Ok(())
    }

    fn on_resync(&self, s: &mut BoardState, _: &mut Context<Self>) -> Result<(), ActionError> {
        s.resyncs += 1;
        Ok(())
    }
}

/// A `redis-server` of its own, killed when dropped.
struct RedisServer {
    port: u16,
    child: Child,
}

impl RedisServer {
    fn start() -> RedisServer {
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        RedisServer::start_on(port)
    }

    fn start_on(port: u16) -> RedisServer {
        let child = Command::new("redis-server")
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no"])
            .stdout(Stdio::null())
            .spawn()
            .expect("redis-server not found: run scripts/setup --test");
        RedisServer { port, child }
    }

    fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    /// Kills the server; returns its port, to start it again there.
    fn kill(mut self) -> u16 {
        let _ = self.child.kill();
        let _ = self.child.wait();
        self.port
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Connects, retrying while the server starts up.
async fn connect(url: &str) -> Redis {
    let deadline = Instant::now() + WAIT;
    loop {
        match Redis::connect(url).await {
            Ok(redis) => return redis,
            Err(e) if Instant::now() > deadline => panic!("{e}"),
            Err(_) => tokio::task::yield_now().await,
        }
    }
}

struct Instance {
    live: LiveTemplate,
    server: TestServer,
}

async fn instance(name: &str, redis: &Redis) -> Instance {
    let live = LiveTemplate::builder(Templates::from_fn(|_| Some(BOARD.into())))
        .instance_name(name)
        .allow_topics(|_, topic| topic == "room")
        .bus(redis.bus())
        .store(redis.store())
        .build();
    let page = live.page("board.html", Board).build().unwrap();
    let router = axum::Router::new()
        .route("/board", page)
        .merge(live.routes());
    Instance {
        server: TestServer::start(router).await,
        live,
    }
}

/// Waits until `check` holds, or fails naming `what`.
async fn eventually(what: &str, mut check: impl FnMut() -> bool) -> Duration {
    let start = Instant::now();
    while !check() {
        assert!(start.elapsed() < WAIT, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    start.elapsed()
}

/// Two instances on one Redis, once they have met.
async fn pair(redis: &RedisServer) -> (Instance, Instance) {
    let a = instance("a", &connect(&redis.url()).await).await;
    let b = instance("b", &connect(&redis.url()).await).await;
    let (sa, sb) = (a.live.sessions(), b.live.sessions());
    eventually("the instances to meet", || {
        sa.cluster().peers.len() == 1 && sb.cluster().peers.len() == 1
    })
    .await;
    (a, b)
}

/// A tab on A, and its group as B reaches it (once B counts the tab).
async fn tab_on_a(a: &Instance, b: &Instance) -> (Tab, Session) {
    let mut browser = a.server.browser();
    let tab = browser.open("/board").await.unwrap();
    let id = browser.cookie("livetemplate-id").expect("a session cookie");
    let group = b.live.sessions().group(id);
    eventually("B to count A's tab", || group.live_connections() == 1).await;
    (tab, group)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_trigger_on_b_reaches_a_tab_on_a_and_fails_once_the_tab_is_gone() {
    let redis = RedisServer::start();
    let (a, b) = pair(&redis).await;
    let (mut tab, group) = tab_on_a(&a, &b).await;

    assert_eq!(
        group.trigger_action("note", json!({ "text": "from B" })),
        Ok(1)
    );
    tab.wait_for_text("Note: from B").await.unwrap();

    tab.close().await;
    let took = eventually("B to see the tab gone", || {
        group.trigger_action("note", json!({ "text": "late" }))
            == Err(SessionError::NoLiveConnection)
    })
    .await;
    // The stated bound: one bus hop after the close (well under a second).
    eprintln!("B saw the last tab on A close after {took:?}");
    assert!(took < Duration::from_secs(1), "took {took:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sync_topics_and_persisted_fields_cross_instances() {
    let redis = RedisServer::start();
    let (a, b) = pair(&redis).await;
    let mut browser = a.server.browser();
    let mut on_a = browser.open("/board").await.unwrap();
    let mut on_b = browser.visiting(&b.server).open("/board").await.unwrap();

    // A Sync from the tab on B: the tab on A takes the persisted count.
    on_b.click("increment").await.unwrap();
    on_a.wait_for_text("Count: 1").await.unwrap();

    // A topic publish from B reaches the subscriber on A.
    on_b.act("shout", json!({ "text": "hello room" }))
        .await
        .unwrap();
    on_a.wait_for_text("Note: hello room").await.unwrap();

    // Written through A, restored on B by a new tab.
    on_a.click("increment").await.unwrap();
    on_b.wait_for_text("Count: 2").await.unwrap();
    on_a.close().await;
    on_b.close().await;
    let fresh = browser.visiting(&b.server).open("/board").await.unwrap();
    assert!(fresh.has_text("Count: 2"), "{}", fresh.text());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_redis_restarts_delivery_returns_and_tabs_are_resynced() {
    let redis = RedisServer::start();
    let (a, b) = pair(&redis).await;
    let (mut tab, group) = tab_on_a(&a, &b).await;

    let port = redis.kill();
    let (sa, sb) = (a.live.sessions(), b.live.sessions());
    eventually("both to notice", || {
        !sa.cluster().connected && !sb.cluster().connected
    })
    .await;
    // Each instance keeps serving its own tabs.
    tab.click("increment").await.unwrap();
    assert!(tab.has_text("Count: 1"));

    let _redis = RedisServer::start_on(port);
    let back = eventually("both links back", || {
        sa.cluster().connected && sb.cluster().connected
    })
    .await;
    eprintln!("both links back {back:?} after Redis restarted");
    assert!(back < Duration::from_secs(3), "took {back:?}");
    tab.wait_for_text("Resyncs: 1").await.unwrap();
    eventually("B to count A's tab again", || group.live_connections() == 1).await;
    assert_eq!(
        group.trigger_action("note", json!({ "text": "after" })),
        Ok(1)
    );
    tab.wait_for_text("Note: after").await.unwrap();
}

/// What `redis-cli` answers to `args` on `server`.
fn redis_cli(server: &RedisServer, args: &[&str]) -> String {
    let out = Command::new("redis-cli")
        .args(["-p", &server.port.to_string()])
        .args(args)
        .output()
        .expect("redis-cli not found: run scripts/setup --test");
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

#[tokio::test]
async fn persisted_fields_expire_from_redis_once_unused() {
    let server = RedisServer::start();
    let redis = connect(&server.url()).await;
    let store = redis.store().idle_expiry(Duration::from_secs(600));
    let key = "lvt:store:/board#visitor";
    let mut fields = livetemplate::Fields::new();
    fields.insert("count".into(), json!(3));
    store.save("/board#visitor", fields);
    // Saved with the idle time: Redis will drop it unless it is used.
    eventually("the save", || redis_cli(&server, &["EXISTS", key]) == "1").await;
    let ttl: u64 = redis_cli(&server, &["TTL", key]).parse().unwrap();
    assert!((590..=600).contains(&ttl), "expires in {ttl} s");
    // A load is a use: the idle time starts again.
    assert_eq!(redis_cli(&server, &["EXPIRE", key, "5"]), "1");
    let loaded = store.load("/board#visitor").await.unwrap().unwrap();
    assert_eq!(loaded["count"], 3);
    let ttl: u64 = redis_cli(&server, &["TTL", key]).parse().unwrap();
    assert!(ttl >= 590, "the load renewed it: {ttl} s");
    // And once unused for the idle time, it is gone.
    let short = redis.store().idle_expiry(Duration::from_secs(1));
    short.save("/board#gone", livetemplate::Fields::new());
    let gone = ["EXISTS", "lvt:store:/board#gone"];
    eventually("the short save", || redis_cli(&server, &gone) == "1").await;
    eventually("the key to expire", || redis_cli(&server, &gone) == "0").await;
}
