//! The cluster's bus over Redis pub/sub: the control channel `lvt:bus`,
//! and a channel per scope (`lvt:g:<group>`, `lvt:u:<user>`,
//! `lvt:t:<topic>`) that an instance listens on while it serves the scope.
//!
//! On one Redis server these are plain channels (`PUBLISH`/`SUBSCRIBE`:
//! Redis sends a message only to the connections subscribed to it). On a
//! Redis Cluster they are sharded channels (`SPUBLISH`/`SSUBSCRIBE`): a
//! channel lives on the master owning its slot, so each master carries its
//! share of the channels instead of every message crossing every node.

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use ::redis::cluster::ClusterClientBuilder;
use ::redis::{Client, PushKind, Value};
use futures_util::StreamExt;
use tokio::runtime::Handle;
use tokio::sync::mpsc;

use super::link::{Link, CHANNEL};
use super::{Nodes, Redis, TIMEOUT};
use crate::cluster::{Bus, BusEvent, HEARTBEAT};
use crate::lock::lock;

/// With no message for this long (the cluster's own heartbeats echo back
/// every [`HEARTBEAT`]), the subscription counts as dead and is renewed.
const SILENCE: Duration = Duration::from_secs(3 * HEARTBEAT.as_secs());
/// How often subscriptions that failed (their master down) are tried again.
const RETRY: Duration = Duration::from_secs(1);

/// A [`Bus`] over Redis pub/sub; from [`Redis::bus`].
///
/// Publishing is queued and sent in batches, in order (and in order with
/// the [`RedisStore`](super::RedisStore)'s writes). Listening resubscribes
/// after Redis comes back (retrying every 50 ms to 1 s), saying
/// [`BusEvent::Disconnected`] and [`BusEvent::Connected`].
pub struct RedisBus {
    nodes: Nodes,
    link: Arc<Link>,
    shown: String,
    runtime: Handle,
    /// The scope channels asked for (the control channel is always listened on).
    wanted: Arc<Mutex<BTreeSet<String>>>,
    changes: mpsc::UnboundedSender<Change>,
    /// Taken by [`Bus::listen`].
    changes_rx: Mutex<Option<mpsc::UnboundedReceiver<Change>>>,
}

/// A subscription to make or end.
enum Change {
    Subscribe(String),
    Unsubscribe(String),
}

impl std::fmt::Debug for RedisBus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisBus")
            .field("url", &self.shown)
            .finish_non_exhaustive()
    }
}

impl RedisBus {
    pub(super) fn new(redis: &Redis) -> RedisBus {
        let (changes, changes_rx) = mpsc::unbounded_channel();
        RedisBus {
            nodes: redis.nodes.clone(),
            link: redis.link.clone(),
            shown: redis.shown.clone(),
            runtime: redis.runtime.clone(),
            wanted: Arc::default(),
            changes,
            changes_rx: Mutex::new(Some(changes_rx)),
        }
    }
}

impl Bus for RedisBus {
    fn publish(&self, message: Vec<u8>) {
        self.link.publish(CHANNEL.into(), message);
    }

    fn publish_on(&self, channel: &str, message: Vec<u8>) {
        self.link.publish(channel.into(), message);
    }

    fn subscribe(&self, channel: &str) -> bool {
        lock(&self.wanted).insert(channel.to_string());
        let _ = self.changes.send(Change::Subscribe(channel.to_string()));
        false
    }

    fn unsubscribe(&self, channel: &str) {
        lock(&self.wanted).remove(channel);
        let _ = self.changes.send(Change::Unsubscribe(channel.to_string()));
    }

    fn listen(&self, events: mpsc::UnboundedSender<BusEvent>) {
        let Some(changes) = lock(&self.changes_rx).take() else {
            tracing::warn!("a Redis bus listens once; make one bus per runtime");
            return;
        };
        let listener = Listener {
            events,
            changes,
            wanted: self.wanted.clone(),
        };
        match &self.nodes {
            Nodes::Single(client) => self.runtime.spawn(listener.single(client.clone())),
            Nodes::Cluster(nodes) => self.runtime.spawn(listener.cluster(nodes.clone())),
        };
    }

    fn describe(&self) -> String {
        match &self.nodes {
            Nodes::Single(_) => format!("redis {} channel {CHANNEL}", self.shown),
            Nodes::Cluster(_) => {
                format!("redis cluster {} sharded channel {CHANNEL}", self.shown)
            }
        }
    }

    fn channels(&self) -> Vec<String> {
        let mut all = vec![CHANNEL.to_string()];
        all.extend(lock(&self.wanted).iter().cloned());
        all
    }
}

/// The subscribing side of a bus.
struct Listener {
    events: mpsc::UnboundedSender<BusEvent>,
    changes: mpsc::UnboundedReceiver<Change>,
    wanted: Arc<Mutex<BTreeSet<String>>>,
}

/// Why a subscription ended.
enum End {
    /// Nobody listens any more.
    Closed,
    /// The link broke: subscribe again.
    Broken,
}

impl Listener {
    /// The channels to listen on after (re)connecting; the changes queued
    /// so far are in it already.
    fn all_channels(&mut self) -> Vec<String> {
        while self.changes.try_recv().is_ok() {}
        let mut all = vec![CHANNEL.to_string()];
        all.extend(lock(&self.wanted).iter().cloned());
        all
    }

    fn say(&self, event: BusEvent) -> Result<(), End> {
        self.events.send(event).map_err(|_| End::Closed)
    }

    /// Listens on one Redis server, resubscribing whenever the subscription
    /// ends, until nobody listens.
    async fn single(mut self, client: Client) {
        let mut backoff = Duration::from_millis(50);
        while !self.events.is_closed() {
            match client.get_async_pubsub().await {
                Ok(pubsub) => {
                    // Keep the sink: dropping it would end the subscription.
                    let (mut sink, mut stream) = pubsub.split();
                    match sink.subscribe(self.all_channels()).await {
                        Err(e) => tracing::debug!(error = %e, "subscribing to Redis failed"),
                        Ok(()) => {
                            backoff = Duration::from_millis(50);
                            let end = async {
                                self.say(BusEvent::Connected)?;
                                loop {
                                    tokio::select! {
                                        message = tokio::time::timeout(SILENCE, stream.next()) => match message {
                                            Ok(Some(message)) => {
                                                let bytes = message.get_payload_bytes().to_vec();
                                                self.say(BusEvent::Message(bytes))?;
                                            }
                                            Ok(None) => return Err(End::Broken),
                                            Err(_) => {
                                                tracing::warn!("no message from Redis for {SILENCE:?}; resubscribing");
                                                return Err(End::Broken);
                                            }
                                        },
                                        change = self.changes.recv() => match change {
                                            None => return Err(End::Closed),
                                            Some(Change::Subscribe(channel)) => {
                                                if sink.subscribe(&channel).await.is_err() {
                                                    return Err(End::Broken);
                                                }
                                                self.say(BusEvent::Subscribed(channel))?;
                                            }
                                            Some(Change::Unsubscribe(channel)) => {
                                                if sink.unsubscribe(&channel).await.is_err() {
                                                    return Err(End::Broken);
                                                }
                                            }
                                        },
                                    }
                                }
                            }
                            .await;
                            if matches!(end, Err::<(), End>(End::Closed))
                                || self.say(BusEvent::Disconnected).is_err()
                            {
                                return;
                            }
                        }
                    }
                }
                Err(e) => tracing::debug!(error = %e, "connecting to Redis failed"),
            }
            tokio::time::sleep(backoff).await;
            backoff = (backoff * 2).min(Duration::from_secs(1));
        }
    }

    /// Listens on a Redis Cluster: sharded channels, through a cluster
    /// connection of its own speaking RESP3 (pushes arrive on a queue). A
    /// master going down breaks only the channels it serves: they are
    /// subscribed again every [`RETRY`] until it is back. The link counts as
    /// broken only when the control channel falls silent.
    async fn cluster(mut self, nodes: Vec<String>) {
        let mut backoff = Duration::from_millis(50);
        while !self.events.is_closed() {
            let (pushes_tx, mut pushes) = mpsc::unbounded_channel();
            let client = ClusterClientBuilder::new(nodes.clone())
                .use_protocol(::redis::ProtocolVersion::RESP3)
                .push_sender(pushes_tx)
                .connection_timeout(TIMEOUT)
                .response_timeout(TIMEOUT)
                .retries(1)
                .build();
            let connection = match client {
                Ok(client) => client.get_async_connection().await,
                Err(e) => Err(e),
            };
            // Keep the connection: dropping it would end the subscriptions.
            let mut connection = match connection {
                Ok(connection) => connection,
                Err(e) => {
                    tracing::debug!(error = %e, "connecting to Redis failed");
                    tokio::time::sleep(backoff).await;
                    backoff = (backoff * 2).min(Duration::from_secs(1));
                    continue;
                }
            };
            if let Err(e) = connection.ssubscribe(CHANNEL).await {
                tracing::debug!(error = %e, "subscribing to Redis failed");
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(Duration::from_secs(1));
                continue;
            }
            backoff = Duration::from_millis(50);
            // Scope channels whose subscription failed, to try again.
            let mut failing: BTreeSet<String> = BTreeSet::new();
            for channel in self.all_channels().into_iter().skip(1) {
                if connection.ssubscribe(&channel).await.is_err() {
                    failing.insert(channel);
                }
            }
            let mut retry = tokio::time::interval(RETRY);
            let end = async {
                self.say(BusEvent::Connected)?;
                loop {
                    tokio::select! {
                        push = tokio::time::timeout(SILENCE, pushes.recv()) => match push {
                            Ok(Some(push)) => match push.kind {
                                PushKind::SMessage => {
                                    if let Some(Value::BulkString(bytes)) = push.data.into_iter().nth(1) {
                                        self.say(BusEvent::Message(bytes))?;
                                    }
                                }
                                PushKind::Disconnection => {
                                    tracing::warn!("lost a Redis Cluster node; its channels come back with it");
                                }
                                _ => {}
                            },
                            Ok(None) => return Err(End::Broken),
                            Err(_) => {
                                tracing::warn!("no message from Redis for {SILENCE:?}; resubscribing");
                                return Err(End::Broken);
                            }
                        },
                        change = self.changes.recv() => match change {
                            None => return Err(End::Closed),
                            Some(Change::Subscribe(channel)) => {
                                if connection.ssubscribe(&channel).await.is_ok() {
                                    self.say(BusEvent::Subscribed(channel))?;
                                } else {
                                    failing.insert(channel);
                                }
                            }
                            Some(Change::Unsubscribe(channel)) => {
                                failing.remove(&channel);
                                let _ = connection.sunsubscribe(&channel).await;
                            }
                        },
                        _ = retry.tick(), if !failing.is_empty() => {
                            let wanted = lock(&self.wanted).clone();
                            failing.retain(|c| wanted.contains(c));
                            for channel in std::mem::take(&mut failing) {
                                if connection.ssubscribe(&channel).await.is_ok() {
                                    self.say(BusEvent::Subscribed(channel))?;
                                } else {
                                    failing.insert(channel);
                                }
                            }
                        }
                    }
                }
            }
            .await;
            if matches!(end, Err::<(), End>(End::Closed))
                || self.say(BusEvent::Disconnected).is_err()
            {
                return;
            }
            tokio::time::sleep(backoff).await;
        }
    }
}
