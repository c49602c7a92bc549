//! The upload messages on a WebSocket: each answered with the frames the
//! stock client expects, and a re-render when the page should show it.

use std::sync::Arc;

use axum::extract::ws::Utf8Bytes;
use serde_json::{Map, Value};

use super::protocol::{self, Cancel, Chunk, Complete, CompleteReply, Progress, Start};
use super::staging::ChunkOutcome;
use crate::controller::{Caller, Controller, Link};
use crate::dispatch::{Dispatch, View};
use crate::protocol::{Envelope, ErrorFrame, FrameError};

impl<C: Controller> Dispatch<C> {
    /// Whether `action` is an upload message this page takes (a page that
    /// declares no upload treats the names as ordinary actions).
    pub(crate) fn is_upload(&self, action: &str) -> bool {
        protocol::is_upload_action(action) && !self.uploads.is_empty()
    }

    /// Answers the upload message `action` (its frame is `text`): the
    /// frames to send, in order.
    pub(crate) fn upload_message(
        &self,
        view: &mut View<C>,
        link: &Arc<Link>,
        action: &str,
        text: &str,
    ) -> Vec<Utf8Bytes> {
        match action {
            protocol::START => self.upload_start(view, text),
            protocol::CHUNK => self.upload_chunk(view, text),
            protocol::COMPLETE => self.upload_complete(view, link, text),
            _ => self.upload_cancel(view, text),
        }
    }

    fn upload_start(&self, view: &mut View<C>, text: &str) -> Vec<Utf8Bytes> {
        let start: Start = match parse(text) {
            Ok(start) => start,
            Err(frame) => return vec![frame],
        };
        let reply = view.uploads.start(&self.uploads, start);
        vec![protocol::text(&reply).into(), self.upload_render(view)]
    }

    fn upload_chunk(&self, view: &mut View<C>, text: &str) -> Vec<Utf8Bytes> {
        let chunk: Chunk = match parse(text) {
            Ok(chunk) => chunk,
            Err(frame) => return vec![frame],
        };
        match view.uploads.chunk(&self.uploads, &chunk) {
            Err(unknown) => {
                vec![ErrorFrame::new("upload_unknown_entry", unknown.to_string())
                    .to_text()
                    .into()]
            }
            Ok(ChunkOutcome::Ignored) => Vec::new(),
            Ok(ChunkOutcome::Failed) => vec![self.upload_render(view)],
            Ok(ChunkOutcome::Written { progress, rerender }) => {
                let frame = Progress {
                    kind: "upload_progress",
                    upload_name: &progress.upload,
                    entry_id: &progress.entry_id,
                    client_name: &progress.client_name,
                    progress: progress.percent,
                    bytes_recv: progress.received,
                    bytes_total: progress.size,
                };
                let mut frames = vec![protocol::text(&frame).into()];
                // One render per percent, not per chunk.
                if rerender {
                    frames.push(self.upload_render(view));
                }
                frames
            }
        }
    }

    fn upload_complete(&self, view: &mut View<C>, link: &Arc<Link>, text: &str) -> Vec<Utf8Bytes> {
        let complete: Complete = match parse(text) {
            Ok(complete) => complete,
            Err(frame) => return vec![frame],
        };
        let (finished, failure) = view.uploads.complete(&self.uploads, &complete.entry_ids);
        let reply = CompleteReply {
            upload_name: complete.upload_name,
            success: failure.is_none(),
            error: failure,
        };
        let mut frames = vec![protocol::text(&reply).into()];
        // The controller's `upload_<name>_complete`, if it has one, takes the files.
        let mut ran = false;
        for upload in finished {
            let action: Arc<str> = Arc::from(protocol::complete_action(&upload));
            if self.actions.get(&action, Caller::Client).is_none() {
                continue;
            }
            let outcome = self.run(view, &action, Arc::new(Map::new()), link, Caller::Client);
            if let Some(effects) = outcome.effects {
                self.spread(link, effects, Caller::Client);
            }
            frames.push(outcome.update.into_frame(&view.errors, None));
            ran = true;
        }
        if !ran {
            frames.push(self.upload_render(view));
        }
        frames
    }

    fn upload_cancel(&self, view: &mut View<C>, text: &str) -> Vec<Utf8Bytes> {
        let cancel: Cancel = match parse(text) {
            Ok(cancel) => cancel,
            Err(frame) => return vec![frame],
        };
        let Some(id) = cancel.entry() else {
            let e = FrameError::Malformed("cancel_upload names no entry_id".into());
            return vec![ErrorFrame::of(&e).to_text().into()];
        };
        if !view.uploads.cancel(&id) {
            let message = format!("no upload entry {id:?} on this connection");
            return vec![ErrorFrame::new("upload_unknown_entry", message)
                .to_text()
                .into()];
        }
        vec![self.upload_render(view)]
    }

    /// The page re-rendered after its uploads changed, as a push (no action
    /// to answer: the client's forms are left alone).
    fn upload_render(&self, view: &mut View<C>) -> Utf8Bytes {
        let update = self.refresh(view).unwrap_or_else(|e| {
            tracing::error!(error = %e, "render failed after an upload message");
            Value::Object(Map::new())
        });
        Envelope::update(update, &view.errors, None)
            .to_text()
            .into()
    }
}

/// A message of the upload protocol, or the error frame saying why not.
fn parse<'a, T: serde::Deserialize<'a>>(text: &'a str) -> Result<T, Utf8Bytes> {
    serde_json::from_str(text).map_err(|e| {
        let e = FrameError::Malformed(format!("upload message: {e}"));
        ErrorFrame::of(&e).to_text().into()
    })
}
