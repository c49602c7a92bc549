//! Upload figures: throughput over loopback of the stock client's chunked
//! WebSocket upload (256 KiB chunks, base64), next to the same file as one
//! multipart POST through the runtime and as a plain HTTP POST written to
//! disk by a bare axum handler — all in the same run, against one server
//! process; and the server's RSS while a large file uploads.
//!
//! ```text
//! cargo build --release -p lvt-bench --bin lvt-upload-bench
//! target/release/lvt-upload-bench --sizes 5,100 --runs 5
//! ```
//!
//! The server is this binary again (`--serve`), in its own process, so its
//! memory is its own.

use std::io::Write as _;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::routing::post;
use axum::Router;
use base64::Engine;
use clap::Parser;
use futures_util::{SinkExt, StreamExt};
use livetemplate::{
    ActionError, Actions, Context, Controller, LiveTemplate, Templates, Upload, Uploads,
};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message;

type Error = Box<dyn std::error::Error + Send + Sync>;

const MIB: usize = 1024 * 1024;
const CHUNK: usize = 256 * 1024;

#[derive(Parser)]
struct Args {
    /// Serve the page (the child process the client starts).
    #[arg(long)]
    serve: bool,
    #[arg(long, default_value = "127.0.0.1:0")]
    addr: String,
    /// File sizes, in MiB.
    #[arg(long, value_delimiter = ',', default_value = "5,100")]
    sizes: Vec<usize>,
    /// Uploads per size and path (the median is reported).
    #[arg(long, default_value_t = 5)]
    runs: usize,
}

struct Sink;

#[derive(Clone, Default, Serialize, Deserialize)]
struct Received {
    files: u64,
    bytes: u64,
}

impl Controller for Sink {
    type State = Received;

    fn actions(actions: &mut Actions<Self>) {
        actions.on("upload_file_complete", Sink::take);
    }

    fn uploads(uploads: &mut Uploads) {
        uploads.allow("file", Upload::new().max_size(1024 * MIB as u64));
    }
}

impl Sink {
    /// Takes the file (it is deleted as the handler returns, as an app that
    /// moved it elsewhere would have left it).
    fn take(&self, r: &mut Received, ctx: &mut Context<Self>) -> Result<(), ActionError> {
        for file in ctx.uploads("file") {
            r.files += 1;
            r.bytes += file.size();
        }
        Ok(())
    }
}

const PAGE: &str = r#"<input type="file" lvt-upload="file">
{% for e in lvt.uploads.file.entries %}<p>{{ e.name }} <progress max="100" value="{{ e.progress }}"></progress></p>{% endfor %}
<p>{{ files }} files, {{ bytes }} bytes</p>"#;

/// The baseline: a bare handler writing the body to a temporary file as it
/// streams in (plain writes, as the runtime makes them).
async fn plain_post(body: Body) -> String {
    let path = std::env::temp_dir().join(format!("lvt-upload-bench-{}", std::process::id()));
    let mut file = match std::fs::File::create(&path) {
        Ok(file) => file,
        Err(e) => return e.to_string(),
    };
    let mut stream = body.into_data_stream();
    let mut n = 0u64;
    while let Some(Ok(bytes)) = stream.next().await {
        n += bytes.len() as u64;
        if file.write_all(&bytes).is_err() {
            break;
        }
    }
    let _ = std::fs::remove_file(&path);
    n.to_string()
}

async fn serve(addr: &str) -> Result<(), Error> {
    let templates = Templates::from_fn(|name| (name == "upload.html").then(|| PAGE.into()));
    let live = LiveTemplate::new(templates);
    let app = Router::new()
        .route("/upload", live.page("upload.html", Sink).build()?)
        .route("/plain", post(plain_post))
        .merge(live.routes());
    let listener = tokio::net::TcpListener::bind(addr).await?;
    println!("listening on http://{}", listener.local_addr()?);
    std::io::stdout().flush()?;
    axum::serve(listener, app).await?;
    Ok(())
}

/// The server child process.
struct Server {
    child: std::process::Child,
    addr: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Server {
    fn start() -> Result<Server, Error> {
        let mut child = Command::new(std::env::current_exe()?)
            .arg("--serve")
            .stdout(Stdio::piped())
            .spawn()?;
        let stdout = child.stdout.take().ok_or("no stdout")?;
        let mut lines = std::io::BufRead::lines(std::io::BufReader::new(stdout));
        let addr = loop {
            let line = lines.next().ok_or("the server stopped")??;
            if let Some(addr) = line.trim().strip_prefix("listening on http://") {
                break addr.to_string();
            }
        };
        Ok(Server { child, addr })
    }

    fn rss_kib(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))
            .unwrap_or_default();
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .unwrap_or(0)
    }
}

fn file_of(size: usize) -> Vec<u8> {
    let mut x: u32 = 0x9e37_79b9;
    (0..size)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            x as u8
        })
        .collect()
}

/// One upload as the stock client makes it: `upload_start`, every chunk
/// sent without waiting, `upload_complete`; done when the handler's update
/// arrives. Returns the time from the first chunk.
async fn chunked(addr: &str, file: &[u8]) -> Result<Duration, Error> {
    let mut request = format!("ws://{addr}/upload").into_client_request()?;
    request
        .headers_mut()
        .insert("origin", format!("http://{addr}").parse()?);
    let (ws, _) = tokio_tungstenite::connect_async(request).await?;
    let (mut tx, mut rx) = ws.split();
    rx.next().await.ok_or("no first frame")??;
    let start = json!({"action":"upload_start","upload_name":"file",
        "files":[{"name":"bench.bin","type":"application/octet-stream","size":file.len()}]});
    tx.send(Message::text(start.to_string())).await?;
    let id = loop {
        let text = rx.next().await.ok_or("closed")??.into_text()?;
        let v: Value = serde_json::from_str(&text)?;
        if let Some(id) = v["entries"][0]["entry_id"].as_str() {
            break id.to_string();
        }
    };
    // The server's frames are read as they come, so neither side blocks.
    let reader = tokio::spawn(async move {
        let mut progress = 0u32;
        while let Some(Ok(msg)) = rx.next().await {
            let Ok(text) = msg.into_text() else { continue };
            if text.contains("\"upload_progress\"") {
                progress += 1;
            } else if text.contains("\"success\"") && text.contains("upload_name") {
                return Ok::<u32, Error>(progress);
            }
        }
        Err("closed before the upload completed".into())
    });
    let began = Instant::now();
    for (i, chunk) in file.chunks(CHUNK).enumerate() {
        let msg = json!({"action":"upload_chunk","entry_id":id,
            "chunk_base64":base64::engine::general_purpose::STANDARD.encode(chunk),
            "offset":i * CHUNK,"total":file.len()});
        tx.send(Message::text(msg.to_string())).await?;
    }
    let complete = json!({"action":"upload_complete","upload_name":"file","entry_ids":[id]});
    tx.send(Message::text(complete.to_string())).await?;
    let progress = reader.await??;
    let took = began.elapsed();
    if progress < 2 {
        return Err(format!("only {progress} progress frames").into());
    }
    let _ = tx.close().await;
    Ok(took)
}

/// One HTTP POST of `body` (written in 256 KiB writes); the time to the
/// end of the response.
async fn http_post(addr: &str, path: &str, headers: &str, body: &[u8]) -> Result<Duration, Error> {
    let mut stream = TcpStream::connect(addr).await?;
    let began = Instant::now();
    let head = format!(
        "POST {path} HTTP/1.1\r\nhost: {addr}\r\norigin: http://{addr}\r\nconnection: close\r\ncontent-length: {}\r\n{headers}\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).await?;
    for part in body.chunks(CHUNK) {
        stream.write_all(part).await?;
    }
    let mut response = Vec::new();
    stream.read_to_end(&mut response).await?;
    let took = began.elapsed();
    let status = String::from_utf8_lossy(&response[..response.len().min(12)]).to_string();
    if !status.contains(" 200") {
        return Err(format!("{path}: {}", String::from_utf8_lossy(&response)).into());
    }
    Ok(took)
}

fn multipart(file: &[u8]) -> (String, Vec<u8>) {
    let boundary = "lvt-upload-bench-boundary";
    let mut body = format!(
        "--{boundary}\r\ncontent-disposition: form-data; name=\"lvt-action\"\r\n\r\nupload_file_complete\r\n--{boundary}\r\ncontent-disposition: form-data; name=\"file\"; filename=\"bench.bin\"\r\ncontent-type: application/octet-stream\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(file);
    body.extend(format!("\r\n--{boundary}--\r\n").bytes());
    (
        format!("content-type: multipart/form-data; boundary={boundary}\r\naccept: application/json\r\nx-lvt-upload: proxied\r\n"),
        body,
    )
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn mib_per_s(bytes: usize, took: Duration) -> f64 {
    bytes as f64 / MIB as f64 / took.as_secs_f64()
}

/// Samples the server's RSS every 5 ms while `work` runs: (before, peak).
async fn rss_during<F: std::future::Future<Output = Result<Duration, Error>>>(
    server: &Server,
    work: F,
) -> Result<(u64, u64, Duration), Error> {
    let before = server.rss_kib();
    let pid = server.child.id();
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let sampler = {
        let stop = stop.clone();
        std::thread::spawn(move || {
            let mut peak = 0u64;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                let status =
                    std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
                if let Some(kib) = status
                    .lines()
                    .find_map(|l| l.strip_prefix("VmRSS:"))
                    .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
                {
                    peak = peak.max(kib);
                }
                std::thread::sleep(Duration::from_millis(5));
            }
            peak
        })
    };
    let took = work.await;
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let peak = sampler.join().map_err(|_| "sampler panicked")?;
    Ok((before, peak, took?))
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    let args = Args::parse();
    if args.serve {
        return serve(&args.addr).await;
    }
    let server = Server::start()?;
    let addr = server.addr.clone();
    // Warm up every path once.
    let warm = file_of(MIB);
    chunked(&addr, &warm).await?;
    let (headers, body) = multipart(&warm);
    http_post(&addr, "/upload", &headers, &body).await?;
    http_post(
        &addr,
        "/plain",
        "content-type: application/octet-stream\r\n",
        &warm,
    )
    .await?;

    println!(
        "Throughput over loopback (median of {} runs, MiB/s; time in ms):\n",
        args.runs
    );
    println!("| file | chunked WebSocket upload (256 KiB chunks) | multipart POST through the runtime | plain HTTP POST to disk | chunked / plain |");
    println!("|---:|---:|---:|---:|---:|");
    for &size in &args.sizes {
        let file = file_of(size * MIB);
        let (headers, body) = multipart(&file);
        let (mut ws, mut mp, mut plain) = (Vec::new(), Vec::new(), Vec::new());
        for _ in 0..args.runs {
            ws.push(chunked(&addr, &file).await?);
            mp.push(http_post(&addr, "/upload", &headers, &body).await?);
            plain.push(
                http_post(
                    &addr,
                    "/plain",
                    "content-type: application/octet-stream\r\n",
                    &file,
                )
                .await?,
            );
        }
        let (ws, mp, plain) = (median(ws), median(mp), median(plain));
        let n = size * MIB;
        println!(
            "| {size} MiB | {:.0} MiB/s ({:.0} ms) | {:.0} MiB/s ({:.0} ms) | {:.0} MiB/s ({:.0} ms) | {:.2}× |",
            mib_per_s(n, ws),
            ws.as_secs_f64() * 1e3,
            mib_per_s(n, mp),
            mp.as_secs_f64() * 1e3,
            mib_per_s(n, plain),
            plain.as_secs_f64() * 1e3,
            mib_per_s(n, ws) / mib_per_s(n, plain)
        );
    }

    println!("\nServer RSS during one upload (sampled every 5 ms; a fresh server per row):\n");
    println!("| file | path | RSS before | peak RSS during | growth |");
    println!("|---:|---|---:|---:|---:|");
    for &size in &args.sizes {
        let file = file_of(size * MIB);
        for path in ["chunked WebSocket", "multipart POST"] {
            let server = Server::start()?;
            let addr = server.addr.clone();
            // One small upload first, so what any upload needs once is in the baseline.
            chunked(&addr, &warm).await?;
            let (h, b) = multipart(&warm);
            http_post(&addr, "/upload", &h, &b).await?;
            let (before, peak, _) = if path == "chunked WebSocket" {
                rss_during(&server, chunked(&addr, &file)).await?
            } else {
                let (headers, body) = multipart(&file);
                rss_during(&server, http_post(&addr, "/upload", &headers, &body)).await?
            };
            println!(
                "| {size} MiB | {path} | {:.1} MiB | {:.1} MiB | {:+.1} MiB |",
                before as f64 / 1024.0,
                peak as f64 / 1024.0,
                (peak as f64 - before as f64) / 1024.0
            );
        }
    }
    Ok(())
}
