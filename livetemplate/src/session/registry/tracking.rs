//! Presence: which connections track which topics, with what meta, and the
//! list pushed to a topic's subscribers whenever it changes.
//!
//! A connection's entries live as long as its registration: through a
//! resume grace period, gone when the tab is gone for good. Each change is
//! told to the other instances (this instance's entries for the topic,
//! whole) and pushed here; the other instances push to their own
//! subscribers when they hear it.

use std::collections::HashMap;
use std::sync::atomic::Ordering;
use std::sync::Arc;

use serde_json::Value;

use super::{Index, Registry, Target};
use crate::cluster::Tracked;
use crate::lock::lock;
use crate::session::data_map;
use crate::session::presence::{self, Present, PRESENCE_ACTION};

/// What one connection said when it tracked a topic.
pub(super) struct Track {
    key: Arc<str>,
    meta: Value,
    /// When, in this instance's clock (see [`Registry::tick`]).
    at: u64,
}

impl Registry {
    /// `conn` is on `topic` as `key` with `meta` (again, if it was: the
    /// meta is replaced); it is subscribed to the topic too.
    pub(crate) fn track(&self, conn: u64, topic: &str, key: &str, meta: Value) {
        let topic: Arc<str> = Arc::from(topic);
        let at = self.tick();
        let mut index = self.lock();
        if !index.subscribe(conn, &topic) {
            return;
        }
        if let Some(c) = index.conns.get_mut(&conn) {
            c.tracking.insert(topic.clone());
        }
        let track = Track {
            key: Arc::from(key),
            meta,
            at,
        };
        index
            .tracked
            .entry(topic.clone())
            .or_default()
            .insert(conn, track);
        self.tell_cluster(index);
        self.presence_changed(&[topic]);
    }

    /// `conn` is no longer on `topic` (it stays subscribed).
    pub(crate) fn untrack(&self, conn: u64, topic: &str) {
        let mut index = self.lock();
        let Some(c) = index.conns.get_mut(&conn) else {
            return;
        };
        let Some(topic) = c.tracking.take(topic) else {
            return;
        };
        index.drop_track(&topic, conn);
        drop(index);
        self.presence_changed(&[topic]);
    }

    /// Who is on `topic`, on every instance.
    pub(crate) fn presence_list(&self, topic: &str) -> Vec<Present> {
        let mut entries = self.lock().entries(topic);
        if let Some(cluster) = self.cluster.get() {
            entries.extend(cluster.tracked_elsewhere(topic));
        }
        presence::merge(entries)
    }

    /// Tells the other instances and this instance's subscribers that who
    /// is on `topics` may have changed. One at a time, so subscribers see
    /// the lists in the order they were made.
    pub(super) fn presence_changed(&self, topics: &[Arc<str>]) {
        let mut shown = lock(&self.presence_shown);
        for topic in topics {
            if let Some(cluster) = self.cluster.get() {
                cluster.track_changed(topic.clone(), self.lock().entries(topic));
            }
            self.push_presence(&mut shown, topic);
        }
    }

    /// Runs [`PRESENCE_ACTION`] on this instance's subscribers of `topic`
    /// if its list differs from the one they last got.
    fn push_presence(&self, shown: &mut HashMap<Arc<str>, Vec<Present>>, topic: &Arc<str>) {
        if !self.lock().topics.contains_key(topic) {
            // Nobody here to tell; whoever subscribes reads the list fresh.
            shown.remove(topic);
            return;
        }
        let now = self.presence_list(topic);
        let before = shown.remove(topic).unwrap_or_default();
        if before == now {
            shown.insert(topic.clone(), now);
            return;
        }
        shown.insert(topic.clone(), now.clone());
        let change = presence::change(topic, &before, now);
        match data_map(&change) {
            Ok(data) => {
                let target = Target::Topic(topic.clone());
                self.deliver_here(&target, PRESENCE_ACTION, &data, None);
            }
            Err(e) => tracing::warn!(%topic, error = %e, "presence list not sent"),
        }
    }

    /// A clock for tracks: milliseconds since the Unix epoch, but always
    /// past the last tick, so the latest track here is the latest meta.
    fn tick(&self) -> u64 {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as u64);
        let mut last = self.track_clock.load(Ordering::Relaxed);
        loop {
            let next = now.max(last + 1);
            match self.track_clock.compare_exchange_weak(
                last,
                next,
                Ordering::Relaxed,
                Ordering::Relaxed,
            ) {
                Ok(_) => return next,
                Err(seen) => last = seen,
            }
        }
    }
}

impl Index {
    /// This instance's entries on `topic`: one per key, tabs counted, the
    /// latest meta.
    fn entries(&self, topic: &str) -> Vec<Tracked> {
        let mut by_key: HashMap<&Arc<str>, Tracked> = HashMap::new();
        for track in self.tracked.get(topic).into_iter().flat_map(|t| t.values()) {
            let entry = by_key.entry(&track.key).or_insert_with(|| Tracked {
                key: track.key.clone(),
                tabs: 0,
                meta: track.meta.clone(),
                at: track.at,
            });
            entry.tabs += 1;
            if track.at > entry.at {
                entry.meta = track.meta.clone();
                entry.at = track.at;
            }
        }
        let mut entries: Vec<Tracked> = by_key.into_values().collect();
        entries.sort_by(|a, b| a.key.cmp(&b.key));
        entries
    }

    pub(super) fn drop_track(&mut self, topic: &str, conn: u64) {
        if let Some(tracks) = self.tracked.get_mut(topic) {
            tracks.remove(&conn);
            if tracks.is_empty() {
                self.tracked.remove(topic);
            }
        }
    }
}

/// The cluster's side: snapshots for others, and news from them.
pub(super) fn tracks(registry: &Registry) -> Vec<(Arc<str>, Vec<Tracked>)> {
    let index = registry.lock();
    index
        .tracked
        .keys()
        .map(|topic| (topic.clone(), index.entries(topic)))
        .collect()
}

pub(super) fn tracks_changed_elsewhere(registry: &Registry, topics: &[Arc<str>]) {
    let mut shown = lock(&registry.presence_shown);
    for topic in topics {
        registry.push_presence(&mut shown, topic);
    }
}
