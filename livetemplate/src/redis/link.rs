//! The one queue every write to Redis goes through, bus and store alike.
//!
//! One queue keeps order across the two: a page's saved fields are written
//! before the `sync` published after them, so an instance that hears the
//! sync and reads the fields gets the new ones.
//!
//! On a Redis Cluster a pipeline may only touch one slot, so a batch is
//! written as: every save (each to its key's master, all at once), then,
//! once they are written, the messages, one pipeline per channel (a
//! channel's messages stay in order; channels are independent).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::future::join_all;
use tokio::sync::mpsc;

use super::Commands;

use crate::lock::lock;
use crate::store::Fields;

/// The channel every instance publishes to and listens on.
pub(crate) const CHANNEL: &str = "lvt:bus";
/// Store keys are this and the runtime's key (page and session group).
pub(super) const STORE_PREFIX: &str = "lvt:store:";
/// Commands sent in one round trip, at most.
const BATCH: usize = 256;
/// How long to wait before writing saved fields again after Redis failed.
const RETRY: Duration = Duration::from_millis(250);
/// On a Redis Cluster, how long a batch waits for its writes: a master that
/// is down must not hold up what goes to the others (its messages are lost,
/// which the receivers notice; its saves are written again later).
const CLUSTER_WAIT: Duration = Duration::from_millis(250);

enum Op {
    /// Send a message on a channel.
    Publish(Arc<str>, Vec<u8>),
    /// Write the fields waiting under this key.
    Save(String),
}

/// The writing side of a [`Redis`](super::Redis) connection.
pub(super) struct Link {
    queue: mpsc::UnboundedSender<Op>,
    /// Saved fields not yet written (the latest per key, with how long
    /// Redis is to keep them): written first when Redis is back, and what
    /// loads of those keys answer meanwhile.
    unsaved: Arc<Mutex<HashMap<String, Unsaved>>>,
}

/// Fields waiting to be written, and the idle time after which Redis drops them.
type Unsaved = (Fields, Duration);

impl Link {
    /// Starts the writer on the current Tokio runtime; it ends when the
    /// link is dropped.
    pub(super) fn start(commands: Commands) -> Link {
        let (queue, ops) = mpsc::unbounded_channel();
        let unsaved = Arc::new(Mutex::new(HashMap::new()));
        tokio::spawn(write(commands, ops, unsaved.clone()));
        Link { queue, unsaved }
    }

    pub(super) fn publish(&self, channel: Arc<str>, message: Vec<u8>) {
        // Fails only once the writer ended with the runtime.
        let _ = self.queue.send(Op::Publish(channel, message));
    }

    pub(super) fn save(&self, key: &str, fields: Fields, expiry: Duration) {
        lock(&self.unsaved).insert(key.to_string(), (fields, expiry));
        let _ = self.queue.send(Op::Save(key.to_string()));
    }

    /// How many keys have saved fields not written yet.
    pub(super) fn unwritten(&self) -> usize {
        lock(&self.unsaved).len()
    }

    /// The fields saved under `key` that are not written yet.
    pub(super) fn unsaved(&self, key: &str) -> Option<Fields> {
        lock(&self.unsaved)
            .get(key)
            .map(|(fields, _)| fields.clone())
    }
}

/// Sends what is queued, as much per round trip as is waiting. A publish
/// that fails is dropped (the receivers notice the gap in the numbering);
/// saved fields that fail are written again, before anything newer.
async fn write(
    mut commands: Commands,
    mut ops: mpsc::UnboundedReceiver<Op>,
    unsaved: Arc<Mutex<HashMap<String, Unsaved>>>,
) {
    let mut batch = Vec::with_capacity(BATCH);
    let mut failed = false;
    loop {
        if failed {
            // Only retries are due; new operations may join them.
            tokio::select! {
                _ = tokio::time::sleep(RETRY) => {}
                n = ops.recv_many(&mut batch, BATCH) => if n == 0 { return },
            }
        } else if ops.recv_many(&mut batch, BATCH).await == 0 {
            return;
        }
        let mut saves: Vec<(String, Unsaved)> = Vec::new();
        let mut messages: Vec<(Arc<str>, Vec<u8>)> = Vec::new();
        {
            let waiting = lock(&unsaved);
            let mut take = |key: &String| {
                if saves.iter().any(|(k, _)| k == key) {
                    return;
                }
                if let Some(fields) = waiting.get(key) {
                    saves.push((key.clone(), fields.clone()));
                }
            };
            if failed {
                for key in waiting.keys() {
                    take(key);
                }
            }
            for op in batch.drain(..) {
                match op {
                    Op::Save(key) => take(&key),
                    Op::Publish(channel, message) => messages.push((channel, message)),
                }
            }
        }
        let written = match &mut commands {
            Commands::Single(_) => {
                let mut pipe = ::redis::pipe();
                for (key, fields) in &saves {
                    pipe.add_command(set(key, fields)).ignore();
                }
                for (channel, message) in &messages {
                    pipe.cmd("PUBLISH").arg(&**channel).arg(message).ignore();
                }
                match pipe.query_async::<()>(&mut commands).await {
                    Ok(()) => saves,
                    Err(e) => {
                        tracing::warn!(error = %e, "writing to Redis failed");
                        Vec::new()
                    }
                }
            }
            Commands::Cluster(_) => write_to_cluster(&commands, saves, messages).await,
        };
        let mut waiting = lock(&unsaved);
        for (key, fields) in written {
            if waiting.get(&key) == Some(&fields) {
                waiting.remove(&key);
            }
        }
        failed = !waiting.is_empty();
    }
}

/// The command writing `fields` under `key`, with its idle expiry.
fn set(key: &str, (fields, expiry): &Unsaved) -> ::redis::Cmd {
    let json = serde_json::Value::Object(fields.clone()).to_string();
    let mut cmd = ::redis::cmd("SET");
    cmd.arg(format!("{STORE_PREFIX}{key}"))
        .arg(json)
        .arg("EX")
        .arg(expiry.as_secs().max(1));
    cmd
}

/// Writes a batch to a Redis Cluster (see the module doc); returns the
/// saves that were written.
async fn write_to_cluster(
    commands: &Commands,
    saves: Vec<(String, Unsaved)>,
    messages: Vec<(Arc<str>, Vec<u8>)>,
) -> Vec<(String, Unsaved)> {
    let writes = join_all(saves.iter().map(|(key, fields)| {
        let mut commands = commands.clone();
        let cmd = set(key, fields);
        async move { cmd.query_async::<()>(&mut commands).await }
    }));
    let Ok(results) = tokio::time::timeout(CLUSTER_WAIT, writes).await else {
        tracing::warn!("a Redis Cluster master is slow or down; saves wait for it");
        return Vec::new();
    };
    let mut written = Vec::with_capacity(saves.len());
    for (save, result) in saves.into_iter().zip(results) {
        match result {
            Ok(()) => written.push(save),
            Err(e) => tracing::warn!(error = %e, "writing to Redis failed"),
        }
    }
    let mut by_channel: Vec<(Arc<str>, ::redis::Pipeline)> = Vec::new();
    for (channel, message) in messages {
        let at = match by_channel.iter().position(|(c, _)| *c == channel) {
            Some(at) => at,
            None => {
                by_channel.push((channel.clone(), ::redis::pipe()));
                by_channel.len() - 1
            }
        };
        by_channel[at]
            .1
            .cmd("SPUBLISH")
            .arg(&*channel)
            .arg(message)
            .ignore();
    }
    let sends = join_all(by_channel.into_iter().map(|(_, pipe)| {
        let mut commands = commands.clone();
        async move { pipe.query_async::<()>(&mut commands).await }
    }));
    let Ok(results) = tokio::time::timeout(CLUSTER_WAIT, sends).await else {
        tracing::warn!("a Redis Cluster master is slow or down; messages to it are lost");
        return written;
    };
    for e in results.into_iter().filter_map(Result::err) {
        tracing::warn!(error = %e, "publishing to Redis failed");
    }
    written
}
