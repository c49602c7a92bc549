//! Where persisted fields live between connections.
//!
//! A controller lists the state fields that survive a refresh or a
//! reconnect in [`Controller::PERSIST`](crate::Controller::PERSIST); the
//! runtime saves them per page and session group after every change and
//! lays them over the mounted state when the group comes back.

use std::future::Future;
use std::pin::Pin;
use std::sync::Mutex;
use std::time::Duration;

use serde_json::{Map, Value};

use crate::kept::Recent;
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
    /// How many saved field sets are queued and not written yet. A
    /// shutdown ([`LiveTemplate::serve`](crate::LiveTemplate::serve)) waits,
    /// within its grace period, for this to reach 0, so a restart finds
    /// what was saved last. The default, for a store that writes at once:
    /// 0.
    fn unwritten(&self) -> usize {
        0
    }
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
///
/// Bounded, so visitors who never come back do not add up: an entry
/// unused (neither loaded nor saved) for [`idle_expiry`](Self::idle_expiry)
/// is dropped (default 24 hours), and past [`max_entries`](Self::max_entries)
/// (default 10,000 page × session group pairs) the least recently used is
/// dropped first. A dropped entry only means that group's page starts from
/// its defaults again.
///
/// ```
/// use std::time::Duration;
/// use livetemplate::{LiveTemplate, MemoryStore, Templates};
/// let live = LiveTemplate::builder(Templates::from_dir("templates"))
///     .store(
///         MemoryStore::new()
///             .max_entries(50_000)
///             .idle_expiry(Duration::from_secs(60 * 60)),
///     )
///     .build();
/// ```
pub struct MemoryStore {
    entries: Mutex<Recent<String, Fields>>,
    max_entries: usize,
}

/// How many entries a [`MemoryStore`] keeps unless told otherwise.
pub const DEFAULT_STORE_ENTRIES: usize = 10_000;
/// How long a [`MemoryStore`] keeps an unused entry unless told otherwise.
pub const DEFAULT_STORE_IDLE: Duration = Duration::from_secs(24 * 60 * 60);

impl MemoryStore {
    /// An empty store with the default bounds.
    pub fn new() -> MemoryStore {
        MemoryStore {
            entries: Mutex::new(Recent::new(DEFAULT_STORE_IDLE)),
            max_entries: DEFAULT_STORE_ENTRIES,
        }
    }

    /// Keeps at most `entries` (page × session group) field sets; saving
    /// one more drops the least recently used.
    pub fn max_entries(mut self, entries: usize) -> MemoryStore {
        self.max_entries = entries.max(1);
        self
    }

    /// Drops a field set unused (neither loaded nor saved) for `idle`.
    pub fn idle_expiry(self, idle: Duration) -> MemoryStore {
        MemoryStore {
            entries: Mutex::new(Recent::new(idle)),
            ..self
        }
    }

    /// How many field sets are kept now.
    pub fn len(&self) -> usize {
        let mut entries = lock(&self.entries);
        entries.expire();
        entries.len()
    }

    /// Whether no field sets are kept.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl Default for MemoryStore {
    fn default() -> MemoryStore {
        MemoryStore::new()
    }
}

impl std::fmt::Debug for MemoryStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MemoryStore")
            .field("entries", &lock(&self.entries).len())
            .field("max_entries", &self.max_entries)
            .finish_non_exhaustive()
    }
}

impl Store for MemoryStore {
    fn load(&self, key: &str) -> Load<'_> {
        let found = lock(&self.entries).get_mut(&key.to_string()).cloned();
        Box::pin(async move { Ok(found) })
    }

    fn save(&self, key: &str, fields: Fields) {
        let mut entries = lock(&self.entries);
        entries.expire();
        entries.insert(key.to_string(), fields);
        while entries.len() > self.max_entries {
            entries.pop_oldest();
        }
    }
}

/// A `Store` shared: the app keeps a handle (to read its size, say) and
/// gives the runtime another.
impl<S: Store> Store for std::sync::Arc<S> {
    fn load(&self, key: &str) -> Load<'_> {
        S::load(self, key)
    }

    fn save(&self, key: &str, fields: Fields) {
        S::save(self, key, fields)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(n: u64) -> Fields {
        let mut f = Fields::new();
        f.insert("n".into(), n.into());
        f
    }

    async fn load(store: &MemoryStore, key: &str) -> Option<Fields> {
        store.load(key).await.unwrap()
    }

    #[tokio::test(start_paused = true)]
    async fn the_least_recently_used_go_first_and_unused_ones_expire() {
        let store = MemoryStore::new()
            .max_entries(2)
            .idle_expiry(Duration::from_secs(60));
        store.save("a", fields(1));
        store.save("b", fields(2));
        assert!(
            load(&store, "a").await.is_some(),
            "a is now the most recent"
        );
        store.save("c", fields(3));
        assert_eq!(store.len(), 2);
        assert!(
            load(&store, "b").await.is_none(),
            "b was least recently used"
        );
        tokio::time::advance(Duration::from_secs(59)).await;
        store.save("c", fields(4));
        tokio::time::advance(Duration::from_secs(1)).await;
        assert!(load(&store, "a").await.is_none(), "a idled for 60 s");
        assert_eq!(load(&store, "c").await, Some(fields(4)));
    }
}
