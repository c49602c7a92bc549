//! Ticker (seed 002's TimerController): a background task ticks once a
//! second and every tab of the session group counts along; Reset sets the
//! count back to 0 in all of them.
//!
//! The seed starts a timer per connection and keeps the session in a
//! mutex-guarded field. Here the timer belongs to the *group*
//! (`ctx.spawn_for_group`): one timer however many tabs are open, which the
//! runtime ends when the group's last tab closes. `seconds` is persisted, so
//! a tab opened later starts where the others are, and `sync` brings the
//! other tabs along after a Reset.

use std::collections::HashSet;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use livetemplate::{ActionError, Actions, Context, Controller};
use serde::{Deserialize, Serialize};

#[derive(Default)]
pub struct Ticker {
    /// Groups whose timer is running.
    running: Arc<Mutex<HashSet<String>>>,
}

#[derive(Clone, Default, Serialize, Deserialize)]
pub struct TickerState {
    pub seconds: i64,
}

impl Controller for Ticker {
    type State = TickerState;
    const PERSIST: &'static [&'static str] = &["seconds"];

    fn actions(actions: &mut Actions<Self>) {
        actions
            .on("tick", |_, state: &mut TickerState, _: &mut Context| {
                state.seconds += 1;
                Ok(())
            })
            .on("reset", |_, state: &mut TickerState, _: &mut Context| {
                state.seconds = 0;
                Ok(())
            })
            // The runtime has already laid the group's saved `seconds` over
            // this tab's state; nothing else to do.
            .on("sync", |_, _: &mut TickerState, _: &mut Context| Ok(()));
    }

    fn on_connect(&self, _: &mut TickerState, ctx: &mut Context) -> Result<(), ActionError> {
        let group = ctx.group().to_string();
        let first_tab = lock(&self.running).insert(group.clone());
        if first_tab {
            let session = ctx.session();
            let running = StillRunning {
                groups: self.running.clone(),
                group,
            };
            ctx.spawn_for_group(async move {
                let _running = running;
                let mut clock = tokio::time::interval(Duration::from_secs(1));
                clock.tick().await; // the first tick is immediate
                loop {
                    clock.tick().await;
                    if session.trigger_action("tick", ()).is_err() {
                        return;
                    }
                }
            });
        }
        Ok(())
    }
}

/// Forgets the group's timer when the task ends, however it ends.
struct StillRunning {
    groups: Arc<Mutex<HashSet<String>>>,
    group: String,
}

impl Drop for StillRunning {
    fn drop(&mut self) {
        lock(&self.groups).remove(&self.group);
    }
}

fn lock(groups: &Mutex<HashSet<String>>) -> std::sync::MutexGuard<'_, HashSet<String>> {
    groups.lock().unwrap_or_else(PoisonError::into_inner)
}
