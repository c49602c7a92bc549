//! The stock client's tree renderer, in node, as the judge of our updates.

use std::io::{BufRead, BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::thread::JoinHandle;

use serde_json::Value;

pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// A running `tests/conformance/replay.mjs`: lines go in as they are made,
/// so a million random cases never sit in memory at once.
pub struct Replay {
    child: Child,
    stdin: BufWriter<ChildStdin>,
    mismatches: JoinHandle<String>,
}

/// What the client said about every line it was sent.
pub struct Verdict {
    pub ok: bool,
    /// One JSON line per mismatch (the first few in full).
    pub mismatches: String,
}

impl Replay {
    pub fn start() -> Replay {
        let mut child = Command::new("node")
            .arg(repo().join("tests/conformance/replay.mjs"))
            .current_dir(repo())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("node must be installed (scripts/setup installs it)");
        let stdin = BufWriter::new(child.stdin.take().expect("piped stdin"));
        let stdout = child.stdout.take().expect("piped stdout");
        // Read while we write, or a chatty node would block on a full pipe.
        let mismatches = std::thread::spawn(move || {
            let mut all = String::new();
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                all.push_str(&line);
                all.push('\n');
            }
            all
        });
        Replay {
            child,
            stdin,
            mismatches,
        }
    }

    /// Starts a sequence: the client's tree is reset; `source` is shown on a mismatch.
    pub fn reset(&mut self, name: &str, source: &str) {
        self.line(&serde_json::json!({ "reset": name, "template": source }));
    }

    /// One update and the HTML the client must show after it.
    pub fn step(&mut self, update: &Value, html: &str) {
        self.line(&serde_json::json!({ "update": update, "html": html }));
    }

    pub fn line(&mut self, line: &Value) {
        writeln!(self.stdin, "{line}").expect("node is reading");
    }

    pub fn finish(self) -> Verdict {
        let Replay {
            mut child,
            stdin,
            mismatches,
        } = self;
        drop(stdin.into_inner().expect("flush to node"));
        let status = child.wait().expect("node ran");
        Verdict {
            ok: status.success(),
            mismatches: mismatches.join().unwrap_or_default(),
        }
    }
}
