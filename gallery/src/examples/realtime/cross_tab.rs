//! Cross-tab (seed 002, "Multi-tab behavior"): three ways the tabs of one
//! session group follow each other.
//!
//! 1. **Sync.** After a client action in one tab, the group's other tabs get
//!    a `sync` dispatch, because this controller registers one. `count` is
//!    persisted, and the runtime lays the group's saved fields over a tab's
//!    state before its `sync` handler runs — so the others show the new count.
//! 2. **`broadcast_action`.** A wave runs `waved` on the *other* tabs only.
//! 3. **`trigger_action`.** A ring runs `ring` on *every* tab, this one too.
//!
//! A private window (another cookie) is another group: it follows none of it.

use livetemplate::{ActionError, Actions, Context, Controller};
use serde::{Deserialize, Serialize};

pub struct CrossTab;

#[derive(Clone, Default, Serialize, Deserialize)]
pub struct CrossTabState {
    /// Shared by the group's tabs through persistence and `sync`.
    pub count: i64,
    pub syncs: u64,
    pub waves_sent: u64,
    pub waves_received: u64,
    pub rings: u64,
}

impl Controller for CrossTab {
    type State = CrossTabState;
    const PERSIST: &'static [&'static str] = &["count"];

    fn actions(actions: &mut Actions<Self>) {
        actions
            .on(
                "increment",
                |_, state: &mut CrossTabState, _: &mut Context| {
                    state.count += 1;
                    Ok(())
                },
            )
            .on(
                "decrement",
                |_, state: &mut CrossTabState, _: &mut Context| {
                    state.count -= 1;
                    Ok(())
                },
            )
            .on("sync", |_, state: &mut CrossTabState, _: &mut Context| {
                state.syncs += 1;
                Ok(())
            })
            .on("wave", CrossTab::wave)
            .on("waved", |_, state: &mut CrossTabState, _: &mut Context| {
                state.waves_received += 1;
                Ok(())
            })
            .on("ringAll", |_, _: &mut CrossTabState, ctx: &mut Context| {
                ctx.session().trigger_action("ring", ())?;
                Ok(())
            })
            .on("ring", |_, state: &mut CrossTabState, _: &mut Context| {
                state.rings += 1;
                Ok(())
            });
    }
}

impl CrossTab {
    fn wave(&self, state: &mut CrossTabState, ctx: &mut Context) -> Result<(), ActionError> {
        state.waves_sent += 1;
        ctx.broadcast_action("waved", ())?;
        Ok(())
    }
}
