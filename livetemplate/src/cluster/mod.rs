//! Several instances as one: pushes, presence and resyncs over a [`Bus`].
//!
//! Each instance delivers to its own connections directly and publishes
//! the push for the others — on the channel of the push's scope (its
//! session group, user or topic), which only instances with connections in
//! that scope listen on. An instance starts listening on a scope's channel
//! with its first connection there and stops after its last one leaves, so
//! what it receives grows with what it serves, not with the cluster.
//!
//! So that [`Session::trigger_action`](crate::Session::trigger_action)
//! can say "no live connection" across the cluster, each instance also
//! publishes, on a control channel every instance hears, how many
//! connections it has per page and scope whenever that changes (only once
//! it listens on the scope's channel: whoever counts a connection can
//! reach it), and every instance keeps the others' counts. Heartbeats and
//! hellos go on the control channel too.
//!
//! Loss detection. A listener hears only some of a sender's messages (those
//! on the channels it listens on), so one running number per sender would
//! show false gaps. Each message carries the sender's running number
//! (`seq`) and the number of the sender's previous message *on the same
//! channel* (`prev`); a listener keeps, per sender and channel, the last
//! number heard, and a `prev` above it means a message on that channel was
//! lost. The first message heard from a sender on a channel sets where it
//! stands (messages before it may predate the subscription). To notice loss
//! at the end of a burst, at its next heartbeat the sender publishes a small
//! `tail` message on every scope channel it pushed on since the last one:
//! its `prev` names the last push. A tail goes only to the channel's
//! listeners, in order with the pushes (same channel, same shard), so the
//! cost is at most one message per busy channel per [`HEARTBEAT`] — not a
//! list of channels sent to every instance.
//!
//! Presence lists (`Context::track`) travel the same way: an instance
//! publishes its own people on a topic, on the topic's channel, whenever
//! they change; keeps the others' per instance for the topics it listens
//! on; and pushes the merged list to its own subscribers. An instance that
//! starts listening on a topic asks there who the others have on it.
//!
//! Convergence:
//! - a count change reaches the others one bus hop later (milliseconds);
//! - a lost push is noticed at the sender's next message on that channel,
//!   or its tail there (at most [`HEARTBEAT`] later): the receiver resyncs
//!   its connections; a lost control message makes it ask the sender for a
//!   full snapshot of its counts;
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

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, Instant};

use serde::Serialize;
use serde_json::{Map, Value};
use tokio::sync::{mpsc, Notify};
use tokio_util::sync::CancellationToken;

use crate::lock::lock;
use crate::metrics::Metrics;
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
    sending: Mutex<Sending>,
    /// The scope channels this instance listens on.
    channels: Mutex<HashMap<Arc<str>, Channel>>,
    peers: Mutex<Peers>,
    tracks: Mutex<RemoteTracks>,
    linked: AtomicBool,
    ever_linked: AtomicBool,
    /// Count changes not yet published (coalesced by the flush task).
    dirty: Mutex<HashMap<Presence, u32>>,
    dirty_notify: Notify,
    resyncs: AtomicU64,
    gaps: AtomicU64,
    /// Counts the messages sent and heard.
    metrics: Arc<Metrics>,
}

/// This instance's numbering.
#[derive(Default)]
struct Sending {
    /// Messages sent so far.
    seq: u64,
    /// Per channel (the control channel under `""`): the last message's
    /// number, when it was sent, and whether it was a tail. Pruned after
    /// [`PEER_TIMEOUT`].
    last: HashMap<Arc<str>, (u64, Instant, bool)>,
}

/// A scope channel this instance listens on.
struct Channel {
    scope: Scope,
    /// This instance's pages with connections in the scope.
    pages: HashSet<Arc<str>>,
    /// Whether its messages arrive yet; counts in the scope are published
    /// only then.
    confirmed: bool,
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
    /// The bus channels this instance listens on.
    pub subscriptions: Vec<String>,
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
            subscriptions: Vec::new(),
        }
    }
}

impl Cluster {
    pub(crate) fn new(me: Arc<str>, bus: Arc<dyn Bus>, metrics: Arc<Metrics>) -> Cluster {
        Cluster {
            me,
            epoch: u64::from_le_bytes(crate::random::bytes()),
            bus,
            sending: Mutex::new(Sending::default()),
            channels: Mutex::new(HashMap::new()),
            peers: Mutex::new(Peers::default()),
            tracks: Mutex::new(RemoteTracks::default()),
            linked: AtomicBool::new(false),
            ever_linked: AtomicBool::new(false),
            dirty: Mutex::new(HashMap::new()),
            dirty_notify: Notify::new(),
            resyncs: AtomicU64::new(0),
            gaps: AtomicU64::new(0),
            metrics,
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
                    cluster.publish(None, Body::Heartbeat);
                    for channel in cluster.untailed(Instant::now()) {
                        cluster.publish(Some(channel), Body::Tail);
                    }
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
                let counts = cluster.ready_counts();
                if !counts.is_empty() {
                    cluster.publish(None, Body::Presence { counts });
                }
            }
        });
    }

    /// Publishes `body` on `channel` (`None`: the control channel).
    fn publish(&self, channel: Option<Arc<str>>, body: Body) {
        let mut sending = lock(&self.sending);
        sending.seq += 1;
        let seq = sending.seq;
        let key = channel.clone().unwrap_or_else(|| Arc::from(""));
        let tail = matches!(body, Body::Tail);
        let prev = sending
            .last
            .insert(key, (seq, Instant::now(), tail))
            .map_or(0, |(seq, _, _)| seq);
        let envelope = Envelope {
            channel: channel.clone(),
            prev,
            ..Envelope::new(self.me.clone(), self.epoch, seq, body)
        };
        match channel {
            Some(channel) => self.bus.publish_on(&channel, envelope.encode()),
            None => self.bus.publish(envelope.encode()),
        }
        self.metrics.bus_sent();
    }

    /// The scope channels whose last message is not a tail; forgets
    /// channels unused for [`PEER_TIMEOUT`].
    fn untailed(&self, now: Instant) -> Vec<Arc<str>> {
        let mut sending = lock(&self.sending);
        sending
            .last
            .retain(|_, (_, at, _)| now.duration_since(*at) <= PEER_TIMEOUT);
        sending
            .last
            .iter()
            .filter(|(channel, (_, _, tail))| !channel.is_empty() && !tail)
            .map(|(channel, _)| channel.clone())
            .collect()
    }

    /// Runs a push on the other instances' connections.
    pub(crate) fn deliver(&self, to: Address, action: &str, data: &Map<String, Value>) {
        let channel = to.scope().channel();
        self.publish(
            Some(channel),
            Body::Deliver {
                to,
                action: action.to_string(),
                data: data.clone(),
            },
        );
    }

    /// The other instances' tabs of `page` in `group` follow a client action.
    pub(crate) fn sync_tabs(&self, page: Arc<str>, group: Arc<str>) {
        let channel = Scope::Group(group.clone()).channel();
        self.publish(Some(channel), Body::SyncTabs { page, group });
    }

    /// This instance's count for `key` is now `n`: listens on the scope's
    /// channel from its first connection to its last.
    pub(crate) fn presence_changed(&self, key: Presence, n: u32) {
        let channel = key.scope.channel();
        let mut channels = lock(&self.channels);
        if n > 0 {
            let entry = channels.entry(channel.clone()).or_insert_with(|| Channel {
                scope: key.scope.clone(),
                pages: HashSet::new(),
                confirmed: false,
            });
            let first = entry.pages.is_empty() && !entry.confirmed;
            entry.pages.insert(key.page.clone());
            if first && self.bus.subscribe(&channel) {
                entry.confirmed = true;
                drop(channels);
                self.listening(&key.scope);
            }
        } else if let Some(entry) = channels.get_mut(&channel) {
            entry.pages.remove(&key.page);
            if entry.pages.is_empty() {
                channels.remove(&channel);
                self.bus.unsubscribe(&channel);
                drop(channels);
                lock(&self.peers).forget_channel(&channel);
                if let Scope::Topic(topic) = &key.scope {
                    lock(&self.tracks).forget_topic(topic);
                }
            }
        }
        lock(&self.dirty).insert(key, n);
        self.dirty_notify.notify_one();
    }

    /// This instance hears `scope`'s channel now: on a topic, it asks who
    /// the others have there.
    fn listening(&self, scope: &Scope) {
        if let Scope::Topic(topic) = scope {
            self.publish(
                Some(scope.channel()),
                Body::AskTracks {
                    topic: topic.clone(),
                },
            );
        }
    }

    /// The changed counts to publish now: all but those of scopes whose
    /// channel does not deliver yet (they wait for it).
    fn ready_counts(&self) -> Vec<(Presence, u32)> {
        let channels = lock(&self.channels);
        let mut dirty = lock(&self.dirty);
        let ready: Vec<Presence> = dirty
            .iter()
            .filter(|(key, n)| **n == 0 || self.confirmed(&channels, key))
            .map(|(key, _)| key.clone())
            .collect();
        ready
            .into_iter()
            .filter_map(|key| dirty.remove_entry(&key))
            .collect()
    }

    fn confirmed(&self, channels: &HashMap<Arc<str>, Channel>, key: &Presence) -> bool {
        channels
            .get(&key.scope.channel())
            .is_some_and(|c| c.confirmed)
    }

    /// Whether this instance listens on `channel` (a scope channel).
    fn listens(&self, channel: &str) -> bool {
        lock(&self.channels).contains_key(channel)
    }

    /// This instance's tracked entries on `topic` are now `entries`: told
    /// to the instances listening on the topic.
    pub(crate) fn track_changed(&self, topic: Arc<str>, entries: Vec<Tracked>) {
        let channel = Scope::Topic(topic.clone()).channel();
        self.publish(Some(channel), Body::Track { topic, entries });
    }

    /// The other instances' tracked entries on `topic` (known while this
    /// instance listens on it).
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
            subscriptions: {
                let mut names = self.bus.channels();
                if names.is_empty() {
                    names = lock(&self.channels).keys().map(|c| c.to_string()).collect();
                    names.sort();
                }
                names
            },
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
                // Every channel asked for delivers now.
                for channel in lock(&self.channels).values_mut() {
                    channel.confirmed = true;
                }
                self.dirty_notify.notify_one();
                self.publish(None, Body::Hello { to: None });
            }
            BusEvent::Subscribed(name) => {
                let scope = match lock(&self.channels).get_mut(name.as_str()) {
                    Some(channel) if !channel.confirmed => {
                        channel.confirmed = true;
                        Some(channel.scope.clone())
                    }
                    _ => None,
                };
                if let Some(scope) = scope {
                    self.listening(&scope);
                }
                self.dirty_notify.notify_one();
            }
            BusEvent::Disconnected => {
                if self.linked.swap(false, Ordering::AcqRel) {
                    tracing::warn!("bus link lost; serving this instance's connections alone");
                }
            }
            BusEvent::Message(bytes) => {
                self.metrics.bus_heard();
                self.receive(local, &bytes);
            }
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
        if let Some(channel) = &envelope.channel {
            // A bus without channels brings every scope's messages.
            if !self.listens(channel) {
                return;
            }
        }
        let heard = lock(&self.peers).hear(&envelope, Instant::now());
        let ask_snapshot = || Body::Hello {
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
                    self.publish(None, ask_snapshot());
                }
            }
            Heard::Gap if envelope.channel.is_some() => {
                tracing::warn!(instance = %envelope.from, channel = ?envelope.channel, "pushes lost on the bus; resyncing");
                self.gaps.fetch_add(1, Ordering::Relaxed);
                self.resync(local);
                // A lost presence list, perhaps: ask again.
                let scope = envelope
                    .channel
                    .as_ref()
                    .and_then(|c| lock(&self.channels).get(c).map(|c| c.scope.clone()));
                if let Some(scope) = scope {
                    self.listening(&scope);
                }
            }
            Heard::Gap => {
                tracing::warn!(instance = %envelope.from, "presence lost on the bus; asking for a snapshot");
                self.gaps.fetch_add(1, Ordering::Relaxed);
                self.publish(None, ask_snapshot());
            }
        }
        match &envelope.body {
            Body::Deliver { to, action, data } => local.deliver_here(to, action, data),
            Body::SyncTabs { page, group } => local.sync_tabs_here(page, group),
            body @ Body::Presence { .. } => lock(&self.peers).learn(&envelope.from, body),
            body @ Body::Snapshot { tracks, .. } => {
                lock(&self.peers).learn(&envelope.from, body);
                // Only the topics this instance listens on.
                let tracks: Vec<(Arc<str>, Vec<Tracked>)> = tracks
                    .iter()
                    .filter(|(topic, _)| self.listens(&Scope::Topic(topic.clone()).channel()))
                    .cloned()
                    .collect();
                let topics = lock(&self.tracks).replace(&envelope.from, &tracks);
                if !topics.is_empty() {
                    local.tracks_changed_elsewhere(&topics);
                }
            }
            Body::Track { topic, entries } => {
                if lock(&self.tracks).learn(&envelope.from, topic, entries) {
                    local.tracks_changed_elsewhere(std::slice::from_ref(topic));
                }
            }
            Body::AskTracks { topic } => {
                let mine = local.tracks().into_iter().find(|(t, _)| t == topic);
                if let Some((topic, entries)) = mine.filter(|(_, e)| !e.is_empty()) {
                    self.track_changed(topic, entries);
                }
            }
            Body::Hello { to } => {
                if to.as_ref().map_or(true, |to| *to == self.me) {
                    let counts = local.presence();
                    let counts = {
                        let channels = lock(&self.channels);
                        counts
                            .into_iter()
                            .filter(|(key, _)| self.confirmed(&channels, key))
                            .collect()
                    };
                    self.publish(
                        None,
                        Body::Snapshot {
                            counts,
                            tracks: local.tracks(),
                        },
                    );
                }
            }
            Body::Heartbeat | Body::Tail => {}
        }
    }
}
