//! Probes (`/healthz`, `/readyz`) and the hosts the gallery answers to.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use livetemplate::cluster::{Bus, BusEvent};
use livetemplate::testing::TestServer;
use livetemplate::LiveTemplate;
use tokio::sync::mpsc::UnboundedSender;

/// A bus whose link the test raises and drops by hand.
#[derive(Clone, Default)]
struct HandBus {
    listener: Arc<Mutex<Option<UnboundedSender<BusEvent>>>>,
}

impl HandBus {
    fn say(&self, event: BusEvent) {
        let listener = self.listener.lock().unwrap();
        listener
            .as_ref()
            .expect("the runtime listens")
            .send(event)
            .unwrap();
    }
}

impl Bus for HandBus {
    fn publish(&self, _: Vec<u8>) {}
    fn listen(&self, events: UnboundedSender<BusEvent>) {
        *self.listener.lock().unwrap() = Some(events);
    }
    fn describe(&self) -> String {
        "a bus in the test".into()
    }
}

async fn get(server: &TestServer, path: &str) -> (u16, String) {
    let answer = server.request("GET", path, &[], "").await.unwrap();
    (answer.status, answer.body)
}

/// Polls `/readyz` until it answers `status` (the bus link changes in a task).
async fn ready_becomes(server: &TestServer, status: u16) -> String {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    loop {
        let (now, body) = get(server, "/readyz").await;
        if now == status {
            return body;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "/readyz stays {now}: {body}"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

#[tokio::test]
async fn alive_and_ready_alone() {
    let server = TestServer::start(gallery::app().unwrap().router).await;
    assert_eq!(get(&server, "/healthz").await, (200, "ok".into()));
    assert_eq!(get(&server, "/readyz").await, (200, "ready".into()));
}

#[tokio::test]
async fn not_ready_while_the_bus_link_is_down() {
    let bus = HandBus::default();
    let live = LiveTemplate::builder(gallery::templates()).bus(bus.clone());
    let server = TestServer::start(gallery::app_with(live).unwrap().router).await;
    let why = ready_becomes(&server, 503).await;
    assert_eq!(
        why,
        "not ready: the link to the bus (a bus in the test) is down"
    );
    bus.say(BusEvent::Connected);
    assert_eq!(ready_becomes(&server, 200).await, "ready");
    bus.say(BusEvent::Disconnected);
    ready_becomes(&server, 503).await;
    // Alive all along.
    assert_eq!(get(&server, "/healthz").await, (200, "ok".into()));
}

#[tokio::test]
async fn the_gallery_answers_only_to_its_hosts() {
    let server = TestServer::start(gallery::app().unwrap().router).await;
    let port = server.addr().port();
    for path in [
        "/",
        "/realtime/cross-tab",
        "/assets/gallery.css",
        "/healthz",
    ] {
        let rebound = format!("rebound.example:{port}");
        let answer = server
            .request("GET", path, &[("host", &rebound)], "")
            .await
            .unwrap();
        assert_eq!(answer.status, 421, "{path}: {}", answer.body);
        let local = format!("localhost:{port}");
        let answer = server
            .request("GET", path, &[("host", &local)], "")
            .await
            .unwrap();
        assert_eq!(answer.status, 200, "{path}");
    }
    let config = gallery::Config {
        allowed_hosts: vec!["gallery.example".into()],
        ..Default::default()
    };
    let server = TestServer::start(gallery::app_for(&config).await.unwrap().router).await;
    let answer = server
        .request("GET", "/", &[("host", "gallery.example")], "")
        .await
        .unwrap();
    assert_eq!(answer.status, 200);
}
