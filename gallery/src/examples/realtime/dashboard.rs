//! Dashboard (seed 002, "Periodic updates"): live figures of this server,
//! refreshed every 5 seconds by a background task, with a small chart
//! drawn on the server as SVG.
//!
//! The seed's task calls `session.trigger_action("refresh")`, which reaches
//! every tab of the group — with three tabs open, each would refresh three
//! times per period. A job (`ctx.spawn_job`) updates only its own tab, and
//! ends with it.

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Router;
use livetemplate::{ActionError, Actions, Context, Controller, LiveError, Metrics};
use serde::{Deserialize, Serialize};

use crate::catalog::{Category, Example, Gallery};

const PERIOD: Duration = Duration::from_secs(5);
/// Samples the chart shows.
const HISTORY: usize = 24;

pub struct Dashboard {
    pub metrics: Arc<Metrics>,
}

#[derive(Clone, Default, Serialize, Deserialize)]
pub struct DashboardState {
    pub connections: i64,
    pub tasks: i64,
    pub memory_mib: String,
    pub actions_per_second: String,
    /// Actions per second, oldest first.
    pub history: Vec<f64>,
    /// The chart's polyline, `x,y` pairs in a 240×60 box.
    pub chart: String,
    /// The chart's scale: the rate at its top line.
    pub top: u64,
    pub samples: u64,
    #[serde(skip)]
    last: Option<(Instant, u64)>,
}

impl Controller for Dashboard {
    type State = DashboardState;

    fn actions(actions: &mut Actions<Self>) {
        actions.on("refresh", |dashboard, state, _| {
            state.sample(&dashboard.metrics);
            Ok(())
        });
    }

    fn on_connect(
        &self,
        state: &mut DashboardState,
        ctx: &mut Context<Self>,
    ) -> Result<(), ActionError> {
        state.sample(&self.metrics);
        let metrics = self.metrics.clone();
        ctx.spawn_job(|job| async move {
            loop {
                tokio::time::sleep(PERIOD).await;
                let metrics = metrics.clone();
                if !job.update(move |state| state.sample(&metrics)) {
                    return;
                }
            }
        })?;
        Ok(())
    }
}

impl DashboardState {
    fn sample(&mut self, metrics: &Metrics) {
        let now = Instant::now();
        let actions = metrics.actions();
        let rate = match self.last {
            Some((then, before)) => {
                let secs = now.duration_since(then).as_secs_f64().max(0.001);
                actions.saturating_sub(before) as f64 / secs
            }
            None => 0.0,
        };
        self.last = Some((now, actions));
        self.connections = metrics.connections();
        self.tasks = metrics.tasks();
        self.memory_mib = resident_memory_mib().map_or("n/a".into(), |m| format!("{m:.1}"));
        self.actions_per_second = format!("{rate:.1}");
        self.history.push(rate);
        if self.history.len() > HISTORY {
            self.history.remove(0);
        }
        let top = scale(&self.history);
        self.top = top as u64;
        self.chart = polyline(&self.history, top);
        self.samples += 1;
    }
}

/// A round top for the chart: 1, 2 or 5 times a power of ten, at least 1
/// (so a whole number).
fn scale(values: &[f64]) -> f64 {
    let max = values.iter().copied().fold(1.0_f64, f64::max);
    let power = 10f64.powf(max.log10().floor());
    [1.0, 2.0, 5.0, 10.0]
        .into_iter()
        .map(|m| m * power)
        .find(|top| *top >= max)
        .unwrap_or(max)
}

/// `x,y` points of `values` scaled into a 240×60 box (0 at the bottom,
/// `top` at the top), the newest at the right edge ("now").
fn polyline(values: &[f64], top: f64) -> String {
    let step = 240.0 / (HISTORY - 1) as f64;
    let first = HISTORY.saturating_sub(values.len());
    values
        .iter()
        .enumerate()
        .map(|(i, v)| {
            let x = (first + i) as f64 * step;
            format!("{x:.0},{:.1}", 60.0 - v / top * 60.0)
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// This process's resident memory, from `/proc` (Linux).
fn resident_memory_mib() -> Option<f64> {
    let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
    let pages: f64 = statm.split_whitespace().nth(1)?.parse().ok()?;
    Some(pages * 4096.0 / (1024.0 * 1024.0))
}

pub const EXAMPLE: Example = Example {
    category: Category::RealTime,
    slug: "dashboard",
    title: "Live Dashboard",
    summary: "This server's own figures, live: connections, running tasks, memory and actions per second, refreshed every 5 seconds, with a chart drawn on the server.",
    try_it: "Leave it open: a point joins the chart every 5 s. Open the split view: the connection count goes up by two.",
    template: "realtime/dashboard.html",
    sign_in: false,
    source: crate::this_file!(),
    also: &[],
    routes,
};

/// The page, in the gallery's example layout at `/realtime/dashboard`.
fn routes(gallery: &Gallery) -> Result<Router, LiveError> {
    let metrics = gallery.live.metrics();
    gallery.show(
        &EXAMPLE,
        gallery.live.page(EXAMPLE.template, Dashboard { metrics }),
    )
}
