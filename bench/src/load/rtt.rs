//! Round trips of a small action against the raw WebSocket echo.

use std::time::Instant;

use futures_util::SinkExt;
use tokio_tungstenite::tungstenite::Message;

use super::{next_text, stats, us, Error, Server, Table};

/// Round trips on one connection: an action and its reply, then the same
/// bytes through the raw echo in the same process.
pub async fn round_trips(server: &Server, n: usize, table: &mut Table) -> Result<(), Error> {
    let action = r#"{"action":"increment","data":{}}"#;
    let mut live = server.socket("/counter").await?;
    next_text(&mut live).await?;
    let mut echo = server.socket("/echo").await?;
    let mut reply_bytes = 0;
    let (mut live_samples, mut echo_samples) = (Vec::with_capacity(n), Vec::with_capacity(n));
    // Warm up both paths, then interleave so noise hits both alike.
    for _ in 0..n / 10 {
        live.send(Message::text(action)).await?;
        next_text(&mut live).await?;
        echo.send(Message::text(action)).await?;
        next_text(&mut echo).await?;
    }
    for _ in 0..n {
        let start = Instant::now();
        live.send(Message::text(action)).await?;
        reply_bytes = next_text(&mut live).await?;
        live_samples.push(start.elapsed());
        let start = Instant::now();
        echo.send(Message::text(action)).await?;
        next_text(&mut echo).await?;
        echo_samples.push(start.elapsed());
    }
    let (live, echo) = (stats(live_samples), stats(echo_samples));
    table.rows.push(vec![
        "action round trip, counter".into(),
        format!("p50 {} · p99 {}", us(live.p50), us(live.p99)),
        format!("{n} round trips; reply frame {reply_bytes} B"),
    ]);
    table.rows.push(vec![
        "raw WebSocket echo, same bytes, same run".into(),
        format!("p50 {} · p99 {}", us(echo.p50), us(echo.p99)),
        format!(
            "round trip / echo: p50 {:.2}× · p99 {:.2}×",
            live.p50.as_secs_f64() / echo.p50.as_secs_f64(),
            live.p99.as_secs_f64() / echo.p99.as_secs_f64()
        ),
    ]);
    if let Some((p50, p99, count)) = server.answer_time().await? {
        table.rows.push(vec![
            "action in → update out, counter, server side".into(),
            format!("p50 ≤ {} · p99 ≤ {}", us(p50), us(p99)),
            format!(
                "{count} actions, the runtime's own histogram (frame read → reply written; \
                 bucket upper bounds, within 19%)"
            ),
        ]);
    }
    Ok(())
}
