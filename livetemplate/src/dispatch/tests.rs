//! Actions on one view, and views of one delivery sharing renders.

use axum::extract::ws::Utf8Bytes;
use serde::{Deserialize, Serialize};
use serde_json::json;
use tokio_util::sync::CancellationToken;

use super::*;
use crate::session::TaskScope;

struct Todo;

#[derive(Clone, Default, Serialize, Deserialize)]
struct Items {
    items: Vec<String>,
}

impl Controller for Todo {
    type State = Items;
    fn actions(actions: &mut Actions<Self>) {
        actions.on("add_item", |_, s, ctx| {
            let title = ctx.get_string("title").unwrap_or_default();
            if title.is_empty() {
                return Err(ActionError::field("title", "required"));
            }
            s.items.push(title);
            Ok(())
        });
        actions.on_server("drop_first", |_, s, _| {
            s.items.remove(0);
            Ok(())
        });
    }
}

fn dispatch() -> Dispatch<Todo> {
    let src = "<ul>{% for i in items %}<li>{{ i }}</li>{% endfor %}</ul>{{ lvt.errors.title }}";
    Dispatch {
        controller: Todo,
        actions: Actions::collect(),
        templates: Templates::from_fn(move |_| Some(src.into())),
        template: "todo.html".into(),
        registry: Arc::new(Registry::new("test".into())),
        page: "todo.html".into(),
        metrics: Arc::new(Metrics::default()),
        tracer: None,
        persist: None,
        forms: Arc::default(),
        uploads: Arc::new(crate::upload::UploadRules::of::<Todo>(
            crate::upload::default_dir(),
        )),
    }
}

fn link(d: &Dispatch<Todo>) -> Arc<Link> {
    Arc::new(Link {
        registry: d.registry.clone(),
        page: d.page.clone(),
        identity: Arc::new(Identity::anonymous("g")),
        conn: None,
        tasks: TaskScope::new(&CancellationToken::new(), d.metrics.clone()),
        topics: Arc::new(|_, _| false),
        drop: Arc::default(),
    })
}

fn run(d: &Dispatch<Todo>, view: &mut View<Todo>, action: &str, data: Value) -> Value {
    let Value::Object(data) = data else { panic!() };
    d.run(view, action, Arc::new(data), &link(d), Caller::Client)
        .update
        .into_value()
}

/// A server push of `action` to `view`, as one of the views of `delivery`.
fn push(
    d: &Dispatch<Todo>,
    view: &mut View<Todo>,
    action: &str,
    data: Value,
    delivery: &SharedRenders,
) -> Update {
    let Value::Object(data) = data else { panic!() };
    let link = link(d);
    let data = Arc::new(data);
    d.run_shared(
        view,
        &action.into(),
        data,
        &link,
        Caller::Server,
        Some(delivery),
    )
    .update
}

/// The frame a push sends.
fn frame(update: Update, view: &View<Todo>) -> Utf8Bytes {
    update.into_frame(&view.errors, None)
}

fn showing(d: &Dispatch<Todo>, items: &[&str]) -> View<Todo> {
    let mut view = View::new(Items {
        items: items.iter().map(|s| s.to_string()).collect(),
    });
    d.refresh(&mut view).unwrap();
    view
}

#[test]
fn actions_find_their_handler_by_any_spelling_and_update_minimally() {
    let d = dispatch();
    let mut view = View::new(Items::default());
    let first = d.refresh(&mut view).unwrap();
    assert!(
        first.get("s").is_some(),
        "the first render is the full tree"
    );
    let update = run(&d, &mut view, "addItem", json!({ "title": "milk" }));
    assert_eq!(update["0"]["d"], json!([{ "0": "milk", "_k": "0" }]));
    assert_eq!(view.state.items, ["milk"]);
}

#[test]
fn errors_keep_the_state_and_reach_the_template() {
    let d = dispatch();
    let mut view = View::new(Items {
        items: vec!["a".into()],
    });
    d.refresh(&mut view).unwrap();
    let update = run(&d, &mut view, "add-item", json!({}));
    assert_eq!(view.errors["title"], "required");
    assert_eq!(view.state.items, ["a"]);
    assert_eq!(
        update,
        json!({ "1": "required" }),
        "only the error slot changes"
    );

    let update = run(&d, &mut view, "nope", json!({}));
    assert_eq!(view.errors["_general"], "unknown action \"nope\"");
    assert_eq!(update, json!({ "1": "" }));
}

#[test]
fn views_that_showed_the_same_state_share_one_render_and_frame() {
    let d = dispatch();
    let (mut a, mut b) = (showing(&d, &["x"]), showing(&d, &["x"]));
    let delivery = SharedRenders::default();
    let first = push(&d, &mut a, "add_item", json!({ "title": "y" }), &delivery);
    let second = push(&d, &mut b, "add_item", json!({ "title": "y" }), &delivery);
    let (one, other) = (frame(first, &a), frame(second, &b));
    assert_eq!(
        one.as_str(),
        r#"{"tree":{"0":[["a",[{"0":"y","_k":"1"}]]]}}"#
    );
    assert_eq!(
        one.as_str().as_ptr(),
        other.as_str().as_ptr(),
        "one frame, not two"
    );
    let (ta, tb) = (a.tree.as_ref().unwrap(), b.tree.as_ref().unwrap());
    assert!(Arc::ptr_eq(ta, tb), "one tree, not two");
    assert_eq!(b.state.items, ["x", "y"], "each view keeps its own state");
}

#[test]
fn views_that_showed_other_states_render_their_own() {
    let d = dispatch();
    let (mut a, mut b) = (showing(&d, &["x"]), showing(&d, &["z"]));
    let delivery = SharedRenders::default();
    push(&d, &mut a, "add_item", json!({ "title": "y" }), &delivery);
    push(&d, &mut b, "add_item", json!({ "title": "y" }), &delivery);
    assert!(!Arc::ptr_eq(
        a.tree.as_ref().unwrap(),
        b.tree.as_ref().unwrap()
    ));
    assert_eq!(
        a.tree.as_ref().unwrap().to_html(),
        "<ul><li>x</li><li>y</li></ul>"
    );
    assert_eq!(
        b.tree.as_ref().unwrap().to_html(),
        "<ul><li>z</li><li>y</li></ul>"
    );
}

#[test]
fn views_whose_rows_are_numbered_differently_render_their_own() {
    // Equal states, but `a`'s rows kept their numbers through a removal
    // ("a" is row 1 there, row 0 in `b`): one update cannot serve both.
    let d = dispatch();
    let mut a = showing(&d, &["gone", "a"]);
    push(
        &d,
        &mut a,
        "drop_first",
        json!({}),
        &SharedRenders::default(),
    );
    let mut b = showing(&d, &["a"]);
    assert_eq!(a.state.items, b.state.items);
    let delivery = SharedRenders::default();
    let first = push(&d, &mut a, "add_item", json!({ "title": "y" }), &delivery);
    let second = push(&d, &mut b, "add_item", json!({ "title": "y" }), &delivery);
    let row = |key: &str| json!([["a", [{ "0": "y", "_k": key }]]]);
    assert_eq!(first.into_value()["0"], row("2"));
    assert_eq!(second.into_value()["0"], row("1"));
}

#[test]
fn a_failed_push_is_not_shared() {
    let d = dispatch();
    let (mut a, mut b) = (showing(&d, &["x"]), showing(&d, &["x"]));
    let delivery = SharedRenders::default();
    let failed = push(&d, &mut a, "add_item", json!({}), &delivery);
    assert!(
        matches!(failed, Update::Value(_)),
        "an error frame is the view's own"
    );
    assert!(frame(failed, &a).contains("required"));
    let second = push(&d, &mut b, "add_item", json!({ "title": "y" }), &delivery);
    assert!(!frame(second, &b).contains("required"));
    assert!(b.errors.is_empty());
}
