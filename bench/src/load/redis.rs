//! The added cost of one hop through Redis between two instances.

use std::net::TcpListener as StdListener;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use tokio::net::TcpStream;

use super::{next_text, stats, us, Error, LoadError, Proc, Server, Table};

fn free_port() -> Result<u16, Error> {
    Ok(StdListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// A publish to instance B reaching a connection on instance A, against the
/// same publish made on A.
pub async fn redis_hop(n: usize, table: &mut Table) -> Result<(), Error> {
    let port = free_port()?;
    let _redis = Proc(
        Command::new("redis-server")
            .args([
                "--port",
                &port.to_string(),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ])
            .stdout(Stdio::null())
            .spawn()
            .map_err(|e| format!("redis-server: {e} (scripts/setup --test installs it)"))?,
    );
    let url = format!("redis://127.0.0.1:{port}");
    let mut waited = 0;
    while TcpStream::connect(("127.0.0.1", port)).await.is_err() {
        waited += 1;
        if waited > 500 {
            return Err(LoadError::NotStarted("redis-server").into());
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let a = Server::start(&["--redis-url", &url, "--instance-name", "a"])?;
    let b = Server::start(&["--redis-url", &url, "--instance-name", "b"])?;
    let mut ws = a.socket("/fanout").await?;
    next_text(&mut ws).await?;
    // Wait until B counts the connection on A.
    while b.post("/publish", "0").await?.trim() != "1" {
        next_text(&mut ws).await?;
    }
    next_text(&mut ws).await?;
    let (mut local, mut hop) = (Vec::with_capacity(n), Vec::with_capacity(n));
    for i in 0..n {
        let start = Instant::now();
        a.post("/publish", &i.to_string()).await?;
        next_text(&mut ws).await?;
        local.push(start.elapsed());
        let start = Instant::now();
        b.post("/publish", &i.to_string()).await?;
        next_text(&mut ws).await?;
        hop.push(start.elapsed());
    }
    let (local, hop) = (stats(local), stats(hop));
    let added = |h: Duration, l: Duration| h.saturating_sub(l);
    table.rows.push(vec![
        "cross-instance hop through Redis (added)".into(),
        format!(
            "p50 {} · p99 {}",
            us(added(hop.p50, local.p50)),
            us(added(hop.p99, local.p99))
        ),
        format!(
            "{n} publishes; via B p50 {} p99 {}, on A p50 {} p99 {} (HTTP POST → frame on A)",
            us(hop.p50),
            us(hop.p99),
            us(local.p50),
            us(local.p99)
        ),
    ]);
    Ok(())
}
