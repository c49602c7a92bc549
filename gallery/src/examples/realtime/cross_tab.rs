//! Cross-tab (seed 002, "Multi-tab behavior"): three ways the tabs of one
//! session group follow each other.
//!
//! 1. **Sync.** After a client action in one tab, the group's other tabs
//!    follow it, because this controller sets `SYNC_TABS` (the seed's
//!    `Sync()`). `count` is persisted, and the runtime lays the group's saved
//!    fields over a tab's state before its `on_other_tab_action` runs — so
//!    the others show the new count.
//! 2. **`broadcast_action`.** A wave runs `waved` on the *other* tabs only.
//! 3. **`trigger_action`.** A ring runs `ring` on *every* tab, this one too.
//!
//! A private window (another cookie) is another group: it follows none of it.

use axum::Router;
use livetemplate::{ActionError, Actions, Context, Controller, LiveError};
use serde::{Deserialize, Serialize};

use crate::catalog::{Category, Example, Gallery};

pub struct CrossTab;

#[derive(Clone, Default, Serialize, Deserialize)]
pub struct CrossTabState {
    /// Shared by the group's tabs through persistence and `SYNC_TABS`.
    pub count: i64,
    pub syncs: u64,
    pub waves_sent: u64,
    pub waves_received: u64,
    pub rings: u64,
}

impl Controller for CrossTab {
    type State = CrossTabState;
    const PERSIST: &'static [&'static str] = &["count"];
    const SYNC_TABS: bool = true;

    fn actions(actions: &mut Actions<Self>) {
        actions
            .on("increment", |_, state, _| {
                state.count += 1;
                Ok(())
            })
            .on("decrement", |_, state, _| {
                state.count -= 1;
                Ok(())
            })
            .on("wave", |_, state, ctx| {
                state.waves_sent += 1;
                ctx.broadcast_action("waved", ())?;
                Ok(())
            })
            .on_server("waved", |_, state, _| {
                state.waves_received += 1;
                Ok(())
            })
            .on("ringAll", |_, _, ctx| {
                ctx.session().trigger_action("ring", ())?;
                Ok(())
            })
            .on_server("ring", |_, state, _| {
                state.rings += 1;
                Ok(())
            });
    }

    /// Another tab of the group acted: `count` is already the saved one.
    fn on_other_tab_action(
        &self,
        state: &mut CrossTabState,
        _: &mut Context<Self>,
    ) -> Result<(), ActionError> {
        state.syncs += 1;
        Ok(())
    }
}

pub const EXAMPLE: Example = Example {
    category: Category::RealTime,
    slug: "cross-tab",
    title: "Cross-Tab Sync",
    summary: "Three panels: a count every tab of your browser keeps in step, a wave only the other tabs receive, and a ring that reaches every tab.",
    try_it: "Open the split view. Click +1 in one frame: all show the new count. Wave: the other tabs count a wave. Ring: every tab rings. A private window stays separate.",
    template: "realtime/cross-tab.html",
    sign_in: false,
    source: crate::this_file!(),
    also: &[],
    routes,
};

/// The page, in the gallery's example layout at `/realtime/cross-tab`.
fn routes(gallery: &Gallery) -> Result<Router, LiveError> {
    gallery.show(&EXAMPLE, gallery.live.page(EXAMPLE.template, CrossTab))
}
