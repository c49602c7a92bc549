//! The examples the gallery shows, by category.

use axum::routing::MethodRouter;
use livetemplate::{Controller, LiveError, LiveTemplate};
use serde::Serialize;

use crate::examples::realtime;

/// One gallery example.
#[derive(Clone, Copy, Serialize)]
pub struct Example {
    pub category: &'static str,
    pub slug: &'static str,
    pub title: &'static str,
    /// What the example shows, in a paragraph.
    pub summary: &'static str,
    /// What to do, and what to expect.
    pub try_it: &'static str,
    /// The live template, under `templates/`.
    pub template: &'static str,
    /// The controller's source, shown verbatim on the page.
    #[serde(skip)]
    pub controller_source: &'static str,
    /// The controller's file, for the source panel's caption.
    pub controller_file: &'static str,
    #[serde(skip)]
    pub build: fn(&LiveTemplate, &Example) -> Result<MethodRouter, LiveError>,
}

impl Example {
    /// The example's URL path.
    pub fn path(&self) -> String {
        format!("/{}/{}", self.category_slug(), self.slug)
    }

    pub fn category_slug(&self) -> &'static str {
        category_slug(self.category)
    }

    /// The page's route.
    pub fn route(&self, live: &LiveTemplate) -> Result<MethodRouter, LiveError> {
        (self.build)(live, self)
    }
}

/// An example's live page inside the gallery's example layout, which shows
/// the explanation, the "Try" line and the sources around the demo.
fn page<C: Controller>(
    live: &LiveTemplate,
    example: &Example,
    controller: C,
) -> Result<MethodRouter, LiveError> {
    let template_source = live
        .templates()
        .source(example.template)
        .unwrap_or_default();
    let ctx = serde_json::json!({
        "example": example,
        "path": example.path(),
        "template_source": template_source,
        "controller_source": example.controller_source,
    });
    live.page(example.template, controller)
        .layout("example.html", ctx)
        .build()
}

/// Categories in the order the index lists them.
pub const CATEGORIES: &[(&str, &str)] = &[("Real-Time & Multi-User", "realtime")];

fn category_slug(category: &str) -> &'static str {
    CATEGORIES
        .iter()
        .find(|(name, _)| *name == category)
        .map(|(_, slug)| *slug)
        .unwrap_or("misc")
}

/// Every example.
pub const EXAMPLES: &[Example] = &[Example {
    category: "Real-Time & Multi-User",
    slug: "server-push",
    title: "Server Push",
    summary: "A background task calls session.trigger_action(\"tick\", {elapsed}) once a second; \
              each tick runs the action on the tab's state and the re-rendered part is pushed to the browser. \
              trigger_action returns an error once the session group has no live connection, which is how the task knows to stop.",
    try_it: "Click Start Timer and watch the counter tick up once per second. Close the tab mid-run: the task stops (the live-task gauge on /metrics drops).",
    template: "realtime/server-push.html",
    controller_source: include_str!("examples/realtime/server_push.rs"),
    controller_file: "gallery/src/examples/realtime/server_push.rs",
    build: |live, example| page(live, example, realtime::server_push::ServerPush),
}];
