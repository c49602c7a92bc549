//! What waits for one connection: a bounded queue of pushes.
//!
//! The connection loop drains its mailbox whether or not its client reads
//! (pushes change the state; rendering waits for the socket), so a full
//! mailbox means the loop itself cannot keep up. Rather than queue without
//! bound, the connection is then told to close: its client reconnects to
//! the state as it is.

use std::any::Any;
use std::sync::Arc;

use serde_json::{Map, Value};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use crate::session::SharedRenders;

/// Pushes one connection may have waiting before it is closed as too far
/// behind.
pub(crate) const MAILBOX_CAPACITY: usize = 1024;

/// A change to a connection's state from a job; it downcasts the state to
/// the controller's type.
pub(crate) type StateChange = Box<dyn FnOnce(&mut dyn Any) + Send>;

/// Something to do on one connection, from outside it.
pub(crate) enum Push {
    /// Run an action, as if the client had sent it.
    Action {
        action: Arc<str>,
        /// Shared by every connection the push goes to.
        data: Arc<Map<String, Value>>,
        /// Renders the connections of this delivery share.
        shared: Arc<SharedRenders>,
    },
    /// Follow a client action made on another tab of the group
    /// (`Controller::SYNC_TABS`).
    SyncTab,
    /// Change the state directly (a job's update); the connection passes
    /// its state, which the closure downcasts to the controller's type.
    Apply(StateChange),
    /// Pushes for this connection may have been lost (on the way from
    /// another instance): reload persisted fields and re-render.
    Resync,
}

/// The sending side, kept in the registry.
pub(super) struct Outbox {
    tx: mpsc::Sender<Push>,
    overflow: CancellationToken,
}

/// The receiving side, kept by the connection.
pub(crate) struct Mailbox {
    rx: mpsc::Receiver<Push>,
    overflow: CancellationToken,
}

pub(super) fn mailbox(capacity: usize) -> (Outbox, Mailbox) {
    let (tx, rx) = mpsc::channel(capacity);
    let overflow = CancellationToken::new();
    let outbox = Outbox {
        tx,
        overflow: overflow.clone(),
    };
    (outbox, Mailbox { rx, overflow })
}

impl Outbox {
    /// Queues `push`; false when the connection is gone or too far behind
    /// (then it is told to close).
    pub(super) fn push(&self, push: Push) -> bool {
        match self.tx.try_send(push) {
            Ok(()) => true,
            Err(mpsc::error::TrySendError::Full(_)) => {
                self.overflow.cancel();
                false
            }
            Err(mpsc::error::TrySendError::Closed(_)) => false,
        }
    }
}

impl Mailbox {
    /// The next push; `None` once the registry let go of the connection.
    pub(crate) async fn recv(&mut self) -> Option<Push> {
        self.rx.recv().await
    }

    #[cfg(test)]
    /// A push already waiting, if any.
    pub(crate) fn try_recv(&mut self) -> Result<Push, mpsc::error::TryRecvError> {
        self.rx.try_recv()
    }

    /// Cancelled when a push found the mailbox full.
    pub(crate) fn overflow(&self) -> &CancellationToken {
        &self.overflow
    }
}
