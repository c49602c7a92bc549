//! What this instance knows of the others: their numbering, when they were
//! last heard, and their live connections.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::Serialize;

use super::message::{Body, Envelope, Presence, Scope};

/// How a message fits what was heard from its sender before.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Heard {
    /// The next one expected.
    InOrder,
    /// The first from this sender (or from a new life of it).
    Met,
    /// Messages were lost before this one.
    Gap { missed: u64 },
    /// Already heard (the bus repeated it): ignore.
    Repeat,
}

struct Peer {
    epoch: u64,
    /// `None` after this instance's own link came back: the next message
    /// sets it without counting a gap (the resync already covered it).
    last_seq: Option<u64>,
    heard: Instant,
    presence: HashMap<Presence, u32>,
}

/// Another instance, as [`ClusterStatus`](super::ClusterStatus) shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PeerStatus {
    /// Its `--instance-name`.
    pub instance: String,
    /// Its live connections.
    pub connections: u32,
    /// Milliseconds since it was last heard.
    pub last_heard_ms: u64,
}

#[derive(Default)]
pub(crate) struct Peers {
    by_name: HashMap<Arc<str>, Peer>,
}

impl Peers {
    /// Notes a message; says whether anything was missed before it.
    pub(crate) fn hear(&mut self, envelope: &Envelope, now: Instant) -> Heard {
        let numbered = envelope.body.is_numbered();
        let peer = match self.by_name.get_mut(&envelope.from) {
            Some(peer) if peer.epoch == envelope.epoch => peer,
            _ => {
                self.by_name.insert(
                    envelope.from.clone(),
                    Peer {
                        epoch: envelope.epoch,
                        last_seq: Some(envelope.seq),
                        heard: now,
                        presence: HashMap::new(),
                    },
                );
                return Heard::Met;
            }
        };
        peer.heard = now;
        let Some(last) = peer.last_seq else {
            peer.last_seq = Some(envelope.seq);
            return Heard::InOrder;
        };
        let expected = if numbered { last + 1 } else { last };
        if envelope.seq < expected {
            return Heard::Repeat;
        }
        peer.last_seq = Some(envelope.seq);
        match envelope.seq - expected {
            0 => Heard::InOrder,
            missed => Heard::Gap { missed },
        }
    }

    /// Takes a peer's changed counts (a [`Body::Presence`]) or all of them
    /// (a [`Body::Snapshot`]).
    pub(crate) fn learn(&mut self, from: &str, body: &Body) {
        let Some(peer) = self.by_name.get_mut(from) else {
            return;
        };
        let counts = match body {
            Body::Presence { counts } => counts,
            Body::Snapshot { counts, .. } => {
                peer.presence.clear();
                counts
            }
            _ => return,
        };
        for (key, n) in counts {
            if *n == 0 {
                peer.presence.remove(key);
            } else {
                peer.presence.insert(key.clone(), *n);
            }
        }
    }

    /// Live connections elsewhere in `scope`, on pages `page` accepts.
    pub(crate) fn count(&self, scope: &Scope, page: impl Fn(&str) -> bool) -> usize {
        self.by_name
            .values()
            .flat_map(|p| &p.presence)
            .filter(|(key, _)| key.scope == *scope && page(&key.page))
            .map(|(_, n)| *n as usize)
            .sum()
    }

    /// Forgets peers not heard for `timeout`; returns their names.
    pub(crate) fn expire(&mut self, now: Instant, timeout: Duration) -> Vec<Arc<str>> {
        let gone: Vec<Arc<str>> = self
            .by_name
            .iter()
            .filter(|(_, p)| now.duration_since(p.heard) > timeout)
            .map(|(name, _)| name.clone())
            .collect();
        for name in &gone {
            self.by_name.remove(name);
        }
        gone
    }

    /// After this instance's own link was down: every peer gets a fresh
    /// start (its numbering is taken as it comes, its silence counted from now).
    pub(crate) fn rejoin(&mut self, now: Instant) {
        for peer in self.by_name.values_mut() {
            peer.last_seq = None;
            peer.heard = now;
        }
    }

    pub(crate) fn status(&self, now: Instant) -> Vec<PeerStatus> {
        let mut peers: Vec<PeerStatus> = self
            .by_name
            .iter()
            .map(|(name, p)| PeerStatus {
                instance: name.to_string(),
                connections: p
                    .presence
                    .iter()
                    .filter(|(k, _)| matches!(k.scope, Scope::Group(_)))
                    .map(|(_, n)| n)
                    .sum(),
                last_heard_ms: now.duration_since(p.heard).as_millis() as u64,
            })
            .collect();
        peers.sort_by(|a, b| a.instance.cmp(&b.instance));
        peers
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(from: &str, epoch: u64, seq: u64, body: Body) -> Envelope {
        Envelope::new(from.into(), epoch, seq, body)
    }

    fn presence(group: &str, n: u32) -> Body {
        Body::Presence {
            counts: vec![(
                Presence {
                    page: "p".into(),
                    scope: Scope::Group(group.into()),
                },
                n,
            )],
        }
    }

    #[test]
    fn numbering_finds_gaps_and_repeats() {
        let mut peers = Peers::default();
        let now = Instant::now();
        assert_eq!(
            peers.hear(&env("a", 1, 5, Body::Heartbeat), now),
            Heard::Met
        );
        assert_eq!(
            peers.hear(&env("a", 1, 6, presence("g", 1)), now),
            Heard::InOrder
        );
        assert_eq!(
            peers.hear(&env("a", 1, 6, Body::Heartbeat), now),
            Heard::InOrder
        );
        assert_eq!(
            peers.hear(&env("a", 1, 6, presence("g", 1)), now),
            Heard::Repeat
        );
        assert_eq!(
            peers.hear(&env("a", 1, 9, presence("g", 1)), now),
            Heard::Gap { missed: 2 }
        );
        assert_eq!(
            peers.hear(&env("a", 1, 10, Body::Heartbeat), now),
            Heard::Gap { missed: 1 },
            "a heartbeat reveals loss at the end of a burst"
        );
    }

    #[test]
    fn a_new_life_of_a_peer_starts_over() {
        let mut peers = Peers::default();
        let now = Instant::now();
        peers.hear(&env("a", 1, 0, Body::Heartbeat), now);
        peers.learn("a", &presence("g", 2));
        assert_eq!(peers.count(&Scope::Group("g".into()), |_| true), 2);
        assert_eq!(
            peers.hear(&env("a", 2, 0, Body::Heartbeat), now),
            Heard::Met
        );
        assert_eq!(peers.count(&Scope::Group("g".into()), |_| true), 0);
    }

    #[test]
    fn counts_follow_presence_snapshots_and_pages() {
        let mut peers = Peers::default();
        let now = Instant::now();
        peers.hear(&env("a", 1, 0, Body::Heartbeat), now);
        peers.hear(&env("b", 1, 0, Body::Heartbeat), now);
        peers.learn("a", &presence("g", 2));
        peers.learn("b", &presence("g", 1));
        let g = Scope::Group("g".into());
        assert_eq!(peers.count(&g, |_| true), 3);
        assert_eq!(peers.count(&g, |page| page != "p"), 0);
        peers.learn("a", &presence("g", 0));
        assert_eq!(peers.count(&g, |_| true), 1);
        peers.learn(
            "b",
            &Body::Snapshot {
                counts: vec![],
                tracks: vec![],
            },
        );
        assert_eq!(peers.count(&g, |_| true), 0);
    }

    #[test]
    fn silent_peers_expire_and_a_rejoin_forgives_numbering() {
        let mut peers = Peers::default();
        let start = Instant::now();
        peers.hear(&env("a", 1, 0, Body::Heartbeat), start);
        peers.hear(
            &env("b", 1, 0, Body::Heartbeat),
            start + Duration::from_secs(2),
        );
        let gone = peers.expire(start + Duration::from_secs(4), Duration::from_secs(3));
        assert_eq!(gone, vec![Arc::<str>::from("a")]);
        peers.rejoin(start + Duration::from_secs(4));
        assert_eq!(
            peers.hear(
                &env("b", 1, 40, presence("g", 1)),
                start + Duration::from_secs(4)
            ),
            Heard::InOrder
        );
        peers.learn("b", &presence("g", 1));
        assert_eq!(
            peers.status(start + Duration::from_secs(4))[0].connections,
            1
        );
    }
}
