//! [`LiveTemplate::serve`]: an HTTP/1 server for an app's router that slow
//! clients cannot hold open, and whose shutdown always ends.

use std::future::{Future, IntoFuture};
use std::io;
use std::pin::{pin, Pin};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::http::Request;
use axum::Router;
use http_body::{Frame, SizeHint};
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use super::LiveTemplate;

/// How long [`Serve`] waits for clients, and for itself when stopping.
///
/// ```
/// use std::time::Duration;
/// let timeouts = livetemplate::Timeouts {
///     shutdown_grace: Duration::from_secs(3),
///     ..Default::default()
/// };
/// assert_eq!(timeouts.header_read, Duration::from_secs(10));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeouts {
    /// A request's line and headers must arrive within this (default 10
    /// s), counted from when the server starts reading them; else the
    /// connection is closed. Also how long an idle keep-alive connection
    /// is kept.
    pub header_read: Duration,
    /// A request's body must arrive within this of its headers (default 30
    /// s); else the request fails (`400`) and the connection is closed.
    pub body_read: Duration,
    /// After the shutdown signal, requests under way get this long to end
    /// (default 10 s); connections still open then are closed.
    pub shutdown_grace: Duration,
}

impl Default for Timeouts {
    fn default() -> Timeouts {
        Timeouts {
            header_read: Duration::from_secs(10),
            body_read: Duration::from_secs(30),
            shutdown_grace: Duration::from_secs(10),
        }
    }
}

/// Serves a router; made by [`LiveTemplate::serve`], run by `.await`.
#[must_use = "a server does nothing until it is awaited"]
pub struct Serve {
    live: LiveTemplate,
    listener: TcpListener,
    router: Router,
    timeouts: Timeouts,
    signal: Pin<Box<dyn Future<Output = ()> + Send>>,
}

impl std::fmt::Debug for Serve {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Serve")
            .field("listener", &self.listener)
            .field("timeouts", &self.timeouts)
            .finish_non_exhaustive()
    }
}

impl LiveTemplate {
    /// Serves `router` on `listener` over HTTP/1 (WebSockets included),
    /// as `axum::serve` would, with [`Timeouts`] against slow clients:
    /// a connection that never finishes its headers, or a request whose
    /// body never finishes (slowloris), is closed instead of held open.
    ///
    /// Runs until the signal of
    /// [`with_graceful_shutdown`](Serve::with_graceful_shutdown) completes;
    /// then it stops accepting, closes the runtime's live connections
    /// ([`shutdown`](Self::shutdown)), lets requests under way finish for
    /// the [grace period](Timeouts::shutdown_grace), closes whatever is
    /// still open, waits (within the grace) for the cancelled background
    /// tasks and the kept tabs of [resumable connections](crate::Builder::resume_grace)
    /// to end and for the store to write the persisted fields it queued
    /// ([`Store::unwritten`](crate::Store::unwritten)), logs `shut down
    /// cleanly: 0 connections, 0 tasks, 0 kept tabs, 0 unsaved field sets
    /// left` (a warning with the counts if any are left) and returns `Ok`.
    ///
    /// ```no_run
    /// use std::time::Duration;
    /// use livetemplate::{LiveTemplate, Templates};
    /// # use livetemplate::{Actions, Controller};
    /// # struct Home;
    /// # impl Controller for Home { type State = (); fn actions(_: &mut Actions<Self>) {} }
    /// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
    /// let live = LiveTemplate::new(Templates::from_dir("templates"));
    /// let app = axum::Router::new()
    ///     .route("/", live.page("home.html", Home).build()?)
    ///     .merge(live.routes());
    /// let listener = tokio::net::TcpListener::bind("127.0.0.1:8080").await?;
    /// live.serve(listener, app)
    ///     .header_read_timeout(Duration::from_secs(5))
    ///     .with_graceful_shutdown(livetemplate::shutdown_signal())
    ///     .await?;
    /// # Ok(()) }
    /// ```
    pub fn serve(&self, listener: TcpListener, router: Router) -> Serve {
        Serve {
            live: self.clone(),
            listener,
            router,
            timeouts: Timeouts::default(),
            signal: Box::pin(std::future::pending()),
        }
    }
}

impl Serve {
    /// All the timeouts at once.
    pub fn timeouts(mut self, timeouts: Timeouts) -> Serve {
        self.timeouts = timeouts;
        self
    }

    /// See [`Timeouts::header_read`].
    pub fn header_read_timeout(mut self, timeout: Duration) -> Serve {
        self.timeouts.header_read = timeout;
        self
    }

    /// See [`Timeouts::body_read`].
    pub fn body_read_timeout(mut self, timeout: Duration) -> Serve {
        self.timeouts.body_read = timeout;
        self
    }

    /// See [`Timeouts::shutdown_grace`].
    pub fn shutdown_grace(mut self, grace: Duration) -> Serve {
        self.timeouts.shutdown_grace = grace;
        self
    }

    /// Stops the server when `signal` completes (see [`shutdown_signal`]).
    pub fn with_graceful_shutdown(
        mut self,
        signal: impl Future<Output = ()> + Send + 'static,
    ) -> Serve {
        self.signal = Box::pin(signal);
        self
    }

    async fn run(self) -> io::Result<()> {
        let Serve {
            live,
            listener,
            router,
            timeouts,
            mut signal,
        } = self;
        let mut http = hyper::server::conn::http1::Builder::new();
        http.timer(TokioTimer::new())
            .header_read_timeout(timeouts.header_read);
        let draining = CancellationToken::new();
        let cut = CancellationToken::new();
        let connections = TaskTracker::new();
        loop {
            let stream = tokio::select! {
                accepted = listener.accept() => match accepted {
                    Ok((stream, _)) => stream,
                    Err(e) => {
                        accept_failed(e).await;
                        continue;
                    }
                },
                () = &mut signal => break,
            };
            let router = router.clone();
            let body_read = timeouts.body_read;
            let service = hyper::service::service_fn(move |request: Request<Incoming>| {
                let request = request.map(|body| Body::new(Deadline::new(body, body_read)));
                tower_service::Service::call(&mut router.clone(), request)
            });
            let conn = http
                .serve_connection(TokioIo::new(stream), service)
                .with_upgrades();
            let (draining, cut) = (draining.clone(), cut.clone());
            connections.spawn(async move {
                let mut conn = pin!(conn);
                tokio::select! {
                    _ = conn.as_mut() => return,
                    () = draining.cancelled() => conn.as_mut().graceful_shutdown(),
                    () = cut.cancelled() => return,
                }
                tokio::select! {
                    _ = conn.as_mut() => {}
                    () = cut.cancelled() => {}
                }
            });
        }
        drop(listener);
        tracing::info!(grace = ?timeouts.shutdown_grace, "shutting down");
        let ends_by = tokio::time::Instant::now() + timeouts.shutdown_grace;
        live.shutdown();
        draining.cancel();
        connections.close();
        if tokio::time::timeout(timeouts.shutdown_grace, connections.wait())
            .await
            .is_err()
        {
            tracing::warn!(
                open = connections.len(),
                "grace period over: closing the connections still open"
            );
            cut.cancel();
            connections.wait().await;
        }
        let left = Left::wait(&live, ends_by).await;
        if left.is_none() {
            tracing::info!("shut down cleanly: {left}");
        } else {
            tracing::warn!("shut down with work cut off: {left}");
        }
        Ok(())
    }
}

/// What the runtime still had when the server stopped: its live
/// connections, their background tasks, the dropped tabs kept for
/// resuming, and the persisted fields its store had not written yet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Left {
    connections: i64,
    tasks: i64,
    kept: i64,
    unsaved: usize,
}

impl Left {
    fn now(live: &LiveTemplate) -> Left {
        let metrics = live.metrics();
        Left {
            connections: metrics.connections(),
            tasks: metrics.tasks(),
            kept: metrics.parked(),
            unsaved: live.inner.store.unwritten(),
        }
    }

    fn is_none(self) -> bool {
        self.connections <= 0 && self.tasks <= 0 && self.kept <= 0 && self.unsaved == 0
    }

    /// Cancelled tasks and kept tabs end on their own tasks, a moment
    /// after the connections, and a store may still be writing the fields
    /// they saved last: waits for them until `deadline` (the end of the
    /// grace period, or a moment from now if that has passed).
    async fn wait(live: &LiveTemplate, deadline: tokio::time::Instant) -> Left {
        let deadline = deadline.max(tokio::time::Instant::now() + Duration::from_millis(100));
        loop {
            let left = Left::now(live);
            if left.is_none() || tokio::time::Instant::now() >= deadline {
                return left;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }
}

impl std::fmt::Display for Left {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} connections, {} tasks, {} kept tabs, {} unsaved field sets left",
            self.connections.max(0),
            self.tasks.max(0),
            self.kept.max(0),
            self.unsaved
        )
    }
}

impl IntoFuture for Serve {
    type Output = io::Result<()>;
    type IntoFuture = Pin<Box<dyn Future<Output = io::Result<()>> + Send>>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin(self.run())
    }
}

/// Completes on Ctrl-C, or (on Unix) on `SIGTERM`: what a terminal and a
/// process manager send to stop a server.
///
/// The signals are caught from the call on (it must be made inside a Tokio
/// runtime), not from the first poll: a `SIGTERM` that arrives while the
/// app is still starting stops it cleanly instead of killing it.
pub fn shutdown_signal() -> impl Future<Output = ()> + Send + 'static {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        let interrupt = signal(SignalKind::interrupt());
        let terminate = signal(SignalKind::terminate());
        async move {
            let (Ok(mut interrupt), Ok(mut terminate)) = (interrupt, terminate) else {
                tracing::warn!("cannot listen for SIGINT or SIGTERM; stop with SIGKILL");
                return std::future::pending().await;
            };
            tokio::select! {
                _ = interrupt.recv() => {}
                _ = terminate.recv() => {}
            }
        }
    }
    #[cfg(not(unix))]
    async {
        let _ = tokio::signal::ctrl_c().await;
    }
}

/// Accepting failed: a client that gave up is nothing; running out of file
/// descriptors passes if we wait a little for connections to close.
async fn accept_failed(e: io::Error) {
    use io::ErrorKind::{ConnectionAborted, ConnectionRefused, ConnectionReset};
    if matches!(
        e.kind(),
        ConnectionAborted | ConnectionRefused | ConnectionReset
    ) {
        return;
    }
    tracing::error!(error = %e, "accept failed");
    tokio::time::sleep(Duration::from_secs(1)).await;
}

/// A request body that must arrive by a deadline set when its headers did.
struct Deadline {
    body: Incoming,
    timeout: Duration,
    expires: Pin<Box<tokio::time::Sleep>>,
}

impl Deadline {
    fn new(body: Incoming, timeout: Duration) -> Deadline {
        Deadline {
            body,
            timeout,
            expires: Box::pin(tokio::time::sleep(timeout)),
        }
    }
}

/// The request body did not arrive in time.
#[derive(Debug, thiserror::Error)]
#[error("the request body did not arrive within {0:?}")]
struct BodyTimedOut(Duration);

impl http_body::Body for Deadline {
    type Data = Bytes;
    type Error = axum::BoxError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, axum::BoxError>>> {
        if let Poll::Ready(frame) = Pin::new(&mut self.body).poll_frame(cx) {
            return Poll::Ready(frame.map(|f| f.map_err(Into::into)));
        }
        if self.expires.as_mut().poll(cx).is_ready() {
            return Poll::Ready(Some(Err(BodyTimedOut(self.timeout).into())));
        }
        Poll::Pending
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.body.size_hint()
    }
}
