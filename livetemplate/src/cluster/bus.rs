//! The seam between the cluster logic and a transport (Redis pub/sub).

use tokio::sync::mpsc;

/// Channels between instances: a control channel every instance listens
/// on, and scope channels (one per session group, user and topic) that an
/// instance listens on while it has connections in the scope. Each message
/// reaches the listening instances, the sender included if it listens, at
/// most once. Loss is allowed; the cluster numbers its messages to notice it.
///
/// A bus without channels (every message reaches every instance) needs only
/// [`publish`](Self::publish), [`listen`](Self::listen) and
/// [`describe`](Self::describe): the defaults send scope messages to
/// everyone, and the cluster drops those it does not listen to.
///
/// [`RedisBus`](crate::redis::RedisBus) is the implementation this crate
/// ships (feature `redis`).
pub trait Bus: Send + Sync + 'static {
    /// Sends `message` on the control channel, to every instance. Must not
    /// block: queue it.
    fn publish(&self, message: Vec<u8>);
    /// Sends `message` on `channel`, to the instances listening on it; the
    /// default sends it to every instance. Must not block.
    fn publish_on(&self, channel: &str, message: Vec<u8>) {
        let _ = channel;
        self.publish(message);
    }
    /// Starts listening on `channel` as well. True when its messages
    /// arrive already (the default: a bus without channels); otherwise the
    /// bus says [`BusEvent::Subscribed`] once they will.
    fn subscribe(&self, channel: &str) -> bool {
        let _ = channel;
        true
    }
    /// Stops listening on `channel`.
    fn unsubscribe(&self, channel: &str) {
        let _ = channel;
    }
    /// Starts delivering what the bus hears to `events`, for as long as the
    /// receiver lives, reconnecting as needed and saying so.
    fn listen(&self, events: mpsc::UnboundedSender<BusEvent>);
    /// Where the bus goes, for status pages and logs (no secrets).
    fn describe(&self) -> String;
    /// The channels this instance listens on, for status pages (none
    /// named, by default).
    fn channels(&self) -> Vec<String> {
        Vec::new()
    }
}

/// What a [`Bus`] tells its listener.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BusEvent {
    /// Listening on the control channel and every channel asked for:
    /// messages from now on will arrive.
    Connected,
    /// The link is down; messages published meanwhile are lost to us.
    Disconnected,
    /// Messages on this channel (asked for with [`Bus::subscribe`]) will
    /// arrive from now on.
    Subscribed(String),
    /// A message from some instance (possibly this one).
    Message(Vec<u8>),
}
