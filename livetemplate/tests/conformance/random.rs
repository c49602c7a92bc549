//! Random templates and random state sequences, judged like the corpus.
//!
//! A template is drawn from a small grammar of minijinja constructs (every
//! construct issue 3 names: filters, tests, if/elif/else, loops with `loop.*`
//! and `else`, nested loops, loops over maps, set, with, macros, call,
//! include, extends/block, whitespace control, raw, comments, expressions in
//! attribute values and names); states are a random start and a run of small
//! edits (so keyed lists see every operation), with hostile strings.
//!
//! `cargo test` runs 10,000 cases. The long run is documented in the README:
//! `LVT_RANDOM_CASES=1000000 cargo test --release -p livetemplate --test conformance random`.

use std::cell::{Cell, RefCell};

use livetemplate::Templates;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use serde_json::{json, Value};

use crate::check::{run_case, Tally};
use crate::replay::Replay;

/// Where a fragment sits decides which names it may use.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Scope {
    Top,
    /// Inside `for todo in todos`.
    Todo,
    /// Inside `for tag in todo.tags`.
    Tag,
    /// Inside `for key, value in settings|dictsort`.
    Setting,
}

impl Scope {
    fn expressions(self) -> Vec<&'static str> {
        let mut e = vec![
            "title",
            "title|upper",
            "title|length",
            "count",
            "count + 1",
            "count is even",
            "on",
            "todos|length",
            "title|default('none')",
            "'lit' ~ count",
            "settings|length",
        ];
        match self {
            Scope::Top => {}
            Scope::Todo => e.extend([
                "todo.id",
                "todo.text",
                "todo.done",
                "loop.index",
                "loop.first",
                "loop.last",
                "loop.length",
                "todo.tags|join(',')",
            ]),
            Scope::Tag => e.extend(["tag", "loop.index0", "todo.text"]),
            Scope::Setting => e.extend(["key", "value", "loop.revindex"]),
        }
        e
    }

    fn conditions(self) -> Vec<&'static str> {
        let mut c = vec!["on", "count > 1", "count is odd", "title", "not todos"];
        match self {
            Scope::Todo | Scope::Tag => c.extend(["todo.done", "loop.first", "todo.tags"]),
            Scope::Setting => c.push("value == '1'"),
            Scope::Top => {}
        }
        c
    }
}

/// Opening and closing tag delimiters, with or without whitespace control.
fn tag(trim: (bool, bool), body: &str) -> String {
    format!(
        "{{%{} {body} {}%}}",
        if trim.0 { "-" } else { "" },
        if trim.1 { "-" } else { "" }
    )
}

fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-z <>/=\"'\\n.!&;-]{0,8}",
        Just("<li data-key=\"k\">".to_string()),
        Just("\u{E000}".to_string()),
        Just(" ".to_string()),
    ]
}

fn trims() -> impl Strategy<Value = (bool, bool)> {
    (prop::bool::weighted(0.2), prop::bool::weighted(0.2))
}

/// A template fragment, as source text.
fn fragment(scope: Scope, depth: u32) -> BoxedStrategy<String> {
    let expr = prop::sample::select(scope.expressions());
    let cond = prop::sample::select(scope.conditions());
    let leaf = prop_oneof![
        4 => text(),
        4 => expr.clone().prop_map(|e| format!("{{{{ {e} }}}}")),
        1 => (expr.clone(), text()).prop_map(|(e, t)| format!("<a class=\"{t}{{{{ {e} }}}}\">")),
        1 => cond.clone().prop_map(|c| format!("<input {{% if {c} %}}checked{{% endif %}}>")),
        1 => expr.clone().prop_map(|e| format!("{{% raw %}}{{{{ {e} }}}}{{% endraw %}}")),
        1 => Just("{# a comment #}".to_string()),
        1 => Just("{% include 'part.html' %}".to_string()),
        1 => expr.clone().prop_map(|e| format!("{{{{ shout({e}) }}}}")),
    ];
    if depth == 0 {
        return leaf.boxed();
    }
    let body = move |s: Scope| seq(s, depth - 1);
    let mut branches: Vec<(u32, BoxedStrategy<String>)> = vec![
        (6, leaf.boxed()),
        (
            2,
            (cond.clone(), body(scope), prop::option::of(cond.clone()), body(scope), prop::option::of(body(scope)), trims())
                .prop_map(|(c, then, elif_c, elif, otherwise, t)| {
                    let mut s = tag(t, &format!("if {c}")) + &then;
                    if let Some(ec) = elif_c {
                        s += &(tag(t, &format!("elif {ec}")) + &elif);
                    }
                    if let Some(o) = otherwise {
                        s += &(tag(t, "else") + &o);
                    }
                    s + &tag(t, "endif")
                })
                .boxed(),
        ),
        (
            1,
            (body(scope), trims())
                .prop_map(|(b, t)| format!("{}{b}{{{{ captured }}}}", tag(t, "set captured") + &b + &tag(t, "endset")))
                .boxed(),
        ),
        (
            1,
            (expr.clone(), body(scope))
                .prop_map(|(e, b)| format!("{{% set inline = {e} %}}{{% with w = inline %}}{b}[{{{{ w }}}}]{{% endwith %}}"))
                .boxed(),
        ),
        (
            1,
            body(scope)
                .prop_map(|b| format!("{{% call boxed() %}}{b}{{% endcall %}}"))
                .boxed(),
        ),
    ];
    match scope {
        Scope::Top => {
            branches.push((6, todo_loop(depth)));
            branches.push((
                1,
                (body(Scope::Setting), prop::sample::select(vec!["data-lvt-key", "title", "data-id"]))
                    .prop_map(|(b, attr)| {
                        format!("<dl>{{% for key, value in settings|dictsort %}}<dt {attr}=\"{{{{ key }}}}\">{b}</dt>{{% endfor %}}</dl>")
                    })
                    .boxed(),
            ));
        }
        Scope::Todo => branches.push((
            2,
            (
                body(Scope::Tag),
                prop::option::of(body(Scope::Todo)),
                prop::bool::ANY,
            )
                .prop_map(|(b, e, keyed)| {
                    let attr = if keyed { "data-key" } else { "class" };
                    let mut s =
                        format!("{{% for tag in todo.tags %}}<b {attr}=\"{{{{ tag }}}}\">{b}</b>");
                    if let Some(e) = e {
                        s += &format!("{{% else %}}{e}");
                    }
                    s + "{% endfor %}"
                })
                .boxed(),
        )),
        Scope::Tag | Scope::Setting => {}
    }
    prop::strategy::Union::new_weighted(branches).boxed()
}

/// `for todo in todos`, keyed by one of the attributes the client knows, or
/// by something that is not a key, or by a value that repeats, or inside a
/// longer value, or on a nested element, or not at all.
fn todo_loop(depth: u32) -> BoxedStrategy<String> {
    let key = prop::sample::select(vec![
        "data-key=\"{{ todo.id }}\"",
        "data-lvt-key=\"{{ todo.id }}\"",
        "id=\"{{ todo.id }}\"",
        "key=\"{{ todo.id }}\"",
        "data-id='{{ todo.id }}'",
        "title=\"{{ todo.id }}\"",
        "data-key=\"{{ todo.text }}\"",
        "data-key=\"{{ loop.index }}\"",
        "class=\"{{ todo.done }}\" data-key=\"{{ todo.id }}\"",
        "",
        "class=\"row\"",
        "id=\"row-{{ todo.id }}\"",
        "data-key=\"t{{ todo.id }}-{{ todo.done }}\"",
        "><span data-key=\"{{ todo.id }}\"></span",
        "><a href=\"/todos/{{ todo.id }}\">open</a",
    ]);
    (
        key,
        seq(Scope::Todo, depth - 1),
        prop::option::of(seq(Scope::Top, depth - 1)),
        trims(),
    )
        .prop_map(|(key, body, otherwise, t)| {
            let mut s = format!("<ul>{}<li {key}>{body}</li>", tag(t, "for todo in todos"));
            if let Some(o) = otherwise {
                s += &(tag(t, "else") + &o);
            }
            s + &tag(t, "endfor") + "</ul>"
        })
        .boxed()
}

fn seq(scope: Scope, depth: u32) -> BoxedStrategy<String> {
    prop::collection::vec(fragment(scope, depth), 0..4)
        .prop_map(|parts| parts.concat())
        .boxed()
}

/// A whole page: standalone, or a child of `base.html` filling its block.
fn page() -> impl Strategy<Value = String> {
    (seq(Scope::Top, 3), prop::bool::weighted(0.2)).prop_map(|(body, extends)| {
        let prelude = "{% macro shout(x) %}<em>{{ x }}!</em>{% endmacro %}\
             {% macro boxed() %}<div class=\"box\">{{ caller() }}</div>{% endmacro %}";
        if extends {
            format!("{{% extends 'base.html' %}}{prelude}{{% block body %}}{body}{{% endblock %}}")
        } else {
            format!("{prelude}{body}")
        }
    })
}

const BASE: &str = "<main>{% block body %}{% endblock %}</main><footer>{{ count }}</footer>";
const PART: &str = "<span>{{ title }}{% if todo is defined %}/{{ todo.text }}{% endif %}</span>";

/// Values that have tried to break things.
fn word() -> impl Strategy<Value = String> {
    prop_oneof![
        6 => "[a-z]{0,4}",
        1 => Just("<script>alert(1)</script>".to_string()),
        1 => Just("\"'><&".to_string()),
        1 => Just("{{ x }}".to_string()),
        1 => Just("\u{E000}".to_string()),
        1 => Just("\u{E001}".to_string()),
        1 => prop::sample::select(vec!['e', 'n', 'z', 'r', 'i', 'x', 'q'])
            .prop_map(|k| format!("\u{E000}000000000000000000000000{k}\u{E001}")),
    ]
}

#[derive(Debug, Clone)]
enum Edit {
    Same,
    Title(String),
    Count(i64),
    Toggle,
    Add(usize, String),
    Remove(usize),
    Move(usize, usize),
    Text(usize, String),
    Done(usize),
    Tag(usize, String),
    Untag(usize),
    Setting(String, String),
    Unset(usize),
    Clear,
}

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        1 => Just(Edit::Same),
        1 => word().prop_map(Edit::Title),
        1 => (0i64..5).prop_map(Edit::Count),
        1 => Just(Edit::Toggle),
        3 => (0usize..8, word()).prop_map(|(i, w)| Edit::Add(i, w)),
        2 => (0usize..8).prop_map(Edit::Remove),
        2 => (0usize..8, 0usize..8).prop_map(|(a, b)| Edit::Move(a, b)),
        2 => (0usize..8, word()).prop_map(|(i, w)| Edit::Text(i, w)),
        2 => (0usize..8).prop_map(Edit::Done),
        1 => (0usize..8, "[a-c]").prop_map(|(i, t)| Edit::Tag(i, t)),
        1 => (0usize..8).prop_map(Edit::Untag),
        1 => ("[a-d]", word()).prop_map(|(k, v)| Edit::Setting(k, v)),
        1 => (0usize..4).prop_map(Edit::Unset),
        1 => Just(Edit::Clear),
    ]
}

/// The states an edit script walks through, from a page with three todos.
fn states(edits: &[Edit]) -> Vec<Value> {
    let todo = |id: u32, text: &str| json!({ "id": id, "text": text, "done": false, "tags": [] });
    let mut state = json!({
        "title": "t",
        "count": 0,
        "on": false,
        "todos": [todo(1, "a"), todo(2, "b"), todo(3, "c")],
        "settings": { "a": "1" },
    });
    let mut next_id = 3;
    let mut out = vec![state.clone()];
    for e in edits {
        let todos = state["todos"].as_array_mut().expect("todos");
        let n = todos.len();
        match e {
            Edit::Same => {}
            Edit::Title(w) => state["title"] = json!(w),
            Edit::Count(c) => state["count"] = json!(c),
            Edit::Toggle => state["on"] = json!(!state["on"].as_bool().unwrap_or(false)),
            Edit::Add(i, w) => {
                next_id += 1;
                todos.insert(i % (n + 1), todo(next_id, w));
            }
            Edit::Remove(i) if n > 0 => {
                todos.remove(i % n);
            }
            Edit::Move(a, b) if n > 0 => {
                let t = todos.remove(a % n);
                todos.insert(b % n, t);
            }
            Edit::Text(i, w) if n > 0 => todos[i % n]["text"] = json!(w),
            Edit::Done(i) if n > 0 => {
                let done = todos[i % n]["done"].as_bool().unwrap_or(false);
                todos[i % n]["done"] = json!(!done);
            }
            Edit::Tag(i, t) if n > 0 => {
                let tags = todos[i % n]["tags"].as_array_mut().expect("tags");
                if !tags.contains(&json!(t)) {
                    tags.push(json!(t));
                }
            }
            Edit::Untag(i) if n > 0 => {
                let tags = todos[i % n]["tags"].as_array_mut().expect("tags");
                if !tags.is_empty() {
                    tags.remove(0);
                }
            }
            Edit::Setting(k, v) => state["settings"][k] = json!(v),
            Edit::Unset(i) => {
                let settings = state["settings"].as_object_mut().expect("settings");
                if let Some(k) = settings.keys().nth(*i).cloned() {
                    settings.remove(&k);
                }
            }
            Edit::Clear => todos.clear(),
            _ => {}
        }
        out.push(state.clone());
    }
    out
}

fn cases_to_run() -> u32 {
    std::env::var("LVT_RANDOM_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(10_000)
}

#[test]
fn random_templates_and_states_render_identically_in_the_stock_client() {
    let cases = cases_to_run();
    let mut runner = TestRunner::new(Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    });
    // The runner takes an `Fn`; the judge and the counts are shared state.
    let replay = RefCell::new(Replay::start());
    let tally = RefCell::new(Tally::default());
    let number = Cell::new(0u32);
    let strategy = (page(), prop::collection::vec(edit(), 1..12));
    let result = runner.run(&strategy, |(source, edits)| {
        number.set(number.get() + 1);
        let templates = Templates::from_fn(move |name| match name {
            "page.html" => Some(source.clone()),
            "base.html" => Some(BASE.into()),
            "part.html" => Some(PART.into()),
            _ => None,
        });
        if std::env::var_os("LVT_RANDOM_SHOW").is_some() && number.get() <= 5 {
            eprintln!(
                "--- case {}\n{}\n",
                number.get(),
                templates.source("page.html").unwrap_or_default()
            );
        }
        let (mut replay, mut tally) = (replay.borrow_mut(), tally.borrow_mut());
        run_case(
            &templates,
            "page.html",
            &states(&edits),
            &mut replay,
            &mut tally,
        )
        .map_err(|e| TestCaseError::fail(format!("random case {}: {e}", number.get())))
    });
    let (verdict, tally) = (replay.into_inner().finish(), tally.into_inner());
    if let Err(e) = result {
        panic!("{e}");
    }
    assert!(
        verdict.ok,
        "the client renders differently:\n{}",
        verdict.mismatches
    );
    eprintln!(
        "random: {cases} cases, {} updates, {} render errors, ops {:?}, whole lists {}",
        tally.updates, tally.errors, tally.ops, tally.whole_ranges
    );
    // Errors render the same in both (checked), but prove little: keep them rare.
    assert!(
        tally.errors * 20 < tally.updates,
        "too many render errors: {tally:?}"
    );
    for op in ["r", "u", "a", "p", "i", "o"] {
        assert!(
            tally.ops.get(op).is_some_and(|n| *n > 0),
            "no {op:?} op drawn: {tally:?}"
        );
    }
}
