//! Background tasks tied to a connection.

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex};

use tokio_util::sync::CancellationToken;

use super::quota::{Counts, Slot};
use crate::lock::lock;
use crate::metrics::Metrics;

/// Where a connection's tasks live: cancelling the scope drops them all.
#[derive(Clone)]
pub(crate) struct TaskScope {
    token: CancellationToken,
    /// The server's: group tasks outlive a connection, not the server.
    shutdown: CancellationToken,
    metrics: Arc<Metrics>,
    /// What runs in this scope, against the caps (see `quota`).
    pub(crate) counts: Arc<Counts>,
    /// The newest load of each place in the state (`Context::load`), by
    /// where the place is: cancelled when a newer one starts.
    loads: Arc<Mutex<HashMap<usize, CancellationToken>>>,
}

impl TaskScope {
    /// A scope that ends with `shutdown` (or earlier, by [`cancel`](Self::cancel)).
    pub(crate) fn new(shutdown: &CancellationToken, metrics: Arc<Metrics>) -> TaskScope {
        TaskScope {
            token: shutdown.child_token(),
            shutdown: shutdown.clone(),
            metrics,
            counts: Arc::default(),
            loads: Arc::default(),
        }
    }

    /// Begins a load of the place `at` (its offset in the state): the load
    /// of that place still running, if any, is cancelled. The token this
    /// returns is cancelled in turn by the next load of the place, and with
    /// the scope.
    pub(crate) fn begin_load(&self, at: usize) -> CancellationToken {
        let token = self.token.child_token();
        if let Some(older) = lock(&self.loads).insert(at, token.clone()) {
            older.cancel();
        }
        token
    }

    /// Spawns `task`, holding `slot` while it runs; it ends at its next
    /// `.await` once the scope is cancelled.
    pub(crate) fn spawn<F>(&self, slot: Slot, task: F)
    where
        F: Future<Output = ()> + Send + 'static,
    {
        let token = self.token.clone();
        let live = self.metrics.task_started();
        tokio::spawn(async move {
            let _held = (live, slot);
            tokio::select! {
                biased;
                _ = token.cancelled() => {}
                _ = task => {}
            }
        });
    }

    /// Spawns `task` to run until `until` is cancelled (or this scope's
    /// server shuts down), whichever comes first.
    pub(crate) fn spawn_until<F>(&self, until: CancellationToken, slot: Slot, task: F)
    where
        F: Future<Output = ()> + Send + 'static,
    {
        let shutdown = self.shutdown.clone();
        let live = self.metrics.task_started();
        tokio::spawn(async move {
            let _held = (live, slot);
            tokio::select! {
                biased;
                _ = until.cancelled() => {}
                _ = shutdown.cancelled() => {}
                _ = task => {}
            }
        });
    }

    pub(crate) fn cancel(&self) {
        self.token.cancel();
    }
}
