//! Slow, greedy and broken clients, over real TCP with raw WebSocket
//! clients: a socket that never reads is closed after the write timeout
//! and costs a bounded amount meanwhile; a flood is answered with
//! `_rate_limit`, then not read for a while, then closed (1008); tasks are capped; every end the
//! client can hear comes with a close code and a reason.

mod common;

use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use common::{serve_with, templates, until, Counter};
use futures_util::{SinkExt, StreamExt};
use livetemplate::testing::TestServer;
use livetemplate::{LiveTemplate, Session};
use serde_json::{json, Value};
use tokio::net::{TcpSocket, TcpStream};
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::protocol::frame::coding::{Data, OpCode};
use tokio_tungstenite::tungstenite::protocol::frame::Frame;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::WebSocketStream;

type Raw = WebSocketStream<TcpStream>;

/// A raw client on `/counter`, with a small receive buffer when `small`
/// (so a client that stops reading stalls the server's writes quickly).
async fn raw(server: &TestServer, small: bool) -> Raw {
    let socket = TcpSocket::new_v4().unwrap();
    if small {
        socket.set_recv_buffer_size(4096).unwrap();
    }
    let stream = socket.connect(server.addr()).await.unwrap();
    let url = format!("ws://{}/counter", server.addr());
    let (mut ws, _) = tokio_tungstenite::client_async(url, stream).await.unwrap();
    let first = next_json(&mut ws).await;
    assert!(first["meta"]["capabilities"].is_array(), "{first}");
    ws
}

/// The next text frame as JSON (skipping control frames).
async fn next_json(ws: &mut Raw) -> Value {
    loop {
        match tokio::time::timeout(Duration::from_secs(5), ws.next()).await {
            Ok(Some(Ok(Message::Text(text)))) => return serde_json::from_str(&text).unwrap(),
            Ok(Some(Ok(Message::Ping(_) | Message::Pong(_)))) => continue,
            other => panic!("expected a text frame, got {other:?}"),
        }
    }
}

/// Reads until the close frame; its code and reason.
async fn close_of(ws: &mut Raw) -> (u16, String) {
    loop {
        match tokio::time::timeout(Duration::from_secs(5), ws.next()).await {
            Ok(Some(Ok(Message::Close(Some(frame))))) => {
                return (frame.code.into(), frame.reason.to_string())
            }
            Ok(Some(Ok(_))) => continue,
            other => panic!("expected a close frame, got {other:?}"),
        }
    }
}

async fn send(ws: &mut Raw, action: &str, data: Value) {
    let text = json!({ "action": action, "data": data }).to_string();
    ws.send(Message::text(text)).await.unwrap();
}

/// The counter, with `live`'s settings, and each connection's session.
async fn counter(
    live: LiveTemplate,
) -> (
    TestServer,
    LiveTemplate,
    mpsc::UnboundedReceiver<Session>,
    Counter,
) {
    let (tx, sessions) = mpsc::unbounded_channel();
    let counter = Counter {
        sessions: Some(tx),
        ..Default::default()
    };
    let disconnects = Counter {
        disconnects: counter.disconnects.clone(),
        sessions: None,
    };
    let (server, live) = serve_with(live, counter).await;
    (server, live, sessions, disconnects)
}

/// A label of `kb` KiB that ends with `n`, so every push changes the page.
fn label(kb: usize, n: usize) -> String {
    format!("{}{n:08}", "x".repeat(kb * 1024))
}

#[tokio::test]
async fn a_client_that_stops_reading_gets_one_frame_for_many_pushes() {
    let live = LiveTemplate::builder(templates())
        .write_timeout(Duration::from_secs(20))
        .build();
    let (server, live, mut sessions, _) = counter(live).await;
    let mut ws = raw(&server, true).await;
    let session = sessions.recv().await.unwrap();
    // 400 pushes of 128 KiB each: 50 MiB if every one were written.
    const PUSHES: usize = 400;
    let before = live.metrics().actions();
    for n in 1..=PUSHES {
        session
            .trigger_action("setLabel", json!({ "label": label(128, n) }))
            .unwrap();
    }
    // Every push ran on the state while the socket did not read.
    until(
        || live.metrics().actions() >= before + PUSHES as u64,
        "every push ran",
    )
    .await;
    assert_eq!(live.metrics().connections(), 1, "still connected");
    // Reading again: what was in flight, then one frame with the last state.
    let last = label(128, PUSHES);
    let (mut frames, mut bytes) = (0usize, 0usize);
    loop {
        let Some(Ok(Message::Text(text))) = ws.next().await else {
            panic!("the socket closed")
        };
        frames += 1;
        bytes += text.len();
        if text.contains(&last) {
            break;
        }
    }
    // What sat in kernel buffers plus at most two frames: far from all 400.
    assert!(
        frames < PUSHES / 4,
        "{frames} frames for {PUSHES} pushes: not coalesced"
    );
    assert!(
        bytes < 20 << 20,
        "{bytes} bytes written for a stalled client"
    );
    // And it is live as before.
    send(&mut ws, "increment", json!({})).await;
    let reply = next_json(&mut ws).await;
    assert_eq!(reply["meta"]["action"], "increment", "{reply}");
}

#[tokio::test]
async fn a_write_that_makes_no_progress_closes_the_connection_and_ends_its_tasks() {
    let live = LiveTemplate::builder(templates())
        .write_timeout(Duration::from_millis(300))
        .build();
    let (server, live, mut sessions, watch) = counter(live).await;
    let mut ws = raw(&server, true).await;
    let session = sessions.recv().await.unwrap();
    send(&mut ws, "startStubborn", json!({})).await;
    assert_eq!(next_json(&mut ws).await["meta"]["success"], true);
    assert_eq!(live.metrics().tasks(), 1);
    // A bystander in another browser is not touched.
    let mut bystander = server.browser().open("/counter").await.unwrap();

    // The client reads no more; pushes keep coming until the server gives up.
    let pusher = tokio::spawn(async move {
        for n in 1.. {
            if session
                .trigger_action("setLabel", json!({ "label": label(64, n) }))
                .is_err()
            {
                return n;
            }
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        unreachable!()
    });
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    while watch.disconnects.load(Ordering::SeqCst) == 0 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the stalled socket is still open after 5 s"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let pushes = pusher.await.unwrap();
    assert!(pushes > 1, "pushes were made until it closed");
    until(|| live.metrics().tasks() == 0, "its task ended").await;
    until(
        || live.metrics().connections() == 1,
        "only the bystander is left",
    )
    .await;
    bystander.click("increment").await.unwrap();
    assert!(
        bystander.text().contains("Count: 1"),
        "{}",
        bystander.text()
    );
    drop(ws);
}

#[tokio::test]
async fn a_flood_is_refused_then_held_unread_then_closed_with_1008() {
    // Bursts of 20 at 100 a second: a hold lasts the 0.2 s the burst takes
    // to refill, and the sixth in a row closes.
    let live = LiveTemplate::builder(templates())
        .rate_limit(100, 20)
        .build();
    let (server, live, _sessions, _) = counter(live).await;
    let ws = raw(&server, false).await;
    let (mut tx, mut rx) = ws.split();
    // Actions as fast as the socket takes them, read meanwhile.
    let flood = tokio::spawn(async move {
        for _ in 0..5000 {
            let text = json!({ "action": "increment", "data": {} }).to_string();
            if tx.send(Message::text(text)).await.is_err() {
                break;
            }
        }
        tx
    });
    let started = Instant::now();
    let (mut ran, mut refused) = (0, 0);
    // The pauses between replies: a held client hears nothing.
    let (mut last, mut holds) = (Instant::now(), 0);
    let close = loop {
        let frame = tokio::time::timeout(Duration::from_secs(5), rx.next()).await;
        if last.elapsed() >= Duration::from_millis(150) {
            holds += 1;
        }
        last = Instant::now();
        match frame {
            Ok(Some(Ok(Message::Text(text)))) => {
                let frame: Value = serde_json::from_str(&text).unwrap();
                let meta = &frame["meta"];
                if meta["success"] == true {
                    ran += 1;
                } else {
                    let why = meta["errors"]["_rate_limit"]
                        .as_str()
                        .unwrap_or_else(|| panic!("a refusal names the rate limit: {frame}"));
                    assert!(why.contains("too many actions"), "{why}");
                    assert_eq!(frame["tree"], json!({}), "nothing changed");
                    assert_eq!(meta["action"], "increment", "{frame}");
                    refused += 1;
                }
            }
            Ok(Some(Ok(Message::Close(Some(frame))))) => break frame,
            other => panic!("expected updates then a close, got {other:?}"),
        }
    };
    assert_eq!(u16::from(close.code), 1008);
    assert!(close.reason.contains("rate limit"), "{}", close.reason);
    assert!(holds >= 5, "held five times before closing: {holds}");
    assert!(
        started.elapsed() >= Duration::from_millis(900),
        "five holds of 0.2 s: closed after {:?}",
        started.elapsed()
    );
    // The first burst, and one burst after each hold: the rate, not more.
    assert!(
        (100..=170).contains(&ran),
        "six bursts ran, and little more: {ran}"
    );
    assert!(refused >= 100, "refused before each hold: {refused}");
    let _ = flood.await;
    until(|| live.metrics().connections() == 0, "closed").await;
    assert_eq!(
        live.metrics().actions(),
        ran as u64,
        "refused actions did not run"
    );
}

#[tokio::test]
async fn a_client_at_the_rate_is_never_refused() {
    let live = LiveTemplate::builder(templates())
        .rate_limit(200, 10)
        .build();
    let (server, _live, _sessions, _) = counter(live).await;
    let mut ws = raw(&server, false).await;
    let mut tick = tokio::time::interval(Duration::from_millis(10));
    for n in 1..=60 {
        tick.tick().await;
        send(&mut ws, "increment", json!({})).await;
        let reply = next_json(&mut ws).await;
        assert_eq!(reply["meta"]["success"], true, "action {n}: {reply}");
    }
}

#[tokio::test]
async fn tasks_are_capped_per_connection_with_a_clear_error() {
    let live = LiveTemplate::builder(templates())
        .no_rate_limit()
        .max_tasks(5, 100)
        .build();
    let (server, live, _sessions, _) = counter(live).await;
    let ws = raw(&server, false).await;
    let (mut tx, mut rx) = ws.split();
    // Starting a task 5,000 times, as fast as the socket takes it.
    const TRIES: usize = 5000;
    let sender = tokio::spawn(async move {
        for _ in 0..TRIES {
            let text = json!({ "action": "startStubborn", "data": {} }).to_string();
            tx.send(Message::text(text)).await.unwrap();
        }
        tx
    });
    let (mut started, mut refused) = (0, 0);
    for _ in 0..TRIES {
        let Some(Ok(Message::Text(text))) = rx.next().await else {
            panic!("closed")
        };
        let frame: Value = serde_json::from_str(&text).unwrap();
        match frame["meta"]["errors"]["_general"].as_str() {
            None => started += 1,
            Some(why) => {
                assert_eq!(
                    why,
                    "too many background tasks are running for this tab (at most 5); wait for one to finish"
                );
                refused += 1;
            }
        }
    }
    assert_eq!((started, refused), (5, TRIES - 5));
    assert_eq!(live.metrics().tasks(), 5);
    let tx = sender.await.unwrap();
    drop(tx.reunite(rx).unwrap());
    until(
        || live.metrics().tasks() == 0,
        "the tasks ended with the connection",
    )
    .await;
}

#[tokio::test]
async fn tasks_are_capped_per_group_across_its_tabs() {
    let live = LiveTemplate::builder(templates()).max_tasks(5, 8).build();
    let (server, live, _sessions, _) = counter(live).await;
    // Two tabs of one browser: one session group.
    let mut browser = server.browser();
    let mut a = browser.open("/counter").await.unwrap();
    let mut b = browser.open("/counter").await.unwrap();
    for _ in 0..5 {
        assert!(a
            .act("startStubborn", json!({}))
            .await
            .unwrap()
            .errors()
            .is_empty());
    }
    for _ in 0..3 {
        assert!(b
            .act("startStubborn", json!({}))
            .await
            .unwrap()
            .errors()
            .is_empty());
    }
    let refused = b.act("startStubborn", json!({})).await.unwrap();
    assert_eq!(
        refused.errors()["_general"],
        "too many background tasks are running for this session (at most 8); wait for one to finish"
    );
    assert!(
        b.text().contains("too many background tasks"),
        "shown on the page"
    );
    assert_eq!(live.metrics().tasks(), 8);
}

#[tokio::test]
async fn an_oversized_message_is_closed_with_1009_and_a_reason() {
    let live = LiveTemplate::builder(templates()).build();
    let (server, _live, _sessions, _) = counter(live).await;
    let ws = raw(&server, false).await;
    let big = format!(
        r#"{{"action":"setLabel","data":{{"label":"{}"}}}}"#,
        "x".repeat(2 << 20)
    );
    // Sent while reading: the server stops reading once it refuses it.
    let (mut tx, mut rx) = ws.split();
    let sender = tokio::spawn(async move {
        let _ = tx.send(Message::text(big)).await;
        tx
    });
    let close = loop {
        match tokio::time::timeout(Duration::from_secs(5), rx.next()).await {
            Ok(Some(Ok(Message::Close(Some(frame))))) => break frame,
            Ok(Some(Ok(_))) => continue,
            other => panic!("expected a close frame, got {other:?}"),
        }
    };
    assert_eq!(u16::from(close.code), 1009);
    assert_eq!(close.reason.as_str(), "message too big");
    drop((sender.await, rx));
    let mut ws = raw(&server, false).await;
    send(&mut ws, "increment", json!({})).await;
    assert_eq!(
        next_json(&mut ws).await["meta"]["success"],
        true,
        "the server is fine"
    );
}

#[tokio::test]
async fn invalid_utf8_is_closed_with_1007() {
    let (server, _live, _sessions, _) = counter(LiveTemplate::new(templates())).await;
    let mut ws = raw(&server, false).await;
    let frame = Frame::message(vec![b'{', 0xff, 0xfe, b'}'], OpCode::Data(Data::Text), true);
    ws.send(Message::Frame(frame)).await.unwrap();
    let (code, reason) = close_of(&mut ws).await;
    assert_eq!(
        (code, reason.as_str()),
        (1007, "a text frame was not valid UTF-8")
    );
}

#[tokio::test]
async fn a_protocol_error_is_closed_with_1002() {
    let (server, _live, _sessions, _) = counter(LiveTemplate::new(templates())).await;
    let mut ws = raw(&server, false).await;
    // A reserved bit no extension was agreed for.
    let mut frame = Frame::message(b"{}".to_vec(), OpCode::Data(Data::Text), true);
    frame.header_mut().rsv1 = true;
    ws.send(Message::Frame(frame)).await.unwrap();
    let (code, reason) = close_of(&mut ws).await;
    assert_eq!((code, reason.as_str()), (1002, "WebSocket protocol error"));
}

#[tokio::test]
async fn shutdown_closes_with_1001() {
    let (server, live, _sessions, _) = counter(LiveTemplate::new(templates())).await;
    let mut ws = raw(&server, false).await;
    live.shutdown();
    let (code, reason) = close_of(&mut ws).await;
    assert_eq!(
        (code, reason.as_str()),
        (1001, "the server is shutting down")
    );
}

#[tokio::test]
async fn a_json_array_frame_is_refused_not_run() {
    let (server, live, _sessions, _) = counter(LiveTemplate::new(templates())).await;
    let mut ws = raw(&server, false).await;
    ws.send(Message::text(r#"["increment",{}]"#)).await.unwrap();
    let frame = next_json(&mut ws).await;
    assert_eq!(frame["type"], "error", "{frame}");
    assert_eq!(frame["code"], "malformed_message");
    assert!(
        frame["message"]
            .as_str()
            .unwrap()
            .contains("expected a JSON object"),
        "{frame}"
    );
    assert_eq!(live.metrics().actions(), 0, "nothing ran");
}

#[tokio::test]
async fn pushes_to_a_client_far_behind_are_bounded() {
    // The mailbox holds a bounded number of pushes: a connection whose
    // loop cannot drain them in time is closed (1013), not grown without
    // bound. Here (one thread) the loop cannot run while pushes are made.
    let (server, live, mut sessions, _) = counter(LiveTemplate::new(templates())).await;
    let mut ws = raw(&server, false).await;
    let session = sessions.recv().await.unwrap();
    let taken = (0..100_000)
        .take_while(|n| {
            session
                .trigger_action("setLabel", json!({ "label": n.to_string() }))
                .is_ok()
        })
        .count();
    assert!(taken < 10_000, "{taken} pushes queued for one connection");
    let (code, reason) = close_of(&mut ws).await;
    assert_eq!(
        (code, reason.as_str()),
        (1013, "too many updates waiting; reconnect")
    );
    until(|| live.metrics().connections() == 0, "closed").await;
}

#[tokio::test]
async fn a_client_that_answers_no_ping_is_closed_and_its_tasks_end() {
    let live = LiveTemplate::builder(templates())
        .ping(Duration::from_millis(150), Duration::from_millis(150))
        .build();
    let (server, live, _sessions, _) = counter(live).await;
    // A vanished peer: it started a task, then reads nothing more, so it
    // never answers a ping (tungstenite answers while reading).
    let mut silent = raw(&server, false).await;
    send(&mut silent, "startStubborn", json!({})).await;
    assert_eq!(next_json(&mut silent).await["meta"]["success"], true);
    assert_eq!(live.metrics().tasks(), 1);
    // A quiet client that is there: it reads, so it answers each ping.
    let mut alive = raw(&server, false).await;
    let reader = tokio::spawn(async move {
        let mut pings = 0;
        while pings < 3 {
            match alive.next().await {
                Some(Ok(Message::Ping(_))) => pings += 1,
                Some(Ok(_)) => {}
                other => panic!("the quiet client was closed: {other:?}"),
            }
        }
        alive
    });
    until(
        || live.metrics().tasks() == 0,
        "the silent client's task ended",
    )
    .await;
    until(
        || live.metrics().connections() == 1,
        "the silent client closed",
    )
    .await;
    let alive = reader.await.unwrap();
    assert_eq!(
        live.metrics().connections(),
        1,
        "the quiet client that answers pings is still connected"
    );
    // If its link comes back, the silent client hears why.
    let (code, reason) = close_of(&mut silent).await;
    assert_eq!((code, reason.as_str()), (1001, "no answer to ping"));
    drop(alive);
}
