//! The pages around the examples: the index, a category's page, the
//! README, and the catalog as JSON.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use pulldown_cmark::{Event, Parser};
use serde_json::{json, Value};

use crate::catalog::{Category, Gallery, EXAMPLES};

/// The project's README, shown at `/readme`.
const README: &str = include_str!("../../README.md");

/// `/`, `/readme`, `/api/index.json`, and `/<category>` for each category
/// that has examples.
pub(crate) fn routes(gallery: &Gallery) -> Router {
    let mut router = Router::new()
        .route("/", get(index))
        .route("/readme", get(readme))
        .route("/api/index.json", get(index_json));
    for category in Category::ALL {
        if EXAMPLES.iter().any(|e| e.category == *category) {
            let slug = category.slug();
            router = router.route(
                &format!("/{slug}"),
                get(move |s: State<Gallery>, h: HeaderMap| category_page(s, h, slug)),
            );
        }
    }
    router.with_state(gallery.clone())
}

/// Every category with examples, in the index's order, each with its examples.
pub(crate) fn catalog_json() -> Value {
    let categories: Vec<_> = Category::ALL
        .iter()
        .map(|category| {
            let examples: Vec<_> = EXAMPLES
                .iter()
                .filter(|e| e.category == *category)
                .map(|e| json!({ "title": e.title, "slug": e.slug, "path": e.path(), "summary": e.summary, "try": e.try_it, "sign_in": e.sign_in }))
                .collect();
            json!({ "name": category.name(), "slug": category.slug(), "examples": examples })
        })
        .filter(|category| category["examples"].as_array().is_some_and(|e| !e.is_empty()))
        .collect();
    json!({ "categories": categories })
}

fn render(gallery: &Gallery, template: &str, ctx: Value) -> Response {
    match gallery.live.templates().render_plain(template, ctx) {
        Ok(html) => Html(html).into_response(),
        Err(e) => {
            tracing::error!(error = %e, template, "page render failed");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                "the page could not be rendered",
            )
                .into_response()
        }
    }
}

async fn index(State(gallery): State<Gallery>, headers: HeaderMap) -> Response {
    let mut ctx = catalog_json();
    ctx["user"] = json!(gallery.auth.user(&headers));
    render(&gallery, "index.html", ctx)
}

async fn category_page(
    State(gallery): State<Gallery>,
    headers: HeaderMap,
    slug: &'static str,
) -> Response {
    let catalog = catalog_json();
    let category = catalog["categories"]
        .as_array()
        .and_then(|all| all.iter().find(|c| c["slug"] == slug))
        .cloned();
    let ctx = json!({ "category": category, "user": gallery.auth.user(&headers) });
    render(&gallery, "category.html", ctx)
}

async fn readme(State(gallery): State<Gallery>, headers: HeaderMap) -> Response {
    let ctx = json!({ "readme": readme_html(), "user": gallery.auth.user(&headers) });
    render(&gallery, "readme.html", ctx)
}

/// The README as HTML. Raw HTML in it is shown as text, so the page
/// needs no trust in the file (the template marks the result safe).
fn readme_html() -> String {
    let events =
        Parser::new_ext(README, pulldown_cmark::Options::ENABLE_TABLES).map(|event| match event {
            Event::Html(raw) | Event::InlineHtml(raw) => Event::Text(raw),
            other => other,
        });
    let mut html = String::with_capacity(README.len() * 2);
    pulldown_cmark::html::push_html(&mut html, events);
    // Code blocks scroll sideways: keyboard users must reach them.
    html.replace("<pre>", r#"<pre tabindex="0">"#)
}

async fn index_json() -> impl IntoResponse {
    axum::Json(catalog_json())
}
