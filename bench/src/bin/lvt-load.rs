//! The load client: starts `bench-server` processes (and, for the Redis
//! hop, a `redis-server`), drives them over loopback with the real
//! protocol, and prints tables.
//!
//! ```text
//! cargo run --release -p lvt-bench --bin lvt-load                 # every scenario
//! cargo run --release -p lvt-bench --bin lvt-load -- --only fanout --connections 1000,10000
//! cargo run --release -p lvt-bench --bin lvt-load -- --only big   # big pages, end to end
//! cargo run --release -p lvt-bench --bin lvt-load -- --only tabs  # big pages, memory per tab
//! cargo run --release -p lvt-bench --bin lvt-load -- --only reliability  # stall, flood, churn
//! cargo run --release -p lvt-bench --bin lvt-load -- --only scaling  # N instances over Redis
//! ```
//!
//! The reliability probes (`stall`, `flood`, `churn`) and `scaling` run only when named:
//! the churn soak alone takes ten minutes by default.

use clap::Parser;
use lvt_bench::load::{
    big, churn, fanout, figures, redis, rtt, scaling, stall, tabs, Error, Server, WRAP,
};

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
    /// Stalled sockets in the slow-reader probe.
    #[arg(long, default_value_t = 100)]
    stalled: usize,
    /// Seconds the slow-reader probe pushes for.
    #[arg(long, default_value_t = 60)]
    stall_seconds: u64,
    /// The server's write timeout in the slow-reader probe, in seconds.
    #[arg(long, default_value_t = 30)]
    write_timeout: u64,
    /// Seconds each flood lasts.
    #[arg(long, default_value_t = 20)]
    flood_seconds: u64,
    /// Rate limit of the flood probe, `per_second,burst`.
    #[arg(long, default_value = "50,100")]
    rate_limit: String,
    /// Seconds the churn soak lasts.
    #[arg(long, default_value_t = 600)]
    churn_seconds: u64,
    /// Connections opening and closing at once in the churn soak.
    #[arg(long, default_value_t = 32)]
    churn_concurrency: usize,
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
    // Named probes only: "reliability" names all three.
    let named = |probe: &str| {
        args.only
            .as_deref()
            .is_some_and(|only| only == "reliability" || probe.contains(only))
    };
    if named("scaling") {
        let mut table = scaling::table();
        scaling::scaling(&[2, 4, 8, 16], 200, 100_000, &mut table).await?;
        table.print();
        return Ok(());
    }
    if named("stall") || named("flood") || named("churn") {
        let mut table = stall::table();
        if named("stall") {
            stall::stall(
                args.stalled,
                args.stall_seconds,
                args.write_timeout,
                &mut table,
            )
            .await?;
        }
        if named("flood") {
            stall::flood(1, args.flood_seconds, None, &mut table).await?;
            stall::flood(1, args.flood_seconds, Some(&args.rate_limit), &mut table).await?;
        }
        if named("churn") {
            let soak = std::time::Duration::from_secs(args.churn_seconds);
            churn::churn(soak, args.churn_concurrency, &mut table).await?;
        }
        table.print();
        return Ok(());
    }
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
