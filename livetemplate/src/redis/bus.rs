//! The cluster's bus over Redis pub/sub.

use std::sync::Arc;
use std::time::Duration;

use ::redis::cluster::ClusterClientBuilder;
use ::redis::{Client, PushKind, Value};
use futures_util::StreamExt;
use tokio::runtime::Handle;
use tokio::sync::mpsc;

use super::link::{Link, CHANNEL};
use super::{Nodes, Redis, TIMEOUT};
use crate::cluster::{Bus, BusEvent, HEARTBEAT};

/// With no message for this long (the cluster's own heartbeats echo back
/// every [`HEARTBEAT`]), the subscription counts as dead and is renewed.
const SILENCE: Duration = Duration::from_secs(3 * HEARTBEAT.as_secs());

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
        RedisBus {
            nodes: redis.nodes.clone(),
            link: redis.link.clone(),
            shown: redis.shown.clone(),
            runtime: redis.runtime.clone(),
        }
    }
}

impl Bus for RedisBus {
    fn publish(&self, message: Vec<u8>) {
        self.link.publish(CHANNEL.into(), message);
    }

    fn listen(&self, events: mpsc::UnboundedSender<BusEvent>) {
        match &self.nodes {
            Nodes::Single(client) => self.runtime.spawn(subscribe(client.clone(), events)),
            Nodes::Cluster(nodes) => self.runtime.spawn(subscribe_cluster(nodes.clone(), events)),
        };
    }

    fn channels(&self) -> Vec<String> {
        vec![CHANNEL.to_string()]
    }

    fn describe(&self) -> String {
        match &self.nodes {
            Nodes::Single(_) => format!("redis {} channel {CHANNEL}", self.shown),
            Nodes::Cluster(_) => {
                format!("redis cluster {} sharded channel {CHANNEL}", self.shown)
            }
        }
    }
}

/// Delivers the channel's messages to `events`, resubscribing whenever the
/// subscription ends, until nobody listens.
async fn subscribe(client: Client, events: mpsc::UnboundedSender<BusEvent>) {
    let mut backoff = Duration::from_millis(50);
    while !events.is_closed() {
        match client.get_async_pubsub().await {
            Ok(pubsub) => {
                // Keep the sink: dropping it would end the subscription.
                let (mut sink, mut stream) = pubsub.split();
                if let Err(e) = sink.subscribe(CHANNEL).await {
                    tracing::debug!(error = %e, "subscribing to Redis failed");
                } else {
                    backoff = Duration::from_millis(50);
                    if events.send(BusEvent::Connected).is_err() {
                        return;
                    }
                    loop {
                        match tokio::time::timeout(SILENCE, stream.next()).await {
                            Ok(Some(message)) => {
                                let bytes = message.get_payload_bytes().to_vec();
                                if events.send(BusEvent::Message(bytes)).is_err() {
                                    return;
                                }
                            }
                            Ok(None) => break,
                            Err(_) => {
                                tracing::warn!(
                                    "no message from Redis for {SILENCE:?}; resubscribing"
                                );
                                break;
                            }
                        }
                    }
                    if events.send(BusEvent::Disconnected).is_err() {
                        return;
                    }
                }
            }
            Err(e) => tracing::debug!(error = %e, "connecting to Redis failed"),
        }
        tokio::time::sleep(backoff).await;
        backoff = (backoff * 2).min(Duration::from_secs(1));
    }
}

/// [`subscribe`] on a Redis Cluster: the sharded channel, through a cluster
/// connection of its own speaking RESP3 (pushes arrive on a queue).
async fn subscribe_cluster(nodes: Vec<String>, events: mpsc::UnboundedSender<BusEvent>) {
    let mut backoff = Duration::from_millis(50);
    while !events.is_closed() {
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
        match connection {
            // Keep the connection: dropping it would end the subscription.
            Ok(mut connection) => match connection.ssubscribe(CHANNEL).await {
                Err(e) => tracing::debug!(error = %e, "subscribing to Redis failed"),
                Ok(()) => {
                    backoff = Duration::from_millis(50);
                    if events.send(BusEvent::Connected).is_err() {
                        return;
                    }
                    loop {
                        let push = match tokio::time::timeout(SILENCE, pushes.recv()).await {
                            Ok(Some(push)) => push,
                            Ok(None) => break,
                            Err(_) => {
                                tracing::warn!(
                                    "no message from Redis for {SILENCE:?}; resubscribing"
                                );
                                break;
                            }
                        };
                        match push.kind {
                            PushKind::SMessage => {
                                let Some(Value::BulkString(bytes)) = push.data.into_iter().nth(1)
                                else {
                                    continue;
                                };
                                if events.send(BusEvent::Message(bytes)).is_err() {
                                    return;
                                }
                            }
                            PushKind::Disconnection => {
                                tracing::warn!("a Redis Cluster node went away; resubscribing");
                                break;
                            }
                            _ => {}
                        }
                    }
                    if events.send(BusEvent::Disconnected).is_err() {
                        return;
                    }
                }
            },
            Err(e) => tracing::debug!(error = %e, "connecting to Redis failed"),
        }
        tokio::time::sleep(backoff).await;
        backoff = (backoff * 2).min(Duration::from_secs(1));
    }
}
