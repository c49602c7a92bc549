//! What this instance knows of the others: their numbering on each channel
//! this instance listens on, when they were last heard, and their live
//! connections.

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
    /// A message on this channel was lost before this one.
    Gap,
    /// Already heard (the bus repeated it): ignore.
    Repeat,
}

/// The control channel's key in [`Peer::last`].
const CONTROL: &str = "";

struct Peer {
    epoch: u64,
    /// The last `seq` heard from it on each channel ([`CONTROL`] for the
    /// control channel). A channel without an entry (new, or after this
    /// instance's own link came back) takes the next message as it comes.
    last: HashMap<Arc<str>, u64>,
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
    /// Notes a message; says whether anything on its channel was missed
    /// before it.
    pub(crate) fn hear(&mut self, envelope: &Envelope, now: Instant) -> Heard {
        let channel: Arc<str> = envelope.channel.clone().unwrap_or_else(|| CONTROL.into());
        let peer = match self.by_name.get_mut(&envelope.from) {
            Some(peer) if peer.epoch == envelope.epoch => peer,
            _ => {
                self.by_name.insert(
                    envelope.from.clone(),
                    Peer {
                        epoch: envelope.epoch,
                        last: HashMap::from([(channel, envelope.seq)]),
                        heard: now,
                        presence: HashMap::new(),
                    },
                );
                return Heard::Met;
            }
        };
        peer.heard = now;
        let Some(last) = peer.last.get_mut(&channel) else {
            peer.last.insert(channel, envelope.seq);
            return Heard::InOrder;
        };
        if envelope.seq <= *last {
            return Heard::Repeat;
        }
        let lost = envelope.prev > *last;
        *last = envelope.seq;
        if lost {
            Heard::Gap
        } else {
            Heard::InOrder
        }
    }

    /// This instance stopped listening on `channel`: its numbering starts
    /// over if it listens again.
    pub(crate) fn forget_channel(&mut self, channel: &str) {
        for peer in self.by_name.values_mut() {
            peer.last.remove(channel);
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
            peer.last.clear();
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

    /// A message on a scope channel, with the sender's previous one there.
    fn on(channel: &str, seq: u64, prev: u64) -> Envelope {
        Envelope {
            channel: Some(channel.into()),
            prev,
            ..env("a", 1, seq, beat())
        }
    }

    fn beat() -> Body {
        Body::Heartbeat
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
    fn numbering_per_channel_finds_gaps_and_repeats() {
        let mut peers = Peers::default();
        let now = Instant::now();
        assert_eq!(peers.hear(&env("a", 1, 5, beat()), now), Heard::Met);
        // The first on a channel sets where it stands.
        assert_eq!(peers.hear(&on("g", 7, 6), now), Heard::InOrder);
        // Messages on other channels in between are none of this one's business.
        assert_eq!(peers.hear(&on("g", 9, 7), now), Heard::InOrder);
        assert_eq!(peers.hear(&on("g", 9, 7), now), Heard::Repeat);
        assert_eq!(peers.hear(&on("g", 12, 10), now), Heard::Gap);
        // The control channel has its own numbering.
        let next = Envelope {
            prev: 5,
            ..env("a", 1, 13, beat())
        };
        assert_eq!(peers.hear(&next, now), Heard::InOrder);
        let after_loss = Envelope {
            prev: 14,
            ..env("a", 1, 16, beat())
        };
        assert_eq!(peers.hear(&after_loss, now), Heard::Gap);
    }

    #[test]
    fn a_tail_reveals_loss_at_the_end_of_a_burst_and_forgetting_starts_over() {
        let mut peers = Peers::default();
        let now = Instant::now();
        peers.hear(&env("a", 1, 1, beat()), now);
        peers.hear(&on("g", 2, 0), now);
        // 3 was lost on g; the tail after it says so.
        assert_eq!(peers.hear(&on("g", 4, 3), now), Heard::Gap);
        peers.forget_channel("g");
        assert_eq!(peers.hear(&on("g", 8, 7), now), Heard::InOrder);
    }

    #[test]
    fn a_new_life_of_a_peer_starts_over() {
        let mut peers = Peers::default();
        let now = Instant::now();
        peers.hear(&env("a", 1, 0, beat()), now);
        peers.learn("a", &presence("g", 2));
        assert_eq!(peers.count(&Scope::Group("g".into()), |_| true), 2);
        assert_eq!(peers.hear(&env("a", 2, 0, beat()), now), Heard::Met);
        assert_eq!(peers.count(&Scope::Group("g".into()), |_| true), 0);
    }

    #[test]
    fn counts_follow_presence_snapshots_and_pages() {
        let mut peers = Peers::default();
        let now = Instant::now();
        peers.hear(&env("a", 1, 0, beat()), now);
        peers.hear(&env("b", 1, 0, beat()), now);
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
        peers.hear(&env("a", 1, 0, beat()), start);
        peers.hear(&env("b", 1, 0, beat()), start + Duration::from_secs(2));
        let gone = peers.expire(start + Duration::from_secs(4), Duration::from_secs(3));
        assert_eq!(gone, vec![Arc::<str>::from("a")]);
        peers.rejoin(start + Duration::from_secs(4));
        let later = Envelope {
            prev: 39,
            ..env("b", 1, 40, presence("g", 1))
        };
        assert_eq!(
            peers.hear(&later, start + Duration::from_secs(4)),
            Heard::InOrder
        );
        peers.learn("b", &presence("g", 1));
        assert_eq!(
            peers.status(start + Duration::from_secs(4))[0].connections,
            1
        );
    }
}
