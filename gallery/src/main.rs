//! `gallery`: serves the LiveTemplate gallery to browsers.
//!
//! ```text
//! cargo run -p gallery -- --addr 127.0.0.1:8420
//! # one of several instances sharing sessions:
//! cargo run -p gallery -- --addr 127.0.0.1:8421 --redis-url redis://127.0.0.1:6379 --instance-name a
//! # over a Redis Cluster (any of its nodes, comma-separated):
//! cargo run -p gallery -- --redis-url redis://10.0.0.1:7001,redis://10.0.0.2:7002 --instance-name b
//! ```

use std::time::Duration;

use clap::Parser;

/// The LiveTemplate gallery.
#[derive(Parser)]
#[command(version, about)]
struct Args {
    /// Address to listen on; port 0 picks a free port.
    #[arg(long, default_value = "127.0.0.1:8420")]
    addr: String,
    /// Share sessions with other instances through this Redis
    /// (`redis://host:port`), or through a Redis Cluster given as several
    /// comma-separated node URLs; without it, this instance runs alone.
    #[arg(long, env = "REDIS_URL")]
    redis_url: Option<String>,
    /// This instance's name among the others (default: generated).
    #[arg(long, env = "LVT_INSTANCE_NAME")]
    instance_name: Option<String>,
    /// A host name browsers reach this server by (repeat for more), besides
    /// loopback names and the listening address; others get 421. Also
    /// `LVT_ALLOWED_HOSTS=a.example,b.example`.
    #[arg(long = "allow-host", value_name = "NAME")]
    allow_host: Vec<String>,
    /// Seconds a request's headers may take to arrive (slow clients are cut off).
    #[arg(long, value_name = "SECS", default_value_t = 10.0)]
    header_timeout: f64,
    /// Seconds a request's body may take to arrive after its headers.
    #[arg(long, value_name = "SECS", default_value_t = 30.0)]
    body_timeout: f64,
    /// Seconds requests under way may take to finish after SIGTERM or
    /// Ctrl-C; the process then exits anyway.
    #[arg(long, value_name = "SECS", default_value_t = 10.0)]
    shutdown_grace: f64,
    /// Seconds a tab whose connection dropped is kept, its state and tasks
    /// with it, for it to come back to; 0 keeps none.
    #[arg(long, value_name = "SECS", default_value_t = 30.0)]
    resume_grace: f64,
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    gallery::log_to_stderr();
    let args = Args::parse();
    let seconds = |s: f64| Duration::try_from_secs_f64(s).unwrap_or(Duration::MAX);
    let config = gallery::Config {
        redis_url: args.redis_url.filter(|url| !url.is_empty()),
        instance_name: args.instance_name,
        allowed_hosts: args.allow_host,
        listening_on: None,
        timeouts: livetemplate::Timeouts {
            header_read: seconds(args.header_timeout),
            body_read: seconds(args.body_timeout),
            shutdown_grace: seconds(args.shutdown_grace),
        },
        resume_grace: Some(seconds(args.resume_grace)),
    };
    // Caught from now on, so a SIGTERM during start-up also exits cleanly.
    let shutdown = livetemplate::shutdown_signal();
    match gallery::serve(&args.addr, &config, shutdown).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("gallery: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}
