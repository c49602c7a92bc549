//! Templates: a minijinja environment that renders trees.
//!
//! Every template is HTML-escaped, whatever its file name (minijinja alone
//! escapes only `.html`, `.htm` and `.xml`). Each template is rewritten once,
//! when first loaded, so its output carries markers around the live parts
//! (see `instrument`); a render is then split into a [`Node`] tree by
//! [`crate::tree`]. The markers are removed there: the HTML of the tree is
//! byte for byte what plain minijinja renders.

pub(crate) mod actions;
pub(crate) mod instrument;
pub(crate) mod marker;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use minijinja::syntax::SyntaxConfig;
use minijinja::{AutoEscape, Environment, Value};

use crate::tree::{self, Node};
use marker::Markers;

/// Where template sources come from: a name → source function.
type Loader = Arc<dyn Fn(&str) -> Result<Option<String>, minijinja::Error> + Send + Sync>;

/// A set of templates that render to trees.
///
/// ```
/// use livetemplate::Templates;
/// use minijinja::context;
/// let templates = Templates::from_fn(|name| match name {
///     "hello.html" => Some("<p>Hello {{ name }}!</p>".into()),
///     _ => None,
/// });
/// let tree = templates.render_tree("hello.html", context! { name => "<Ann>" }).unwrap();
/// assert_eq!(tree.to_html(), "<p>Hello &lt;Ann&gt;!</p>");
/// assert_eq!(tree.statics, ["<p>Hello ", "!</p>"]);
/// ```
#[derive(Clone)]
pub struct Templates {
    inner: Arc<Inner>,
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
    pub fn render_tree(
        &self,
        name: &str,
        ctx: impl serde::Serialize,
    ) -> Result<Node, TemplateError> {
        let err = |source| TemplateError {
            name: name.to_string(),
            source,
        };
        let ctx = Value::from(minijinja::value::Serde(&ctx));
        let output = self
            .inner
            .live
            .get_template(name)
            .and_then(|t| t.render(&ctx))
            // The instrumented source is not what the user wrote: report the
            // error as the plain template raises it.
            .map_err(|live_err| {
                match self
                    .inner
                    .plain
                    .get_template(name)
                    .and_then(|t| t.render(&ctx))
                {
                    Err(plain_err) => err(plain_err),
                    Ok(_) => err(live_err),
                }
            })?;
        Ok(tree::build(&output, &self.inner.markers))
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
}

/// A change made to the environment before templates load.
type Configure = Box<dyn Fn(&mut Environment<'static>)>;

/// Configures [`Templates`]: whitespace handling and environment additions.
pub struct TemplatesBuilder {
    loader: Loader,
    syntax: SyntaxConfig,
    configure: Vec<Configure>,
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
        let loader = self.loader.clone();
        let (syntax, m) = (self.syntax, markers.clone());
        live.set_loader(move |name| match loader(name)? {
            Some(src) => instrument::instrument(&src, &syntax, &m).map(Some),
            None => Ok(None),
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
