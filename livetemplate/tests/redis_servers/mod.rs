//! Real Redis for the tests: a `redis-server`, or a Redis Cluster of three
//! masters, on free ports, killed when dropped (install them with
//! `scripts/setup --test`).
#![allow(dead_code)] // each test file uses a different part

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use livetemplate::redis::Redis;
use livetemplate::testing::WAIT;

/// A port nobody listens on now.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

/// What `redis-cli` answers to `args` on the server at `port`.
pub fn redis_cli(port: u16, args: &[&str]) -> String {
    let out = Command::new("redis-cli")
        .args(["-p", &port.to_string()])
        .args(args)
        .output()
        .expect("redis-cli not found: run scripts/setup --test");
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// Waits (polling, no fixed sleep) until `check` holds; panics naming `what`.
pub fn wait_until(what: &str, timeout: Duration, mut check: impl FnMut() -> bool) {
    let start = Instant::now();
    while !check() {
        assert!(start.elapsed() < timeout, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Connects, retrying while the server (or cluster) starts up.
pub async fn connect(url: &str) -> Redis {
    let deadline = Instant::now() + WAIT;
    loop {
        match Redis::connect(url).await {
            Ok(redis) => return redis,
            Err(e) if Instant::now() > deadline => panic!("{e}"),
            Err(_) => tokio::time::sleep(Duration::from_millis(20)).await,
        }
    }
}

/// One `redis-server` process.
pub struct RedisServer {
    pub port: u16,
    child: Child,
}

impl RedisServer {
    /// A plain server on a free port.
    pub fn start() -> RedisServer {
        RedisServer::spawn(free_port(), &[])
    }

    fn spawn(port: u16, extra: &[String]) -> RedisServer {
        let child = Command::new("redis-server")
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no"])
            .args(extra)
            .stdout(Stdio::null())
            .spawn()
            .expect("redis-server not found: run scripts/setup --test");
        wait_until("redis-server to answer", WAIT, || {
            redis_cli(port, &["PING"]) == "PONG"
        });
        RedisServer { port, child }
    }

    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A Redis Cluster of three masters (no replicas) on free ports.
pub struct RedisCluster {
    dir: PathBuf,
    pub nodes: Vec<Option<RedisServer>>,
    pub ports: Vec<u16>,
}

impl RedisCluster {
    /// Starts three masters, joins them into a cluster and waits until it
    /// serves every slot.
    pub fn start() -> RedisCluster {
        let ports: Vec<u16> = (0..3).map(|_| free_port()).collect();
        let dir = std::env::temp_dir().join(format!(
            "lvt-redis-cluster-{}-{}",
            std::process::id(),
            ports[0]
        ));
        std::fs::create_dir_all(&dir).expect("a directory for the cluster's files");
        let mut cluster = RedisCluster {
            dir,
            nodes: Vec::new(),
            ports: ports.clone(),
        };
        for port in &ports {
            let node = cluster.spawn_node(*port);
            cluster.nodes.push(Some(node));
        }
        let mut create = Command::new("redis-cli");
        create.arg("--cluster").arg("create");
        for port in &ports {
            create.arg(format!("127.0.0.1:{port}"));
        }
        let out = create
            .args(["--cluster-replicas", "0", "--cluster-yes"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .expect("redis-cli not found: run scripts/setup --test");
        assert!(out.success(), "redis-cli --cluster create failed");
        cluster.wait_ok();
        cluster
    }

    fn spawn_node(&self, port: u16) -> RedisServer {
        let conf = self.dir.join(format!("nodes-{port}.conf"));
        let extra = [
            "--cluster-enabled".to_string(),
            "yes".to_string(),
            "--cluster-config-file".to_string(),
            conf.display().to_string(),
            "--dir".to_string(),
            self.dir.display().to_string(),
            // Without replicas a dead master's slots stay uncovered: the
            // others keep serving theirs.
            "--cluster-require-full-coverage".to_string(),
            "no".to_string(),
            "--cluster-node-timeout".to_string(),
            "1000".to_string(),
        ];
        RedisServer::spawn(port, &extra)
    }

    /// Waits until every live node says `cluster_state:ok`.
    pub fn wait_ok(&self) {
        for node in self.nodes.iter().flatten() {
            wait_until("the cluster to be ok", WAIT * 2, || {
                redis_cli(node.port, &["CLUSTER", "INFO"]).contains("cluster_state:ok")
            });
        }
    }

    /// The `--redis-url` of the cluster: every node, comma-separated.
    pub fn url(&self) -> String {
        self.ports
            .iter()
            .map(|p| format!("redis://127.0.0.1:{p}"))
            .collect::<Vec<_>>()
            .join(",")
    }

    /// The port of the master serving `key` (or sharded channel `key`).
    pub fn master_of(&self, key: &str) -> u16 {
        let slot: u16 = redis_cli(self.ports[0], &["CLUSTER", "KEYSLOT", key])
            .parse()
            .expect("a slot number");
        self.ports
            .iter()
            .copied()
            .find(|p| owns(*p, slot))
            .expect("a master for the slot")
    }

    /// Kills the master on `port` (its slots are then unserved).
    pub fn kill(&mut self, port: u16) {
        let at = self.ports.iter().position(|p| *p == port).expect("a node");
        self.nodes[at] = None;
    }

    /// Starts the master on `port` again, with its old identity and slots.
    pub fn restart(&mut self, port: u16) {
        let at = self.ports.iter().position(|p| *p == port).expect("a node");
        let node = self.spawn_node(port);
        self.nodes[at] = Some(node);
        self.wait_ok();
    }
}

/// Whether the node on `port` serves `slot` itself.
fn owns(port: u16, slot: u16) -> bool {
    let myself = redis_cli(port, &["CLUSTER", "MYID"]);
    let nodes = redis_cli(port, &["CLUSTER", "NODES"]);
    nodes
        .lines()
        .filter(|line| line.starts_with(&myself))
        .flat_map(|line| line.split_whitespace().skip(8))
        .any(|range| match range.split_once('-') {
            Some((a, b)) => {
                a.parse::<u16>().is_ok_and(|a| a <= slot)
                    && b.parse::<u16>().is_ok_and(|b| slot <= b)
            }
            None => range.parse::<u16>() == Ok(slot),
        })
}

impl Drop for RedisCluster {
    fn drop(&mut self) {
        self.nodes.clear();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
