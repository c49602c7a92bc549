//! The writing half of a connection, on its own task.
//!
//! The connection loop hands over one frame at a time (a channel of one):
//! while the client does not read, the loop keeps running pushes on the
//! state but renders nothing, then sends one frame with everything once
//! the writer is free. A write that makes no progress for the write
//! timeout ends the connection.

use std::time::Duration;

use axum::extract::ws::{Message, WebSocket};
use futures_util::stream::SplitSink;
use futures_util::SinkExt;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

/// Where the connection loop puts frames, and how it learns the writer
/// gave up.
pub(crate) struct Writer {
    pub frames: mpsc::Sender<Message>,
    /// Cancelled when a write failed or timed out: the client is gone or
    /// stuck, and the connection ends.
    pub gone: CancellationToken,
    task: JoinHandle<()>,
}

impl Writer {
    pub(crate) fn start(sink: SplitSink<WebSocket, Message>, timeout: Duration) -> Writer {
        let (frames, rx) = mpsc::channel(1);
        let gone = CancellationToken::new();
        let task = tokio::spawn(write_out(sink, rx, timeout, gone.clone()));
        Writer { frames, gone, task }
    }

    /// Whether a frame handed over now would be taken at once.
    pub(crate) fn is_free(&self) -> bool {
        self.frames.capacity() > 0
    }

    /// Sends `last` (a close frame) after what is queued and waits, up to
    /// `wait`, for the writer to finish.
    pub(crate) async fn finish(self, last: Option<Message>, wait: Duration) {
        let Writer { frames, task, .. } = self;
        if let Some(last) = last {
            let _ = tokio::time::timeout(wait, frames.send(last)).await;
        }
        drop(frames);
        let abort = task.abort_handle();
        if tokio::time::timeout(wait, task).await.is_err() {
            abort.abort();
        }
    }
}

async fn write_out(
    mut sink: SplitSink<WebSocket, Message>,
    mut frames: mpsc::Receiver<Message>,
    timeout: Duration,
    gone: CancellationToken,
) {
    while let Some(frame) = frames.recv().await {
        match tokio::time::timeout(timeout, sink.send(frame)).await {
            Ok(Ok(())) => {}
            Ok(Err(_)) => break,
            Err(_) => {
                tracing::info!(
                    ?timeout,
                    "a write made no progress in time: closing the connection"
                );
                break;
            }
        }
    }
    gone.cancel();
}
