//! Several instances as one: pushes, presence and resyncs over a [`Bus`].
//!
//! Each instance delivers to its own connections directly and publishes
//! the push for the others. So that [`Session::trigger_action`](crate::Session::trigger_action)
//! can say "no live connection" across the cluster, each instance also
//! publishes how many connections it has per page and scope (group, user,
//! topic) whenever that changes, and every instance keeps the others' counts.
//!
//! Convergence:
//! - a count change reaches the others one bus hop later (milliseconds);
//! - a lost message is noticed at the sender's next message or heartbeat
//!   (at most [`HEARTBEAT`] later): the receiver resyncs its connections
//!   and asks the sender for a full snapshot;
//! - an instance silent for [`PEER_TIMEOUT`] is forgotten with its counts;
//! - while this instance's own link is down it forgets nobody (it cannot
//!   tell) and, when the link returns, resyncs its connections and asks
//!   everyone for snapshots.

mod bus;
mod message;
mod peers;

pub use bus::{Bus, BusEvent};
pub use peers::PeerStatus;

pub(crate) use message::{Presence, Scope};

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde::Serialize;
use tokio::sync::{mpsc, Notify};
use tokio_util::sync::CancellationToken;

use crate::lock::lock;
use crate::session::{Registry, Target};
use message::{Body, Envelope};
use peers::{Heard, Peers};

/// How often an instance says it is alive.
pub const HEARTBEAT: Duration = Duration::from_secs(1);
/// Silence after which an instance counts as gone, with its connections.
pub const PEER_TIMEOUT: Duration = Duration::from_secs(3);

/// This instance's place in a cluster.
pub(crate) struct Cluster {
    me: Arc<str>,
    /// New at every start, so others tell a restart from lost messages.
    epoch: u64,
    bus: Arc<dyn Bus>,
    /// Held while publishing, so the bus sees messages in number order.
    seq: Mutex<u64>,
    peers: Mutex<Peers>,
    linked: AtomicBool,
    ever_linked: AtomicBool,
    /// Count changes not yet published (coalesced by the flush task).
    dirty: Mutex<HashMap<Presence, u32>>,
    dirty_notify: Notify,
    resyncs: AtomicU64,
    gaps: AtomicU64,
}

/// How this instance sees the cluster; see [`Sessions::cluster`](crate::Sessions::cluster).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ClusterStatus {
    /// This instance's name.
    pub instance: String,
    /// Where the bus goes; `None` when this instance runs alone.
    pub bus: Option<String>,
    /// Whether the bus link is up now.
    pub connected: bool,
    /// The other instances heard from recently.
    pub peers: Vec<PeerStatus>,
    /// Times this instance re-rendered its connections because messages
    /// may have been missed (a gap, or its link coming back).
    pub resyncs: u64,
    /// Messages from other instances known to be lost.
    pub gaps: u64,
}

impl ClusterStatus {
    /// The status of an instance without a bus.
    pub(crate) fn alone(instance: &str) -> ClusterStatus {
        ClusterStatus {
            instance: instance.to_string(),
            bus: None,
            connected: false,
            peers: Vec::new(),
            resyncs: 0,
            gaps: 0,
        }
    }
}

fn random_epoch() -> u64 {
    let mut bytes = [0u8; 8];
    if getrandom::fill(&mut bytes).is_err() {
        return std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(1, |d| d.as_nanos() as u64);
    }
    u64::from_le_bytes(bytes)
}

impl Cluster {
    pub(crate) fn new(me: Arc<str>, bus: Arc<dyn Bus>) -> Cluster {
        Cluster {
            me,
            epoch: random_epoch(),
            bus,
            seq: Mutex::new(0),
            peers: Mutex::new(Peers::default()),
            linked: AtomicBool::new(false),
            ever_linked: AtomicBool::new(false),
            dirty: Mutex::new(HashMap::new()),
            dirty_notify: Notify::new(),
            resyncs: AtomicU64::new(0),
            gaps: AtomicU64::new(0),
        }
    }

    /// Starts listening, heartbeats and presence publishing; they end with
    /// `shutdown` or when the registry is gone. Needs a Tokio runtime.
    pub(crate) fn start(self: &Arc<Self>, registry: &Arc<Registry>, shutdown: CancellationToken) {
        let (events_tx, mut events) = mpsc::unbounded_channel();
        self.bus.listen(events_tx);
        let weak = Arc::downgrade(registry);

        let (cluster, registry, stop) = (self.clone(), weak.clone(), shutdown.clone());
        tokio::spawn(async move {
            loop {
                let event = tokio::select! {
                    _ = stop.cancelled() => return,
                    event = events.recv() => event,
                };
                let (Some(event), Some(registry)) = (event, registry.upgrade()) else {
                    return;
                };
                cluster.on_event(&registry, event);
            }
        });

        let (cluster, registry, stop) = (self.clone(), weak.clone(), shutdown.clone());
        tokio::spawn(async move {
            let mut beat = tokio::time::interval(HEARTBEAT);
            beat.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tokio::select! {
                    _ = stop.cancelled() => return,
                    _ = beat.tick() => {}
                }
                if registry.strong_count() == 0 {
                    return;
                }
                if cluster.linked.load(Ordering::Acquire) {
                    cluster.publish(Body::Heartbeat);
                    for gone in lock(&cluster.peers).expire(Instant::now(), PEER_TIMEOUT) {
                        tracing::warn!(instance = %gone, "instance went silent; its connections no longer count");
                    }
                }
            }
        });

        let (cluster, stop) = (self.clone(), shutdown);
        tokio::spawn(async move {
            loop {
                tokio::select! {
                    _ = stop.cancelled() => return,
                    _ = cluster.dirty_notify.notified() => {}
                }
                // Let a burst of changes (a page of tabs closing) gather.
                tokio::task::yield_now().await;
                let counts: Vec<(Presence, u32)> = lock(&cluster.dirty).drain().collect();
                if !counts.is_empty() {
                    cluster.publish(Body::Presence { counts });
                }
            }
        });
    }

    fn publish(&self, body: Body) {
        let mut seq = lock(&self.seq);
        if body.is_numbered() {
            *seq += 1;
        }
        let envelope = Envelope {
            from: self.me.clone(),
            epoch: self.epoch,
            seq: *seq,
            body,
        };
        self.bus.publish(envelope.encode());
    }

    /// Runs a push on the other instances' connections.
    pub(crate) fn deliver(
        &self,
        target: &Target,
        action: &str,
        data: &serde_json::Map<String, serde_json::Value>,
    ) {
        self.publish(Body::Deliver {
            target: target.clone(),
            action: action.to_string(),
            data: data.clone(),
        });
    }

    /// This instance's count for `key` is now `n`.
    pub(crate) fn presence_changed(&self, key: Presence, n: u32) {
        lock(&self.dirty).insert(key, n);
        self.dirty_notify.notify_one();
    }

    /// Live connections on other instances in `scope`, on pages `page` accepts.
    pub(crate) fn count_elsewhere(&self, scope: &Scope, page: impl Fn(&str) -> bool) -> usize {
        lock(&self.peers).count(scope, page)
    }

    pub(crate) fn status(&self) -> ClusterStatus {
        ClusterStatus {
            instance: self.me.to_string(),
            bus: Some(self.bus.describe()),
            connected: self.linked.load(Ordering::Acquire),
            peers: lock(&self.peers).status(Instant::now()),
            resyncs: self.resyncs.load(Ordering::Relaxed),
            gaps: self.gaps.load(Ordering::Relaxed),
        }
    }

    fn resync(&self, registry: &Registry) {
        self.resyncs.fetch_add(1, Ordering::Relaxed);
        registry.resync_all();
    }

    fn on_event(&self, registry: &Registry, event: BusEvent) {
        match event {
            BusEvent::Connected => {
                self.linked.store(true, Ordering::Release);
                if self.ever_linked.swap(true, Ordering::AcqRel) {
                    tracing::info!("bus link is back; resyncing this instance's connections");
                    lock(&self.peers).rejoin(Instant::now());
                    self.resync(registry);
                }
                self.publish(Body::Hello { to: None });
            }
            BusEvent::Disconnected => {
                if self.linked.swap(false, Ordering::AcqRel) {
                    tracing::warn!("bus link lost; serving this instance's connections alone");
                }
            }
            BusEvent::Message(bytes) => self.receive(registry, &bytes),
        }
    }

    fn receive(&self, registry: &Registry, bytes: &[u8]) {
        let envelope = match Envelope::decode(bytes) {
            Ok(envelope) => envelope,
            Err(e) => {
                tracing::warn!(error = %e, "ignored a message on the bus");
                return;
            }
        };
        if envelope.from == self.me {
            if envelope.epoch != self.epoch {
                tracing::warn!(instance = %self.me, "another instance has this instance's name; give each its own --instance-name");
            }
            return;
        }
        let heard = lock(&self.peers).hear(&envelope, Instant::now());
        let ask_snapshot = Body::Hello {
            to: Some(envelope.from.clone()),
        };
        match heard {
            Heard::Repeat => return,
            Heard::InOrder => {}
            Heard::Met => {
                tracing::info!(instance = %envelope.from, "met instance");
                if !matches!(envelope.body, Body::Snapshot { .. }) {
                    self.publish(ask_snapshot);
                }
            }
            Heard::Gap { missed } => {
                tracing::warn!(instance = %envelope.from, missed, "messages lost on the bus; resyncing");
                self.gaps.fetch_add(missed, Ordering::Relaxed);
                self.resync(registry);
                self.publish(ask_snapshot);
            }
        }
        match &envelope.body {
            Body::Deliver {
                target,
                action,
                data,
            } => {
                registry.deliver_here(target, action, data, None);
            }
            body @ (Body::Presence { .. } | Body::Snapshot { .. }) => {
                lock(&self.peers).learn(&envelope.from, body);
            }
            Body::Hello { to } => {
                if to.as_ref().map_or(true, |to| *to == self.me) {
                    self.publish(Body::Snapshot {
                        counts: registry.presence(),
                    });
                }
            }
            Body::Heartbeat => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::AtomicBool;

    use serde_json::Map;

    use super::*;
    use crate::session::{ConnInfo, Push};

    /// An in-process bus that can lose the next message, to show what the
    /// numbering does about loss (the Redis tests cover the real transport).
    #[derive(Clone, Default)]
    struct LossyBus {
        listeners: Arc<Mutex<Vec<mpsc::UnboundedSender<BusEvent>>>>,
        lose_next: Arc<AtomicBool>,
    }

    impl Bus for LossyBus {
        fn publish(&self, message: Vec<u8>) {
            if self.lose_next.swap(false, Ordering::SeqCst) {
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

    async fn until(mut check: impl FnMut() -> bool) {
        while !check() {
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
        until(|| b.count(&group) == 1).await;

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
        until(|| b.count(&group) == 1).await;
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
        until(|| b.count(&group) == 0).await;
        assert_eq!(b.deliver(&group, "ping", &Map::new(), None), 0);
    }
}
