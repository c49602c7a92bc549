//! Live gauges of the runtime, in Prometheus text format.

mod latency;

use std::fmt::Write;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use latency::Histogram;

/// Counters shared by every page of one [`LiveTemplate`](crate::LiveTemplate).
#[derive(Debug, Default)]
pub struct Metrics {
    connections: AtomicI64,
    tasks: AtomicI64,
    actions: AtomicU64,
    action_errors: AtomicU64,
    resyncs: AtomicU64,
    shared_renders: AtomicU64,
    /// Tabs whose socket dropped, kept for their grace period (see
    /// [`Builder::resume_grace`](crate::Builder::resume_grace)), and the
    /// bytes their states take.
    parked: AtomicI64,
    parked_bytes: AtomicI64,
    resumes: AtomicU64,
    /// Messages this instance published to / received from the cluster's bus.
    bus_published: AtomicU64,
    bus_received: AtomicU64,
    /// From a client's frame read to the reply written to its socket.
    answers: Histogram,
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

    /// Pushes answered with the render and frame another tab of the same
    /// delivery made: tabs that showed the same state and come to show the
    /// same state share one.
    pub fn shared_renders(&self) -> u64 {
        self.shared_renders.load(Ordering::Relaxed)
    }

    /// Tabs in their grace period now: their socket dropped, their view,
    /// tasks and pushes kept until it comes back or the grace ends.
    pub fn parked(&self) -> i64 {
        self.parked.load(Ordering::Relaxed)
    }

    /// What the tabs in their grace period hold, in bytes, as counted
    /// against [`Builder::max_resumable`](crate::Builder::max_resumable):
    /// each its state as JSON plus 4 KiB.
    pub fn parked_bytes(&self) -> i64 {
        self.parked_bytes.load(Ordering::Relaxed)
    }

    /// Tabs that came back within their grace period and got their own
    /// view back.
    pub fn resumes(&self) -> u64 {
        self.resumes.load(Ordering::Relaxed)
    }

    /// Messages this instance published to the cluster's bus (pushes,
    /// presence, heartbeats); 0 without a bus.
    pub fn bus_published(&self) -> u64 {
        self.bus_published.load(Ordering::Relaxed)
    }

    /// Messages this instance received from the cluster's bus, its own
    /// echoed back included; 0 without a bus.
    pub fn bus_received(&self) -> u64 {
        self.bus_received.load(Ordering::Relaxed)
    }

    pub(crate) fn bus_sent(&self) {
        self.bus_published.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn bus_heard(&self) {
        self.bus_received.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn parked_changed(&self, views: i64, bytes: i64) {
        self.parked.fetch_add(views, Ordering::Relaxed);
        self.parked_bytes.fetch_add(bytes, Ordering::Relaxed);
    }

    pub(crate) fn resumed(&self) {
        self.resumes.fetch_add(1, Ordering::Relaxed);
    }

    /// How long answering a client's frame took, server side: from the
    /// frame read off the socket to the reply written to it (handler,
    /// render, diff, encoding and the write). The upper bound of the
    /// histogram bucket the quantile `q` falls in (within 19%); none before
    /// the first frame.
    ///
    /// ```
    /// let metrics = livetemplate::Metrics::default();
    /// assert_eq!(metrics.answer_time(0.5), None);
    /// ```
    pub fn answer_time(&self, q: f64) -> Option<Duration> {
        self.answers.quantile(q)
    }

    /// How many client frames were answered.
    pub fn answers(&self) -> u64 {
        self.answers.count()
    }

    pub(crate) fn answered(&self, took: Duration) {
        self.answers.record(took);
    }

    pub(crate) fn shared_render(&self) {
        self.shared_renders.fetch_add(1, Ordering::Relaxed);
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
        let rows: [(&str, &str, &str, i64); 11] = [
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
            (
                "livetemplate_shared_renders_total",
                "counter",
                "Pushes answered with a render another tab of the same delivery made.",
                self.shared_renders() as i64,
            ),
            (
                "livetemplate_parked_views",
                "gauge",
                "Tabs in their grace period: socket dropped, view kept for a resume.",
                self.parked(),
            ),
            (
                "livetemplate_parked_bytes",
                "gauge",
                "Bytes of the states kept for tabs in their grace period.",
                self.parked_bytes(),
            ),
            (
                "livetemplate_resumes_total",
                "counter",
                "Tabs that came back within their grace period to their own view.",
                self.resumes() as i64,
            ),
            (
                "livetemplate_bus_published_total",
                "counter",
                "Messages this instance published to the bus between instances.",
                self.bus_published() as i64,
            ),
            (
                "livetemplate_bus_received_total",
                "counter",
                "Messages this instance received from the bus between instances (its own echoes included).",
                self.bus_received() as i64,
            ),
        ];
        for (name, kind, help, value) in rows {
            let _ = writeln!(
                out,
                "# HELP {name} {help}\n# TYPE {name} {kind}\n{name} {value}"
            );
        }
        out.push_str(&self.answers.prometheus(
            "livetemplate_answer_seconds",
            "From a client's frame read to the reply written, server side.",
        ));
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
