//! Where persisted fields live between connections.
//!
//! A controller lists the state fields that survive a refresh or a
//! reconnect in [`Controller::PERSIST`](crate::Controller::PERSIST); the
//! runtime saves them per page and session group after every change and
//! lays them over the mounted state when the group comes back.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};

use serde_json::{Map, Value};

/// Storage for persisted fields. The default is [`MemoryStore`]; a shared
/// store (Redis) lets several instances and restarts see the same fields.
pub trait Store: Send + Sync + 'static {
    /// The fields saved under `key`, if any.
    fn load(&self, key: &str) -> Option<Map<String, Value>>;
    /// Replaces the fields saved under `key`.
    fn save(&self, key: &str, fields: Map<String, Value>);
}

/// Persisted fields in this process's memory: they survive refreshes and
/// reconnects, not a restart.
#[derive(Debug, Default)]
pub struct MemoryStore {
    entries: Mutex<HashMap<String, Map<String, Value>>>,
}

impl Store for MemoryStore {
    fn load(&self, key: &str) -> Option<Map<String, Value>> {
        let entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        entries.get(key).cloned()
    }

    fn save(&self, key: &str, fields: Map<String, Value>) {
        let mut entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        entries.insert(key.to_string(), fields);
    }
}
