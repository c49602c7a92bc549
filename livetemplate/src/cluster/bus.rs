//! The seam between the cluster logic and a transport (Redis pub/sub).

use tokio::sync::mpsc;

/// A broadcast channel between instances: every message published by any
/// instance reaches every listening instance, the sender included, at most
/// once. Loss is allowed; the cluster numbers its messages to notice it.
///
/// [`RedisBus`](crate::redis::RedisBus) is the implementation this crate
/// ships (feature `redis`).
pub trait Bus: Send + Sync + 'static {
    /// Sends `message` to every instance. Must not block: queue it.
    fn publish(&self, message: Vec<u8>);
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
    /// Subscribed: messages from now on will arrive.
    Connected,
    /// The link is down; messages published meanwhile are lost to us.
    Disconnected,
    /// A message from some instance (possibly this one).
    Message(Vec<u8>),
}
