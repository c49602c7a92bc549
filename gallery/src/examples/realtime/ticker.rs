//! Ticker (seed 002's TimerController): a background task ticks once a
//! second and every tab of the session group counts along; Reset sets the
//! count back to 0 in all of them.
//!
//! The seed starts a timer per connection and keeps the session in a
//! mutex-guarded field. Here the timer belongs to the *group*
//! (`ctx.spawn_once_for_group`): one timer however many tabs are open, which
//! the runtime ends when the group's last tab closes. `seconds` is
//! persisted, so a tab opened later starts where the others are, and
//! `SYNC_TABS` brings the other tabs along after a Reset.

use std::time::Duration;

use axum::Router;
use livetemplate::{ActionError, Actions, Context, Controller, LiveError};
use serde::{Deserialize, Serialize};

use crate::catalog::{Category, Example, Gallery};

pub struct Ticker;

#[derive(Clone, Default, Serialize, Deserialize)]
pub struct TickerState {
    pub seconds: i64,
}

impl Controller for Ticker {
    type State = TickerState;
    const PERSIST: &'static [&'static str] = &["seconds"];
    // After a Reset, the group's other tabs take the saved `seconds`.
    const SYNC_TABS: bool = true;

    fn actions(actions: &mut Actions<Self>) {
        actions
            .on_server("tick", |_, state, _| {
                state.seconds += 1;
                Ok(())
            })
            .on("reset", |_, state, _| {
                state.seconds = 0;
                Ok(())
            });
    }

    fn on_connect(&self, _: &mut TickerState, ctx: &mut Context<Self>) -> Result<(), ActionError> {
        let session = ctx.session();
        // The first tab of the group starts the timer; the others join it.
        ctx.spawn_once_for_group("ticker", async move {
            let mut clock = tokio::time::interval(Duration::from_secs(1));
            clock.tick().await; // the first tick is immediate
            loop {
                clock.tick().await;
                if session.trigger_action("tick", ()).is_err() {
                    return;
                }
            }
        })?;
        Ok(())
    }
}

pub const EXAMPLE: Example = Example {
    category: Category::RealTime,
    slug: "ticker",
    title: "Ticker",
    summary: "A counter that ticks once a second in every tab of your browser at once; Reset sets them all back to 0.",
    try_it: "Watch it count and click Reset. Open the split view: every frame ticks together, and Reset in one resets all.",
    template: "realtime/ticker.html",
    sign_in: false,
    source: crate::this_file!(),
    also: &[],
    routes,
};

/// The page, in the gallery's example layout at `/realtime/ticker`.
fn routes(gallery: &Gallery) -> Result<Router, LiveError> {
    gallery.show(&EXAMPLE, gallery.live.page(EXAMPLE.template, Ticker))
}
