//! One publish fanned out to many connections, against a raw broadcast; and
//! the memory of idle connections.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use tokio::sync::Notify;

use super::{cpu_of, next_text, us, Error, LoadError, Server, Socket, Table};

/// Opens `n` connections to `path`, each reading its first frame.
pub async fn open_many(server: &Server, path: &str, n: usize) -> Result<Vec<Socket>, Error> {
    let mut sockets = Vec::with_capacity(n);
    let mut pending = futures_util::stream::iter((0..n).map(|_| async {
        let mut ws = server.socket(path).await?;
        next_text(&mut ws).await?;
        Ok::<_, Error>(ws)
    }))
    .buffer_unordered(64);
    while let Some(ws) = pending.next().await {
        sockets.push(ws?);
    }
    Ok(sockets)
}

/// Every socket waits for one frame per publish; `arrived` counts them.
fn listen_all(
    sockets: Vec<Socket>,
    arrived: Arc<AtomicUsize>,
    all_in: Arc<Notify>,
    total: usize,
    publishes: usize,
) -> Vec<tokio::task::JoinHandle<usize>> {
    sockets
        .into_iter()
        .map(|mut ws| {
            let (arrived, all_in) = (arrived.clone(), all_in.clone());
            tokio::spawn(async move {
                let mut bytes = 0;
                for _ in 0..publishes {
                    match next_text(&mut ws).await {
                        Ok(n) => bytes = n,
                        Err(_) => return 0,
                    }
                    if arrived.fetch_add(1, Ordering::AcqRel) + 1 == total {
                        all_in.notify_one();
                    }
                }
                bytes
            })
        })
        .collect()
}

/// What a fan-out measures: the live page, or the raw broadcast baseline.
pub struct Fanout {
    what: &'static str,
    socket_path: &'static str,
    publish_path: &'static str,
}

pub const LIVE: Fanout = Fanout {
    what: "live page",
    socket_path: "/fanout",
    publish_path: "/publish",
};

pub const RAW: Fanout = Fanout {
    what: "raw WebSocket broadcast",
    socket_path: "/raw-fanout",
    publish_path: "/raw-publish",
};

/// Fan-out of one publish to `n` connections, and idle memory per
/// connection, each in a fresh server process.
pub async fn fanout(
    kind: &Fanout,
    n: usize,
    publishes: usize,
    table: &mut Table,
) -> Result<(), Error> {
    let server = Server::start(&[])?;
    // Let the server settle before the baseline.
    let _ = server.post(kind.publish_path, "0").await?;
    let before = server.rss_kib();
    let sockets = open_many(&server, kind.socket_path, n).await?;
    let after = server.rss_kib();
    let per_conn = (after.saturating_sub(before)) as f64 * 1024.0 / n as f64;
    table.rows.push(vec![
        format!("idle connection, {n} open, {}", kind.what),
        format!("{:.1} KiB each", per_conn / 1024.0),
        format!("server RSS {} → {} MiB", before / 1024, after / 1024),
    ]);

    let arrived = Arc::new(AtomicUsize::new(0));
    let all_in = Arc::new(Notify::new());
    let mut times = Vec::new();
    let mut tasks = Vec::new();
    let mut sockets = Some(sockets);
    let (server_cpu, client_cpu) = (server.cpu(), cpu_of("/proc/self/stat"));
    for i in 0..publishes {
        arrived.store(0, Ordering::Release);
        if let Some(sockets) = sockets.take() {
            // Tasks wait on every publish; start them once.
            tasks = listen_all(sockets, arrived.clone(), all_in.clone(), n, publishes);
        }
        let start = Instant::now();
        let reached = server.post(kind.publish_path, &(i + 1).to_string()).await?;
        if reached.trim() != n.to_string() {
            return Err(LoadError::ShortPublish {
                reached,
                expected: n,
            }
            .into());
        }
        tokio::time::timeout(Duration::from_secs(60), all_in.notified()).await?;
        times.push(start.elapsed());
    }
    let per_frame = |cpu: Duration| cpu.as_secs_f64() * 1e6 / (n * publishes) as f64;
    let server_cpu = per_frame(server.cpu().saturating_sub(server_cpu));
    let client_cpu = per_frame(cpu_of("/proc/self/stat").saturating_sub(client_cpu));
    let frame_bytes = match tasks.pop() {
        Some(task) => task.await.unwrap_or(0),
        None => 0,
    };
    for task in tasks {
        task.abort();
    }
    times.sort();
    let median = times.get(times.len() / 2).copied().unwrap_or_default();
    table.rows.push(vec![
        format!(
            "one publish → {n} connections, last frame read, {}",
            kind.what
        ),
        us(median),
        format!(
            "median of {publishes}; {:.0} frames/s; frame {frame_bytes} B; \
             CPU per frame: server {server_cpu:.1} µs, client {client_cpu:.1} µs",
            n as f64 / median.as_secs_f64()
        ),
    ]);
    Ok(())
}
