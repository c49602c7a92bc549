//! Instances sharing sessions through a real Redis Cluster (three masters,
//! started on free ports by each test): `Redis::connect` with several
//! comma-separated URLs; and addressed delivery (a push reaches only the
//! instances serving its scope), on a cluster and on one Redis server.

mod redis_servers;

use std::time::{Duration, Instant};

use livetemplate::redis::Redis;
use livetemplate::testing::{Tab, TestServer, WAIT};
use livetemplate::{
    ActionError, Actions, Context, Controller, LiveTemplate, Session, SessionError, Store,
    Templates,
};
use redis_servers::{connect, redis_cli, RedisCluster, RedisServer};
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

/// `n` instances on the cluster, once each has met the others.
async fn instances(cluster: &RedisCluster, n: usize) -> Vec<Instance> {
    instances_on(&cluster.url(), n).await
}

/// `n` instances on the Redis at `url`, once each has met the others.
async fn instances_on(url: &str, n: usize) -> Vec<Instance> {
    let mut all = Vec::new();
    for i in 0..n {
        let redis = connect(url).await;
        assert_eq!(redis.is_cluster(), url.contains(','));
        all.push(instance(&format!("i{i}"), &redis).await);
    }
    let sessions: Vec<_> = all.iter().map(|i| i.live.sessions()).collect();
    eventually("the instances to meet", || {
        sessions.iter().all(|s| s.cluster().peers.len() == n - 1)
    })
    .await;
    all
}

/// A tab on `on`, and its group as `from` reaches it (once `from` counts it).
async fn tab(on: &Instance, from: &Instance) -> (Tab, Session) {
    let (tab, group, _) = tab_and_id(on, from).await;
    (tab, group)
}

/// [`tab`], and its session group's id.
async fn tab_and_id(on: &Instance, from: &Instance) -> (Tab, Session, String) {
    let mut browser = on.server.browser();
    let tab = browser.open("/board").await.unwrap();
    let id = browser.cookie("livetemplate-id").expect("a session cookie");
    let group = from.live.sessions().group(id);
    eventually("the other instance to count the tab", || {
        group.live_connections() == 1
    })
    .await;
    (tab, group, id.to_string())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_a_cluster_triggers_topics_and_persisted_fields_cross_instances() {
    let cluster = RedisCluster::start();
    let all = instances(&cluster, 2).await;
    let (a, b) = (&all[0], &all[1]);
    assert!(a.live.sessions().cluster().bus.unwrap().contains("cluster"));

    // A trigger on B reaches a tab on A, and fails once the tab is gone.
    let (mut on_a, group) = tab(a, b).await;
    assert_eq!(
        group.trigger_action("note", json!({ "text": "from B" })),
        Ok(1)
    );
    on_a.wait_for_text("Note: from B").await.unwrap();

    // Persisted on A, restored by a tab of the same session on B; a Sync
    // and a topic publish from B reach the tab on A.
    let mut browser = a.server.browser();
    let mut mine = browser.open("/board").await.unwrap();
    let mut theirs = browser.visiting(&b.server).open("/board").await.unwrap();
    theirs.click("increment").await.unwrap();
    mine.wait_for_text("Count: 1").await.unwrap();
    theirs
        .act("shout", json!({ "text": "hello room" }))
        .await
        .unwrap();
    mine.wait_for_text("Note: hello room").await.unwrap();
    on_a.wait_for_text("Note: hello room").await.unwrap();
    mine.close().await;
    theirs.close().await;
    let fresh = browser.visiting(&b.server).open("/board").await.unwrap();
    assert!(fresh.has_text("Count: 1"), "{}", fresh.text());

    on_a.close().await;
    let took = eventually("B to see the tab gone", || {
        group.trigger_action("note", json!({ "text": "late" }))
            == Err(SessionError::NoLiveConnection)
    })
    .await;
    assert!(took < Duration::from_secs(1), "took {took:?}");

    // What crossed the bus shows in /metrics and the cluster status.
    for instance in [a, b] {
        let metrics = instance.live.metrics();
        assert!(metrics.bus_published() > 0 && metrics.bus_received() > 0);
        let text = metrics.render_prometheus();
        let published = format!(
            "livetemplate_bus_published_total {}",
            metrics.bus_published()
        );
        assert!(text.contains(&published), "{text}");
        assert!(text.contains("livetemplate_bus_received_total "), "{text}");
        let status = instance.live.sessions().cluster();
        assert!(
            status.subscriptions.iter().any(|c| c == "lvt:bus"),
            "{status:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn four_instances_on_a_cluster_reach_each_other() {
    let cluster = RedisCluster::start();
    let all = instances(&cluster, 4).await;
    let (mut on_first, _) = tab(&all[0], &all[3]).await;
    on_first.click("increment").await.unwrap();
    on_first.wait_for_text("Count: 1").await.unwrap();
    // A publish to the topic from each instance reaches the tab on the first.
    for (i, instance) in all.iter().enumerate() {
        let text = format!("from {i}");
        let reached = instance
            .live
            .sessions()
            .topic("room")
            .trigger_action("note", json!({ "text": text }));
        assert_eq!(reached, Ok(1), "from instance {i}");
        on_first
            .wait_for_text(&format!("Note: {text}"))
            .await
            .unwrap();
    }
}

#[tokio::test]
async fn the_store_writes_to_the_master_of_each_key() {
    let cluster = RedisCluster::start();
    let redis = connect(&cluster.url()).await;
    let store = redis.store();
    // Keys on different masters, saved in one batch.
    let keys: Vec<String> = (0..12).map(|i| format!("/board#visitor{i}")).collect();
    for (i, key) in keys.iter().enumerate() {
        let mut fields = livetemplate::Fields::new();
        fields.insert("count".into(), json!(i));
        store.save(key, fields);
    }
    let masters: std::collections::HashSet<u16> = keys
        .iter()
        .map(|k| cluster.master_of(&format!("lvt:store:{k}")))
        .collect();
    assert!(masters.len() > 1, "the keys spread over the masters");
    eventually("every save written", || store.unwritten() == 0).await;
    for (i, key) in keys.iter().enumerate() {
        let full = format!("lvt:store:{key}");
        let port = cluster.master_of(&full);
        assert_eq!(redis_cli(port, &["EXISTS", &full]), "1", "{full}");
        let loaded = store.load(key).await.unwrap().unwrap();
        assert_eq!(loaded["count"], i);
    }
    // One shared secret for every connection to the cluster.
    let other = connect(&cluster.url()).await;
    assert_eq!(
        redis.shared_secret("signin").await.unwrap(),
        other.shared_secret("signin").await.unwrap()
    );
}

/// Pushes 50 times to a tab's group on instance 0 from instance 1; returns
/// what each instance received from the bus meanwhile.
async fn received_during_pushes(all: &[Instance]) -> Vec<u64> {
    let (mut tab, group) = tab(&all[0], &all[1]).await;
    let before: Vec<u64> = all
        .iter()
        .map(|i| i.live.metrics().bus_received())
        .collect();
    for n in 0..50 {
        let text = format!("push {n}");
        assert_eq!(group.trigger_action("note", json!({ "text": text })), Ok(1));
    }
    tab.wait_for_text("Note: push 49").await.unwrap();
    all.iter()
        .zip(before)
        .map(|(i, before)| i.live.metrics().bus_received() - before)
        .collect()
}

/// Only the instance with the group's tab hears its pushes; the others hear
/// the control channel's heartbeats (one per instance per second) at most.
fn assert_addressed(received: &[u64]) {
    eprintln!("bus messages received per instance during 50 pushes: {received:?}");
    assert!(received[0] >= 50, "{received:?}");
    for (i, n) in received.iter().enumerate().skip(1) {
        assert!(*n < 25, "instance {i} heard {n} messages: {received:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_one_redis_a_push_reaches_only_the_instances_serving_its_scope() {
    let server = RedisServer::start();
    let all = instances_on(&server.url(), 4).await;
    assert_addressed(&received_during_pushes(&all).await);
    // Instance 0 listens on the group's channel; the others on none.
    let on_0 = all[0].live.sessions().cluster().subscriptions;
    assert!(on_0.iter().any(|c| c.starts_with("lvt:g:")), "{on_0:?}");
    let on_2 = all[2].live.sessions().cluster().subscriptions;
    assert_eq!(on_2, vec!["lvt:bus"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_a_cluster_a_push_reaches_only_the_instances_serving_its_scope() {
    let cluster = RedisCluster::start();
    let all = instances(&cluster, 4).await;
    assert_addressed(&received_during_pushes(&all).await);
}

/// A tab on `on` in a session group whose channel lives on a master for
/// which `wanted` holds (new sessions until one does), with its group as
/// `from` reaches it, and that master.
async fn tab_with_channel_on(
    cluster: &RedisCluster,
    on: &Instance,
    from: &Instance,
    wanted: impl Fn(u16) -> bool,
) -> (Tab, Session, u16) {
    for _ in 0..30 {
        let (tab, group, id) = tab_and_id(on, from).await;
        let master = cluster.master_of(&format!("lvt:g:{id}"));
        if wanted(master) {
            return (tab, group, master);
        }
    }
    panic!("no session group landed on the wanted master in 30 tries");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dead_master_stops_only_its_scopes_and_they_recover_when_it_is_back() {
    let mut cluster = RedisCluster::start();
    let all = instances(&cluster, 2).await;
    let (a, b) = (&all[0], &all[1]);
    let control = cluster.master_of("lvt:bus");
    // One group on a master other than the control channel's (the victim),
    // one on a master that stays.
    let (mut doomed, doomed_group, victim) =
        tab_with_channel_on(&cluster, a, b, |m| m != control).await;
    let (mut steady, steady_group, _) = tab_with_channel_on(&cluster, a, b, |m| m != victim).await;

    cluster.kill(victim);
    // Service continues for scopes on the other masters, promptly, though
    // pushes to the dead master's group (lost meanwhile) go out just before.
    for n in 0..3 {
        let _ = doomed_group.trigger_action("note", json!({ "text": "lost" }));
        let text = format!("steady {n}");
        let start = Instant::now();
        assert_eq!(
            steady_group.trigger_action("note", json!({ "text": text })),
            Ok(1)
        );
        steady
            .wait_for_text(&format!("Note: {text}"))
            .await
            .unwrap();
        let took = start.elapsed();
        assert!(took < Duration::from_secs(1), "took {took:?}");
    }

    cluster.restart(victim);
    // Everything recovers: the tab is resynced (what it missed) and takes pushes again.
    let recovered = async {
        loop {
            let _ = doomed_group.trigger_action("note", json!({ "text": "back" }));
            if doomed.wait_for_text("Note: back").await.is_ok() {
                return;
            }
        }
    };
    tokio::time::timeout(WAIT * 3, recovered)
        .await
        .expect("pushes to the restarted master's group arrive again");
    let status = b.live.sessions().cluster();
    assert!(status.connected && status.peers.len() == 1, "{status:?}");
}
