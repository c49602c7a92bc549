//! Live gauges of the runtime, in Prometheus text format.

use std::fmt::Write;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::Arc;

/// Counters shared by every page of one [`LiveTemplate`](crate::LiveTemplate).
#[derive(Debug, Default)]
pub struct Metrics {
    connections: AtomicI64,
    tasks: AtomicI64,
    actions: AtomicU64,
    action_errors: AtomicU64,
    resyncs: AtomicU64,
}

/// Decrements its gauge when dropped.
pub(crate) struct Live {
    metrics: Arc<Metrics>,
    which: Gauge,
}

#[derive(Clone, Copy)]
enum Gauge {
    Connections,
    Tasks,
}

impl Metrics {
    /// Live WebSocket connections.
    pub fn connections(&self) -> i64 {
        self.connections.load(Ordering::Relaxed)
    }

    /// Live connection-scoped background tasks.
    pub fn tasks(&self) -> i64 {
        self.tasks.load(Ordering::Relaxed)
    }

    /// Actions run since start (client actions and pushes), failed ones included.
    pub fn actions(&self) -> u64 {
        self.actions.load(Ordering::Relaxed)
    }

    /// Connections re-rendered because updates for them may have been lost
    /// on the way from another instance.
    pub fn resyncs(&self) -> u64 {
        self.resyncs.load(Ordering::Relaxed)
    }

    pub(crate) fn resynced(&self) {
        self.resyncs.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn connection_opened(self: &Arc<Self>) -> Live {
        self.connections.fetch_add(1, Ordering::Relaxed);
        Live {
            metrics: self.clone(),
            which: Gauge::Connections,
        }
    }

    pub(crate) fn task_started(self: &Arc<Self>) -> Live {
        self.tasks.fetch_add(1, Ordering::Relaxed);
        Live {
            metrics: self.clone(),
            which: Gauge::Tasks,
        }
    }

    pub(crate) fn action_done(&self, ok: bool) {
        self.actions.fetch_add(1, Ordering::Relaxed);
        if !ok {
            self.action_errors.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// The gauges and counters in Prometheus text exposition format.
    pub fn render_prometheus(&self) -> String {
        let mut out = String::new();
        let rows: [(&str, &str, &str, i64); 5] = [
            (
                "livetemplate_connections",
                "gauge",
                "Live WebSocket connections.",
                self.connections(),
            ),
            (
                "livetemplate_tasks",
                "gauge",
                "Live connection-scoped background tasks.",
                self.tasks(),
            ),
            (
                "livetemplate_actions_total",
                "counter",
                "Actions run (client and server).",
                self.actions.load(Ordering::Relaxed) as i64,
            ),
            (
                "livetemplate_action_errors_total",
                "counter",
                "Actions that failed.",
                self.action_errors.load(Ordering::Relaxed) as i64,
            ),
            (
                "livetemplate_resyncs_total",
                "counter",
                "Connections re-rendered after updates from other instances may have been lost.",
                self.resyncs() as i64,
            ),
        ];
        for (name, kind, help, value) in rows {
            let _ = writeln!(
                out,
                "# HELP {name} {help}\n# TYPE {name} {kind}\n{name} {value}"
            );
        }
        out
    }
}

impl Drop for Live {
    fn drop(&mut self) {
        let gauge = match self.which {
            Gauge::Connections => &self.metrics.connections,
            Gauge::Tasks => &self.metrics.tasks,
        };
        gauge.fetch_sub(1, Ordering::Relaxed);
    }
}
