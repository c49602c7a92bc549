//! Server Push: a background task fires `tick` once a second through
//! `session.trigger_action`, and each tick's re-render is pushed to the tab.

use std::time::Duration;

use axum::Router;
use livetemplate::{ActionError, Actions, Context, Controller, LiveError};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::catalog::{Category, Example, Gallery};

const TICK_INTERVAL: Duration = Duration::from_secs(1);
const TICK_COUNT: i64 = 10;

pub struct ServerPush;

#[derive(Clone, Default, Serialize, Deserialize)]
pub struct ServerPushState {
    /// Deliberately not persisted: after a reconnect the tab shows the start
    /// view, and the still-running task pops it to "Last completed" when it
    /// fires `timerDone`. A persisted `running` with no task behind it would
    /// leave the page waiting for ticks that never come.
    pub running: bool,
    pub elapsed: i64,
    /// Rendered from state rather than written in the template, so the page
    /// follows `TICK_COUNT` if it changes.
    pub total: i64,
}

#[derive(Deserialize)]
struct Tick {
    elapsed: i64,
}

impl Controller for ServerPush {
    type State = ServerPushState;

    fn actions(actions: &mut Actions<Self>) {
        actions
            .on("startTimer", Self::start_timer)
            // Only the task may tick or finish the timer: a client sending
            // them gets "unknown action".
            .on_server("tick", |_, state, ctx| {
                // A tab opened after Start (another tab of the group) learns
                // from the tick itself that a timer is running.
                state.running = true;
                state.total = TICK_COUNT;
                state.elapsed = ctx.data::<Tick>()?.elapsed;
                Ok(())
            })
            .on_server("timerDone", |_, state, _| {
                state.running = false;
                Ok(())
            });
    }
}

impl ServerPush {
    /// Flips to the running view and starts a 10 × 1 s ticker task.
    fn start_timer(
        &self,
        state: &mut ServerPushState,
        ctx: &mut Context<Self>,
    ) -> Result<(), ActionError> {
        if state.running {
            return Ok(());
        }
        state.running = true;
        state.elapsed = 0;
        state.total = TICK_COUNT;

        let session = ctx.session();
        // The task belongs to this connection: closing the tab cancels it.
        // It also stops by itself when `trigger_action` reports that the
        // session group has no live connection left.
        ctx.spawn(async move {
            let mut ticker = tokio::time::interval(TICK_INTERVAL);
            ticker.tick().await; // the first tick is immediate
            for elapsed in 1..=TICK_COUNT {
                ticker.tick().await;
                if session
                    .trigger_action("tick", json!({ "elapsed": elapsed }))
                    .is_err()
                {
                    return;
                }
            }
            // Nothing useful to do if the tab is gone by now.
            let _ = session.trigger_action("timerDone", ());
        })?;
        Ok(())
    }
}

pub const EXAMPLE: Example = Example {
    category: Category::RealTime,
    slug: "server-push",
    title: "Server Push",
    summary: "A button starts a ten-second timer on the server; the page counts along as the server pushes each second, with nothing polling.",
    try_it: "Click Start and watch the counter tick up once per second. Close the tab mid-run: the task stops (the live-task gauge on /metrics drops).",
    template: "realtime/server-push.html",
    sign_in: false,
    source: crate::this_file!(),
    also: &[],
    routes,
};

/// The page, in the gallery's example layout at `/realtime/server-push`.
fn routes(gallery: &Gallery) -> Result<Router, LiveError> {
    let page = gallery.live.page(EXAMPLE.template, ServerPush);
    gallery.show(&EXAMPLE, page)
}
