//! The load client's pieces: a `bench-server` child process and the
//! sockets and requests made to it, latency statistics, the printed table,
//! and one module per scenario.

pub mod big;
pub mod churn;
pub mod fanout;
pub mod redis;
pub mod rtt;
pub mod scaling;
pub mod stall;
pub mod tabs;

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use futures_util::StreamExt;
use tokio::io::{AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

pub type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;
pub type Error = Box<dyn std::error::Error + Send + Sync>;

/// What went wrong in a measurement, beyond I/O.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("cannot start {bin}: {source} (build it: cargo build --release -p lvt-bench)")]
    Start { bin: String, source: std::io::Error },
    #[error("bench-server stopped before listening; it said {0:?}")]
    NoAddress(Vec<String>),
    #[error("the socket closed")]
    SocketClosed,
    #[error("the reply to {action} is not a successful update: {reply}")]
    NotApplied { action: String, reply: String },
    #[error("publish reached {reached} of {expected} connections")]
    ShortPublish { reached: String, expected: usize },
    #[error("{0} did not start")]
    NotStarted(&'static str),
}

/// The `--wrap` command, if any.
pub static WRAP: std::sync::OnceLock<Vec<String>> = std::sync::OnceLock::new();

/// A child process killed when dropped.
pub struct Proc(pub Child);

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

/// A `bench-server` child process and its address.
pub struct Server {
    proc: Proc,
    client: Client,
}

/// Requests and sockets to a `bench-server`: cheap to clone into tasks.
#[derive(Clone)]
pub struct Client {
    addr: String,
}

impl std::ops::Deref for Server {
    type Target = Client;
    fn deref(&self) -> &Client {
        &self.client
    }
}

impl Server {
    pub fn start(extra: &[&str]) -> Result<Server, Error> {
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
            .map_err(|source| LoadError::Start {
                bin: bin.display().to_string(),
                source,
            })?;
        let stdout = child.stdout.take().ok_or("no stdout")?;
        // A wrapper (`--wrap`) may print before the server does.
        let mut said = Vec::new();
        let mut lines = std::io::BufRead::lines(std::io::BufReader::new(stdout));
        let addr = loop {
            let Some(line) = lines.next() else {
                return Err(LoadError::NoAddress(said).into());
            };
            let line = line?;
            if let Some(addr) = line.trim().strip_prefix("listening on http://") {
                break addr.to_string();
            }
            said.push(line);
        };
        Ok(Server {
            proc: Proc(child),
            client: Client { addr },
        })
    }

    /// A client of this server for another task.
    pub fn handle(&self) -> Client {
        self.client.clone()
    }

    /// CPU time the server process has used (user + system).
    pub fn cpu(&self) -> Duration {
        cpu_of(&format!("/proc/{}/stat", self.proc.0.id()))
    }

    /// Resident memory of the server process, in KiB.
    pub fn rss_kib(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.proc.0.id()))
            .unwrap_or_default();
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .unwrap_or(0)
    }
}

impl Client {
    /// The server's address, `host:port`.
    pub fn addr(&self) -> &str {
        &self.addr
    }

    /// Live connections and tasks now (`/gauges`).
    pub async fn gauges(&self) -> Result<(i64, i64), Error> {
        let body = self.get("/gauges").await?;
        let mut n = body.split_whitespace().map(str::parse::<i64>);
        match (n.next(), n.next()) {
            (Some(Ok(c)), Some(Ok(t))) => Ok((c, t)),
            _ => Err(format!("unexpected /gauges answer {body:?}").into()),
        }
    }

    pub async fn socket(&self, path: &str) -> Result<Socket, Error> {
        // tungstenite's default read buffer is 128 KiB, zeroed before each
        // read: at 10,000 sockets the client would spend its time faulting in
        // pages, slower than the server it measures.
        let config = WebSocketConfig::default().read_buffer_size(4 * 1024);
        let url = format!("ws://{}{path}", self.addr);
        let (ws, _) = tokio_tungstenite::connect_async_with_config(url, Some(config), true).await?;
        Ok(ws)
    }

    /// A POST on a fresh connection; returns the body.
    pub async fn post(&self, path: &str, body: &str) -> Result<String, Error> {
        self.request("POST", path, body).await
    }

    /// A GET on a fresh connection; returns the body.
    pub async fn get(&self, path: &str) -> Result<String, Error> {
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

    /// The runtime's answer-time histogram so far: p50, p99 (bucket upper
    /// bounds) and how many frames it counted; `None` before any.
    pub async fn answer_time(&self) -> Result<Option<(Duration, Duration, u64)>, Error> {
        let answer = self.get("/answer-time").await?;
        let nanos: Vec<u64> = answer
            .split_whitespace()
            .filter_map(|n| n.parse().ok())
            .collect();
        Ok(match nanos[..] {
            [p50, p99, count] if count > 0 => {
                Some((Duration::from_nanos(p50), Duration::from_nanos(p99), count))
            }
            _ => None,
        })
    }

    /// A page's starting state as JSON, in bytes (`/state-bytes/{page}`).
    pub async fn state_bytes(&self, page: &str) -> Result<usize, Error> {
        let body = self.get(&format!("/state-bytes/{page}")).await?;
        Ok(body.trim().parse()?)
    }
}

/// Reads frames until a text frame; returns it.
pub async fn next_frame(ws: &mut Socket) -> Result<String, Error> {
    loop {
        match ws.next().await.ok_or(LoadError::SocketClosed)?? {
            Message::Text(t) => return Ok(t.as_str().to_owned()),
            Message::Close(_) => return Err(LoadError::SocketClosed.into()),
            _ => {}
        }
    }
}

/// Reads frames until a text frame; returns its length.
pub async fn next_text(ws: &mut Socket) -> Result<usize, Error> {
    loop {
        match ws.next().await.ok_or(LoadError::SocketClosed)?? {
            Message::Text(t) => return Ok(t.len()),
            Message::Close(_) => return Err(LoadError::SocketClosed.into()),
            _ => {}
        }
    }
}

/// User + system CPU time of a process, from its `/proc/…/stat`.
pub fn cpu_of(stat: &str) -> Duration {
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

pub struct Stats {
    pub p50: Duration,
    pub p99: Duration,
}

/// The p50 and p99 of samples (nearest rank); zero for none.
pub fn stats(mut samples: Vec<Duration>) -> Stats {
    samples.sort();
    let at = |q: f64| {
        let i = ((samples.len().saturating_sub(1)) as f64 * q).round() as usize;
        samples.get(i).copied().unwrap_or_default()
    };
    Stats {
        p50: at(0.50),
        p99: at(0.99),
    }
}

/// A duration for the table: µs below 1 ms, ms above.
pub fn us(d: Duration) -> String {
    let us = d.as_secs_f64() * 1e6;
    if us >= 10_000.0 {
        format!("{:.1} ms", us / 1000.0)
    } else if us >= 1_000.0 {
        format!("{:.2} ms", us / 1000.0)
    } else {
        format!("{us:.0} µs")
    }
}

/// A byte count for the table.
pub fn bytes(n: usize) -> String {
    match n {
        n if n >= 1 << 20 => format!("{:.1} MiB", n as f64 / (1 << 20) as f64),
        n if n >= 1 << 10 => format!("{:.1} KiB", n as f64 / 1024.0),
        n => format!("{n} B"),
    }
}

/// A table: a header and its rows, printed as Markdown.
pub struct Table {
    pub header: Vec<&'static str>,
    /// Markdown alignment per column (`---`, `---:`).
    pub align: Vec<&'static str>,
    pub rows: Vec<Vec<String>>,
}

impl Table {
    /// A table whose first column is text and the others figures.
    pub fn new(header: &[&'static str]) -> Table {
        Table {
            header: header.to_vec(),
            align: (0..header.len())
                .map(|i| if i == 0 { "---" } else { "---:" })
                .collect(),
            rows: Vec::new(),
        }
    }

    pub fn print(&self) {
        if self.rows.is_empty() {
            return;
        }
        println!("| {} |", self.header.join(" | "));
        println!("|{}|", self.align.join("|"));
        for row in &self.rows {
            println!("| {} |", row.join(" | "));
        }
        println!();
    }
}

/// The three-column table of the original scenarios.
pub fn figures() -> Table {
    let mut table = Table::new(&["scenario", "figure", "notes"]);
    table.align[2] = "---";
    table
}

/// ✓ or ✗.
pub fn mark(met: bool) -> &'static str {
    if met {
        "✓"
    } else {
        "✗"
    }
}
