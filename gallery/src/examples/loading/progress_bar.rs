//! Progress Bar: Start runs a task on the server that reports its
//! progress; the bar fills as each step is pushed, and Cancel stops it.
//!
//! The task belongs to the session group (`spawn_once_for_group`): one run
//! however many tabs are open, each step sent to all of them with
//! `session.trigger_action("progress", …)`, so every tab's bar moves in
//! step. Cancel stops it by name (`cancel_group_task`) — the task is
//! dropped at its next `.await` — and tells the other tabs; Start and
//! Cancel in one tab are broadcast so the others follow. The task ends
//! by itself when the group's last tab closes.

use std::time::Duration;

use axum::Router;
use livetemplate::{ActionError, Actions, Context, Controller, LiveError, Session};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::catalog::{Category, Example, Gallery};

/// The group task's name: one run per session group.
const TASK: &str = "progress-bar";
const STEP: Duration = Duration::from_millis(150);
const STEPS: u32 = 20;

pub struct ProgressBar;

#[derive(Clone, Default, Serialize, Deserialize)]
pub struct ProgressState {
    pub status: Status,
    pub percent: u32,
}

#[derive(Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    #[default]
    Idle,
    Running,
    Done,
    Cancelled,
}

#[derive(Deserialize)]
struct Progress {
    percent: u32,
}

impl Controller for ProgressBar {
    type State = ProgressState;

    fn actions(actions: &mut Actions<Self>) {
        actions
            .on("start", Self::start)
            .on("cancel", Self::cancel)
            // Only the server may move the bar or stop it in another tab.
            .on_server("progress", |_, state, ctx| {
                // A step already on its way when Cancel was clicked.
                if state.status == Status::Cancelled {
                    return Ok(());
                }
                let Progress { percent } = ctx.data()?;
                state.percent = percent;
                state.status = if percent >= 100 {
                    Status::Done
                } else {
                    Status::Running
                };
                Ok(())
            })
            .on_server("started", |_, state, _| {
                *state = ProgressState {
                    status: Status::Running,
                    percent: 0,
                };
                Ok(())
            })
            .on_server("stopped", |_, state, _| {
                state.status = Status::Cancelled;
                Ok(())
            });
    }
}

impl ProgressBar {
    fn start(&self, state: &mut ProgressState, ctx: &mut Context<Self>) -> Result<(), ActionError> {
        if state.status == Status::Running {
            return Ok(());
        }
        // `false` when another tab of the group already runs it: its steps
        // reach this tab too.
        if ctx.spawn_once_for_group(TASK, run(ctx.session()))? {
            ctx.broadcast_action("started", ())?;
        }
        *state = ProgressState {
            status: Status::Running,
            percent: 0,
        };
        Ok(())
    }

    fn cancel(
        &self,
        state: &mut ProgressState,
        ctx: &mut Context<Self>,
    ) -> Result<(), ActionError> {
        if state.status != Status::Running {
            return Ok(());
        }
        ctx.cancel_group_task(TASK);
        ctx.broadcast_action("stopped", ())?;
        state.status = Status::Cancelled;
        Ok(())
    }
}

/// The work: twenty steps, each pushed to every tab of the group.
async fn run(session: Session) {
    for step in 1..=STEPS {
        tokio::time::sleep(STEP).await;
        let percent = step * 100 / STEPS;
        // No tab left: stop.
        if session
            .trigger_action("progress", json!({ "percent": percent }))
            .is_err()
        {
            return;
        }
    }
}

pub const EXAMPLE: Example = Example {
    category: Category::Loading,
    slug: "progress-bar",
    title: "Progress Bar",
    summary: "Start runs a three-second task on the server that pushes its progress twenty times; the bar and the percentage follow, \
              Cancel stops the task itself, and every tab of this browser shows the same run.",
    try_it: "Click Start and watch the bar fill to 100%, then Start again and Cancel halfway: it stops where it was. \
             Open the split view and start in one frame: both bars move together, and Cancel in either stops both.",
    template: "loading/progress-bar.html",
    sign_in: false,
    source: crate::this_file!(),
    also: &[],
    routes,
};

/// The page, in the gallery's example layout at `/loading/progress-bar`.
fn routes(gallery: &Gallery) -> Result<Router, LiveError> {
    gallery.show(&EXAMPLE, gallery.live.page(EXAMPLE.template, ProgressBar))
}
