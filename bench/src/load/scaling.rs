//! Scaling out over Redis: N in-process instances (N = 2, 4, 8, 16) on one
//! Redis server and on a Redis Cluster of three masters, started here on
//! free ports. Per N and backend:
//!
//! - bus messages each instance receives per push to a topic whose tabs
//!   are on two instances (instances 0 and 1; the last instance pushes),
//!   heartbeats subtracted (every instance hears N a second);
//! - the cross-instance hop: a push made on the last instance reaching a tab
//!   on instance 0, against the same push made on instance 0 (from the
//!   trigger call to the frame read);
//! - the memory instance 0 spends on remote presence: N − 1 extra instances,
//!   played here on the bus, announce 100,000 · (N − 1) / N connections in
//!   groups of one (the rest are instance 0's own share). Every instance
//!   of the process keeps those counts: the process's RSS growth divided by
//!   N, per remote connection.

use std::future::IntoFuture;
use std::net::TcpListener as StdListener;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use axum::Router;
use livetemplate::redis::Redis;
use livetemplate::{ActionError, Actions, Context, Controller, LiveTemplate, Templates};
use serde::{Deserialize, Serialize};
use tokio::net::TcpStream;

use super::{next_text, stats, us, Client, Error, LoadError, Proc, Table};

fn free_port() -> Result<u16, Error> {
    Ok(StdListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// Where the instances meet.
enum Backend {
    /// The server (killed when dropped) and its port.
    One {
        _server: Proc,
        port: u16,
    },
    Cluster(Vec<Proc>, Vec<u16>, PathBuf),
}

impl Backend {
    fn name(&self) -> &'static str {
        match self {
            Backend::One { .. } => "one Redis",
            Backend::Cluster(..) => "3-master cluster",
        }
    }

    fn url(&self) -> String {
        let ports: &[u16] = match self {
            Backend::One { port, .. } => std::slice::from_ref(port),
            Backend::Cluster(_, ports, _) => ports,
        };
        ports
            .iter()
            .map(|p| format!("redis://127.0.0.1:{p}"))
            .collect::<Vec<_>>()
            .join(",")
    }
}

impl Drop for Backend {
    fn drop(&mut self) {
        if let Backend::Cluster(nodes, _, dir) = self {
            nodes.clear();
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

fn redis_server(port: u16, extra: &[String]) -> Result<Proc, Error> {
    let child = Command::new("redis-server")
        .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
        .args(["--save", "", "--appendonly", "no"])
        .args(extra)
        .stdout(Stdio::null())
        .spawn()
        .map_err(|e| format!("redis-server: {e} (scripts/setup --test installs it)"))?;
    Ok(Proc(child))
}

async fn wait_listening(port: u16) -> Result<(), Error> {
    for _ in 0..500 {
        if TcpStream::connect(("127.0.0.1", port)).await.is_ok() {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    Err(LoadError::NotStarted("redis-server").into())
}

async fn one_redis() -> Result<Backend, Error> {
    let port = free_port()?;
    let proc = redis_server(port, &[])?;
    wait_listening(port).await?;
    Ok(Backend::One {
        _server: proc,
        port,
    })
}

async fn cluster() -> Result<Backend, Error> {
    let ports = [free_port()?, free_port()?, free_port()?];
    let dir = std::env::temp_dir().join(format!("lvt-bench-cluster-{}", ports[0]));
    std::fs::create_dir_all(&dir)?;
    let mut nodes = Vec::new();
    for port in ports {
        let conf = dir.join(format!("nodes-{port}.conf")).display().to_string();
        let extra = [
            "--cluster-enabled",
            "yes",
            "--cluster-config-file",
            &conf,
            "--dir",
            &dir.display().to_string(),
        ]
        .map(String::from);
        nodes.push(redis_server(port, &extra)?);
    }
    for port in ports {
        wait_listening(port).await?;
    }
    let backend = Backend::Cluster(nodes, ports.to_vec(), dir);
    let created = Command::new("redis-cli")
        .args(["--cluster", "create"])
        .args(ports.map(|p| format!("127.0.0.1:{p}")))
        .args(["--cluster-replicas", "0", "--cluster-yes"])
        .stdout(Stdio::null())
        .status()?;
    if !created.success() {
        return Err("redis-cli --cluster create failed".into());
    }
    for port in ports {
        for tries in 0.. {
            let info = Command::new("redis-cli")
                .args(["-p", &port.to_string(), "CLUSTER", "INFO"])
                .output()?;
            if String::from_utf8_lossy(&info.stdout).contains("cluster_state:ok") {
                break;
            }
            if tries > 500 {
                return Err("the cluster did not become ok".into());
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
    Ok(backend)
}

#[derive(Clone, Default, Serialize, Deserialize)]
struct Value {
    value: i64,
}

/// Tabs subscribed to the topic `all`, showing the last value pushed.
struct Fanout;

impl Controller for Fanout {
    type State = Value;
    fn actions(actions: &mut Actions<Self>) {
        actions.on("bump", |_, s, ctx| {
            s.value = ctx.get_int("n").unwrap_or_default();
            Ok(())
        });
    }
    fn on_connect(&self, _: &mut Value, ctx: &mut Context<Self>) -> Result<(), ActionError> {
        ctx.subscribe("all")?;
        Ok(())
    }
}

struct Instance {
    live: LiveTemplate,
    client: Client,
}

async fn instance(url: &str, name: &str) -> Result<Instance, Error> {
    let redis = Redis::connect(url).await?;
    let live = LiveTemplate::builder(Templates::from_fn(|_| Some("<p>{{ value }}</p>".into())))
        .instance_name(name)
        .allow_topics(|_, topic| topic == "all")
        .no_rate_limit()
        .bus(redis.bus())
        .build();
    let app = Router::new()
        .route("/fanout", live.page("fanout.html", Fanout).build()?)
        .merge(live.routes());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?.to_string();
    tokio::spawn(axum::serve(listener, app).into_future());
    Ok(Instance {
        live,
        client: Client { addr },
    })
}

async fn until(what: &str, mut check: impl FnMut() -> bool) -> Result<(), Error> {
    let start = Instant::now();
    while !check() {
        if start.elapsed() > Duration::from_secs(30) {
            return Err(format!("timed out waiting for {what}").into());
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    Ok(())
}

fn push(instance: &Instance, n: usize) -> usize {
    instance
        .live
        .sessions()
        .topic("all")
        .trigger_action("bump", serde_json::json!({ "n": n }))
        .unwrap_or(0)
}

/// Resident memory of this process, in KiB.
fn rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

/// Every scaling figure, for each N on each backend.
pub async fn scaling(
    ns: &[usize],
    pushes: usize,
    connections: usize,
    table: &mut Table,
) -> Result<(), Error> {
    for make in [0, 1] {
        for &n in ns {
            let backend = if make == 0 {
                one_redis().await?
            } else {
                cluster().await?
            };
            measure(&backend, n.max(2), pushes, connections, table).await?;
        }
    }
    Ok(())
}

async fn measure(
    backend: &Backend,
    n: usize,
    pushes: usize,
    connections: usize,
    table: &mut Table,
) -> Result<(), Error> {
    let url = backend.url();
    let mut all = Vec::new();
    for i in 0..n {
        all.push(instance(&url, &format!("i{i}")).await?);
    }
    until("the instances to meet", || {
        all.iter()
            .all(|i| i.live.sessions().cluster().peers.len() == n - 1)
    })
    .await?;
    let mut tab0 = all[0].client.socket("/fanout").await?;
    next_text(&mut tab0).await?;
    let mut tab1 = all[1].client.socket("/fanout").await?;
    next_text(&mut tab1).await?;
    let pusher = &all[n - 1];
    until("the pusher to count both tabs", || {
        pusher.live.sessions().topic("all").live_connections() == 2
    })
    .await?;

    // Messages received per push.
    let before: Vec<u64> = all
        .iter()
        .map(|i| i.live.metrics().bus_received())
        .collect();
    let start = Instant::now();
    for k in 0..pushes {
        push(pusher, k);
        next_text(&mut tab0).await?;
        next_text(&mut tab1).await?;
    }
    let took = start.elapsed().as_secs_f64();
    let heartbeats = n as f64 * took;
    let per_push: Vec<f64> = all
        .iter()
        .zip(&before)
        .map(|(i, b)| {
            let heard = (i.live.metrics().bus_received() - b) as f64;
            ((heard - heartbeats) / pushes as f64).max(0.0)
        })
        .collect();
    let serving = (per_push[0] + per_push[1]) / 2.0;
    let others = &per_push[2..];
    let others = if others.is_empty() {
        "none".to_string()
    } else {
        format!("{:.2}", others.iter().sum::<f64>() / others.len() as f64)
    };

    // The hop: pushed on the last instance (or on instance 0) → frame on instance 0.
    let (mut hop, mut local) = (Vec::new(), Vec::new());
    for k in 0..pushes {
        let start = Instant::now();
        push(&all[0], k);
        next_text(&mut tab0).await?;
        local.push(start.elapsed());
        next_text(&mut tab1).await?;
        let start = Instant::now();
        push(pusher, k);
        next_text(&mut tab0).await?;
        hop.push(start.elapsed());
        next_text(&mut tab1).await?;
    }
    let (hop, local) = (stats(hop), stats(local));

    // Remote presence: the others announce their share of `connections`.
    let remote = connections * (n - 1) / n;
    let kib = remote_presence_kib(backend, &all, n - 1, remote).await? / n as u64;
    table.rows.push(vec![
        format!("{} · N = {n}", backend.name()),
        format!("{serving:.2} / {others}"),
        format!(
            "p50 {} · p99 {} (on instance 0: p50 {} · p99 {})",
            us(hop.p50),
            us(hop.p99),
            us(local.p50),
            us(local.p99)
        ),
        format!(
            "{:.1} MiB for {remote} remote connections ({:.0} B each)",
            kib as f64 / 1024.0,
            kib as f64 * 1024.0 / remote as f64
        ),
    ]);
    Ok(())
}

/// Plays `peers` instances on the bus announcing `remote` connections in
/// all, one session group each; returns how much the process grew (KiB)
/// once every instance counts them.
async fn remote_presence_kib(
    backend: &Backend,
    all: &[Instance],
    peers: usize,
    remote: usize,
) -> Result<u64, Error> {
    let publish = match backend {
        Backend::One { .. } => "PUBLISH",
        Backend::Cluster(..) => "SPUBLISH",
    };
    let mut commands = Commands::open(&backend.url()).await?;
    let counted = |observer: &Instance| -> u64 {
        observer
            .live
            .sessions()
            .cluster()
            .peers
            .iter()
            .filter(|p| p.instance.starts_with("played-"))
            .map(|p| u64::from(p.connections))
            .sum()
    };
    let before = rss_kib();
    let per_peer = remote / peers;
    let mut seq = vec![0u64; peers];
    let mut send = |peer: usize, body: serde_json::Value| {
        seq[peer] += 1;
        let envelope = serde_json::json!({
            "v": 2, "from": format!("played-{peer}"), "epoch": 1,
            "seq": seq[peer], "prev": seq[peer] - 1, "body": body,
        });
        envelope.to_string()
    };
    let mut messages = Vec::new();
    for peer in 0..peers {
        messages.push(send(
            peer,
            serde_json::json!({"kind": "heartbeat", "recent": []}),
        ));
        for chunk in (0..per_peer).collect::<Vec<_>>().chunks(1000) {
            let counts: Vec<serde_json::Value> = chunk
                .iter()
                .map(|k| {
                    serde_json::json!([{"page": "fanout.html", "scope": {"group": format!("p{peer}-g{k}")}}, 1])
                })
                .collect();
            messages.push(send(
                peer,
                serde_json::json!({"kind": "presence", "counts": counts}),
            ));
        }
    }
    for message in &messages {
        commands.publish(publish, message).await?;
    }
    let expected = (per_peer * peers) as u64;
    until("every instance to count the remote connections", || {
        all.iter().all(|i| counted(i) == expected)
    })
    .await?;
    let grown = rss_kib().saturating_sub(before);
    // Let the played instances go (heartbeats stop; they are forgotten).
    Ok(grown)
}

/// A connection for publishing, to one Redis or a cluster.
enum Commands {
    One(::redis::aio::MultiplexedConnection),
    Cluster(::redis::cluster_async::ClusterConnection),
}

impl Commands {
    async fn open(url: &str) -> Result<Commands, Error> {
        Ok(if url.contains(',') {
            let nodes: Vec<&str> = url.split(',').collect();
            let client = ::redis::cluster::ClusterClient::new(nodes)?;
            Commands::Cluster(client.get_async_connection().await?)
        } else {
            let client = ::redis::Client::open(url)?;
            Commands::One(client.get_multiplexed_async_connection().await?)
        })
    }

    async fn publish(&mut self, command: &str, message: &str) -> Result<(), Error> {
        let mut cmd = ::redis::cmd(command);
        cmd.arg("lvt:bus").arg(message);
        match self {
            Commands::One(c) => cmd.query_async::<()>(c).await?,
            Commands::Cluster(c) => cmd.query_async::<()>(c).await?,
        }
        Ok(())
    }
}

/// The table the scaling figures print into.
pub fn table() -> Table {
    let mut table = Table::new(&[
        "backend · instances",
        "bus messages received per push: tab instances / others",
        "cross-instance hop (trigger → frame)",
        "instance 0's memory for remote presence",
    ]);
    table.align[2] = "---";
    table.align[3] = "---";
    table
}
