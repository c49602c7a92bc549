//! Background tasks tied to a connection.

use std::future::Future;
use std::sync::Arc;

use tokio_util::sync::CancellationToken;

use crate::metrics::Metrics;

/// Where a connection's tasks live: cancelling the scope drops them all.
#[derive(Clone)]
pub(crate) struct TaskScope {
    token: CancellationToken,
    metrics: Arc<Metrics>,
}

impl TaskScope {
    pub(crate) fn new(token: CancellationToken, metrics: Arc<Metrics>) -> TaskScope {
        TaskScope { token, metrics }
    }

    /// Spawns `task`; it ends at its next `.await` once the scope is cancelled.
    pub(crate) fn spawn<F>(&self, task: F)
    where
        F: Future<Output = ()> + Send + 'static,
    {
        let token = self.token.clone();
        let live = self.metrics.task_started();
        tokio::spawn(async move {
            let _live = live;
            tokio::select! {
                biased;
                _ = token.cancelled() => {}
                _ = task => {}
            }
        });
    }

    pub(crate) fn cancel(&self) {
        self.token.cancel();
    }
}
