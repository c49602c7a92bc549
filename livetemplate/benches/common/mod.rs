//! The scenarios of the diff issue, shared by the `updates` table and the
//! criterion `render_diff` bench: a template and two states to alternate.

use std::sync::Arc;

use serde_json::{json, Map, Value};

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

/// One scenario: rendering `after` over `before` is the update measured.
pub struct Scenario {
    pub name: &'static str,
    pub template: &'static str,
    pub before: Value,
    pub after: Value,
}

fn todos(n: usize) -> Vec<Value> {
    (0..n)
        .map(|i| json!({ "id": i, "title": format!("todo number {i}"), "done": i % 3 == 0 }))
        .collect()
}

/// Every scenario, smallest first.
pub fn scenarios() -> Vec<Scenario> {
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

/// A state as a render takes it: a shared JSON object.
pub fn object(state: Value) -> Arc<Map<String, Value>> {
    match state {
        Value::Object(map) => Arc::new(map),
        other => Arc::new(Map::from_iter([("state".to_string(), other)])),
    }
}
