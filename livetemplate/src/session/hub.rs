//! Which connections are live, by session group, and their mailboxes.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use serde_json::{Map, Value};
use tokio::sync::mpsc;

/// An action to run on a connection, from outside it.
#[derive(Debug, Clone)]
pub(crate) struct Push {
    pub action: String,
    pub data: Map<String, Value>,
}

/// The mailboxes of one group's connections, with their ids.
type Mailboxes = Vec<(u64, mpsc::UnboundedSender<Push>)>;

/// The live connections of one page, by session group.
#[derive(Default)]
pub(crate) struct Hub {
    groups: Mutex<HashMap<Arc<str>, Mailboxes>>,
    next_id: AtomicU64,
}

/// Keeps a connection registered; unregisters it when dropped.
pub(crate) struct Registration {
    hub: Arc<Hub>,
    group: Arc<str>,
    id: u64,
}

impl Hub {
    /// Registers a connection of `group`; its pushes arrive on the receiver.
    pub(crate) fn register(
        self: &Arc<Self>,
        group: Arc<str>,
    ) -> (Registration, mpsc::UnboundedReceiver<Push>) {
        let (tx, rx) = mpsc::unbounded_channel();
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        self.lock().entry(group.clone()).or_default().push((id, tx));
        let reg = Registration {
            hub: self.clone(),
            group,
            id,
        };
        (reg, rx)
    }

    /// Sends `push` to every live connection of `group`; returns how many took it.
    pub(crate) fn push(&self, group: &str, push: Push) -> usize {
        let groups = self.lock();
        let Some(conns) = groups.get(group) else {
            return 0;
        };
        conns
            .iter()
            .filter(|(_, tx)| tx.send(push.clone()).is_ok())
            .count()
    }

    pub(crate) fn count(&self, group: &str) -> usize {
        self.lock().get(group).map_or(0, Vec::len)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<Arc<str>, Mailboxes>> {
        // A panic while holding this lock cannot leave the map inconsistent
        // (every update is a single insert or retain), so keep going.
        self.groups.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Drop for Registration {
    fn drop(&mut self) {
        let mut groups = self.hub.lock();
        if let Some(conns) = groups.get_mut(&self.group) {
            conns.retain(|(id, _)| *id != self.id);
            if conns.is_empty() {
                groups.remove(&self.group);
            }
        }
    }
}
