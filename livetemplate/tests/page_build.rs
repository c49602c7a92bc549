//! What building a page checks, so that mistakes fail at start-up with a
//! message naming them, not later on a click.

use livetemplate::{ActionError, Actions, Context, Controller, LiveError, LiveTemplate, Templates};
use serde::{Deserialize, Serialize};

const PAGE: &str = r#"<p>{{ count }}</p><button name="increment">+1</button>"#;

fn live(source: &'static str) -> LiveTemplate {
    LiveTemplate::new(Templates::from_fn(move |name| {
        (name == "page.html").then(|| source.to_string())
    }))
}

#[derive(Clone, Default, Serialize, Deserialize)]
struct Count {
    count: i64,
    label: String,
}

/// A controller whose actions and persisted fields are chosen per test.
struct Page<const PERSIST_TYPO: bool>;

impl<const PERSIST_TYPO: bool> Controller for Page<PERSIST_TYPO> {
    type State = Count;
    const PERSIST: &'static [&'static str] = if PERSIST_TYPO {
        &["count", "lable"]
    } else {
        &["count", "label"]
    };

    fn actions(actions: &mut Actions<Self>) {
        actions
            .on("increment", |_, state, _| {
                state.count += 1;
                Ok(())
            })
            .on_server("tick", |_, state, _| {
                state.count += 1;
                Ok(())
            });
    }
}

#[test]
fn a_persisted_field_the_state_does_not_have_fails_the_build() {
    let err = live(PAGE).page("page.html", Page::<true>).build::<()>();
    match err {
        Err(LiveError::UnknownPersistField { field, fields, .. }) => {
            assert_eq!(field, "lable");
            assert_eq!(fields, ["count", "label"]);
        }
        other => panic!("expected UnknownPersistField, got {other:?}"),
    }
    let message = live(PAGE)
        .page("page.html", Page::<true>)
        .build::<()>()
        .unwrap_err()
        .to_string();
    assert!(
        message.contains("PERSIST names \"lable\"") && message.contains("its fields: count, label"),
        "{message}"
    );
    assert!(live(PAGE)
        .page("page.html", Page::<false>)
        .build::<()>()
        .is_ok());
}

#[test]
fn a_button_for_a_server_only_action_fails_the_build() {
    let source = r#"<button name="increment">+1</button><button name="tick">tick</button>"#;
    match live(source).page("page.html", Page::<false>).build::<()>() {
        Err(LiveError::ServerOnlyAction { action, template }) => {
            assert_eq!((action.as_str(), template.as_str()), ("tick", "page.html"));
        }
        other => panic!("expected ServerOnlyAction, got {other:?}"),
    }
}

struct Sloppy;

impl Controller for Sloppy {
    type State = ();
    fn actions(actions: &mut Actions<Self>) {
        actions.on("increment", |_, _, _| Ok(()));
    }
}

#[test]
fn a_template_action_without_a_handler_is_reported_at_start_up() {
    let source = r#"<button name="increment">+1</button><button name="fail">fail</button>"#;
    let err = live(source)
        .page("page.html", Sloppy)
        .build::<()>()
        .unwrap_err();
    assert!(
        matches!(&err, LiveError::MissingHandler { action, .. } if action == "fail"),
        "{err}"
    );
    let msg = err.to_string();
    assert!(
        msg.contains("uses action \"fail\"") && msg.contains("handlers: increment"),
        "{msg}"
    );
}

#[test]
fn a_field_may_ask_for_change_when_the_page_checks_fields() {
    // The runtime answers `change` itself when a field has a check.
    let checked = r#"<form lvt-form:action="increment"><input name="email" type="email" lvt-on:input="change"></form>"#;
    assert!(live(checked)
        .page("page.html", Sloppy)
        .build::<()>()
        .is_ok());
    // With nothing to check and no handler, nothing would answer it.
    let unchecked = r#"<button name="increment">+1</button><input name="q" lvt-on:input="change">"#;
    let err = live(unchecked)
        .page("page.html", Sloppy)
        .build::<()>()
        .unwrap_err();
    assert!(
        matches!(&err, LiveError::MissingHandler { action, .. } if action == "change"),
        "{err}"
    );
}

#[test]
fn a_missing_template_is_reported_at_start_up() {
    let err = live(PAGE)
        .page("nope.html", Sloppy)
        .build::<()>()
        .unwrap_err();
    assert!(matches!(err, LiveError::TemplateNotFound(ref name) if name == "nope.html"));
}

struct Twice;

impl Controller for Twice {
    type State = ();
    fn actions(actions: &mut Actions<Self>) {
        actions
            .on("startTimer", |_, _, _| Ok(()))
            .on_server("start_timer", |_, _, _| Ok(()));
    }
}

#[test]
fn one_action_registered_under_two_spellings_is_reported() {
    let err = live("<p></p>")
        .page("page.html", Twice)
        .build::<()>()
        .unwrap_err();
    assert!(matches!(err, LiveError::DuplicateHandler(ref name) if name == "start_timer"));
}

/// Handlers written as methods name the controller once, as `Context<Self>`.
struct Methods;

impl Controller for Methods {
    type State = Count;
    fn actions(actions: &mut Actions<Self>) {
        actions.on("increment", Methods::increment);
    }
}

impl Methods {
    fn increment(&self, state: &mut Count, ctx: &mut Context<Self>) -> Result<(), ActionError> {
        state.count += ctx.get_int("by").unwrap_or(1);
        Ok(())
    }
}

#[test]
fn handlers_may_be_methods() {
    assert!(live(PAGE).page("page.html", Methods).build::<()>().is_ok());
}
