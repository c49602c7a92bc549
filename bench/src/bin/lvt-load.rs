//! The load client: starts `bench-server` processes (and, for the Redis
//! hop, a `redis-server`), drives them over loopback with the real
//! protocol, and prints a table.
//!
//! ```text
//! cargo run --release -p lvt-bench --bin lvt-load                 # every scenario
//! cargo run --release -p lvt-bench --bin lvt-load -- --only fanout --connections 1000,10000
//! ```

use std::net::TcpListener as StdListener;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::Parser;
use futures_util::{SinkExt, StreamExt};
use tokio::io::{AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokio::sync::Notify;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;
type Error = Box<dyn std::error::Error + Send + Sync>;

/// The `--wrap` command, if any.
static WRAP: std::sync::OnceLock<Vec<String>> = std::sync::OnceLock::new();

#[derive(Parser)]
struct Args {
    /// Run only the scenarios whose name contains this (rtt, fanout, memory, redis).
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
    /// Run each `bench-server` under this command, for profiling (e.g.
    /// `heaptrack`, or `perf record -g`); memory figures then describe the
    /// wrapper, not the server.
    #[arg(long, value_delimiter = ' ')]
    wrap: Vec<String>,
}

/// A child process killed when dropped.
struct Proc(Child);

impl Drop for Proc {
    fn drop(&mut self) {
        if WRAP.get().is_some_and(|w| !w.is_empty()) {
            // A profiler writes its data when interrupted, not when killed.
            let _ = Command::new("kill")
                .args(["-INT", "--", &format!("-{}", self.0.id())])
                .status();
        } else {
            let _ = self.0.kill();
        }
        let _ = self.0.wait();
    }
}

struct Server {
    proc: Proc,
    addr: String,
}

impl Server {
    fn start(extra: &[&str]) -> Result<Server, Error> {
        let exe = std::env::current_exe()?;
        let bin = exe.with_file_name("bench-server");
        let wrap = WRAP.get().map(Vec::as_slice).unwrap_or_default();
        let mut command = match wrap.split_first() {
            Some((program, args)) => {
                let mut c = Command::new(program);
                // Its own process group, so an interrupt reaches the server too.
                std::os::unix::process::CommandExt::process_group(&mut c, 0);
                c.args(args).arg(&bin);
                c
            }
            None => Command::new(&bin),
        };
        let mut child = command
            .args(extra)
            .stdout(Stdio::piped())
            .spawn()
            .map_err(|e| {
                format!(
                    "cannot start {}: {e} (build it: cargo build --release -p lvt-bench)",
                    bin.display()
                )
            })?;
        let stdout = child.stdout.take().ok_or("no stdout")?;
        // A wrapper (`--wrap`) may print before the server does.
        let mut said = Vec::new();
        let mut lines = std::io::BufRead::lines(std::io::BufReader::new(stdout));
        let addr = loop {
            let line = lines
                .next()
                .ok_or_else(|| format!("bench-server said {said:?}"))??;
            if let Some(addr) = line.trim().strip_prefix("listening on http://") {
                break addr.to_string();
            }
            said.push(line);
        };
        Ok(Server {
            proc: Proc(child),
            addr,
        })
    }

    /// CPU time the server process has used (user + system).
    fn cpu(&self) -> Duration {
        cpu_of(&format!("/proc/{}/stat", self.proc.0.id()))
    }

    /// Resident memory of the server process, in KiB.
    fn rss_kib(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.proc.0.id()))
            .unwrap_or_default();
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .unwrap_or(0)
    }

    async fn socket(&self, path: &str) -> Result<Socket, Error> {
        // tungstenite's default read buffer is 128 KiB, zeroed before each
        // read: at 10,000 sockets the client would spend its time faulting in
        // pages, slower than the server it measures.
        let config = WebSocketConfig::default().read_buffer_size(4 * 1024);
        let url = format!("ws://{}{path}", self.addr);
        let (ws, _) = tokio_tungstenite::connect_async_with_config(url, Some(config), true).await?;
        Ok(ws)
    }

    /// A POST on a fresh connection; returns the body.
    async fn post(&self, path: &str, body: &str) -> Result<String, Error> {
        self.request("POST", path, body).await
    }

    /// A GET on a fresh connection; returns the body.
    async fn get(&self, path: &str) -> Result<String, Error> {
        self.request("GET", path, "").await
    }

    async fn request(&self, method: &str, path: &str, body: &str) -> Result<String, Error> {
        let mut stream = TcpStream::connect(&self.addr).await?;
        stream.set_nodelay(true)?;
        let request = format!(
            "{method} {path} HTTP/1.1\r\nhost: {}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
            self.addr,
            body.len()
        );
        stream.write_all(request.as_bytes()).await?;
        let mut response = String::new();
        BufReader::new(stream).read_to_string(&mut response).await?;
        Ok(response
            .rsplit("\r\n\r\n")
            .next()
            .unwrap_or_default()
            .to_string())
    }
}

/// Reads frames until a text frame; returns its length.
async fn next_text(ws: &mut Socket) -> Result<usize, Error> {
    loop {
        match ws.next().await.ok_or("socket closed")?? {
            Message::Text(t) => return Ok(t.len()),
            Message::Close(_) => return Err("socket closed".into()),
            _ => {}
        }
    }
}

/// User + system CPU time of a process, from its `/proc/…/stat`.
fn cpu_of(stat: &str) -> Duration {
    let stat = std::fs::read_to_string(stat).unwrap_or_default();
    // Fields after the command (which may contain spaces), from `state` on.
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map(|(_, rest)| rest.split_whitespace().collect())
        .unwrap_or_default();
    let ticks: u64 = [11, 12]
        .iter()
        .filter_map(|&i| fields.get(i)?.parse::<u64>().ok())
        .sum();
    // The kernel reports in clock ticks, 100 per second on Linux.
    Duration::from_millis(ticks * 10)
}

struct Stats {
    p50: Duration,
    p99: Duration,
}

fn stats(mut samples: Vec<Duration>) -> Stats {
    samples.sort();
    let at = |q: f64| samples[((samples.len() as f64 - 1.0) * q).round() as usize];
    Stats {
        p50: at(0.50),
        p99: at(0.99),
    }
}

fn us(d: Duration) -> String {
    let us = d.as_secs_f64() * 1e6;
    if us >= 10_000.0 {
        format!("{:.1} ms", us / 1000.0)
    } else {
        format!("{us:.0} µs")
    }
}

/// One row of the printed table.
struct Row {
    scenario: String,
    figure: String,
    note: String,
}

fn free_port() -> Result<u16, Error> {
    Ok(StdListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// Round trips on one connection: an action and its reply, then the same
/// bytes through the raw echo in the same process.
async fn round_trips(server: &Server, n: usize, rows: &mut Vec<Row>) -> Result<(), Error> {
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
    rows.push(Row {
        scenario: "action round trip, counter".into(),
        figure: format!("p50 {} · p99 {}", us(live.p50), us(live.p99)),
        note: format!("{n} round trips; reply frame {reply_bytes} B"),
    });
    rows.push(Row {
        scenario: "raw WebSocket echo, same bytes, same run".into(),
        figure: format!("p50 {} · p99 {}", us(echo.p50), us(echo.p99)),
        note: format!(
            "round trip / echo: p50 {:.2}× · p99 {:.2}×",
            live.p50.as_secs_f64() / echo.p50.as_secs_f64(),
            live.p99.as_secs_f64() / echo.p99.as_secs_f64()
        ),
    });
    let answer = server.get("/answer-time").await?;
    let nanos: Vec<u64> = answer
        .split_whitespace()
        .filter_map(|n| n.parse().ok())
        .collect();
    if let [p50, p99, count] = nanos[..] {
        rows.push(Row {
            scenario: "action in → update out, counter, server side".into(),
            figure: format!(
                "p50 ≤ {} · p99 ≤ {}",
                us(Duration::from_nanos(p50)),
                us(Duration::from_nanos(p99))
            ),
            note: format!(
                "{count} actions, the runtime's own histogram (frame read → reply written; \
                 bucket upper bounds, within 19%)"
            ),
        });
    }
    Ok(())
}

/// Opens `n` connections to `path`, each reading its first frame.
async fn open_many(server: &Server, path: &str, n: usize) -> Result<Vec<Socket>, Error> {
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
struct Fanout {
    what: &'static str,
    socket_path: &'static str,
    publish_path: &'static str,
}

const LIVE: Fanout = Fanout {
    what: "live page",
    socket_path: "/fanout",
    publish_path: "/publish",
};

const RAW: Fanout = Fanout {
    what: "raw WebSocket broadcast",
    socket_path: "/raw-fanout",
    publish_path: "/raw-publish",
};

/// Fan-out of one publish to `n` connections, and idle memory per
/// connection, each in a fresh server process.
async fn fanout(
    kind: &Fanout,
    n: usize,
    publishes: usize,
    rows: &mut Vec<Row>,
) -> Result<(), Error> {
    let server = Server::start(&[])?;
    // Let the server settle before the baseline.
    let _ = server.post(kind.publish_path, "0").await?;
    let before = server.rss_kib();
    let sockets = open_many(&server, kind.socket_path, n).await?;
    let after = server.rss_kib();
    let per_conn = (after.saturating_sub(before)) as f64 * 1024.0 / n as f64;
    rows.push(Row {
        scenario: format!("idle connection, {n} open, {}", kind.what),
        figure: format!("{:.1} KiB each", per_conn / 1024.0),
        note: format!("server RSS {} → {} MiB", before / 1024, after / 1024),
    });

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
            return Err(format!("publish reached {reached} of {n}").into());
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
    let median = times[times.len() / 2];
    rows.push(Row {
        scenario: format!(
            "one publish → {n} connections, last frame read, {}",
            kind.what
        ),
        figure: us(median),
        note: format!(
            "median of {publishes}; {:.0} frames/s; frame {frame_bytes} B; \
             CPU per frame: server {server_cpu:.1} µs, client {client_cpu:.1} µs",
            n as f64 / median.as_secs_f64()
        ),
    });
    Ok(())
}

/// The added cost of one hop through Redis: a publish to instance B reaching
/// a connection on instance A, against the same publish made on A.
async fn redis_hop(n: usize, rows: &mut Vec<Row>) -> Result<(), Error> {
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
            return Err("redis-server did not start".into());
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
    rows.push(Row {
        scenario: "cross-instance hop through Redis (added)".into(),
        figure: format!(
            "p50 {} · p99 {}",
            us(added(hop.p50, local.p50)),
            us(added(hop.p99, local.p99))
        ),
        note: format!(
            "{n} publishes; via B p50 {} p99 {}, on A p50 {} p99 {} (HTTP POST → frame on A)",
            us(hop.p50),
            us(hop.p99),
            us(local.p50),
            us(local.p99)
        ),
    });
    Ok(())
}

fn print(rows: &[Row]) {
    println!("| scenario | figure | notes |");
    println!("|---|---:|---|");
    for row in rows {
        println!("| {} | {} | {} |", row.scenario, row.figure, row.note);
    }
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
    let mut rows = Vec::new();
    if wants("rtt") {
        let server = Server::start(&[])?;
        round_trips(&server, args.round_trips, &mut rows).await?;
    }
    if wants("fanout memory") {
        for &n in &args.connections {
            fanout(&RAW, n, args.publishes, &mut rows).await?;
            fanout(&LIVE, n, args.publishes, &mut rows).await?;
        }
    }
    if wants("redis") {
        redis_hop(args.round_trips / 10, &mut rows).await?;
    }
    print(&rows);
    Ok(())
}
