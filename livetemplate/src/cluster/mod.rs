//! Several instances as one: pushes, presence and resyncs over a [`Bus`].
//!
//! Each instance delivers to its own connections directly and publishes
//! the push for the others. So that [`Session::trigger_action`](crate::Session::trigger_action)
//! can say "no live connection" across the cluster, each instance also
//! publishes how many connections it has per page and scope (group, user,
//! topic) whenever that changes, and every instance keeps the others' counts.
//!
//! Presence lists (`Context::track`) travel the same way: an instance
//! publishes its own people on a topic whenever they change, keeps the
//! others' per instance, and pushes the merged list to its own subscribers.
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
mod tracks;

pub use bus::{Bus, BusEvent};
pub use peers::PeerStatus;

pub(crate) use message::{Address, Presence, Scope, Tracked};

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, Instant};

use serde::Serialize;
use serde_json::{Map, Value};
use tokio::sync::{mpsc, Notify};
use tokio_util::sync::CancellationToken;

use crate::lock::lock;
use message::{Body, DecodeError, Envelope};
use peers::{Heard, Peers};
use tracks::RemoteTracks;

/// How often an instance says it is alive.
pub const HEARTBEAT: Duration = Duration::from_secs(1);
/// Silence after which an instance counts as gone, with its connections.
pub const PEER_TIMEOUT: Duration = Duration::from_secs(3);

/// What the cluster asks of this instance's own connections; the session
/// registry answers.
pub(crate) trait Local: Send + Sync + 'static {
    /// Runs an action another instance sent on this instance's connections at `to`.
    fn deliver_here(&self, to: &Address, action: &str, data: &Map<String, Value>);
    /// This instance's tabs of `page` in `group` follow a client action
    /// made on another instance.
    fn sync_tabs_here(&self, page: &str, group: &str);
    /// This instance's connections per page and scope.
    fn presence(&self) -> Vec<(Presence, u32)>;
    /// Re-renders every connection: pushes for them may have been lost.
    fn resync_all(&self);
    /// Every topic's tracked entries on this instance.
    fn tracks(&self) -> Vec<(Arc<str>, Vec<Tracked>)>;
    /// Who is on these topics changed on other instances.
    fn tracks_changed_elsewhere(&self, topics: &[Arc<str>]);
}

/// This instance's place in a cluster.
pub(crate) struct Cluster {
    me: Arc<str>,
    /// New at every start, so others tell a restart from lost messages.
    epoch: u64,
    bus: Arc<dyn Bus>,
    /// Held while publishing, so the bus sees messages in number order.
    seq: Mutex<u64>,
    peers: Mutex<Peers>,
    tracks: Mutex<RemoteTracks>,
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

impl Cluster {
    pub(crate) fn new(me: Arc<str>, bus: Arc<dyn Bus>) -> Cluster {
        Cluster {
            me,
            epoch: u64::from_le_bytes(crate::random::bytes()),
            bus,
            seq: Mutex::new(0),
            peers: Mutex::new(Peers::default()),
            tracks: Mutex::new(RemoteTracks::default()),
            linked: AtomicBool::new(false),
            ever_linked: AtomicBool::new(false),
            dirty: Mutex::new(HashMap::new()),
            dirty_notify: Notify::new(),
            resyncs: AtomicU64::new(0),
            gaps: AtomicU64::new(0),
        }
    }

    /// Starts listening, heartbeats and presence publishing; they end with
    /// `shutdown` or when this instance's connections are gone. Needs a Tokio runtime.
    pub(crate) fn start(self: &Arc<Self>, local: Weak<dyn Local>, shutdown: CancellationToken) {
        let (events_tx, mut events) = mpsc::unbounded_channel();
        self.bus.listen(events_tx);
        let weak = local;

        let (cluster, local, stop) = (self.clone(), weak.clone(), shutdown.clone());
        tokio::spawn(async move {
            loop {
                let event = tokio::select! {
                    _ = stop.cancelled() => return,
                    event = events.recv() => event,
                };
                let (Some(event), Some(local)) = (event, local.upgrade()) else {
                    return;
                };
                cluster.on_event(&*local, event);
            }
        });

        let (cluster, local, stop) = (self.clone(), weak.clone(), shutdown.clone());
        tokio::spawn(async move {
            let mut beat = tokio::time::interval(HEARTBEAT);
            beat.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tokio::select! {
                    _ = stop.cancelled() => return,
                    _ = beat.tick() => {}
                }
                if local.strong_count() == 0 {
                    return;
                }
                if cluster.linked.load(Ordering::Acquire) {
                    cluster.publish(Body::Heartbeat);
                    let gone = lock(&cluster.peers).expire(Instant::now(), PEER_TIMEOUT);
                    for gone in gone {
                        tracing::warn!(instance = %gone, "instance went silent; its connections no longer count");
                        let topics = lock(&cluster.tracks).forget(&gone);
                        if let (false, Some(local)) = (topics.is_empty(), local.upgrade()) {
                            local.tracks_changed_elsewhere(&topics);
                        }
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
        let envelope = Envelope::new(self.me.clone(), self.epoch, *seq, body);
        self.bus.publish(envelope.encode());
    }

    /// Runs a push on the other instances' connections.
    pub(crate) fn deliver(&self, to: Address, action: &str, data: &Map<String, Value>) {
        self.publish(Body::Deliver {
            to,
            action: action.to_string(),
            data: data.clone(),
        });
    }

    /// The other instances' tabs of `page` in `group` follow a client action.
    pub(crate) fn sync_tabs(&self, page: Arc<str>, group: Arc<str>) {
        self.publish(Body::SyncTabs { page, group });
    }

    /// This instance's count for `key` is now `n`.
    pub(crate) fn presence_changed(&self, key: Presence, n: u32) {
        lock(&self.dirty).insert(key, n);
        self.dirty_notify.notify_one();
    }

    /// This instance's tracked entries on `topic` are now `entries`.
    pub(crate) fn track_changed(&self, topic: Arc<str>, entries: Vec<Tracked>) {
        self.publish(Body::Track { topic, entries });
    }

    /// The other instances' tracked entries on `topic`.
    pub(crate) fn tracked_elsewhere(&self, topic: &str) -> Vec<Tracked> {
        lock(&self.tracks).on(topic)
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

    fn resync(&self, local: &dyn Local) {
        self.resyncs.fetch_add(1, Ordering::Relaxed);
        local.resync_all();
    }

    fn on_event(&self, local: &dyn Local, event: BusEvent) {
        match event {
            BusEvent::Connected => {
                self.linked.store(true, Ordering::Release);
                if self.ever_linked.swap(true, Ordering::AcqRel) {
                    tracing::info!("bus link is back; resyncing this instance's connections");
                    lock(&self.peers).rejoin(Instant::now());
                    self.resync(local);
                }
                self.publish(Body::Hello { to: None });
            }
            BusEvent::Disconnected => {
                if self.linked.swap(false, Ordering::AcqRel) {
                    tracing::warn!("bus link lost; serving this instance's connections alone");
                }
            }
            BusEvent::Message(bytes) => self.receive(local, &bytes),
        }
    }

    fn receive(&self, local: &dyn Local, bytes: &[u8]) {
        let envelope = match Envelope::decode(bytes) {
            Ok(envelope) => envelope,
            Err(e @ DecodeError::Format { .. }) => {
                tracing::warn!(error = %e, "ignored a message of another format on the bus; run one version of the runtime per bus");
                return;
            }
            Err(e) => {
                let why = crate::report::error_chain(&e);
                tracing::warn!(error = %why, "ignored a message on the bus");
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
                // A new life of an instance has none of its old life's people.
                let topics = lock(&self.tracks).forget(&envelope.from);
                if !topics.is_empty() {
                    local.tracks_changed_elsewhere(&topics);
                }
                if !matches!(envelope.body, Body::Snapshot { .. }) {
                    self.publish(ask_snapshot);
                }
            }
            Heard::Gap { missed } => {
                tracing::warn!(instance = %envelope.from, missed, "messages lost on the bus; resyncing");
                self.gaps.fetch_add(missed, Ordering::Relaxed);
                self.resync(local);
                self.publish(ask_snapshot);
            }
        }
        match &envelope.body {
            Body::Deliver { to, action, data } => local.deliver_here(to, action, data),
            Body::SyncTabs { page, group } => local.sync_tabs_here(page, group),
            body @ Body::Presence { .. } => lock(&self.peers).learn(&envelope.from, body),
            body @ Body::Snapshot { tracks, .. } => {
                lock(&self.peers).learn(&envelope.from, body);
                let topics = lock(&self.tracks).replace(&envelope.from, tracks);
                if !topics.is_empty() {
                    local.tracks_changed_elsewhere(&topics);
                }
            }
            Body::Track { topic, entries } => {
                if lock(&self.tracks).learn(&envelope.from, topic, entries) {
                    local.tracks_changed_elsewhere(std::slice::from_ref(topic));
                }
            }
            Body::Hello { to } => {
                if to.as_ref().map_or(true, |to| *to == self.me) {
                    self.publish(Body::Snapshot {
                        counts: local.presence(),
                        tracks: local.tracks(),
                    });
                }
            }
            Body::Heartbeat => {}
        }
    }
}
