//! A real `redis-server` of a test's own, on a free port (install it with
//! `scripts/setup --test`).

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::Instant;

use livetemplate::redis::Redis;
use livetemplate::testing::WAIT;

/// The server; killed when dropped.
pub struct RedisServer {
    port: u16,
    child: Child,
}

impl RedisServer {
    pub fn start() -> RedisServer {
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let child = Command::new("redis-server")
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no"])
            .stdout(Stdio::null())
            .spawn()
            .expect("redis-server not found: run scripts/setup --test");
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

/// Connects, retrying while the server starts up.
pub async fn connect(url: &str) -> Redis {
    let deadline = Instant::now() + WAIT;
    loop {
        match Redis::connect(url).await {
            Ok(redis) => return redis,
            Err(e) if Instant::now() > deadline => panic!("{e}"),
            Err(_) => tokio::task::yield_now().await,
        }
    }
}
