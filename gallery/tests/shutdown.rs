//! The gallery binary against slow clients (slowloris): requests whose
//! headers or body never finish are cut off, and SIGTERM ends the process
//! within its grace period whatever the clients do — exit code 0, with the
//! clean-shutdown log line.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

/// The gallery binary, running, and what it logs.
struct Gallery {
    child: Child,
    addr: SocketAddr,
    log: mpsc::Receiver<String>,
}

impl Gallery {
    fn start(args: &[&str]) -> Gallery {
        let mut child = Command::new(env!("CARGO_BIN_EXE_gallery"))
            .args(["--addr", "127.0.0.1:0"])
            .args(args)
            .env("NO_COLOR", "1")
            .env("RUST_LOG", "info")
            .env_remove("REDIS_URL")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the gallery binary starts");
        let mut stdout = BufReader::new(child.stdout.take().unwrap());
        let mut line = String::new();
        stdout.read_line(&mut line).unwrap();
        let addr = line
            .trim()
            .strip_prefix("listening on http://")
            .unwrap_or_else(|| panic!("first line: {line:?}"))
            .parse()
            .unwrap();
        let (tx, log) = mpsc::channel();
        let stderr = child.stderr.take().unwrap();
        thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                let _ = tx.send(line);
            }
        });
        Gallery { child, addr, log }
    }

    /// A new connection that sent `rest` and nothing more, once the
    /// server is serving it.
    fn stalled_connection(&self, rest: &str) -> TcpStream {
        let mut stream = TcpStream::connect(self.addr).unwrap();
        stream.write_all(rest.as_bytes()).unwrap();
        // Connections are accepted in order: once a later one is answered,
        // this one is being served.
        self.healthz();
        stream
    }

    /// `GET /healthz` on a connection of its own, answered `ok`.
    fn healthz(&self) {
        let mut stream = TcpStream::connect(self.addr).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        write!(
            stream,
            "GET /healthz HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n\r\n",
            self.addr
        )
        .unwrap();
        let mut answer = String::new();
        stream.read_to_string(&mut answer).unwrap();
        assert!(
            answer.starts_with("HTTP/1.1 200") && answer.ends_with("ok"),
            "{answer}"
        );
    }

    fn terminate(&self) {
        let status = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
    }

    /// Waits for the process to exit, at most `within`; kills it (and
    /// fails) otherwise. Returns its status and how long it took.
    fn exit_within(&mut self, within: Duration) -> (ExitStatus, Duration) {
        let start = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return (status, start.elapsed());
            }
            if start.elapsed() > within {
                let _ = self.child.kill();
                let _ = self.child.wait();
                panic!("still running {within:?} after SIGTERM");
            }
            thread::sleep(Duration::from_millis(20));
        }
    }

    /// Everything logged so far, after the process ended.
    fn logged(&self) -> String {
        self.log.try_iter().collect::<Vec<_>>().join("\n")
    }
}

impl Drop for Gallery {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

const HALF_A_HEADER: &str = "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ";

/// Half of a POST: its headers promise 1,000 bytes of body, 10 are sent.
fn half_a_body(addr: SocketAddr) -> String {
    format!(
        "POST /realtime/export HTTP/1.1\r\nHost: {addr}\r\nOrigin: http://{addr}\r\n\
         Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 1000\r\n\r\nstartExpor"
    )
}

fn sigterm_ends_it(stall: impl Fn(&Gallery) -> String) {
    // Header and body timeouts longer than the grace: the grace must end it.
    let mut gallery = Gallery::start(&[
        "--shutdown-grace",
        "1",
        "--header-timeout",
        "60",
        "--body-timeout",
        "60",
    ]);
    let rest = stall(&gallery);
    let _stalled = gallery.stalled_connection(&rest);
    gallery.terminate();
    let (status, took) = gallery.exit_within(Duration::from_secs(8));
    assert_eq!(status.code(), Some(0), "exit status {status}");
    assert!(
        took < Duration::from_secs(4),
        "took {took:?} for a 1 s grace"
    );
    let log = gallery.logged();
    assert!(log.contains("grace period over"), "{log}");
    assert!(log.contains("shut down cleanly"), "{log}");
}

#[test]
fn sigterm_ends_the_process_while_a_header_never_finishes() {
    sigterm_ends_it(|_| HALF_A_HEADER.to_string());
}

#[test]
fn sigterm_ends_the_process_while_a_body_never_finishes() {
    sigterm_ends_it(|gallery| half_a_body(gallery.addr));
}

#[test]
fn sigterm_with_nothing_under_way_exits_at_once() {
    let mut gallery = Gallery::start(&[]);
    gallery.terminate();
    let (status, took) = gallery.exit_within(Duration::from_secs(8));
    assert_eq!(status.code(), Some(0));
    assert!(took < Duration::from_secs(2), "took {took:?}");
    let log = gallery.logged();
    assert!(
        log.contains(
            "shut down cleanly: 0 connections, 0 tasks, 0 kept tabs, 0 unsaved field sets left"
        ),
        "{log}"
    );
    assert!(!log.contains("grace period over"), "{log}");
}

/// Reads until the server closes the connection; returns what it sent and
/// how long that took.
fn read_to_close(mut stream: TcpStream) -> (String, Duration) {
    let start = Instant::now();
    let mut answer = Vec::new();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let result = stream.read_to_end(&mut answer);
    assert!(result.is_ok(), "not closed within 10 s: {result:?}");
    (
        String::from_utf8_lossy(&answer).into_owned(),
        start.elapsed(),
    )
}

#[test]
fn a_header_that_never_finishes_is_cut_off() {
    let gallery = Gallery::start(&["--header-timeout", "1"]);
    let stalled = gallery.stalled_connection(HALF_A_HEADER);
    let (answer, took) = read_to_close(stalled);
    assert!(!answer.contains("HTTP/1.1 200"), "{answer}");
    assert!(took < Duration::from_secs(4), "closed after {took:?}");
}

#[test]
fn a_body_that_never_finishes_is_cut_off() {
    let gallery = Gallery::start(&["--body-timeout", "1"]);
    let stalled = gallery.stalled_connection(&half_a_body(gallery.addr));
    let (answer, took) = read_to_close(stalled);
    assert!(answer.starts_with("HTTP/1.1 400"), "{answer}");
    assert!(answer.contains("did not arrive within"), "{answer}");
    assert!(took < Duration::from_secs(4), "closed after {took:?}");
}
