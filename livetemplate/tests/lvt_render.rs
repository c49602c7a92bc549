//! The `lvt-render` driver: one JSON line per state; clear errors otherwise.

use std::path::Path;
use std::process::Command;

fn run(args: &[&str]) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_lvt-render"))
        .args(args)
        .current_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join(".."))
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn prints_the_full_tree_then_updates() {
    let corpus = "tests/conformance/corpus";
    let (ok, out, err) = run(&[
        "--templates",
        corpus,
        "--name",
        "counter.html",
        "--states",
        "tests/conformance/corpus/counter.jsonl",
    ]);
    assert!(ok, "{err}");
    let rows: Vec<serde_json::Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(rows.len(), 5);
    assert!(
        rows[0]["update"]["s"].is_array(),
        "first line is the full tree"
    );
    assert_eq!(rows[1]["update"], serde_json::json!({ "0": "1" }));
    assert_eq!(rows[2]["update"], serde_json::json!({}));
    assert_eq!(rows[1]["html"], "<p>Count: <b>1</b> (none)</p>");
}

#[test]
fn bad_input_gets_a_clear_error_and_a_failing_exit() {
    let (ok, _, err) = run(&["--templates", "tests/conformance/corpus"]);
    assert!(!ok);
    assert!(err.contains("--name is required"), "{err}");

    let (ok, _, err) = run(&[
        "--templates",
        "tests/conformance/corpus",
        "--name",
        "nope.html",
        "--states",
        "x",
    ]);
    assert!(!ok);
    assert!(err.contains("template \"nope.html\" not found"), "{err}");

    let dir = std::env::temp_dir().join(format!("lvt-render-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let states = dir.join("states.jsonl");
    std::fs::write(&states, "{\"count\":1}\n[1,2]\n").unwrap();
    let (ok, out, err) = run(&[
        "--templates",
        "tests/conformance/corpus",
        "--name",
        "counter.html",
        "--states",
        states.to_str().unwrap(),
    ]);
    assert!(!ok);
    assert_eq!(out.lines().count(), 1, "the good line was printed");
    assert!(err.contains("states.jsonl:2: not a JSON object"), "{err}");
}
