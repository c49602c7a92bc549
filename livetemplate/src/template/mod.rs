//! Templates: a minijinja environment that renders trees.
//!
//! Every template is HTML-escaped, whatever its file name (minijinja alone
//! escapes only `.html`, `.htm` and `.xml`). Each template is rewritten once,
//! when first loaded, so its output carries markers around the live parts
//! (see `instrument`); a render is then split into a [`Node`] tree by
//! [`crate::tree`]. The markers are removed there: the HTML of the tree is
//! byte for byte what plain minijinja renders.

pub(crate) mod actions;
pub(crate) mod forms;
pub(crate) mod instrument;
mod item_loops;
mod json;
pub(crate) mod marker;
pub(crate) mod markup;
mod memo;
mod split;
pub(crate) mod state;

pub use memo::RenderCache;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use minijinja::syntax::SyntaxConfig;
use minijinja::{AutoEscape, Environment, Value};

use crate::tree::Node;
use marker::Markers;
pub(crate) use state::{fingerprint, StateText};

/// Where template sources come from: a name → source function.
type Loader = Arc<dyn Fn(&str) -> Result<Option<String>, minijinja::Error> + Send + Sync>;

/// The templates of a runtime: minijinja, with HTML auto-escaping on for
/// every template whatever its name.
///
/// ```
/// use livetemplate::Templates;
/// use minijinja::context;
/// let templates = Templates::from_fn(|name| match name {
///     "hello.html" => Some("<p>Hello {{ name }}!</p>".into()),
///     "hello.txt" => Some("Hello {{ name }}!".into()),
///     _ => None,
/// });
/// let html = templates.render_plain("hello.html", context! { name => "<Ann>" }).unwrap();
/// assert_eq!(html, "<p>Hello &lt;Ann&gt;!</p>");
/// // Escaped even where minijinja alone would not (a `.txt` name):
/// let text = templates.render_plain("hello.txt", context! { name => "<Ann>" }).unwrap();
/// assert_eq!(text, "Hello &lt;Ann&gt;!");
/// ```
#[derive(Clone)]
pub struct Templates {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Templates {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Templates").finish_non_exhaustive()
    }
}

struct Inner {
    live: Environment<'static>,
    plain: Environment<'static>,
    markers: Markers,
    loader: Loader,
}

/// A template failed to load or render.
#[derive(Debug, thiserror::Error)]
#[error("template {name:?}: {source:#}")]
pub struct TemplateError {
    /// The template's name.
    pub name: String,
    /// What minijinja reported.
    #[source]
    pub source: minijinja::Error,
}

impl Templates {
    /// Templates read from files under `dir` (names are paths relative to it).
    pub fn from_dir(dir: impl Into<PathBuf>) -> Templates {
        let dir: PathBuf = dir.into();
        Templates::from_fn(move |name| read_under(&dir, name))
    }

    /// Templates from a function returning the source for a name.
    pub fn from_fn<F>(f: F) -> Templates
    where
        F: Fn(&str) -> Option<String> + Send + Sync + 'static,
    {
        TemplatesBuilder::new(f).build()
    }

    /// Adds filters, functions, globals or tests: `configure` runs on the
    /// environment before any template is loaded.
    pub fn builder<F>(f: F) -> TemplatesBuilder
    where
        F: Fn(&str) -> Option<String> + Send + Sync + 'static,
    {
        TemplatesBuilder::new(f)
    }

    /// Renders `name` with `ctx` to a tree.
    #[cfg_attr(not(any(test, feature = "unstable")), allow(dead_code))]
    pub(crate) fn render_tree(
        &self,
        name: &str,
        ctx: impl serde::Serialize,
    ) -> Result<Node, TemplateError> {
        let ctx = Value::from(minijinja::value::Serde(&ctx));
        let output = self
            .inner
            .live
            .get_template(name)
            .and_then(|t| t.render(&ctx))
            .map_err(|live_err| self.plain_error(name, &ctx, live_err))?;
        Ok(split::build(&output, &self.inner.markers))
    }

    /// Renders `name` with a JSON state, reusing what `cache` kept of the
    /// previous render (see [`crate::unstable::render_tree_cached`]).
    #[cfg(feature = "unstable")]
    pub(crate) fn render_tree_cached<S>(
        &self,
        name: &str,
        state: &Arc<S>,
        cache: &mut RenderCache,
    ) -> Result<Node, TemplateError>
    where
        S: serde::Serialize + Send + Sync + 'static,
    {
        let state = StateText::of(state).map_err(|e| TemplateError {
            name: name.to_string(),
            source: minijinja::Error::new(
                minijinja::ErrorKind::BadSerialization,
                format!("the state does not serialize: {e}"),
            ),
        })?;
        self.render_tree_with(name, state, None, cache)
    }

    /// [`render_tree_cached`](Self::render_tree_cached) with one more
    /// variable, already a template value (the runtime's `lvt`).
    pub(crate) fn render_tree_with(
        &self,
        name: &str,
        state: StateText,
        extra: Option<(&str, Value)>,
        cache: &mut RenderCache,
    ) -> Result<Node, TemplateError> {
        let state = Arc::new(state);
        let ctx = json::context(&state, extra);
        let inner = &self.inner;
        let (output, mut lifted) = memo::with_cache(cache, &inner.markers, || {
            inner.live.get_template(name).and_then(|t| t.render(&ctx))
        });
        let output = output.map_err(|live_err| self.plain_error(name, &ctx, live_err));
        drop(ctx);
        // Unless the render cache kept a list of it, the text's buffer serves
        // the next render on this thread.
        if let Ok(state) = Arc::try_unwrap(state) {
            state.recycle();
        }
        Ok(split::build_with(&output?, &inner.markers, &mut lifted))
    }

    /// The error to report for a failed render: the one the plain template
    /// raises, since the instrumented source is not what the user wrote.
    fn plain_error(&self, name: &str, ctx: &Value, live_err: minijinja::Error) -> TemplateError {
        let source = match self
            .inner
            .plain
            .get_template(name)
            .and_then(|t| t.render(ctx))
        {
            Err(plain_err) => plain_err,
            Ok(_) => live_err,
        };
        TemplateError {
            name: name.to_string(),
            source,
        }
    }

    /// Renders `name` as plain minijinja would, without any instrumentation
    /// (for layouts, which are never live, and for checking the runtime).
    pub fn render_plain(
        &self,
        name: &str,
        ctx: impl serde::Serialize,
    ) -> Result<String, TemplateError> {
        let err = |source| TemplateError {
            name: name.to_string(),
            source,
        };
        let template = self.inner.plain.get_template(name).map_err(err)?;
        template
            .render(Value::from(minijinja::value::Serde(&ctx)))
            .map_err(err)
    }

    /// The source of a template, as the loader returns it.
    pub fn source(&self, name: &str) -> Option<String> {
        (self.inner.loader)(name).ok().flatten()
    }

    /// The source of `name` followed by those of the templates it names
    /// literally in `include`, `extends`, `import` and `from` (and so on),
    /// each once: the markup a page of `name` can show.
    pub(crate) fn source_with_includes(&self, name: &str) -> String {
        let mut seen = vec![name.to_string()];
        let mut all = String::new();
        let mut next = 0;
        while let Some(current) = seen.get(next).cloned() {
            next += 1;
            let Some(source) = self.source(&current) else {
                continue;
            };
            for named in markup::named_templates(&source) {
                if !seen.iter().any(|s| s == named) && seen.len() < 64 {
                    seen.push(named.to_string());
                }
            }
            all.push_str(&source);
            all.push('\n');
        }
        all
    }
}

/// A change made to the environment before templates load.
type Configure = Box<dyn Fn(&mut Environment<'static>)>;

/// Configures [`Templates`]: whitespace handling and environment additions.
pub struct TemplatesBuilder {
    loader: Loader,
    syntax: SyntaxConfig,
    configure: Vec<Configure>,
}

impl std::fmt::Debug for TemplatesBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TemplatesBuilder")
            .field("configure", &self.configure.len())
            .finish_non_exhaustive()
    }
}

impl TemplatesBuilder {
    fn new<F>(f: F) -> TemplatesBuilder
    where
        F: Fn(&str) -> Option<String> + Send + Sync + 'static,
    {
        TemplatesBuilder {
            loader: Arc::new(move |name| Ok(f(name))),
            syntax: SyntaxConfig::default(),
            configure: Vec::new(),
        }
    }

    /// minijinja's whitespace settings (`trim_blocks`, `lstrip_blocks`,
    /// `keep_trailing_newline`) for every template.
    pub fn syntax(mut self, syntax: SyntaxConfig) -> Self {
        self.syntax = syntax;
        self
    }

    /// Runs `f` on the environment (add filters, functions, globals).
    pub fn configure(mut self, f: impl Fn(&mut Environment<'static>) + 'static) -> Self {
        self.configure.push(Box::new(f));
        self
    }

    /// The templates.
    pub fn build(self) -> Templates {
        let markers = Markers::random();
        let mut live = Environment::new();
        let mut plain = Environment::new();
        for env in [&mut live, &mut plain] {
            env.set_auto_escape_callback(|_| AutoEscape::Html);
            for f in &self.configure {
                f(env);
            }
        }
        plain.set_syntax(self.syntax.clone());
        let loader = self.loader.clone();
        plain.set_loader(move |name| loader(name));

        live.set_syntax(instrument::neutral_syntax());
        live.add_function("__lvt_loop", memo::render_loop);
        let loader = self.loader.clone();
        let (syntax, m) = (self.syntax, markers.clone());
        live.set_loader(move |name| {
            // A loop body that renders item by item is a template of its own.
            let (base, fragment) = match instrument::parse_fragment_name(name) {
                Some((base, n)) => (base, Some(n)),
                None => (name, None),
            };
            let Some(src) = loader(base)? else {
                return Ok(None);
            };
            let rewritten = instrument::instrument(base, &src, &syntax, &m)?;
            Ok(match fragment {
                Some(n) => rewritten.fragments.into_iter().nth(n),
                None => Some(rewritten.source),
            })
        });
        Templates {
            inner: Arc::new(Inner {
                live,
                plain,
                markers,
                loader: self.loader,
            }),
        }
    }
}

/// Reads `dir/name`, refusing names that climb out of `dir`.
fn read_under(dir: &Path, name: &str) -> Option<String> {
    let rel = Path::new(name);
    if rel
        .components()
        .any(|c| !matches!(c, std::path::Component::Normal(_)))
    {
        return None;
    }
    std::fs::read_to_string(dir.join(rel)).ok()
}

#[cfg(test)]
mod tests;
