//! Conformance against the stock client: every update we make is replayed
//! through `@livetemplate/client`'s own tree renderer (node), whose HTML must
//! equal our full render at each step — for the corpus in
//! `tests/conformance/corpus`, the gallery's templates with scripted states,
//! and random templates with random state sequences (`random.rs`).

mod check;
mod random;
mod replay;

use std::path::Path;

use livetemplate::Templates;
use serde_json::{json, Value};

use check::{run_case, Tally};
use replay::{repo, Replay};

/// Every `NAME.jsonl` under `states_dir` (recursively), run against its
/// template `NAME.html` at the same relative path under `templates_dir`.
fn run_dir(
    states_dir: &Path,
    templates_dir: &Path,
    replay: &mut Replay,
    tally: &mut Tally,
) -> usize {
    let templates = Templates::from_dir(templates_dir);
    let mut cases = 0;
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
                let states: Vec<Value> = std::fs::read_to_string(&path)
                    .unwrap()
                    .lines()
                    .filter(|l| !l.trim().is_empty())
                    .map(|l| serde_json::from_str(l).unwrap())
                    .collect();
                run_case(&templates, &name, &states, replay, tally).unwrap();
                cases += 1;
            }
        }
    }
    cases
}

#[test]
fn the_corpus_renders_identically_in_the_stock_client() {
    let conformance = repo().join("tests/conformance");
    let mut replay = Replay::start();
    let mut tally = Tally::default();
    let mut cases = run_dir(
        &conformance.join("corpus"),
        &conformance.join("corpus"),
        &mut replay,
        &mut tally,
    );
    // The gallery's own templates, with scripted states, read where they live.
    cases += run_dir(
        &conformance.join("gallery"),
        &repo().join("templates"),
        &mut replay,
        &mut tally,
    );
    let verdict = replay.finish();
    assert!(
        verdict.ok,
        "the client renders differently:\n{}",
        verdict.mismatches
    );
    assert!(cases >= 8, "the corpus is there ({cases} cases)");
    for op in ["r", "u", "a", "p", "i", "o"] {
        assert!(
            tally.ops.get(op).is_some_and(|n| *n > 0),
            "no {op:?} op in the corpus: {tally:?}"
        );
    }
}

#[test]
fn the_harness_catches_a_wrong_update() {
    let mut replay = Replay::start();
    replay.line(&json!({ "reset": "broken" }));
    replay.step(&json!({ "s": ["<p>", "</p>"], "0": "1" }), "<p>1</p>");
    replay.step(&json!({ "0": "2" }), "<p>3</p>");
    let verdict = replay.finish();
    assert!(!verdict.ok);
    assert!(
        verdict.mismatches.contains(r#""client":"<p>2</p>""#),
        "{}",
        verdict.mismatches
    );
}

#[test]
fn the_minimality_check_catches_a_wasteful_update() {
    let templates = Templates::from_fn(|_| Some("<p>{{ a }}</p><i>{{ b }}</i>".into()));
    let tree = |a: i32, b: i32| {
        livetemplate::unstable::render_tree(&templates, "t.html", json!({ "a": a, "b": b }))
            .unwrap()
    };
    let (old, new) = (tree(1, 1), tree(2, 1));
    assert!(check::minimal(&old, &new, &json!({ "0": "2" })).is_ok());
    assert!(check::minimal(&old, &new, &json!({ "0": "2", "1": "1" })).is_err());
    assert!(check::minimal(&old, &old, &json!({ "0": "1" })).is_err());
    let whole = livetemplate::unstable::full(&new);
    assert!(check::minimal(&old, &new, &whole).is_err());
}

/// Every way people write a list gets row operations, not the list again:
/// with no key, a key inside a longer attribute, a key on a nested element,
/// a link, a list of plain strings — 1,000 rows each, through the stock
/// client's renderer as well.
#[test]
fn every_list_markup_changes_by_rows_whatever_its_keys() {
    let markups = [
        ("no key", "<ul>{% for r in rows %}<li>{{ r.name }} {{ r.score }}</li>{% endfor %}</ul>"),
        ("id=\"row-…\"", "<table>{% for r in rows %}<tr id=\"row-{{ r.id }}\"><td>{{ r.name }}</td><td>{{ r.score }}</td></tr>{% endfor %}</table>"),
        ("nested key", "<ul>{% for r in rows %}<li><span data-key=\"{{ r.id }}\">{{ r.name }}</span> {{ r.score }}</li>{% endfor %}</ul>"),
        ("href", "<ol>{% for r in rows %}<li><a href=\"/items/{{ r.id }}\">{{ r.name }}</a> {{ r.score }}</li>{% endfor %}</ol>"),
        ("strings", "<p>{% for r in names %}<b>{{ r }}</b>{% endfor %}</p>"),
    ];
    let rows = |n: usize| -> Vec<Value> {
        (0..n)
            .map(|i| json!({ "id": i, "name": format!("row {i}"), "score": i % 7 }))
            .collect()
    };
    let state = |rows: &[Value]| {
        let names: Vec<_> = rows.iter().map(|r| r["name"].clone()).collect();
        json!({ "rows": rows, "names": names })
    };
    let base = rows(1000);
    let mut edited = base.clone();
    edited[500]["name"] = json!("row 500!");
    let removed: Vec<_> = base.iter().filter(|r| r["id"] != 500).cloned().collect();
    let mut front = vec![json!({ "id": 1000, "name": "row new", "score": 3 })];
    front.extend(base.iter().cloned());
    let reversed: Vec<_> = base.iter().rev().cloned().collect();

    let mut replay = Replay::start();
    let mut tally = Tally::default();
    for (what, source) in markups {
        let templates = Templates::from_fn(move |_| Some(source.to_string()));
        for (change, after, limit) in [
            ("one row changed", &edited, 200),
            ("one row removed", &removed, 100),
            ("one row inserted at the front", &front, 300),
            ("reversed", &reversed, usize::MAX),
        ] {
            let (first, then) = (state(&base), state(after));
            let old = livetemplate::unstable::render_tree(&templates, "t.html", &first).unwrap();
            let mut new = livetemplate::unstable::render_tree(&templates, "t.html", &then).unwrap();
            let update = livetemplate::unstable::diff(&old, &mut new);
            let bytes = update.to_string().len();
            let limit = if limit == usize::MAX {
                // A reversal costs the keys, not the rows.
                let ul = new.slots.iter().find_map(|s| match s {
                    livetemplate::unstable::Slot::Range(r) => Some(r),
                    _ => None,
                });
                let (keys, _) = livetemplate::unstable::row_keys(ul.expect("a loop"));
                keys.iter().map(|k| k.len() + 3).sum::<usize>() + 32
            } else {
                limit
            };
            eprintln!("{what:>12} | {change:<30} | {bytes:>5} B (limit {limit})");
            assert!(
                bytes <= limit,
                "{what}, {change}: {bytes} bytes (limit {limit}): {}",
                &update.to_string()[..bytes.min(300)]
            );
            check::run_case(
                &templates,
                "t.html",
                &[first, then],
                &mut replay,
                &mut tally,
            )
            .unwrap_or_else(|e| panic!("{what}, {change}: {e}"));
        }
    }
    let verdict = replay.finish();
    assert!(
        verdict.ok,
        "the client renders differently:\n{}",
        verdict.mismatches
    );
    assert_eq!(tally.whole_ranges, 0, "no list was sent whole: {tally:?}");
}
