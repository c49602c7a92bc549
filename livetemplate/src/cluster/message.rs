//! What instances say to each other over the bus, and its encoding.
//!
//! This is a wire format between processes that may run different builds
//! (a rolling deploy): every name below is spelled out for serde, and the
//! envelope carries [`FORMAT`]. A change that old instances would read
//! wrongly takes a new format number; an instance ignores (and logs)
//! messages of a format it does not speak.

use std::sync::Arc;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// The version of this message format.
pub(crate) const FORMAT: u32 = 1;

/// One message on the bus: who sent it, in which life (`epoch`, new at
/// every start), and its place in that sender's numbering.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Envelope {
    /// The message format ([`FORMAT`]).
    #[serde(rename = "v")]
    pub format: u32,
    #[serde(rename = "from")]
    pub from: Arc<str>,
    #[serde(rename = "epoch")]
    pub epoch: u64,
    /// The sender's count of numbered messages so far; a heartbeat or hello
    /// repeats it, so a receiver also notices loss at the end of a burst.
    #[serde(rename = "seq")]
    pub seq: u64,
    #[serde(rename = "body")]
    pub body: Body,
}

/// Which connections a push is for, on the wire.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "kind")]
pub(crate) enum Address {
    /// One page's connections in one session group.
    #[serde(rename = "page")]
    Page {
        #[serde(rename = "page")]
        page: Arc<str>,
        #[serde(rename = "group")]
        group: Arc<str>,
    },
    /// Every connection of a session group.
    #[serde(rename = "group")]
    Group {
        #[serde(rename = "group")]
        group: Arc<str>,
    },
    /// Every connection of a signed-in user.
    #[serde(rename = "user")]
    User {
        #[serde(rename = "user")]
        user: Arc<str>,
    },
    /// Every connection subscribed to a topic.
    #[serde(rename = "topic")]
    Topic {
        #[serde(rename = "topic")]
        topic: Arc<str>,
    },
}

/// Which connections a presence count is about.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub(crate) enum Scope {
    #[serde(rename = "group")]
    Group(Arc<str>),
    #[serde(rename = "user")]
    User(Arc<str>),
    #[serde(rename = "topic")]
    Topic(Arc<str>),
}

/// Live connections of one page within one scope, on one instance.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub(crate) struct Presence {
    #[serde(rename = "page")]
    pub page: Arc<str>,
    #[serde(rename = "scope")]
    pub scope: Scope,
}

/// One person on a topic as one instance sees them: its tabs of theirs
/// tracking the topic, and the meta its most recently tracked tab gave.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Tracked {
    /// The user id, or the session group for someone not signed in.
    #[serde(rename = "key")]
    pub key: Arc<str>,
    #[serde(rename = "tabs")]
    pub tabs: u32,
    #[serde(rename = "meta")]
    pub meta: Value,
    /// When `meta` was given (milliseconds since the Unix epoch): across
    /// instances the latest wins.
    #[serde(rename = "at")]
    pub at: u64,
}

/// What a message asks of its receivers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind")]
pub(crate) enum Body {
    /// Run an action on the sender's behalf on this instance's connections.
    #[serde(rename = "deliver")]
    Deliver {
        #[serde(rename = "to")]
        to: Address,
        #[serde(rename = "action")]
        action: String,
        #[serde(rename = "data")]
        data: Map<String, Value>,
    },
    /// A client action succeeded on one tab of `page` in `group`: the
    /// group's tabs of that page here follow it (`Controller::SYNC_TABS`).
    #[serde(rename = "sync-tabs")]
    SyncTabs {
        #[serde(rename = "page")]
        page: Arc<str>,
        #[serde(rename = "group")]
        group: Arc<str>,
    },
    /// Counts that changed on the sender (0: gone).
    #[serde(rename = "presence")]
    Presence {
        #[serde(rename = "counts")]
        counts: Vec<(Presence, u32)>,
    },
    /// Every count of the sender: replaces what was known of it.
    #[serde(rename = "snapshot")]
    Snapshot {
        #[serde(rename = "counts")]
        counts: Vec<(Presence, u32)>,
        /// Every topic's tracked entries on the sender (`Context::track`).
        #[serde(rename = "tracks", default, skip_serializing_if = "Vec::is_empty")]
        tracks: Vec<(Arc<str>, Vec<Tracked>)>,
    },
    /// The sender's tracked entries for one topic (none: it has no one
    /// there any more); replaces what was known of them.
    #[serde(rename = "track")]
    Track {
        #[serde(rename = "topic")]
        topic: Arc<str>,
        #[serde(rename = "entries")]
        entries: Vec<Tracked>,
    },
    /// "Still here"; silence for [`PEER_TIMEOUT`](super::PEER_TIMEOUT) means gone.
    #[serde(rename = "heartbeat")]
    Heartbeat,
    /// "I (re)joined": the instance named in `to` (everyone, if none)
    /// answers with a snapshot.
    #[serde(rename = "hello")]
    Hello {
        #[serde(rename = "to")]
        to: Option<Arc<str>>,
    },
}

impl Body {
    /// Whether the message takes the next number; heartbeats and hellos
    /// repeat the last one.
    pub(crate) fn is_numbered(&self) -> bool {
        !matches!(self, Body::Heartbeat | Body::Hello { .. })
    }
}

/// A message from the bus that this instance cannot take.
#[derive(Debug, thiserror::Error)]
pub(crate) enum DecodeError {
    /// Not a livetemplate bus message at all.
    #[error("not a livetemplate bus message")]
    Foreign(#[source] serde_json::Error),
    /// A livetemplate message of another format (another version of the
    /// runtime, in a rolling deploy).
    #[error("message format {found} from instance {from:?}; this instance speaks format {FORMAT}")]
    Format { found: u32, from: String },
}

/// The part of an envelope every format shares: enough to tell the format.
#[derive(Deserialize)]
struct Head {
    #[serde(rename = "v")]
    format: u32,
    #[serde(rename = "from", default)]
    from: String,
}

impl Envelope {
    /// An envelope of this format.
    pub(crate) fn new(from: Arc<str>, epoch: u64, seq: u64, body: Body) -> Envelope {
        Envelope {
            format: FORMAT,
            from,
            epoch,
            seq,
            body,
        }
    }

    pub(crate) fn encode(&self) -> Vec<u8> {
        // Only strings, numbers and JSON maps: serializing cannot fail.
        serde_json::to_vec(self).unwrap_or_default()
    }

    pub(crate) fn decode(bytes: &[u8]) -> Result<Envelope, DecodeError> {
        let head: Head = serde_json::from_slice(bytes).map_err(DecodeError::Foreign)?;
        if head.format != FORMAT {
            return Err(DecodeError::Format {
                found: head.format,
                from: head.from,
            });
        }
        serde_json::from_slice(bytes).map_err(DecodeError::Foreign)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn deliver() -> Envelope {
        Envelope::new(
            "a".into(),
            7,
            3,
            Body::Deliver {
                to: Address::Page {
                    page: "counter.html".into(),
                    group: "g".into(),
                },
                action: "tick".into(),
                data: Map::from_iter([("n".to_string(), Value::from(1))]),
            },
        )
    }

    #[test]
    fn envelopes_survive_the_wire() {
        let envelope = deliver();
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

    /// The bytes of format 1, written out: a change here breaks instances
    /// of other builds that share the bus, and needs a new format number.
    #[test]
    fn format_1_is_spelled_as_written() {
        let text = String::from_utf8(deliver().encode()).unwrap();
        assert_eq!(
            text,
            r#"{"v":1,"from":"a","epoch":7,"seq":3,"body":{"kind":"deliver","to":{"kind":"page","page":"counter.html","group":"g"},"action":"tick","data":{"n":1}}}"#
        );
        let sync = Envelope::new(
            "a".into(),
            1,
            1,
            Body::SyncTabs {
                page: "p".into(),
                group: "g".into(),
            },
        );
        assert_eq!(
            String::from_utf8(sync.encode()).unwrap(),
            r#"{"v":1,"from":"a","epoch":1,"seq":1,"body":{"kind":"sync-tabs","page":"p","group":"g"}}"#
        );
    }

    #[test]
    fn foreign_messages_and_other_formats_are_refused() {
        assert!(matches!(
            Envelope::decode(b"hello"),
            Err(DecodeError::Foreign(_))
        ));
        assert!(Envelope::decode(br#"{"v":1,"from":"a"}"#).is_err());
        let future = br#"{"v":2,"from":"b","epoch":1,"seq":1,"body":{"kind":"new-thing"}}"#;
        match Envelope::decode(future) {
            Err(DecodeError::Format { found: 2, from }) => assert_eq!(from, "b"),
            other => panic!("expected a format error, got {other:?}"),
        }
    }
}
