//! Who the other instances have on each topic (`Context::track`), as they
//! last said: kept per instance, so that an instance forgotten (or
//! restarted) takes its people with it.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

use super::message::Tracked;

#[derive(Default)]
pub(crate) struct RemoteTracks {
    /// Instance → topic → its entries there.
    by_peer: HashMap<Arc<str>, HashMap<Arc<str>, Vec<Tracked>>>,
}

impl RemoteTracks {
    /// `peer`'s entries on `topic` are now `entries`; says whether that
    /// changes anything.
    pub(crate) fn learn(&mut self, peer: &Arc<str>, topic: &Arc<str>, entries: &[Tracked]) -> bool {
        let topics = self.by_peer.entry(peer.clone()).or_default();
        if entries.is_empty() {
            let changed = topics.remove(topic).is_some();
            if topics.is_empty() {
                self.by_peer.remove(peer);
            }
            return changed;
        }
        if topics.get(topic).is_some_and(|known| known == entries) {
            return false;
        }
        topics.insert(topic.clone(), entries.to_vec());
        true
    }

    /// Everything `peer` has tracked is now `all`; returns the topics whose
    /// entries changed.
    pub(crate) fn replace(
        &mut self,
        peer: &Arc<str>,
        all: &[(Arc<str>, Vec<Tracked>)],
    ) -> Vec<Arc<str>> {
        let mut touched: BTreeSet<Arc<str>> = self.forget(peer).into_iter().collect();
        let fresh: HashMap<Arc<str>, Vec<Tracked>> = all
            .iter()
            .filter(|(_, entries)| !entries.is_empty())
            .cloned()
            .collect();
        touched.extend(fresh.keys().cloned());
        if !fresh.is_empty() {
            self.by_peer.insert(peer.clone(), fresh);
        }
        touched.into_iter().collect()
    }

    /// Drops all of `peer`'s entries; returns the topics they were on.
    pub(crate) fn forget(&mut self, peer: &str) -> Vec<Arc<str>> {
        self.by_peer
            .remove(peer)
            .map(|topics| topics.into_keys().collect())
            .unwrap_or_default()
    }

    /// Every other instance's entries on `topic`.
    pub(crate) fn on(&self, topic: &str) -> Vec<Tracked> {
        self.by_peer
            .values()
            .filter_map(|topics| topics.get(topic))
            .flatten()
            .cloned()
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ana(tabs: u32) -> Tracked {
        Tracked {
            key: "ana".into(),
            tabs,
            meta: serde_json::json!({ "name": "Ana" }),
            at: 1,
        }
    }

    #[test]
    fn entries_follow_what_each_instance_last_said() {
        let mut tracks = RemoteTracks::default();
        let (a, b, room): (Arc<str>, Arc<str>, Arc<str>) = ("a".into(), "b".into(), "room".into());
        assert!(tracks.learn(&a, &room, &[ana(1)]));
        assert!(
            !tracks.learn(&a, &room, &[ana(1)]),
            "the same again changes nothing"
        );
        assert!(tracks.learn(&b, &room, &[ana(2)]));
        assert_eq!(tracks.on("room").len(), 2);
        assert!(tracks.learn(&a, &room, &[]));
        assert_eq!(tracks.on("room"), vec![ana(2)]);
        assert_eq!(tracks.forget("b"), vec![room.clone()]);
        assert!(tracks.on("room").is_empty());
    }

    #[test]
    fn a_snapshot_replaces_everything_an_instance_had() {
        let mut tracks = RemoteTracks::default();
        let a: Arc<str> = "a".into();
        tracks.learn(&a, &"old".into(), &[ana(1)]);
        let touched = tracks.replace(&a, &[("new".into(), vec![ana(1)])]);
        assert_eq!(touched, vec![Arc::<str>::from("new"), "old".into()]);
        assert!(tracks.on("old").is_empty());
        assert_eq!(tracks.on("new"), vec![ana(1)]);
    }
}
