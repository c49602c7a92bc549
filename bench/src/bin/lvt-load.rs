//! The load client: starts `bench-server` processes (and, for the Redis
//! hop, a `redis-server`), drives them over loopback with the real
//! protocol, and prints tables.
//!
//! ```text
//! cargo run --release -p lvt-bench --bin lvt-load                 # every scenario
//! cargo run --release -p lvt-bench --bin lvt-load -- --only fanout --connections 1000,10000
//! cargo run --release -p lvt-bench --bin lvt-load -- --only big   # big pages, end to end
//! cargo run --release -p lvt-bench --bin lvt-load -- --only tabs  # big pages, memory per tab
//! ```

use clap::Parser;
use lvt_bench::load::{big, fanout, figures, redis, rtt, tabs, Error, Server, WRAP};

#[derive(Parser)]
struct Args {
    /// Run only the scenarios whose name contains this (rtt, fanout,
    /// memory, redis, big, tabs).
    #[arg(long)]
    only: Option<String>,
    /// Round trips per measurement.
    #[arg(long, default_value_t = 20_000)]
    round_trips: usize,
    /// Connection counts for fan-out and memory.
    #[arg(long, value_delimiter = ',', default_value = "1000,10000")]
    connections: Vec<usize>,
    /// Publishes per fan-out measurement (the median is reported).
    #[arg(long, default_value_t = 7)]
    publishes: usize,
    /// Actions per big page (after a tenth as many to warm up).
    #[arg(long, default_value_t = 500)]
    actions: usize,
    /// Tab counts for the memory of big pages.
    #[arg(long, value_delimiter = ',', default_value = "20,100")]
    tabs: Vec<usize>,
    /// Run each `bench-server` under this command, for profiling (e.g.
    /// `heaptrack`, or `perf record -g`); memory figures then describe the
    /// wrapper, not the server.
    #[arg(long, value_delimiter = ' ')]
    wrap: Vec<String>,
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    let args = Args::parse();
    let _ = WRAP.set(args.wrap.clone());
    let wants = |name: &str| {
        args.only
            .as_deref()
            .map_or(true, |only| name.contains(only))
    };
    let mut table = figures();
    if wants("rtt") {
        let server = Server::start(&[])?;
        rtt::round_trips(&server, args.round_trips, &mut table).await?;
    }
    if wants("fanout memory") {
        for &n in &args.connections {
            fanout::fanout(&fanout::RAW, n, args.publishes, &mut table).await?;
            fanout::fanout(&fanout::LIVE, n, args.publishes, &mut table).await?;
        }
    }
    if wants("redis") {
        redis::redis_hop(args.round_trips / 10, &mut table).await?;
    }
    table.print();
    if wants("big") {
        let mut table = big::table();
        for page in &big::PAGES {
            big::actions(page, args.actions, &mut table).await?;
        }
        table.print();
    }
    if wants("tabs") {
        let mut table = tabs::table();
        let idle = args.connections.first().copied().unwrap_or(1000);
        tabs::memory(&tabs::COUNTER, idle, &mut table).await?;
        for page in &big::PAGES {
            for &n in &args.tabs {
                tabs::memory(page, n, &mut table).await?;
            }
        }
        table.print();
    }
    Ok(())
}
