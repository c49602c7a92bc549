//! The gallery server inside the desktop process: bound before the first
//! window opens, stopped (connections closed, tasks ended) when the last
//! one closes.

use std::io::ErrorKind;
use std::net::SocketAddr;
use std::time::Duration;

use axum::Router;
use livetemplate::LiveTemplate;
use tokio::net::TcpListener;
use tokio::sync::oneshot;

use crate::DEFAULT_ADDR;

/// Why the server did not start.
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    #[error(transparent)]
    Gallery(#[from] gallery::GalleryError),
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: String,
        #[source]
        source: std::io::Error,
    },
}

/// Binds `addr`, or the default; if the default port is taken, a free port
/// on the same host (an explicit `--addr` is never second-guessed).
pub async fn bind(addr: Option<&str>) -> Result<TcpListener, ServerError> {
    let wanted = addr.unwrap_or(DEFAULT_ADDR);
    match TcpListener::bind(wanted).await {
        Err(e) if addr.is_none() && e.kind() == ErrorKind::AddrInUse => {
            tracing::info!("{DEFAULT_ADDR} is taken; using a free port");
            TcpListener::bind("127.0.0.1:0").await
        }
        bound => bound,
    }
    .map_err(|source| ServerError::Bind {
        addr: wanted.to_string(),
        source,
    })
}

/// A running gallery server.
pub struct Server {
    pub url: String,
    live: LiveTemplate,
    stop: oneshot::Sender<()>,
    done: tokio::task::JoinHandle<std::io::Result<()>>,
}

/// What was left when the server stopped: both zero after a clean stop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Leftovers {
    pub connections: i64,
    pub tasks: i64,
}

impl Server {
    /// Serves `router` (the gallery, plus the desktop's own routes) on
    /// `listener`. Must be called inside the async runtime.
    pub fn start(
        listener: TcpListener,
        router: Router,
        live: LiveTemplate,
    ) -> std::io::Result<Self> {
        let local: SocketAddr = listener.local_addr()?;
        let (stop, stopped) = oneshot::channel::<()>();
        // Slow requests are cut off; stopping closes the live connections
        // and ends within the grace period whatever the clients do.
        let server = live
            .serve(listener, router)
            .with_graceful_shutdown(async move {
                let _ = stopped.await;
            });
        let done = tokio::spawn(async move { server.await });
        Ok(Server {
            url: format!("http://{local}"),
            live,
            stop,
            done,
        })
    }

    /// Closes every connection, ends every task, and waits (up to `within`)
    /// for the gauges to reach zero.
    pub async fn stop(self, within: Duration) -> Leftovers {
        let _ = self.stop.send(());
        let metrics = self.live.metrics();
        let settled = async {
            if let Err(e) = self
                .done
                .await
                .map_err(std::io::Error::other)
                .and_then(|r| r)
            {
                tracing::warn!(error = %e, "server stopped with an error");
            }
            // Connection and task gauges drop as their futures unwind, which
            // may be just after the listener closes.
            while metrics.connections() != 0 || metrics.tasks() != 0 {
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        };
        let _ = tokio::time::timeout(within, settled).await;
        Leftovers {
            connections: metrics.connections(),
            tasks: metrics.tasks(),
        }
    }
}
