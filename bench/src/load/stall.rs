//! Hostile and broken clients against a bystander: 100 sockets of one
//! session group that stop reading while pushes keep coming, and one
//! socket flooding actions. Each reports the bystander's round trips
//! against a baseline measured on the same server just before.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use tokio::net::TcpSocket;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message;

use super::{next_text, stats, us, Client, Error, Server, Stats, Table};

/// The table the reliability probes print.
pub fn table() -> Table {
    let mut table = Table::new(&["probe", "load", "result"]);
    table.align = vec!["---", "---", "---"];
    table
}

/// Round trips of `increment` on one `/counter` socket until `stop`.
async fn bystander(server: &Client, stop: Arc<AtomicBool>, at_most: usize) -> Result<Stats, Error> {
    let action = r#"{"action":"increment","data":{}}"#;
    let mut ws = server.socket("/counter").await?;
    next_text(&mut ws).await?;
    let mut samples = Vec::new();
    while !stop.load(Ordering::Acquire) && samples.len() < at_most {
        let start = Instant::now();
        ws.send(Message::text(action)).await?;
        next_text(&mut ws).await?;
        samples.push(start.elapsed());
        // A person clicks; a bystander is not a flood of its own.
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    Ok(stats(samples))
}

/// The bystander's baseline: `n` round trips on a quiet server.
async fn baseline(server: &Client, n: usize) -> Result<Stats, Error> {
    bystander(server, Arc::new(AtomicBool::new(false)), n).await
}

fn versus(load: &Stats, base: &Stats) -> String {
    format!(
        "bystander p50 {} · p99 {} (baseline p50 {} · p99 {}: {:.2}× · {:.2}×)",
        us(load.p50),
        us(load.p99),
        us(base.p50),
        us(base.p99),
        load.p50.as_secs_f64() / base.p50.as_secs_f64().max(1e-9),
        load.p99.as_secs_f64() / base.p99.as_secs_f64().max(1e-9),
    )
}

/// A `/feed` socket of session group `group` with a 4 KiB receive buffer
/// that reads its first frame and then nothing.
async fn stalled(server: &Client, group: &str) -> Result<impl Send, Error> {
    let socket = TcpSocket::new_v4()?;
    socket.set_recv_buffer_size(4096)?;
    let stream = socket.connect(server.addr().parse()?).await?;
    let mut request = format!("ws://{}/feed", server.addr()).into_client_request()?;
    request
        .headers_mut()
        .insert("cookie", format!("livetemplate-id={group}").parse()?);
    let (mut ws, _) = tokio_tungstenite::client_async(request, stream).await?;
    ws.next().await;
    Ok(ws)
}

/// 100 stalled sockets of one group, pushed to for `seconds`; RSS and the
/// bystander's round trips.
pub async fn stall(
    sockets: usize,
    seconds: u64,
    write_timeout: u64,
    table: &mut Table,
) -> Result<(), Error> {
    let server = Server::start(&["--write-timeout", &write_timeout.to_string()])?;
    let base = baseline(&server, 300).await?;
    let group = "stalledgroup";
    let mut held = Vec::new();
    for _ in 0..sockets {
        held.push(stalled(&server, group).await?);
    }
    let rss_start = server.rss_kib();
    let stop = Arc::new(AtomicBool::new(false));
    let pushes = Arc::new(AtomicUsize::new(0));
    // Pushes as fast as the server takes them, one at a time.
    let pusher = {
        let (stop, pushes) = (stop.clone(), pushes.clone());
        let server = server.handle();
        tokio::spawn(async move {
            let mut n = 0;
            while !stop.load(Ordering::Acquire) {
                n += 1;
                let reached = server.post(&format!("/feed/{group}"), &n.to_string()).await;
                if reached.is_err() {
                    break;
                }
                pushes.fetch_add(1, Ordering::Relaxed);
            }
        })
    };
    let watch = {
        let stop = stop.clone();
        let server = server.handle();
        tokio::spawn(async move { bystander(&server, stop, usize::MAX).await })
    };
    let started = Instant::now();
    let mut rss_max = rss_start;
    let mut closed_at = None;
    while started.elapsed() < Duration::from_secs(seconds) {
        tokio::time::sleep(Duration::from_secs(1)).await;
        rss_max = rss_max.max(server.rss_kib());
        let (connections, _) = server.gauges().await?;
        if closed_at.is_none() && connections <= 1 {
            closed_at = Some(started.elapsed());
        }
    }
    let rss_end = server.rss_kib();
    stop.store(true, Ordering::Release);
    let _ = pusher.await;
    let load = watch.await??;
    let (connections, tasks) = server.gauges().await?;
    drop(held);
    table.rows.push(vec![
        format!("{sockets} stalled sockets, one group"),
        format!(
            "{} pushes of 4 KiB in {seconds} s ({:.0}/s) to the group; write timeout {write_timeout} s",
            pushes.load(Ordering::Relaxed),
            pushes.load(Ordering::Relaxed) as f64 / seconds as f64
        ),
        format!(
            "server RSS {:.1} → max {:.1} → {:.1} MiB (growth {:+.1} MiB); stalled sockets {}; \
             left: {connections} connections, {tasks} tasks",
            rss_start as f64 / 1024.0,
            rss_max as f64 / 1024.0,
            rss_end as f64 / 1024.0,
            (rss_max as f64 - rss_start as f64) / 1024.0,
            match closed_at {
                Some(t) => format!("all closed by {:.0} s", t.as_secs_f64()),
                None => "still open".into(),
            }
        ),
    ]);
    table.rows.push(vec![
        "bystander under the stall".into(),
        "round trips on another group's counter, 25 ms apart".into(),
        versus(&load, &base),
    ]);
    Ok(())
}

/// Flooders sending actions as fast as they can (reconnecting when
/// closed) for `seconds`; the bystander's round trips, with and without
/// a rate limit.
pub async fn flood(
    flooders: usize,
    seconds: u64,
    rate: Option<&str>,
    table: &mut Table,
) -> Result<(), Error> {
    let args: Vec<&str> = match rate {
        Some(rate) => vec!["--rate-limit", rate],
        None => vec![],
    };
    let server = Server::start(&args)?;
    let base = baseline(&server, 300).await?;
    let stop = Arc::new(AtomicBool::new(false));
    let (sent, refused, closes) = (
        Arc::new(AtomicUsize::new(0)),
        Arc::new(AtomicUsize::new(0)),
        Arc::new(AtomicUsize::new(0)),
    );
    let mut floods = Vec::new();
    for _ in 0..flooders {
        let (stop, sent, refused, closes) =
            (stop.clone(), sent.clone(), refused.clone(), closes.clone());
        let server = server.handle();
        floods.push(tokio::spawn(async move {
            while !stop.load(Ordering::Acquire) {
                let Ok(mut ws) = server.socket("/counter").await else {
                    break;
                };
                let _ = next_text(&mut ws).await;
                let (mut tx, mut rx) = ws.split();
                let reader = {
                    let (refused, closes) = (refused.clone(), closes.clone());
                    tokio::spawn(async move {
                        while let Some(Ok(frame)) = rx.next().await {
                            match frame {
                                Message::Text(t) if t.contains("_rate_limit") => {
                                    refused.fetch_add(1, Ordering::Relaxed);
                                }
                                Message::Close(Some(c)) if u16::from(c.code) == 1008 => {
                                    closes.fetch_add(1, Ordering::Relaxed);
                                }
                                _ => {}
                            }
                        }
                    })
                };
                let action = r#"{"action":"increment","data":{}}"#;
                while !stop.load(Ordering::Acquire) {
                    if tx.send(Message::text(action)).await.is_err() {
                        break;
                    }
                    sent.fetch_add(1, Ordering::Relaxed);
                }
                reader.abort();
            }
        }));
    }
    let watch = {
        let stop = stop.clone();
        let server = server.handle();
        tokio::spawn(async move { bystander(&server, stop, usize::MAX).await })
    };
    tokio::time::sleep(Duration::from_secs(seconds)).await;
    stop.store(true, Ordering::Release);
    let load = watch.await??;
    for flood in floods {
        flood.abort();
    }
    let sent = sent.load(Ordering::Relaxed);
    table.rows.push(vec![
        format!(
            "flood, {}",
            match rate {
                Some(rate) => format!("rate limit {} a second, burst {}", rate.split(',').next().unwrap_or(""), rate.split(',').nth(1).unwrap_or("")),
                None => "no rate limit".into(),
            }
        ),
        format!(
            "{flooders} socket(s) sending actions without pause for {seconds} s, reconnecting when closed: {sent} sent ({:.0}/s)",
            sent as f64 / seconds as f64
        ),
        format!(
            "{} refused with _rate_limit, {} closed with 1008; {}",
            refused.load(Ordering::Relaxed),
            closes.load(Ordering::Relaxed),
            versus(&load, &base)
        ),
    ]);
    Ok(())
}
