//! [`Recent`]: a map that forgets what was not used for a while, and knows
//! which entry was used least recently — for what the server keeps per
//! visitor (persisted fields, HTTP-mode views), so it stays bounded.

use std::collections::{BTreeMap, HashMap};
use std::hash::Hash;
use std::time::Duration;

// Tokio's clock, so tests can move time forward instead of sleeping.
use tokio::time::Instant;

/// Entries by key, each dropped once unused for `idle`.
pub(crate) struct Recent<K, V> {
    entries: HashMap<K, Slot<V>>,
    /// Keys by their last use, least recent first.
    order: BTreeMap<u64, K>,
    next: u64,
    idle: Duration,
}

struct Slot<V> {
    value: V,
    turn: u64,
    used: Instant,
}

impl<K: Eq + Hash + Clone, V> Recent<K, V> {
    pub(crate) fn new(idle: Duration) -> Recent<K, V> {
        Recent {
            entries: HashMap::new(),
            order: BTreeMap::new(),
            next: 0,
            idle,
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.entries.len()
    }

    /// Drops the entries unused for the idle time.
    pub(crate) fn expire(&mut self) {
        let now = Instant::now();
        while let Some((_, key)) = self.order.first_key_value() {
            let expired = self
                .entries
                .get(key)
                .map_or(true, |slot| now.duration_since(slot.used) >= self.idle);
            if !expired {
                break;
            }
            if let Some((_, key)) = self.order.pop_first() {
                self.entries.remove(&key);
            }
        }
    }

    /// The entry under `key`, marked used now (after dropping expired ones).
    pub(crate) fn get_mut(&mut self, key: &K) -> Option<&mut V> {
        self.expire();
        let turn = self.next;
        let slot = self.entries.get_mut(key)?;
        self.next += 1;
        self.order.remove(&slot.turn);
        self.order.insert(turn, key.clone());
        slot.turn = turn;
        slot.used = Instant::now();
        Some(&mut slot.value)
    }

    pub(crate) fn contains(&self, key: &K) -> bool {
        self.entries.contains_key(key)
    }

    /// Puts `value` under `key`, marked used now; returns the entry.
    pub(crate) fn insert(&mut self, key: K, value: V) -> &mut V {
        let turn = self.next;
        self.next += 1;
        let slot = Slot {
            value,
            turn,
            used: Instant::now(),
        };
        if let Some(old) = self.entries.insert(key.clone(), slot) {
            self.order.remove(&old.turn);
        }
        self.order.insert(turn, key.clone());
        match self.entries.get_mut(&key) {
            Some(slot) => &mut slot.value,
            None => unreachable!("just inserted"),
        }
    }

    /// Drops the least recently used entry.
    pub(crate) fn pop_oldest(&mut self) -> Option<(K, V)> {
        let (_, key) = self.order.pop_first()?;
        let slot = self.entries.remove(&key)?;
        Some((key, slot.value))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn entries_expire_when_unused_and_the_oldest_goes_first() {
        let mut kept = Recent::new(Duration::from_secs(60));
        kept.insert("a", 1);
        tokio::time::advance(Duration::from_secs(30)).await;
        kept.insert("b", 2);
        kept.insert("c", 3);
        // Using "a" makes it the most recent.
        assert_eq!(kept.get_mut(&"a"), Some(&mut 1));
        assert_eq!(kept.pop_oldest(), Some(("b", 2)));
        tokio::time::advance(Duration::from_secs(45)).await;
        // "c" was last used 45 s ago, "a" 45 s ago too: both still here.
        kept.expire();
        assert_eq!(kept.len(), 2);
        tokio::time::advance(Duration::from_secs(15)).await;
        kept.expire();
        assert_eq!(kept.len(), 0);
        assert_eq!(kept.get_mut(&"a"), None);
    }
}
