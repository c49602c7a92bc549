//! The churn soak: connections opening and closing as fast as the machine
//! allows (a bounded number at once), each starting a task; afterwards the
//! server must be back where it started — no connection, no task, and its
//! memory near its starting figure.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::SinkExt;
use tokio_tungstenite::tungstenite::Message;

use super::{next_text, Error, Server, Table};

/// One connection's life: open, first frame, start a task, then leave —
/// politely (a close frame) or not (dropped), alternately.
async fn one(server: &super::Client, polite: bool) -> Result<(), Error> {
    let mut ws = server.socket("/counter").await?;
    next_text(&mut ws).await?;
    ws.send(Message::text(r#"{"action":"hold","data":{}}"#))
        .await?;
    next_text(&mut ws).await?;
    if polite {
        ws.close(None).await?;
        // The server's answer to the close.
        while let Some(Ok(_)) = futures_util::StreamExt::next(&mut ws).await {}
    }
    Ok(())
}

/// Churns for `duration` with `concurrency` connections at once.
pub async fn churn(duration: Duration, concurrency: usize, table: &mut Table) -> Result<(), Error> {
    let server = Server::start(&[])?;
    // Warm up: the allocator's and runtime's pools reach their working size.
    for i in 0..500 {
        one(&server, i % 2 == 0).await?;
    }
    let settle = Instant::now();
    while server.gauges().await? != (0, 0) && settle.elapsed() < Duration::from_secs(10) {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let rss_start = server.rss_kib();
    let stop = Arc::new(AtomicBool::new(false));
    let (done, failed) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
    let mut workers = Vec::new();
    for w in 0..concurrency {
        let (stop, done, failed) = (stop.clone(), done.clone(), failed.clone());
        let client = server.handle();
        workers.push(tokio::spawn(async move {
            let mut i = w;
            while !stop.load(Ordering::Acquire) {
                i += 1;
                match one(&client, i % 2 == 0).await {
                    Ok(()) => done.fetch_add(1, Ordering::Relaxed),
                    Err(_) => failed.fetch_add(1, Ordering::Relaxed),
                };
            }
        }));
    }
    let started = Instant::now();
    // RSS once the allocator's pools have grown to the soak's working size
    // (a tenth of the run, at most a minute): a leak shows as growth after it.
    let warm_at = (duration / 10).min(Duration::from_secs(60));
    let mut rss_warm = None;
    let mut rss_max = rss_start;
    let mut peak = (0, 0);
    while started.elapsed() < duration {
        tokio::time::sleep(Duration::from_secs(1)).await;
        let rss = server.rss_kib();
        rss_max = rss_max.max(rss);
        if rss_warm.is_none() && started.elapsed() >= warm_at {
            rss_warm = Some(rss);
        }
        let (c, t) = server.gauges().await?;
        peak = (peak.0.max(c), peak.1.max(t));
    }
    stop.store(true, Ordering::Release);
    for worker in workers {
        let _ = worker.await;
    }
    let elapsed = started.elapsed();
    // Closes finish on the server after the client is gone.
    let drained = Instant::now();
    let mut left = server.gauges().await?;
    while left != (0, 0) && drained.elapsed() < Duration::from_secs(30) {
        tokio::time::sleep(Duration::from_millis(100)).await;
        left = server.gauges().await?;
    }
    let back = drained.elapsed();
    let rss_end = server.rss_kib();
    let rss_warm = rss_warm.unwrap_or(rss_end);
    let done = done.load(Ordering::Relaxed);
    table.rows.push(vec![
        format!("churn soak, {:.0} s", elapsed.as_secs_f64()),
        format!(
            "{concurrency} at a time: open, first frame, start a task, close (half with a close frame, half dropped); \
             {done} connections ({:.0}/s), {} failed; peak {} connections, {} tasks",
            done as f64 / elapsed.as_secs_f64(),
            failed.load(Ordering::Relaxed),
            peak.0,
            peak.1
        ),
        format!(
            "server RSS {:.1} → {:.1} after {:.0} s → max {:.1} → {:.1} MiB at the end ({:+.1}% of the start, {:+.1}% of the warm figure); {} connections, {} tasks left {:.1} s after the last close",
            rss_start as f64 / 1024.0,
            rss_warm as f64 / 1024.0,
            warm_at.as_secs_f64(),
            rss_max as f64 / 1024.0,
            rss_end as f64 / 1024.0,
            (rss_end as f64 - rss_start as f64) * 100.0 / rss_start as f64,
            (rss_end as f64 - rss_warm as f64) * 100.0 / rss_warm as f64,
            left.0,
            left.1,
            back.as_secs_f64()
        ),
    ]);
    Ok(())
}
