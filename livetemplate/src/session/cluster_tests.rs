//! The registry as one instance of a cluster: what crosses the bus, and
//! what a lost message does.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::Map;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use super::{ConnInfo, Push, Registry, Target};
use crate::cluster::{Bus, BusEvent, Cluster};
use crate::lock::lock;

/// An in-process bus that can lose the next message, to show what the
/// numbering does about loss (the Redis tests cover the real transport).
#[derive(Clone, Default)]
struct LossyBus {
    listeners: Arc<Mutex<Vec<mpsc::UnboundedSender<BusEvent>>>>,
    lose_next: Arc<AtomicBool>,
    /// Set on one instance's copy: it goes silent, as a killed process does.
    muted: Arc<AtomicBool>,
}

impl LossyBus {
    /// The same bus, with a mute of its own.
    fn own_copy(&self) -> LossyBus {
        LossyBus {
            muted: Arc::default(),
            ..self.clone()
        }
    }
}

impl Bus for LossyBus {
    fn publish(&self, message: Vec<u8>) {
        if self.muted.load(Ordering::SeqCst) || self.lose_next.swap(false, Ordering::SeqCst) {
            return;
        }
        for listener in lock(&self.listeners).iter() {
            let _ = listener.send(BusEvent::Message(message.clone()));
        }
    }
    fn listen(&self, events: mpsc::UnboundedSender<BusEvent>) {
        let _ = events.send(BusEvent::Connected);
        lock(&self.listeners).push(events);
    }
    fn describe(&self) -> String {
        "lossy".into()
    }
}

fn instance(name: &str, bus: &LossyBus) -> Arc<Registry> {
    let registry = Arc::new(Registry::new(name.into()));
    registry.add_page("p", Arc::new(|action| action == "ping"));
    let cluster = Cluster::new(name.into(), Arc::new(bus.clone()));
    registry.join(Arc::new(cluster), CancellationToken::new());
    registry
}

/// Waits until `check` holds; fails the test naming `what` after 10 s
/// (forgetting a silent instance takes up to 4).
async fn until(what: &str, mut check: impl FnMut() -> bool) {
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while !check() {
        assert!(
            std::time::Instant::now() < deadline,
            "waited 10 s for {what}"
        );
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
}

#[tokio::test]
async fn a_lost_message_resyncs_the_receivers_connections() {
    let bus = LossyBus::default();
    let (a, b) = (instance("a", &bus), instance("b", &bus));
    let (_tab, mut mailbox) = a.register(ConnInfo {
        page: "p".into(),
        group: "g".into(),
        user: None,
    });
    let group = Target::Group("g".into());
    until("b to count a's tab", || b.count(&group) == 1).await;

    bus.lose_next.store(true, Ordering::SeqCst);
    assert_eq!(b.deliver(&group, "ping", &Map::new(), None), 1);
    b.deliver(&group, "ping", &Map::new(), None);
    let first = mailbox.recv().await;
    assert!(
        matches!(first, Some(Push::Resync)),
        "resync before the next push"
    );
    assert!(matches!(mailbox.recv().await, Some(Push::Action { .. })));
    assert_eq!(a.cluster_status().gaps, 1);
    assert_eq!(a.cluster_status().resyncs, 1);
}

#[tokio::test]
async fn no_live_connection_holds_cluster_wide() {
    let bus = LossyBus::default();
    let (a, b) = (instance("a", &bus), instance("b", &bus));
    let group = Target::Group("g".into());
    let (tab, _mailbox) = a.register(ConnInfo {
        page: "p".into(),
        group: "g".into(),
        user: None,
    });
    until("b to count a's tab", || b.count(&group) == 1).await;
    assert_eq!(
        b.deliver(&group, "ping", &Map::new(), None),
        1,
        "counted on a"
    );
    assert_eq!(
        b.deliver(&group, "other", &Map::new(), None),
        0,
        "a's page does not handle it"
    );
    drop(tab);
    until("b to see a's tab gone", || b.count(&group) == 0).await;
    assert_eq!(b.deliver(&group, "ping", &Map::new(), None), 0);
}

#[tokio::test]
async fn tabs_on_another_instance_follow_a_client_action() {
    let bus = LossyBus::default();
    let (a, b) = (instance("a", &bus), instance("b", &bus));
    let (_here, mut here_mailbox) = a.register(ConnInfo {
        page: "p".into(),
        group: "g".into(),
        user: None,
    });
    let (_there, mut there_mailbox) = b.register(ConnInfo {
        page: "p".into(),
        group: "g".into(),
        user: None,
    });
    let (sender, _sender_mailbox) = a.register(ConnInfo {
        page: "p".into(),
        group: "g".into(),
        user: None,
    });
    a.sync_tabs(&"p".into(), &"g".into(), Some(sender.id));
    assert!(matches!(here_mailbox.recv().await, Some(Push::SyncTab)));
    assert!(matches!(there_mailbox.recv().await, Some(Push::SyncTab)));
}

#[tokio::test]
async fn an_instance_that_goes_silent_takes_its_people_off_the_list() {
    let bus = LossyBus::default();
    let bus_a = bus.own_copy();
    let (a, b) = (instance("a", &bus_a), instance("b", &bus));
    b.add_page("room", Arc::new(|action| action == "presence"));
    let (ana, _ana_mailbox) = a.register(ConnInfo {
        page: "p".into(),
        group: "g".into(),
        user: Some("ana".into()),
    });
    a.track(ana.id, "room", "ana", serde_json::json!({ "name": "Ana" }));
    let (watcher, mut watcher_mailbox) = b.register(ConnInfo {
        page: "room".into(),
        group: "h".into(),
        user: None,
    });
    b.subscribe(watcher.id, "room");
    until("b to see ana", || b.presence_list("room").len() == 1).await;

    // a dies without a word: b forgets it after PEER_TIMEOUT, and its
    // subscribers are told ana left.
    bus_a.muted.store(true, Ordering::SeqCst);
    until("b to forget a's people", || {
        b.presence_list("room").is_empty()
    })
    .await;
    let mut left = Vec::new();
    while let Ok(push) = watcher_mailbox.try_recv() {
        if let Push::Action { action, data, .. } = push {
            assert_eq!(&*action, "presence");
            left = data["left"].as_array().cloned().unwrap_or_default();
        }
    }
    assert_eq!(left, vec![serde_json::json!("ana")]);
    drop(ana);
}
