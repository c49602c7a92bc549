//! Persisted fields in Redis.

use std::sync::Arc;

use ::redis::aio::ConnectionManager;

use super::link::{Link, STORE_PREFIX};
use super::Redis;
use crate::store::{Load, Store, StoreError};
use crate::Fields;

/// A [`Store`] in Redis, from [`Redis::store`]; each key holds its fields as JSON.
///
/// Saves are written in order with the bus's messages. While Redis is
/// away they wait (the latest per key) and are written first when it
/// returns; loads of such keys meanwhile answer from them, so nothing saved
/// here is lost or read back stale on this instance. Loads of other keys
/// fail while Redis is away (the page then says so instead of mounting
/// defaults over saved fields).
pub struct RedisStore {
    commands: ConnectionManager,
    link: Arc<Link>,
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
        }
    }
}

impl Store for RedisStore {
    fn load(&self, key: &str) -> Load<'_> {
        let waiting = self.link.unsaved(key);
        let key = format!("{STORE_PREFIX}{key}");
        let mut commands = self.commands.clone();
        Box::pin(async move {
            if let Some(fields) = waiting {
                return Ok(Some(fields));
            }
            let json: Option<String> = ::redis::cmd("GET")
                .arg(&key)
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
        self.link.save(key, fields);
    }
}
