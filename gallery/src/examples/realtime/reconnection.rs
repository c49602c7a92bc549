//! Reconnection: a tab whose socket drops comes back to its own view, with
//! every push made while it was away.
//!
//! Start runs a job on this tab's connection that ticks once a second, each
//! tick added to the tab's state. Cut asks the server to drop the socket the
//! way a failing network does (`ctx.drop_connection()`: no close frame). The
//! runtime keeps the tab for its grace period (30 s): the job ticks on, and
//! each tick is applied to the state on the server, unrendered. The stock
//! client notices the dead socket at its next heartbeat and reconnects with
//! its page load's token; the one frame it gets back holds every tick made
//! meanwhile, none lost, none twice. Nothing here is written for it: every
//! page resumes this way.

use std::time::Duration;

use axum::Router;
use livetemplate::{ActionError, Actions, Context, Controller, LiveError};
use serde::{Deserialize, Serialize};

use crate::catalog::{Category, Example, Gallery};

const TICK_INTERVAL: Duration = Duration::from_secs(1);
const TICK_COUNT: u32 = 60;

pub struct Reconnection;

#[derive(Clone, Default, Serialize, Deserialize)]
pub struct ReconnectionState {
    pub running: bool,
    /// Every tick this tab's state has taken, in order.
    pub ticks: Vec<u32>,
    /// The last tick before each cut (0: cut before the first).
    pub cuts: Vec<u32>,
    pub total: u32,
}

impl Controller for Reconnection {
    type State = ReconnectionState;

    fn actions(actions: &mut Actions<Self>) {
        actions.on("start", Self::start).on("cut", |_, state, ctx| {
            if state.running {
                state.cuts.push(state.ticks.last().copied().unwrap_or(0));
            }
            // After this reply the socket ends with no close frame, as if
            // the network had failed.
            ctx.drop_connection();
            Ok(())
        });
    }
}

impl Reconnection {
    /// Starts the ticks over: a job that adds one to this tab's state each
    /// second, `TICK_COUNT` times.
    fn start(
        &self,
        state: &mut ReconnectionState,
        ctx: &mut Context<Self>,
    ) -> Result<(), ActionError> {
        if state.running {
            return Ok(());
        }
        *state = ReconnectionState {
            running: true,
            total: TICK_COUNT,
            ..ReconnectionState::default()
        };
        // The job belongs to this connection: a tab kept for resuming keeps
        // it running; a tab closed for good (or not back within the grace)
        // ends it, and `update` says so.
        ctx.spawn_job(|job| async move {
            let mut ticker = tokio::time::interval(TICK_INTERVAL);
            ticker.tick().await; // the first tick is immediate
            for tick in 1..=TICK_COUNT {
                ticker.tick().await;
                let applied = job.update(move |state| {
                    state.ticks.push(tick);
                    state.running = tick < TICK_COUNT;
                });
                if !applied {
                    return;
                }
            }
        })?;
        Ok(())
    }
}

pub const EXAMPLE: Example = Example {
    category: Category::RealTime,
    slug: "reconnection",
    title: "Reconnection",
    summary: "A counter ticks on the server once a second; cut the connection and the tab comes back to its own count, with every tick made while it was away and none twice.",
    try_it: "Click Start, then Cut the connection after a few ticks: the state line says the socket is down while the count stands still. Within 20 s (the client's heartbeat) it reconnects and the count jumps to where the server is; the ticks after ✂ came in while the tab was away.",
    template: "realtime/reconnection.html",
    sign_in: false,
    source: crate::this_file!(),
    also: &[],
    routes,
};

/// The page, in the gallery's example layout at `/realtime/reconnection`.
fn routes(gallery: &Gallery) -> Result<Router, LiveError> {
    let page = gallery.live.page(EXAMPLE.template, Reconnection);
    gallery.show(&EXAMPLE, page)
}
