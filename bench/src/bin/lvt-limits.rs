//! Probes the gallery binary as a hostile crowd would, and prints a table
//! (probe | load | result):
//!
//! - shutdown under slowloris: connections that stop halfway through their
//!   headers or their body, then SIGTERM — how long until the process
//!   exits, and with which code (given up on after `--give-up` seconds);
//! - memory per visitor: server RSS after N browsers each opened the
//!   cross-tab page (whose count is persisted), acted once, and left.
//!
//! ```text
//! cargo build --release -p gallery -p lvt-bench
//! target/release/lvt-limits                         # the gallery next to it
//! target/release/lvt-limits --gallery /tmp/gallery-main --visitors 10000,30000
//! ```

use std::path::PathBuf;
use std::process::{Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use clap::Parser;
use futures_util::{SinkExt, StreamExt};
use lvt_bench::load::{next_frame, Error, Proc, Table};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message;

#[derive(Parser)]
struct Args {
    /// The gallery binary (default: `gallery` next to this one).
    #[arg(long)]
    gallery: Option<PathBuf>,
    /// Stalled connections during the shutdown probe (half stop in their
    /// headers, half in their body).
    #[arg(long, default_value_t = 100)]
    stalled: usize,
    /// Seconds after SIGTERM before the probe kills the process.
    #[arg(long, default_value_t = 30)]
    give_up: u64,
    /// Visitor counts at which RSS is read.
    #[arg(long, value_delimiter = ',', default_value = "10000,20000,30000")]
    visitors: Vec<usize>,
    /// Visitors under way at once.
    #[arg(long, default_value_t = 16)]
    concurrency: usize,
    /// Run only the probes whose name contains this (shutdown, memory).
    #[arg(long)]
    only: Option<String>,
}

/// A gallery process and its address.
struct Gallery {
    proc: Proc,
    addr: String,
}

impl Gallery {
    fn start(bin: &PathBuf) -> Result<Gallery, Error> {
        let mut child = Command::new(bin)
            .args(["--addr", "127.0.0.1:0"])
            .env("RUST_LOG", "warn")
            .env_remove("REDIS_URL")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}", bin.display()))?;
        let stdout = child.stdout.take().ok_or("no stdout")?;
        let mut line = String::new();
        std::io::BufRead::read_line(&mut std::io::BufReader::new(stdout), &mut line)?;
        let addr = line
            .trim()
            .strip_prefix("listening on http://")
            .ok_or_else(|| format!("the gallery said {line:?}"))?
            .to_string();
        Ok(Gallery {
            proc: Proc(child),
            addr,
        })
    }

    fn rss_kib(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.proc.0.id()))
            .unwrap_or_default();
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .unwrap_or(0)
    }

    /// A new connection that sent `rest` and no more, once it is served.
    async fn stall(&self, rest: &str) -> Result<TcpStream, Error> {
        let mut stream = TcpStream::connect(&self.addr).await?;
        stream.write_all(rest.as_bytes()).await?;
        // Connections are accepted in order: once a later one is answered,
        // this one is being served.
        self.healthz().await?;
        Ok(stream)
    }

    /// `GET /healthz` answered `ok`: the server is serving.
    async fn healthz(&self) -> Result<(), Error> {
        let mut probe = TcpStream::connect(&self.addr).await?;
        let ask = format!(
            "GET /healthz HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n\r\n",
            self.addr
        );
        probe.write_all(ask.as_bytes()).await?;
        let mut answer = String::new();
        probe.read_to_string(&mut answer).await?;
        if !answer.ends_with("ok") {
            return Err(format!("/healthz answered {answer:?}").into());
        }
        Ok(())
    }

    /// SIGTERM, then the time to exit and how (`None`: still running
    /// after `give_up`, then killed).
    fn terminate(&mut self, give_up: Duration) -> Result<(Duration, Option<ExitStatus>), Error> {
        let start = Instant::now();
        Command::new("kill")
            .args(["-TERM", &self.proc.0.id().to_string()])
            .status()?;
        loop {
            if let Some(status) = self.proc.0.try_wait()? {
                return Ok((start.elapsed(), Some(status)));
            }
            if start.elapsed() > give_up {
                return Ok((start.elapsed(), None));
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// One browser: loads the page (its cookie), opens the live
    /// connection, clicks +1, leaves.
    async fn visit(&self, path: &str) -> Result<(), Error> {
        let mut stream = TcpStream::connect(&self.addr).await?;
        let ask = format!(
            "GET {path} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n\r\n",
            self.addr
        );
        stream.write_all(ask.as_bytes()).await?;
        let mut page = String::new();
        stream.read_to_string(&mut page).await?;
        let cookie = page
            .lines()
            .find_map(|l| l.strip_prefix("set-cookie: "))
            .and_then(|c| c.split(';').next())
            .ok_or("no session cookie")?
            .to_string();
        let mut request = format!("ws://{}{path}", self.addr).into_client_request()?;
        let headers = request.headers_mut();
        headers.insert("cookie", cookie.parse()?);
        headers.insert("origin", format!("http://{}", self.addr).parse()?);
        let (mut ws, _) = tokio_tungstenite::connect_async(request).await?;
        next_frame(&mut ws).await?;
        ws.send(Message::text(r#"{"action":"increment","data":{}}"#))
            .await?;
        next_frame(&mut ws).await?;
        ws.close(None).await?;
        while ws.next().await.is_some() {}
        Ok(())
    }
}

fn secs(d: Duration) -> String {
    format!("{:.2} s", d.as_secs_f64())
}

async fn shutdown(bin: &PathBuf, args: &Args, table: &mut Table) -> Result<(), Error> {
    let give_up = Duration::from_secs(args.give_up);
    let mut idle = Gallery::start(bin)?;
    idle.healthz().await?;
    let (took, code) = idle.terminate(give_up)?;
    table.rows.push(vec![
        "shutdown, nothing under way".into(),
        "SIGTERM".into(),
        outcome(took, code, give_up),
    ]);
    let mut slow = Gallery::start(bin)?;
    let body = format!(
        "POST /realtime/export HTTP/1.1\r\nHost: {0}\r\nOrigin: http://{0}\r\n\
         Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 1000\r\n\r\nstartExpor",
        slow.addr
    );
    let mut held = Vec::new();
    for i in 0..args.stalled {
        let rest = if i % 2 == 0 {
            "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: "
        } else {
            body.as_str()
        };
        held.push(slow.stall(rest).await?);
    }
    let (took, code) = slow.terminate(give_up)?;
    table.rows.push(vec![
        "shutdown under slowloris".into(),
        format!(
            "{} connections stopped mid-header, {} mid-body; SIGTERM",
            args.stalled.div_ceil(2),
            args.stalled / 2
        ),
        outcome(took, code, give_up),
    ]);
    drop(held);
    Ok(())
}

fn outcome(took: Duration, status: Option<ExitStatus>, give_up: Duration) -> String {
    match status {
        Some(status) => match status.code() {
            Some(code) => format!("exit {code} after {}", secs(took)),
            None => format!("killed by the signal after {}", secs(took)),
        },
        None => format!("still running after {} (killed)", secs(give_up)),
    }
}

async fn memory(bin: &PathBuf, args: &Args, table: &mut Table) -> Result<(), Error> {
    let gallery = std::sync::Arc::new(Gallery::start(bin)?);
    let path = "/realtime/cross-tab";
    // Warm up: the page's first renders, the allocator's first arenas.
    for _ in 0..200 {
        gallery.visit(path).await?;
    }
    let base = gallery.rss_kib();
    table.rows.push(vec![
        "memory per visitor".into(),
        "after 200 visitors (baseline)".into(),
        format!("{:.1} MiB RSS", base as f64 / 1024.0),
    ]);
    let mut done = 0;
    for &target in &args.visitors {
        let start = Instant::now();
        let mut tasks = tokio::task::JoinSet::new();
        let per = (target - done).div_ceil(args.concurrency);
        for worker in 0..args.concurrency {
            let gallery = gallery.clone();
            let n = per.min((target - done).saturating_sub(worker * per));
            tasks.spawn(async move {
                for _ in 0..n {
                    gallery.visit(path).await?;
                }
                Ok::<_, Error>(())
            });
        }
        while let Some(result) = tasks.join_next().await {
            result??;
        }
        done = target;
        let rss = gallery.rss_kib();
        let grown = rss.saturating_sub(base) as f64;
        table.rows.push(vec![
            "memory per visitor".into(),
            format!("after {target} visitors ({} s)", start.elapsed().as_secs()),
            format!(
                "{:.1} MiB RSS, +{:.1} MiB ({:.2} KiB per visitor)",
                rss as f64 / 1024.0,
                grown / 1024.0,
                grown / target as f64
            ),
        ]);
    }
    Ok(())
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    let args = Args::parse();
    let bin = match &args.gallery {
        Some(bin) => bin.clone(),
        None => std::env::current_exe()?.with_file_name("gallery"),
    };
    let wants = |name: &str| args.only.as_deref().map_or(true, |o| name.contains(o));
    let mut table = Table::new(&["probe", "load", "result"]);
    table.align = vec!["---", "---", "---"];
    if wants("shutdown") {
        shutdown(&bin, &args, &mut table).await?;
    }
    if wants("memory") {
        memory(&bin, &args, &mut table).await?;
    }
    println!("gallery: {}\n", bin.display());
    table.print();
    Ok(())
}
