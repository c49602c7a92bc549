//! The one queue every write to Redis goes through, bus and store alike.
//!
//! One queue keeps order across the two: a page's saved fields are written
//! before the `sync` published after them, so an instance that hears the
//! sync and reads the fields gets the new ones.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use ::redis::aio::ConnectionManager;
use tokio::sync::mpsc;

use crate::lock::lock;
use crate::store::Fields;

/// The channel every instance publishes to and listens on.
pub(super) const CHANNEL: &str = "lvt:bus";
/// Store keys are this and the runtime's key (page and session group).
pub(super) const STORE_PREFIX: &str = "lvt:store:";
/// Commands sent in one round trip, at most.
const BATCH: usize = 256;
/// How long to wait before writing saved fields again after Redis failed.
const RETRY: Duration = Duration::from_millis(250);

enum Op {
    Publish(Vec<u8>),
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
    pub(super) fn start(commands: ConnectionManager) -> Link {
        let (queue, ops) = mpsc::unbounded_channel();
        let unsaved = Arc::new(Mutex::new(HashMap::new()));
        tokio::spawn(write(commands, ops, unsaved.clone()));
        Link { queue, unsaved }
    }

    pub(super) fn publish(&self, message: Vec<u8>) {
        // Fails only once the writer ended with the runtime.
        let _ = self.queue.send(Op::Publish(message));
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
    mut commands: ConnectionManager,
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
        let mut pipe = ::redis::pipe();
        let mut written: Vec<(String, Unsaved)> = Vec::new();
        {
            let waiting = lock(&unsaved);
            let mut set = |key: &String, pipe: &mut ::redis::Pipeline| {
                if written.iter().any(|(k, _)| k == key) {
                    return;
                }
                if let Some((fields, expiry)) = waiting.get(key) {
                    let json = serde_json::Value::Object(fields.clone()).to_string();
                    pipe.cmd("SET")
                        .arg(format!("{STORE_PREFIX}{key}"))
                        .arg(json)
                        .arg("EX")
                        .arg(expiry.as_secs().max(1))
                        .ignore();
                    written.push((key.clone(), (fields.clone(), *expiry)));
                }
            };
            if failed {
                for key in waiting.keys() {
                    set(key, &mut pipe);
                }
            }
            for op in batch.drain(..) {
                match op {
                    Op::Save(key) => set(&key, &mut pipe),
                    Op::Publish(message) => {
                        pipe.cmd("PUBLISH").arg(CHANNEL).arg(message).ignore();
                    }
                }
            }
        }
        match pipe.query_async::<()>(&mut commands).await {
            Ok(()) => {
                let mut waiting = lock(&unsaved);
                for (key, fields) in written {
                    if waiting.get(&key) == Some(&fields) {
                        waiting.remove(&key);
                    }
                }
                failed = false;
            }
            Err(e) => {
                tracing::warn!(error = %e, "writing to Redis failed");
                failed = !lock(&unsaved).is_empty();
            }
        }
    }
}
