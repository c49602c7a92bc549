//! Persisted fields in Redis.

use std::sync::Arc;
use std::time::Duration;

use super::link::{Link, STORE_PREFIX};
use super::{Commands, Redis};
use crate::store::{Load, Store, StoreError};
use crate::Fields;

/// A [`Store`] in Redis, from [`Redis::store`]; each key holds its fields as JSON.
///
/// Redis drops a key unused (neither saved nor loaded) for 24 hours, as
/// the default in-memory store does; [`idle_expiry`](Self::idle_expiry)
/// sets another time. Without it every visitor would stay in Redis for good.
///
/// Saves are written in order with the bus's messages. While Redis is
/// away they wait (the latest per key) and are written first when it
/// returns; loads of such keys meanwhile answer from them, so nothing saved
/// here is lost or read back stale on this instance. Loads of other keys
/// fail while Redis is away (the page then says so instead of mounting
/// defaults over saved fields).
pub struct RedisStore {
    commands: Commands,
    link: Arc<Link>,
    idle_expiry: Duration,
}

impl std::fmt::Debug for RedisStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisStore").finish_non_exhaustive()
    }
}

impl RedisStore {
    pub(super) fn new(redis: &Redis) -> RedisStore {
        RedisStore {
            commands: redis.commands.clone(),
            link: redis.link.clone(),
            idle_expiry: crate::store::DEFAULT_STORE_IDLE,
        }
    }

    /// How long a key may go unused (neither saved nor loaded) before
    /// Redis drops it (default 24 hours; whole seconds, at least one).
    ///
    /// ```no_run
    /// # async fn doc() -> Result<(), livetemplate::redis::RedisError> {
    /// use std::time::Duration;
    /// let redis = livetemplate::redis::Redis::connect("redis://127.0.0.1:6379").await?;
    /// let store = redis.store().idle_expiry(Duration::from_secs(3600));
    /// # let _ = store; Ok(()) }
    /// ```
    pub fn idle_expiry(mut self, idle: Duration) -> RedisStore {
        self.idle_expiry = idle.max(Duration::from_secs(1));
        self
    }
}

impl Store for RedisStore {
    fn load(&self, key: &str) -> Load<'_> {
        let waiting = self.link.unsaved(key);
        let key = format!("{STORE_PREFIX}{key}");
        let mut commands = self.commands.clone();
        let expiry = self.idle_expiry.as_secs();
        Box::pin(async move {
            if let Some(fields) = waiting {
                return Ok(Some(fields));
            }
            // A load counts as use: it starts the idle time again.
            let json: Option<String> = ::redis::cmd("GETEX")
                .arg(&key)
                .arg("EX")
                .arg(expiry)
                .query_async(&mut commands)
                .await
                .map_err(|e| StoreError::Unavailable(Box::new(e)))?;
            let Some(json) = json else {
                return Ok(None);
            };
            serde_json::from_str(&json)
                .map(Some)
                .map_err(|e| StoreError::Corrupt {
                    key: key.clone(),
                    source: Box::new(e),
                })
        })
    }

    fn save(&self, key: &str, fields: Fields) {
        self.link.save(key, fields, self.idle_expiry);
    }

    fn unwritten(&self) -> usize {
        self.link.unwritten()
    }
}
