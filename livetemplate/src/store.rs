//! Where persisted fields live between connections.
//!
//! A controller lists the state fields that survive a refresh or a
//! reconnect in [`Controller::PERSIST`](crate::Controller::PERSIST); the
//! runtime saves them per page and session group after every change and
//! lays them over the mounted state when the group comes back.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Mutex;

use serde_json::{Map, Value};

use crate::lock::lock;

/// The fields saved under one key.
pub type Fields = Map<String, Value>;

/// What [`Store::load`] returns: a boxed future, so the trait stays object-safe.
pub type Load<'a> = Pin<Box<dyn Future<Output = Result<Option<Fields>, StoreError>> + Send + 'a>>;

/// Storage for persisted fields. The default is [`MemoryStore`]; a shared
/// store ([`RedisStore`](crate::redis::RedisStore), feature `redis`) lets
/// several instances and restarts see the same fields.
///
/// ```
/// use livetemplate::{Fields, Load, Store};
/// use std::collections::HashMap;
/// use std::sync::Mutex;
///
/// /// Keeps fields in a map; a real store would talk to a database.
/// #[derive(Default)]
/// struct MapStore(Mutex<HashMap<String, Fields>>);
///
/// impl Store for MapStore {
///     fn load(&self, key: &str) -> Load<'_> {
///         let found = self.0.lock().unwrap().get(key).cloned();
///         Box::pin(async move { Ok(found) })
///     }
///     fn save(&self, key: &str, fields: Fields) {
///         self.0.lock().unwrap().insert(key.to_string(), fields);
///     }
/// }
/// ```
pub trait Store: Send + Sync + 'static {
    /// The fields saved under `key`, if any. An error means "cannot tell
    /// now" (the page then refuses to mount rather than start from defaults
    /// and overwrite what was saved).
    fn load(&self, key: &str) -> Load<'_>;
    /// Replaces the fields saved under `key`. Must not block: a store that
    /// talks to a server queues the write (and keeps it until it lands).
    fn save(&self, key: &str, fields: Fields);
}

/// Why persisted fields could not be loaded.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The store cannot be reached now.
    #[error("the store is unavailable")]
    Unavailable(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// What is stored under `key` is not a JSON object of fields.
    #[error("the fields stored under {key:?} are corrupt")]
    Corrupt {
        /// The key.
        key: String,
        /// What was wrong with them.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
}

/// Persisted fields in this process's memory: they survive refreshes and
/// reconnects, not a restart.
#[derive(Debug, Default)]
pub struct MemoryStore {
    entries: Mutex<HashMap<String, Fields>>,
}

impl Store for MemoryStore {
    fn load(&self, key: &str) -> Load<'_> {
        let found = lock(&self.entries).get(key).cloned();
        Box::pin(async move { Ok(found) })
    }

    fn save(&self, key: &str, fields: Fields) {
        lock(&self.entries).insert(key.to_string(), fields);
    }
}
