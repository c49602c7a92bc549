//! Running an action: find the handler, run it on a copy of the state,
//! render, and diff against what the client already has.

use std::collections::HashMap;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;

use serde_json::{Map, Value};

use super::{Hub, Session, TaskScope};
use crate::context::{Context, MountContext};
use crate::controller::{ActionError, Actions, Controller};
use crate::metrics::Metrics;
use crate::template::Templates;
use crate::trace::{next_view_id, Trace, Tracer};
use crate::tree::Node;
use crate::{diff, template::TemplateError};

/// One live page: its controller, actions, template and connections.
pub(crate) struct Dispatch<C: Controller> {
    pub controller: C,
    pub actions: Actions<C>,
    pub templates: Templates,
    pub template: String,
    pub hub: Arc<Hub>,
    pub metrics: Arc<Metrics>,
    pub tracer: Option<Tracer>,
}

/// One client's view of the page: its state, the tree it holds, and the
/// errors of its last action.
pub(crate) struct View<C: Controller> {
    /// Names the client's tree in [`Trace`]s; new with every full tree.
    pub id: u64,
    pub state: C::State,
    pub tree: Option<Node>,
    pub errors: Map<String, Value>,
}

impl<C: Controller> View<C> {
    pub(crate) fn new(state: C::State) -> View<C> {
        View {
            id: 0,
            state,
            tree: None,
            errors: Map::new(),
        }
    }
}

fn context(action: &str, data: Map<String, Value>, session: Session, tasks: &TaskScope) -> Context {
    Context {
        action: action.to_string(),
        data,
        session,
        tasks: tasks.clone(),
    }
}

impl<C: Controller> Dispatch<C> {
    pub(crate) fn mount(&self, query: HashMap<String, String>) -> Result<C::State, ActionError> {
        let ctx = MountContext { query };
        match catch_unwind(AssertUnwindSafe(|| self.controller.mount(&ctx))) {
            Ok(result) => result,
            Err(_) => Err(ActionError::msg("mount failed unexpectedly")),
        }
    }

    pub(crate) fn session(&self, group: &Arc<str>) -> Session {
        Session {
            hub: self.hub.clone(),
            group: group.clone(),
        }
    }

    /// Renders a state (with its errors) to a tree.
    pub(crate) fn render(
        &self,
        state: &C::State,
        errors: &Map<String, Value>,
    ) -> Result<Node, TemplateError> {
        let mut ctx = match serde_json::to_value(state) {
            Ok(Value::Object(map)) => map,
            Ok(other) => Map::from_iter([("state".to_string(), other)]),
            Err(e) => {
                return Err(TemplateError {
                    name: self.template.clone(),
                    source: minijinja::Error::new(
                        minijinja::ErrorKind::BadSerialization,
                        format!("the state does not serialize: {e}"),
                    ),
                })
            }
        };
        let mut lvt = Map::new();
        lvt.insert("errors".into(), Value::Object(errors.clone()));
        ctx.insert("lvt".into(), Value::Object(lvt));
        let name = &self.template;
        match catch_unwind(AssertUnwindSafe(|| self.templates.render_tree(name, &ctx))) {
            Ok(result) => result,
            Err(_) => Err(TemplateError {
                name: name.clone(),
                source: minijinja::Error::new(
                    minijinja::ErrorKind::InvalidOperation,
                    "a filter or function panicked",
                ),
            }),
        }
    }

    /// The update that brings the client from its tree to `tree`.
    fn commit(&self, view: &mut View<C>, tree: Node) -> Value {
        let update = match &view.tree {
            Some(old) => diff::diff(old, &tree),
            None => {
                // A full tree starts a new client tree (a reconnect, an HTTP answer).
                view.id = next_view_id();
                diff::full(&tree)
            }
        };
        if let Some(trace) = &self.tracer {
            trace(&Trace {
                template: &self.template,
                view: view.id,
                update: &update,
                tree: &tree,
            });
        }
        view.tree = Some(tree);
        update
    }

    /// Renders the view as it is and returns the update for the client
    /// (the full tree the first time).
    pub(crate) fn refresh(&self, view: &mut View<C>) -> Result<Value, TemplateError> {
        let tree = self.render(&view.state, &view.errors)?;
        Ok(self.commit(view, tree))
    }

    /// Runs the controller's `on_connect` hook; an error is kept in
    /// `view.errors` for the first render.
    pub(crate) fn connect(&self, view: &mut View<C>, session: Session, tasks: &TaskScope) {
        let ctx = context("on_connect", Map::new(), session, tasks);
        match self.invoke(&view.state, ctx, |c, state, ctx| c.on_connect(state, ctx)) {
            Ok(next) => view.state = next,
            Err(e) => view.errors = e.to_map(),
        }
    }

    /// Runs `f` on a copy of `state`: the copy if it succeeded, else why not
    /// (a panic becomes an error naming the action).
    fn invoke<F>(&self, state: &C::State, mut ctx: Context, f: F) -> Result<C::State, ActionError>
    where
        F: FnOnce(&C, &mut C::State, &mut Context) -> Result<(), ActionError>,
    {
        let mut next = state.clone();
        match catch_unwind(AssertUnwindSafe(|| {
            f(&self.controller, &mut next, &mut ctx)
        })) {
            Ok(Ok(())) => Ok(next),
            Ok(Err(e)) => Err(e),
            Err(_) => {
                tracing::error!(action = ctx.action, "handler panicked");
                Err(ActionError::msg(format!(
                    "action {:?} failed unexpectedly",
                    ctx.action
                )))
            }
        }
    }

    /// Runs `action` on the view and returns the update to send.
    ///
    /// The handler runs on a copy of the state: an error, a panic, or a
    /// render failure leaves the state as it was, with the reason in
    /// `view.errors` (which the template sees as `lvt.errors`).
    pub(crate) fn run(
        &self,
        view: &mut View<C>,
        action: &str,
        data: Map<String, Value>,
        session: Session,
        tasks: &TaskScope,
    ) -> Value {
        let outcome: Result<(), ActionError> = match self.actions.get(action) {
            None => Err(ActionError::msg(format!("unknown action {action:?}"))),
            Some(handler) => {
                let ctx = context(action, data, session, tasks);
                match self.invoke(&view.state, ctx, |c, state, ctx| handler(c, state, ctx)) {
                    Ok(next) => match self.render(&next, &Map::new()) {
                        Ok(tree) => {
                            view.state = next;
                            view.errors.clear();
                            self.metrics.action_done(true);
                            return self.commit(view, tree);
                        }
                        Err(e) => {
                            tracing::error!(action, error = %e, "render failed after action");
                            Err(ActionError::msg(format!(
                                "action {action:?} failed: the page could not be rendered"
                            )))
                        }
                    },
                    Err(e) => Err(e),
                }
            }
        };
        self.metrics.action_done(false);
        if let Err(e) = outcome {
            view.errors = e.to_map();
        }
        match self.refresh(view) {
            Ok(update) => update,
            Err(e) => {
                tracing::error!(action, error = %e, "render failed");
                Value::Object(Map::new())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use serde::{Deserialize, Serialize};
    use serde_json::json;
    use tokio_util::sync::CancellationToken;

    use super::*;

    struct Todo;

    #[derive(Clone, Default, Serialize, Deserialize)]
    struct Items {
        items: Vec<String>,
    }

    impl Controller for Todo {
        type State = Items;
        fn actions(actions: &mut Actions<Self>) {
            actions.on("add_item", |_, s: &mut Items, ctx: &mut Context| {
                let title = ctx.get_string("title");
                if title.is_empty() {
                    return Err(ActionError::field("title", "required"));
                }
                s.items.push(title);
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
            hub: Arc::new(Hub::default()),
            metrics: Arc::new(Metrics::default()),
            tracer: None,
        }
    }

    fn run(d: &Dispatch<Todo>, view: &mut View<Todo>, action: &str, data: Value) -> Value {
        let scope = TaskScope::new(CancellationToken::new(), d.metrics.clone());
        let Value::Object(data) = data else { panic!() };
        d.run(view, action, data, d.session(&Arc::from("g")), &scope)
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
        assert_eq!(update["0"]["d"], json!([{ "0": "milk" }]));
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
}
