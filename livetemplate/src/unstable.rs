//! The machinery under the API, for tools, benchmarks and conformance
//! tests (feature `unstable`). **Not covered by semver**: it changes
//! whenever the implementation does. Applications should not need it.
//!
//! A render is a [`Node`] tree of statics and slots; [`diff`] turns two of
//! them into the update the client applies, and [`apply_update`] applies
//! one the way the client does (to check a client against the server).

pub use crate::diff::{diff, full};
pub use crate::template::RenderCache;
pub use crate::tree::{
    apply_update, render_html, Item, Node, Range, Slot, TreeError, KEY_ATTRIBUTES,
};

use crate::{TemplateError, Templates};

/// How the client knows a loop's rows: each row's key, and whether the
/// keys are the server's numbers (the template named none usable).
pub fn row_keys(range: &Range) -> (Vec<String>, bool) {
    let keys = range.row_keys();
    let numbered = keys.numbered;
    (
        keys.keys.into_iter().map(|k| k.into_owned()).collect(),
        numbered,
    )
}

/// Renders `name` with `ctx` to a tree.
///
/// ```
/// use livetemplate::{unstable, Templates};
/// let templates = Templates::from_fn(|_| Some("<p>Hello {{ name }}!</p>".into()));
/// let tree = unstable::render_tree(&templates, "hello.html", minijinja::context! { name => "<Ann>" }).unwrap();
/// assert_eq!(tree.to_html(), "<p>Hello &lt;Ann&gt;!</p>");
/// assert_eq!(tree.statics, ["<p>Hello ", "!</p>"]);
/// ```
pub fn render_tree(
    templates: &Templates,
    name: &str,
    ctx: impl serde::Serialize,
) -> Result<Node, TemplateError> {
    templates.render_tree(name, ctx)
}

/// [`render_tree`] with a state (shared, so rows are read from it as the
/// render needs them) and a [`RenderCache`] kept between
/// renders, as live pages do: the items of a loop whose data did not change
/// keep their slots instead of rendering again. Keep one cache per page and
/// pass it to each of its renders; the tree is the one [`render_tree`] makes.
///
/// ```
/// use livetemplate::{unstable::{self, RenderCache}, Templates};
/// use serde_json::json;
/// let templates = Templates::from_fn(|_| {
///     Some("<ul>{% for row in rows %}<li>{{ row.label }}</li>{% endfor %}</ul>".into())
/// });
/// let state = |label: &str| std::sync::Arc::new(json!({ "rows": [{ "label": "a" }, { "label": label }] }));
/// let mut cache = RenderCache::default();
/// let first = unstable::render_tree_cached(&templates, "list.html", &state("b"), &mut cache).unwrap();
/// let second = unstable::render_tree_cached(&templates, "list.html", &state("c"), &mut cache).unwrap();
/// assert_eq!(second.to_html(), "<ul><li>a</li><li>c</li></ul>");
/// assert_eq!(first.to_html(), "<ul><li>a</li><li>b</li></ul>");
/// assert_eq!(cache.loops(), 1);
/// ```
pub fn render_tree_cached<S>(
    templates: &Templates,
    name: &str,
    state: &std::sync::Arc<S>,
    cache: &mut RenderCache,
) -> Result<Node, TemplateError>
where
    S: serde::Serialize + Send + Sync + 'static,
{
    templates.render_tree_cached(name, state, cache)
}
