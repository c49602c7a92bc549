//! A to-do list written the plain way — no key attributes on its rows — that
//! still updates the browser row by row: adding, ticking or removing one
//! to-do sends that row, not the list.
//!
//! ```sh
//! cargo run -p livetemplate --example todos            # http://127.0.0.1:8430
//! cargo run -p livetemplate --example todos -- --addr 127.0.0.1:0
//! ```

use livetemplate::{ActionError, Actions, Context, Controller, LiveTemplate, Templates};
use serde::{Deserialize, Serialize};

const PAGE: &str = r#"<h1>To do</h1>
<form>
  <input name="title" placeholder="What needs doing?" autocomplete="off">
  <button name="add">Add</button>
</form>
{% if lvt.errors.title %}<p class="error">{{ lvt.errors.title }}</p>{% endif %}
<ul class="todos">
{%- for todo in todos %}
  <li class="{% if todo.done %}done{% endif %}">
    <button name="toggle" value="{{ todo.id }}">{% if todo.done %}☑{% else %}☐{% endif %}</button>
    {{ todo.title }}
    <button name="remove" value="{{ todo.id }}" aria-label="Remove">×</button>
  </li>
{%- endfor %}
</ul>
<p>{{ todos|length }} to do.</p>"#;

struct Todos;

#[derive(Clone, Default, Serialize, Deserialize)]
struct List {
    todos: Vec<Todo>,
    next_id: u64,
}

#[derive(Clone, Serialize, Deserialize)]
struct Todo {
    id: u64,
    title: String,
    done: bool,
}

#[derive(Deserialize)]
struct New {
    title: String,
}

/// A row's button: its `value` is the to-do's id.
#[derive(Deserialize)]
struct Pick {
    value: u64,
}

impl Controller for Todos {
    type State = List;

    fn actions(actions: &mut Actions<Self>) {
        actions
            .on("add", Todos::add)
            .on("toggle", |_, list, ctx| {
                let Pick { value } = ctx.data()?;
                if let Some(todo) = list.todos.iter_mut().find(|t| t.id == value) {
                    todo.done = !todo.done;
                }
                Ok(())
            })
            .on("remove", |_, list, ctx| {
                let Pick { value } = ctx.data()?;
                list.todos.retain(|t| t.id != value);
                Ok(())
            });
    }
}

impl Todos {
    /// New to-dos go first.
    fn add(&self, list: &mut List, ctx: &mut Context<Self>) -> Result<(), ActionError> {
        let New { title } = ctx.data()?;
        let title = title.trim();
        if title.is_empty() {
            return Err(ActionError::field("title", "write something first"));
        }
        list.next_id += 1;
        let todo = Todo {
            id: list.next_id,
            title: title.to_string(),
            done: false,
        };
        list.todos.insert(0, todo);
        Ok(())
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let addr = match (args.next().as_deref(), args.next()) {
        (Some("--addr"), Some(addr)) => addr,
        _ => "127.0.0.1:8430".to_string(),
    };
    let live = LiveTemplate::new(Templates::from_fn(|name| {
        (name == "todos.html").then(|| PAGE.to_string())
    }));
    let app = axum::Router::new()
        .route("/", live.page("todos.html", Todos).build()?)
        .merge(live.routes());
    let listener = tokio::net::TcpListener::bind(&addr).await?;
    println!("listening on http://{}", listener.local_addr()?);
    // Slow clients are cut off; Ctrl-C or SIGTERM stops it within the grace period.
    live.serve(listener, app)
        .with_graceful_shutdown(livetemplate::shutdown_signal())
        .await?;
    Ok(())
}
