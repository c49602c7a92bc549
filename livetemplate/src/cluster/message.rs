//! What instances say to each other over the bus, and its encoding.

use std::sync::Arc;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::session::Target;

/// One message on the bus: who sent it, in which life (`epoch`, new at
/// every start), and its place in that sender's numbering.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Envelope {
    pub from: Arc<str>,
    pub epoch: u64,
    /// The sender's count of numbered messages so far; a heartbeat or hello
    /// repeats it, so a receiver also notices loss at the end of a burst.
    pub seq: u64,
    pub body: Body,
}

/// Which connections a presence count is about.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub(crate) enum Scope {
    Group(Arc<str>),
    User(Arc<str>),
    Topic(Arc<str>),
}

/// Live connections of one page within one scope, on one instance.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub(crate) struct Presence {
    pub page: Arc<str>,
    pub scope: Scope,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub(crate) enum Body {
    /// Run an action on the sender's behalf on this instance's connections.
    Deliver {
        target: Target,
        action: String,
        data: Map<String, Value>,
    },
    /// Counts that changed on the sender (0: gone).
    Presence { counts: Vec<(Presence, u32)> },
    /// Every count of the sender: replaces what was known of it.
    Snapshot { counts: Vec<(Presence, u32)> },
    /// "Still here"; silence for [`PEER_TIMEOUT`](super::PEER_TIMEOUT) means gone.
    Heartbeat,
    /// "I (re)joined": the instance named in `to` (everyone, if none)
    /// answers with a snapshot.
    Hello { to: Option<Arc<str>> },
}

impl Body {
    /// Whether the message takes the next number; heartbeats and hellos
    /// repeat the last one.
    pub(crate) fn is_numbered(&self) -> bool {
        !matches!(self, Body::Heartbeat | Body::Hello { .. })
    }
}

/// A message from the bus that is not an [`Envelope`].
#[derive(Debug, thiserror::Error)]
#[error("not a livetemplate bus message: {0}")]
pub(crate) struct DecodeError(#[from] serde_json::Error);

impl Envelope {
    pub(crate) fn encode(&self) -> Vec<u8> {
        // Only strings, numbers and JSON maps: serializing cannot fail.
        serde_json::to_vec(self).unwrap_or_default()
    }

    pub(crate) fn decode(bytes: &[u8]) -> Result<Envelope, DecodeError> {
        Ok(serde_json::from_slice(bytes)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn envelopes_survive_the_wire() {
        let envelope = Envelope {
            from: "a".into(),
            epoch: 7,
            seq: 3,
            body: Body::Deliver {
                target: Target::Page {
                    page: "counter.html".into(),
                    group: "g".into(),
                },
                action: "tick".into(),
                data: Map::from_iter([("n".to_string(), Value::from(1))]),
            },
        };
        assert_eq!(Envelope::decode(&envelope.encode()).unwrap(), envelope);
        let presence = Envelope {
            body: Body::Presence {
                counts: vec![(
                    Presence {
                        page: "p".into(),
                        scope: Scope::Topic("room".into()),
                    },
                    2,
                )],
            },
            ..envelope
        };
        assert_eq!(Envelope::decode(&presence.encode()).unwrap(), presence);
    }

    #[test]
    fn foreign_messages_are_refused() {
        assert!(Envelope::decode(b"hello").is_err());
        assert!(Envelope::decode(br#"{"from":"a"}"#).is_err());
    }
}
