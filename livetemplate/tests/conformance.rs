//! Conformance against the stock client: every update of the corpus in
//! `tests/conformance/corpus` is replayed through `@livetemplate/client`'s own
//! tree renderer (node), whose HTML must equal our full render at each step.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use livetemplate::{diff, tree, Templates};
use serde_json::{json, Value};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Runs the replay script over `lines`; returns (success, its stdout).
fn replay(lines: &[Value]) -> (bool, String) {
    let mut child = Command::new("node")
        .arg(repo().join("tests/conformance/replay.mjs"))
        .current_dir(repo())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("node must be installed (scripts/setup installs it)");
    let mut stdin = child.stdin.take().unwrap();
    for line in lines {
        writeln!(stdin, "{line}").unwrap();
    }
    drop(stdin);
    let out = child.wait_with_output().unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

/// Renders every state of a case; returns the replay lines. Also checks our
/// own fold of the updates (used by the test client) and the plain render.
fn case_lines(templates: &Templates, name: &str, states: &str) -> Vec<Value> {
    let mut lines = vec![json!({ "reset": name })];
    let mut previous = None;
    let mut folded = Value::Null;
    for (i, state) in states.lines().filter(|l| !l.trim().is_empty()).enumerate() {
        let state: Value = serde_json::from_str(state).unwrap();
        let tree = templates.render_tree(name, &state).unwrap();
        let html = tree.to_html();
        assert_eq!(
            html,
            templates.render_plain(name, &state).unwrap(),
            "{name} step {i}: tree vs plain minijinja"
        );
        let update = match &previous {
            Some(old) => diff::diff(old, &tree),
            None => diff::full(&tree),
        };
        tree::apply_update(&mut folded, &update).unwrap();
        assert_eq!(
            tree::render_html(&folded),
            html,
            "{name} step {i}: our fold of {update}"
        );
        lines.push(json!({ "update": update, "html": html }));
        previous = Some(tree);
    }
    lines
}

/// Every `NAME.jsonl` under `states_dir` (recursively), with its template
/// `NAME.html` at the same relative path under `templates_dir`.
fn cases(states_dir: &Path, templates_dir: &Path) -> Vec<Value> {
    let templates = Templates::from_dir(templates_dir);
    let mut lines = Vec::new();
    let mut pending = vec![states_dir.to_path_buf()];
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                pending.push(path);
            } else if path.extension().is_some_and(|e| e == "jsonl") {
                let rel = path
                    .strip_prefix(states_dir)
                    .unwrap()
                    .with_extension("html");
                let name = rel.to_string_lossy().replace('\\', "/");
                let states = std::fs::read_to_string(&path).unwrap();
                lines.extend(case_lines(&templates, &name, &states));
            }
        }
    }
    lines
}

#[test]
fn the_corpus_renders_identically_in_the_stock_client() {
    let conformance = repo().join("tests/conformance");
    let mut lines = cases(&conformance.join("corpus"), &conformance.join("corpus"));
    // The gallery's own templates, with scripted states, read where they live.
    lines.extend(cases(
        &conformance.join("gallery"),
        &repo().join("templates"),
    ));
    let case_count = lines.iter().filter(|l| l.get("reset").is_some()).count();
    assert!(case_count >= 7, "the corpus is there ({case_count} cases)");
    let (ok, mismatches) = replay(&lines);
    assert!(ok, "the client renders differently:\n{mismatches}");
}

#[test]
fn the_harness_catches_a_wrong_update() {
    let lines = [
        json!({ "reset": "broken" }),
        json!({ "update": { "s": ["<p>", "</p>"], "0": "1" }, "html": "<p>1</p>" }),
        json!({ "update": { "0": "2" }, "html": "<p>3</p>" }),
    ];
    let (ok, mismatches) = replay(&lines);
    assert!(!ok);
    assert!(
        mismatches.contains(r#""client":"<p>2</p>""#),
        "{mismatches}"
    );
}
