//! Multi-instance: several gallery instances behind one Redis act as one.
//!
//! Nothing here is special to clustering — that is the point. The runtime
//! publishes every push (`trigger_action`, tab syncs, broadcasts, topics,
//! pushes to a user) for the other instances, keeps count of their live
//! connections so "no live connection" holds cluster-wide, and keeps
//! persisted fields in Redis. This page shows which instance serves the tab,
//! the instances it can see, and how often this tab was resynced: when
//! messages between instances may have been lost (Redis restarted, say),
//! the runtime reloads the tab's persisted fields, runs `on_resync`, and
//! re-renders it instead of letting it silently miss an update.

use std::time::Duration;

use axum::Router;
use livetemplate::{ActionError, Actions, Context, Controller, LiveError, MountContext, Sessions};
use serde::{Deserialize, Serialize};

use crate::catalog::{Category, Example, Gallery};

/// How often a tab refreshes what it shows of the cluster.
const STATUS_EVERY: Duration = Duration::from_secs(2);
/// Pings a tab keeps.
const PINGS: usize = 5;

pub struct MultiInstance {
    pub sessions: Sessions,
}

#[derive(Clone, Default, Serialize, Deserialize)]
pub struct MultiInstanceState {
    /// Persisted: written through one instance, restored by any.
    pub count: i64,
    /// The instance serving this tab.
    pub instance: String,
    /// Where the bus goes; empty when this instance runs alone.
    pub bus: String,
    pub connected: bool,
    pub peers: Vec<Peer>,
    /// Times this tab was re-rendered after updates may have been lost.
    pub resyncs: u64,
    /// The latest pings this browser's tabs received, newest first.
    pub pings: Vec<String>,
}

#[derive(Clone, Default, Serialize, Deserialize)]
pub struct Peer {
    pub instance: String,
    pub connections: u32,
}

#[derive(Deserialize)]
struct Ping {
    from: String,
}

impl Controller for MultiInstance {
    type State = MultiInstanceState;
    const PERSIST: &'static [&'static str] = &["count"];
    // The other tabs of this browser, on any instance, take the new count.
    const SYNC_TABS: bool = true;

    fn actions(actions: &mut Actions<Self>) {
        actions
            .on("increment", |_, s, _| {
                s.count += 1;
                Ok(())
            })
            .on("ping", MultiInstance::ping)
            .on_server("pinged", |_, s, ctx| {
                let ping: Ping = ctx.data()?;
                s.pings
                    .insert(0, format!("ping from instance {}", ping.from));
                s.pings.truncate(PINGS);
                Ok(())
            });
    }

    fn mount(&self, _: &MountContext) -> Result<MultiInstanceState, ActionError> {
        let mut state = MultiInstanceState::default();
        show_cluster(&self.sessions, &mut state);
        Ok(state)
    }

    fn on_connect(
        &self,
        _: &mut MultiInstanceState,
        ctx: &mut Context<Self>,
    ) -> Result<(), ActionError> {
        let sessions = self.sessions.clone();
        ctx.spawn_job(|job| async move {
            loop {
                tokio::time::sleep(STATUS_EVERY).await;
                let sessions = sessions.clone();
                if !job.update(move |s| show_cluster(&sessions, s)) {
                    return;
                }
            }
        })?;
        Ok(())
    }

    fn on_resync(
        &self,
        s: &mut MultiInstanceState,
        _: &mut Context<Self>,
    ) -> Result<(), ActionError> {
        s.resyncs += 1;
        show_cluster(&self.sessions, s);
        Ok(())
    }
}

impl MultiInstance {
    /// Pings every tab of this browser, on every instance, from this one.
    fn ping(&self, s: &mut MultiInstanceState, ctx: &mut Context<Self>) -> Result<(), ActionError> {
        let ping = serde_json::json!({ "from": s.instance });
        self.sessions
            .group(ctx.group())
            .trigger_action("pinged", ping)?;
        Ok(())
    }
}

/// Copies what this instance sees of the cluster into the state.
fn show_cluster(sessions: &Sessions, s: &mut MultiInstanceState) {
    let status = sessions.cluster();
    s.instance = status.instance;
    s.bus = status.bus.unwrap_or_default();
    s.connected = status.connected;
    s.peers = status
        .peers
        .into_iter()
        .map(|p| Peer {
            instance: p.instance,
            connections: p.connections,
        })
        .collect();
}

pub const EXAMPLE: Example = Example {
    category: Category::RealTime,
    slug: "multi-instance",
    title: "Multi-Instance",
    summary: "Two gallery servers sharing one Redis act as one: the page shows which server this tab is on and the others it sees, and a ping from one reaches your tabs on the other.",
    try_it: "Run the four commands shown, open this page on both ports, and click Ping on one: the tab on the other server shows it. Stop and restart Redis: both keep serving, then reconnect and resync.",
    template: "realtime/multi-instance.html",
    sign_in: false,
    source: crate::this_file!(),
    also: &[],
    routes,
};

/// The page, in the gallery's example layout at `/realtime/multi-instance`.
fn routes(gallery: &Gallery) -> Result<Router, LiveError> {
    let sessions = gallery.live.sessions();
    let page = gallery
        .live
        .page(EXAMPLE.template, MultiInstance { sessions });
    gallery.show(&EXAMPLE, page)
}
