//! Async Operations: a button starts slow work; the page shows it loading
//! at once, then the result — or the error, with Retry.
//!
//! The whole state machine is one field, a `Loadable<Report>`, and one
//! call: `ctx.load` turns it `Loading` in the click's own reply (the
//! template disables the button and marks it busy), runs the work off the
//! connection, and writes `Ready` or `Failed` with the error's message
//! into the state as it is when the work ends. A click while loading
//! starts nothing. "Make it fail" lets a person try the error path at
//! will; Retry is the same action again.

use std::time::{Duration, Instant};

use axum::Router;
use livetemplate::{ActionError, Actions, Context, Controller, LiveError, Loadable};
use serde::{Deserialize, Serialize};

use crate::catalog::{Category, Example, Gallery};

const WORK_TIME: Duration = Duration::from_millis(1200);

pub struct AsyncOperations;

#[derive(Clone, Default, Serialize, Deserialize)]
pub struct AsyncState {
    pub report: Loadable<Report>,
    /// Attempts so far, failed ones included.
    pub attempts: u32,
}

#[derive(Clone, Serialize, Deserialize)]
pub struct Report {
    pub orders: u32,
    pub revenue: String,
    /// How long the work took, as shown.
    pub took: String,
}

/// Why the report could not be made.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error("the report service timed out (simulated)")]
    TimedOut,
}

impl Controller for AsyncOperations {
    type State = AsyncState;

    fn actions(actions: &mut Actions<Self>) {
        actions.on("fetch", Self::fetch);
    }
}

impl AsyncOperations {
    fn fetch(&self, state: &mut AsyncState, ctx: &mut Context<Self>) -> Result<(), ActionError> {
        // The "Make it fail" checkbox; an unchecked box is not sent.
        let fail = ctx.get_bool("fail").unwrap_or(false);
        if ctx.load(state, |s| &mut s.report, build_report(fail))? {
            state.attempts += 1;
        }
        Ok(())
    }
}

/// The slow work: a stand-in for a query or a call to another service.
async fn build_report(fail: bool) -> Result<Report, ReportError> {
    let started = Instant::now();
    tokio::time::sleep(WORK_TIME).await;
    if fail {
        return Err(ReportError::TimedOut);
    }
    Ok(Report {
        orders: 1284,
        revenue: "$48,210".into(),
        took: format!("{:.1} s", started.elapsed().as_secs_f64()),
    })
}

pub const EXAMPLE: Example = Example {
    category: Category::Loading,
    slug: "async-operations",
    title: "Async Operations",
    summary: "A button starts a slow operation on the server: the button turns busy at once, then the result appears, \
              or the error with a Retry button. The whole loading → success / error machine is one field and one call.",
    try_it: "Click Fetch the report: the button is disabled with a spinner for about a second, then the figures appear. \
             Tick \"Make it fail\" and fetch again: an error and a Retry button; untick it and Retry succeeds.",
    template: "loading/async-operations.html",
    sign_in: false,
    source: crate::this_file!(),
    also: &[],
    routes,
};

/// The page, in the gallery's example layout at `/loading/async-operations`.
fn routes(gallery: &Gallery) -> Result<Router, LiveError> {
    gallery.show(
        &EXAMPLE,
        gallery.live.page(EXAMPLE.template, AsyncOperations),
    )
}
