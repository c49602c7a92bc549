//! What an example's page shows around its demo (`templates/example.html`):
//! the explanation, the routes and sources behind it, and the way to the
//! previous and next examples of its category.

use serde_json::{json, Value};

use crate::catalog::{Example, Gallery, Source, EXAMPLES};

/// The layout context of `example`'s page.
pub(crate) fn context(gallery: &Gallery, example: &Example) -> Value {
    let siblings: Vec<&Example> = EXAMPLES
        .iter()
        .filter(|e| e.category == example.category)
        .collect();
    let at = siblings.iter().position(|e| e.path() == example.path());
    let neighbour = |i: Option<usize>| {
        i.and_then(|i| siblings.get(i))
            .map(|e| json!({ "title": e.title, "path": e.path() }))
    };
    json!({
        "example": example,
        "path": example.path(),
        "category": example.category.name(),
        "category_slug": example.category.slug(),
        "sources": sources(gallery, example),
        "routes": routes(example),
        "previous": neighbour(at.and_then(|i| i.checked_sub(1))),
        "next": neighbour(at.map(|i| i + 1)),
    })
}

/// The files a visitor reads, in the order they make sense: the template,
/// the controller, then the partials it includes and the other files.
fn sources(gallery: &Gallery, example: &Example) -> Vec<Value> {
    let template = gallery.live.templates().source(example.template);
    let mut shown = vec![json!({
        "role": "Template",
        "path": format!("templates/{}", example.template),
        "text": template,
        "language": "django",
        "open": true,
    })];
    shown.push(source("Controller", &example.source, true));
    let (partials, others): (Vec<&Source>, Vec<&Source>) =
        example.also.iter().partition(|s| s.path.ends_with(".html"));
    shown.extend(partials.into_iter().map(|s| source("Included", s, false)));
    shown.extend(others.into_iter().map(|s| source("Also", s, false)));
    shown
}

fn source(role: &str, source: &Source, open: bool) -> Value {
    json!({ "role": role, "path": source.path, "text": source.text, "language": language(source.path), "open": open })
}

/// The highlighter's name for a file's language.
fn language(path: &str) -> &'static str {
    match path.rsplit('.').next() {
        Some("rs") => "rust",
        Some("html") => "django",
        Some("js") => "javascript",
        _ => "plaintext",
    }
}

/// The HTTP routes the example relies on: its page (which the WebSocket
/// upgrades on too), any route its file adds (`.route("/path", …)`), and
/// the sign-in forms' when it needs a user.
fn routes(example: &Example) -> Vec<String> {
    let mut routes = vec![format!("GET {} (page and WebSocket)", example.path())];
    let mut rest = example.source.text;
    while let Some(at) = rest.find(".route(\"") {
        rest = &rest[at + ".route(\"".len()..];
        if let Some(end) = rest.find('"') {
            routes.push(rest[..end].to_string());
        }
    }
    if example.sign_in {
        routes.push("POST /auth/sign-in".into());
        routes.push("POST /auth/sign-out".into());
    }
    routes
}
