//! Export (seed 002, "Background job completion"): a long job builds a
//! CSV file in steps, the page shows its progress, and at the end a link
//! to download it — or why it failed. Closing the tab cancels the job.
//!
//! The seed keeps a cancel function and the session in mutex-guarded
//! controller fields and checks for cancellation by hand. Here the job is
//! tied to the connection (`ctx.spawn_job`): when the tab closes it is
//! dropped at its next `.await`, and each `job.update` applies to the tab's
//! state as it is at that moment.

use std::fmt::Write;
use std::time::Duration;

use axum::routing::get;
use axum::Router;
use livetemplate::{ActionError, Actions, Context, Controller, LiveError};
use serde::{Deserialize, Serialize};

use crate::catalog::{Category, Example, Gallery, Source};
use crate::downloads::{self, Downloads, File};

const STEPS: u32 = 10;
const STEP_TIME: Duration = Duration::from_millis(400);
const ROWS_PER_STEP: u32 = 100;

pub struct Export {
    pub downloads: Downloads,
}

#[derive(Clone, Default, Serialize, Deserialize)]
pub struct ExportState {
    /// "", "Processing...", "Complete" or "Failed: …", as in the seed.
    pub export_status: String,
    pub progress: u32,
    pub download_url: String,
    pub rows: u32,
}

impl Controller for Export {
    type State = ExportState;

    fn actions(actions: &mut Actions<Self>) {
        actions.on("startExport", Export::start_export);
    }
}

impl Export {
    fn start_export(
        &self,
        state: &mut ExportState,
        ctx: &mut Context<Self>,
    ) -> Result<(), ActionError> {
        if state.export_status == "Processing..." {
            return Ok(());
        }
        // The "Simulate a failure" checkbox; an unchecked box is not sent.
        let fail = ctx.get_bool("fail").unwrap_or(false);
        *state = ExportState {
            export_status: "Processing...".into(),
            ..ExportState::default()
        };
        let downloads = self.downloads.clone();
        // Files are kept per session group, so one visitor cannot push out another's.
        let group = ctx.group().to_string();
        ctx.spawn_job(move |job| async move {
            let mut csv = String::from("id,name,amount\n");
            for step in 1..=STEPS {
                tokio::time::sleep(STEP_TIME).await;
                if fail && step == 6 {
                    job.update(|s| s.export_status = "Failed: the disk is full (simulated)".into());
                    return;
                }
                for i in (step - 1) * ROWS_PER_STEP..step * ROWS_PER_STEP {
                    let _ = writeln!(csv, "{i},customer {i},{}.{:02}", i * 7 % 1000, i % 100);
                }
                job.update(move |s| {
                    s.progress = step * 100 / STEPS;
                    s.rows = step * ROWS_PER_STEP;
                });
            }
            let file = File {
                name: "export.csv".into(),
                content_type: "text/csv; charset=utf-8",
                bytes: csv.into_bytes().into(),
            };
            match downloads.put(&group, file) {
                Ok(url) => job.update(move |s| {
                    s.export_status = "Complete".into();
                    s.download_url = url;
                }),
                Err(full) => job.update(move |s| s.export_status = format!("Failed: {full}")),
            };
        })?;
        Ok(())
    }
}

pub const EXAMPLE: Example = Example {
    category: Category::RealTime,
    slug: "export",
    title: "Export Job",
    summary: "Start an export: a progress bar fills while the server writes a CSV file, then a link downloads it, or the page says why it failed.",
    try_it: "Start an export and download the file. Tick \"Simulate a failure\" to see the error. Start another and close the tab: the job is cancelled (the live-task gauge on /metrics drops).",
    template: "realtime/export.html",
    sign_in: false,
    source: crate::this_file!(),
    also: &[Source {
        path: "gallery/src/downloads.rs",
        text: include_str!("../../downloads.rs"),
    }],
    routes,
};

/// The page at `/realtime/export`, and `/downloads/{id}` where its files are served.
fn routes(gallery: &Gallery) -> Result<Router, LiveError> {
    let downloads = Downloads::default();
    let export = Export {
        downloads: downloads.clone(),
    };
    let page = gallery.show(&EXAMPLE, gallery.live.page(EXAMPLE.template, export))?;
    let files = get(downloads::serve).with_state(downloads);
    Ok(page.route("/downloads/{id}", files))
}
