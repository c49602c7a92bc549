//! `LiveTemplate::serve`: pages and their WebSockets served, slow requests
//! cut off, and a shutdown that ends within its grace period whatever the
//! clients do.

mod common;

use std::sync::atomic::Ordering;
use std::time::Duration;

use common::{templates, Counter};
use livetemplate::testing::Browser;
use livetemplate::LiveTemplate;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;

/// The counter served by `live.serve` with `timeouts`; stops when the
/// sender is used. Returns the address and the server's task.
async fn start(
    timeouts: livetemplate::Timeouts,
) -> (
    std::net::SocketAddr,
    oneshot::Sender<()>,
    tokio::task::JoinHandle<std::io::Result<()>>,
) {
    start_with(LiveTemplate::new(templates()), timeouts).await
}

/// As [`start`], with `live`'s settings.
async fn start_with(
    live: LiveTemplate,
    timeouts: livetemplate::Timeouts,
) -> (
    std::net::SocketAddr,
    oneshot::Sender<()>,
    tokio::task::JoinHandle<std::io::Result<()>>,
) {
    let app = axum::Router::new()
        .route(
            "/counter",
            live.page("counter.html", Counter::default())
                .build()
                .unwrap(),
        )
        .merge(live.routes());
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = oneshot::channel::<()>();
    let server = live
        .serve(listener, app)
        .timeouts(timeouts)
        .with_graceful_shutdown(async move {
            let _ = stopped.await;
        });
    (addr, stop, tokio::spawn(async move { server.await }))
}

/// Reads until the server closes; what it sent.
async fn read_to_close(stream: &mut TcpStream) -> String {
    let mut answer = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(5), stream.read_to_end(&mut answer)).await;
    assert!(read.is_ok(), "not closed within 5 s");
    String::from_utf8_lossy(&answer).into_owned()
}

fn half_a_body(addr: std::net::SocketAddr) -> String {
    format!(
        "POST /counter HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\n\
         Cookie: livetemplate-id=slow\r\nContent-Length: 100\r\n\r\n{{\"action\""
    )
}

#[tokio::test]
async fn pages_and_their_websockets_are_served() {
    let (addr, stop, server) = start(Default::default()).await;
    let mut browser = Browser::at(addr);
    let mut tab = browser.open("/counter").await.unwrap();
    tab.click("increment").await.unwrap();
    assert!(tab.has_text("Count: 1"));
    // Shutting down closes the live connection.
    stop.send(()).unwrap();
    assert!(tab.next_frame().await.is_err(), "the socket was closed");
    let stopped = tokio::time::timeout(Duration::from_secs(5), server).await;
    assert!(matches!(stopped, Ok(Ok(Ok(())))), "{stopped:?}");
}

#[tokio::test]
async fn slow_headers_and_bodies_are_cut_off() {
    let timeouts = livetemplate::Timeouts {
        header_read: Duration::from_millis(300),
        body_read: Duration::from_millis(300),
        ..Default::default()
    };
    let (addr, _stop, _server) = start(timeouts).await;
    let mut header = TcpStream::connect(addr).await.unwrap();
    header
        .write_all(b"GET /counter HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
        .await
        .unwrap();
    let mut body = TcpStream::connect(addr).await.unwrap();
    body.write_all(half_a_body(addr).as_bytes()).await.unwrap();
    assert_eq!(read_to_close(&mut header).await, "");
    let answer = read_to_close(&mut body).await;
    assert!(answer.starts_with("HTTP/1.1 400"), "{answer}");
    assert!(answer.contains("did not arrive within 300ms"), "{answer}");
}

#[tokio::test]
async fn shutdown_ends_within_the_grace_while_a_request_stalls() {
    let timeouts = livetemplate::Timeouts {
        shutdown_grace: Duration::from_millis(300),
        ..Default::default()
    };
    let (addr, stop, server) = start(timeouts).await;
    let mut stalled = TcpStream::connect(addr).await.unwrap();
    stalled
        .write_all(half_a_body(addr).as_bytes())
        .await
        .unwrap();
    // Served in order: once a later connection is answered, this one is read.
    let later = Browser::at(addr).request("GET", "/counter", &[], "").await;
    assert_eq!(later.unwrap().status, 200);
    let start = tokio::time::Instant::now();
    stop.send(()).unwrap();
    let stopped = tokio::time::timeout(Duration::from_secs(5), server).await;
    assert!(matches!(stopped, Ok(Ok(Ok(())))), "{stopped:?}");
    assert!(
        start.elapsed() < Duration::from_secs(2),
        "{:?}",
        start.elapsed()
    );
    assert_eq!(
        read_to_close(&mut stalled).await,
        "",
        "closed, not answered"
    );
}

#[tokio::test]
async fn shutdown_ends_live_tabs_their_tasks_and_kept_tabs_before_it_returns() {
    let live = LiveTemplate::builder(templates())
        .resume_grace(Duration::from_secs(60))
        .build();
    let metrics = live.metrics();
    let (addr, stop, server) = start_with(live, Default::default()).await;
    // A live tab running a task that only cancellation ends.
    let mut browser = Browser::at(addr);
    let mut tab = browser.open("/counter").await.unwrap();
    tab.act("startStubborn", serde_json::json!({}))
        .await
        .unwrap();
    // A tab whose socket dropped (no close frame): kept for 60 s.
    let page = browser
        .request("GET", "/counter", &[("accept", "text/html")], "")
        .await
        .unwrap();
    let at = page.body.find(r#""lvt_tab",""#).expect("a token") + r#""lvt_tab",""#.len();
    let token = &page.body[at..at + 32];
    let origin = format!("http://{addr}");
    let mut dropped = browser
        .connect(&format!("/counter?lvt_tab={token}"), Some(&origin))
        .await
        .unwrap();
    dropped.next_frame().await.unwrap();
    drop(dropped);
    common::until(|| metrics.parked() == 1, "the dropped tab is kept").await;
    assert_eq!(metrics.connections(), 1);
    assert_eq!(metrics.tasks(), 1);

    stop.send(()).unwrap();
    let stopped = tokio::time::timeout(Duration::from_secs(5), server).await;
    assert!(matches!(stopped, Ok(Ok(Ok(())))), "{stopped:?}");
    // Returned only once nothing is left: not 60 s later, and not before
    // the kept tab and the task were ended.
    assert_eq!(metrics.connections(), 0);
    assert_eq!(metrics.tasks(), 0);
    assert_eq!(metrics.parked(), 0);
    assert!(tab.next_frame().await.is_err(), "the live tab was closed");
}

/// A store whose writes are queued until `written` is set, as a store
/// talking to a server queues them.
#[derive(Default)]
struct SlowStore {
    fields: std::sync::Mutex<livetemplate::Fields>,
    queued: std::sync::Arc<std::sync::atomic::AtomicUsize>,
}

impl livetemplate::Store for SlowStore {
    fn load(&self, _: &str) -> livetemplate::Load<'_> {
        let found = self.fields.lock().unwrap().clone();
        Box::pin(async move { Ok(Some(found)) })
    }
    fn save(&self, _: &str, fields: livetemplate::Fields) {
        *self.fields.lock().unwrap() = fields;
        self.queued.store(1, Ordering::SeqCst);
    }
    fn unwritten(&self) -> usize {
        self.queued.load(Ordering::SeqCst)
    }
}

#[derive(Clone, Default, serde::Serialize, serde::Deserialize)]
struct Saved {
    count: i64,
}

struct SavedCounter;

impl livetemplate::Controller for SavedCounter {
    type State = Saved;
    const PERSIST: &'static [&'static str] = &["count"];
    fn actions(actions: &mut livetemplate::Actions<Self>) {
        actions.on("increment", |_, s, _| {
            s.count += 1;
            Ok(())
        });
    }
}

#[tokio::test]
async fn shutdown_waits_within_the_grace_for_the_store_to_write_what_was_saved() {
    let store = SlowStore::default();
    let queued = store.queued.clone();
    let template = r#"<p>Count: {{ count }}</p><button name="increment">+1</button>"#;
    let live = LiveTemplate::builder(livetemplate::Templates::from_fn(move |name| {
        (name == "saved.html").then(|| template.to_string())
    }))
    .store(store)
    .build();
    let app = axum::Router::new()
        .route(
            "/counter",
            live.page("saved.html", SavedCounter).build().unwrap(),
        )
        .merge(live.routes());
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = oneshot::channel::<()>();
    let server = live
        .serve(listener, app)
        .shutdown_grace(Duration::from_secs(3))
        .with_graceful_shutdown(async move {
            let _ = stopped.await;
        });
    let mut server = tokio::spawn(async move { server.await });
    let mut tab = Browser::at(addr).open("/counter").await.unwrap();
    tab.click("increment").await.unwrap();
    assert_eq!(queued.load(Ordering::SeqCst), 1, "saved, not written yet");

    stop.send(()).unwrap();
    let early = tokio::time::timeout(Duration::from_millis(300), &mut server).await;
    assert!(early.is_err(), "returned with a write still queued");
    queued.store(0, Ordering::SeqCst);
    let stopped = tokio::time::timeout(Duration::from_secs(2), server).await;
    assert!(matches!(stopped, Ok(Ok(Ok(())))), "{stopped:?}");

    // Never written: the grace bounds the wait.
    let store = SlowStore::default();
    store.queued.store(1, Ordering::SeqCst);
    let live = LiveTemplate::builder(templates()).store(store).build();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let started = tokio::time::Instant::now();
    let stopped = tokio::time::timeout(
        Duration::from_secs(3),
        live.serve(listener, axum::Router::new())
            .shutdown_grace(Duration::from_millis(200))
            .with_graceful_shutdown(async {}),
    )
    .await;
    assert!(matches!(stopped, Ok(Ok(()))), "{stopped:?}");
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "{:?}",
        started.elapsed()
    );
}
