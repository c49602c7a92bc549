//! Bytes and server time per update, by scenario: the figures of issue 3.
//!
//! `cargo bench -p livetemplate --bench updates` prints a table. Server time
//! is what one action costs after its handler ran: render the template to a
//! tree, diff it against the previous tree, encode the frame. Each scenario
//! alternates between two states so every iteration does the real work.

use std::hint::black_box;
use std::time::{Duration, Instant};

use livetemplate::{diff, Templates};
use serde_json::{json, Value};

const COUNTER: &str = "<p>Count: {{ count }}</p><button name=\"increment\">+1</button>";

const TODOS: &str = r#"<form lvt-form:action="add"><input name="title"></form>
<ul>{% for todo in todos %}
  <li data-key="{{ todo.id }}" class="{% if todo.done %}done{% endif %}">
    <input type="checkbox" {% if todo.done %}checked{% endif %}> {{ todo.title }}
    <button name="remove" data-id="{{ todo.id }}">×</button>
  </li>{% endfor %}
</ul>
<p>{{ todos|length }} items, {{ todos|selectattr("done")|list|length }} done</p>"#;

const TABLE: &str = r#"<table>{% for row in rows %}<tr data-key="{{ row.id }}" class="{% if row.selected %}selected{% endif %}"><td>{{ row.id }}</td><td>{{ row.label }}</td></tr>{% endfor %}</table>"#;

const DOCUMENT: &str = r#"<article>{% for line in lines %}<p data-key="{{ line.id }}">{{ line.text }}</p>
{% endfor %}</article>"#;

struct Scenario {
    name: &'static str,
    template: &'static str,
    before: Value,
    after: Value,
}

fn todos(n: usize) -> Vec<Value> {
    (0..n)
        .map(|i| json!({ "id": i, "title": format!("todo number {i}"), "done": i % 3 == 0 }))
        .collect()
}

fn scenarios() -> Vec<Scenario> {
    let list = todos(20);
    let with = |f: &dyn Fn(&mut Vec<Value>)| {
        let mut l = list.clone();
        f(&mut l);
        json!({ "todos": l })
    };
    let rows: Vec<Value> = (0..10_000)
        .map(|i| json!({ "id": i, "label": format!("row {i}"), "selected": false }))
        .collect();
    let mut toggled = rows.clone();
    toggled[5_000]["selected"] = json!(true);
    let lines: Vec<Value> = (0..50_000)
        .map(|i| json!({ "id": i, "text": format!("Line {i} of a long document, with some words in it.") }))
        .collect();
    let mut edited = lines.clone();
    edited[25_000]["text"] = json!("This line was edited.");
    vec![
        Scenario {
            name: "counter increment",
            template: COUNTER,
            before: json!({ "count": 41 }),
            after: json!({ "count": 42 }),
        },
        Scenario {
            name: "todo add (20 → 21)",
            template: TODOS,
            before: json!({ "todos": list }),
            after: with(&|l| l.push(json!({ "id": 99, "title": "new one", "done": false }))),
        },
        Scenario {
            name: "todo toggle",
            template: TODOS,
            before: json!({ "todos": list }),
            after: with(&|l| l[7]["done"] = json!(true)),
        },
        Scenario {
            name: "todo remove",
            template: TODOS,
            before: json!({ "todos": list }),
            after: with(&|l| {
                l.remove(7);
            }),
        },
        Scenario {
            name: "todo reorder (last to first)",
            template: TODOS,
            before: json!({ "todos": list }),
            after: with(&|l| l.rotate_right(1)),
        },
        Scenario {
            name: "10k-row table, toggle one row",
            template: TABLE,
            before: json!({ "rows": rows }),
            after: json!({ "rows": toggled }),
        },
        Scenario {
            name: "50k-line document, edit one line",
            template: DOCUMENT,
            before: json!({ "lines": lines }),
            after: json!({ "lines": edited }),
        },
    ]
}

/// Median and 99th percentile of `samples`.
fn percentiles(mut samples: Vec<Duration>) -> (Duration, Duration) {
    samples.sort();
    let at = |q: f64| samples[((samples.len() - 1) as f64 * q).round() as usize];
    (at(0.5), at(0.99))
}

fn main() {
    // `cargo bench` passes `--bench`; a name argument filters scenarios.
    let filter: Option<String> = std::env::args().skip(1).find(|a| !a.starts_with('-'));
    println!("| scenario | update bytes | frame bytes | server time p50 | p99 | iterations |");
    println!("|---|---:|---:|---:|---:|---:|");
    for s in scenarios() {
        if filter.as_deref().is_some_and(|f| !s.name.contains(f)) {
            continue;
        }
        let templates = Templates::from_fn(move |_| Some(s.template.to_string()));
        let render = |state: &Value| templates.render_tree("page.html", state).expect("renders");
        let (mut old, states) = (render(&s.before), [&s.after, &s.before]);
        let update = diff::diff(&old, &render(&s.after));
        let update_bytes = update.to_string().len();
        let frame_bytes = json!({ "tree": update }).to_string().len();

        // Warm up, then sample until both enough iterations and enough time.
        let mut samples = Vec::new();
        let started = Instant::now();
        let mut i = 0;
        while samples.len() < 20
            || (started.elapsed() < Duration::from_secs(3) && samples.len() < 10_000)
        {
            let state = states[i % 2];
            let t = Instant::now();
            let new = render(state);
            let update = diff::diff(&old, &new);
            let frame = json!({ "tree": update }).to_string();
            let took = t.elapsed();
            black_box(frame);
            old = new;
            if i >= 3 {
                samples.push(took);
            }
            i += 1;
        }
        let n = samples.len();
        let (p50, p99) = percentiles(samples);
        println!(
            "| {} | {update_bytes} | {frame_bytes} | {:.1} µs | {:.1} µs | {n} |",
            s.name,
            p50.as_secs_f64() * 1e6,
            p99.as_secs_f64() * 1e6,
        );
    }
}
