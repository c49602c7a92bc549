//! Tabs: each tab is a link to `?tab=…` on this page, so the open tab is
//! in the URL — it can be bookmarked, reloaded and shared, and Back and
//! Forward step through the tabs visited. A click on a tab goes over the
//! open socket (`__navigate__`): `mount` runs again with the new query and
//! the reply carries the tab's panel and which tab is selected, not the
//! page. The markup follows the ARIA tabs pattern: a `tablist` of `tab`s,
//! the open one `aria-selected`, and one `tabpanel` labelled by it.

use axum::Router;
use livetemplate::{ActionError, Actions, Controller, LiveError, MountContext};
use serde::{Deserialize, Serialize};

use crate::catalog::{Category, Example, Gallery};

pub struct Tabs;

/// The query string: `?tab=specs`. No tab, or one that does not exist,
/// opens the first.
#[derive(Default, Deserialize)]
#[serde(default)]
struct TabQuery {
    tab: Tab,
}

#[derive(Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Tab {
    #[default]
    Overview,
    Specs,
    Reviews,
}

#[derive(Clone, Default, Serialize, Deserialize)]
pub struct TabsState {
    /// The open tab.
    pub tab: Tab,
    /// Set when the URL named a tab that does not exist.
    pub unknown: Option<String>,
}

impl Controller for Tabs {
    type State = TabsState;

    fn actions(_: &mut Actions<Self>) {}

    fn mount(&self, ctx: &MountContext) -> Result<TabsState, ActionError> {
        let query = ctx.query_as::<TabQuery>();
        Ok(TabsState {
            tab: query.value.tab,
            unknown: query.errors.into_iter().next().map(|e| e.value),
        })
    }
}

pub const EXAMPLE: Example = Example {
    category: Category::Navigation,
    slug: "tabs",
    title: "Tabs",
    summary: "Three tabs, each a link to ?tab=… on this page, so the open tab is part of the URL: bookmark it, reload it, share it. \
              A click goes over the open socket as __navigate__: the server mounts again with the new query and sends the new panel \
              and the new aria-selected values, not the page; the browser's history gets the URL, so Back and Forward walk the tabs. \
              The markup is the ARIA tabs pattern: tablist, tab, tabpanel.",
    try_it: "Click Specs, then Reviews: the URL changes and only the panel is redrawn (see the wire panel). Press Back: Specs again; \
             Forward: Reviews. Reload: Reviews is still open. Put ?tab=pricing in the URL: Overview, with a note.",
    template: "navigation/tabs.html",
    sign_in: false,
    source: crate::this_file!(),
    also: &[],
    routes,
};

/// The page, in the gallery's example layout at `/navigation/tabs`.
fn routes(gallery: &Gallery) -> Result<Router, LiveError> {
    gallery.show(&EXAMPLE, gallery.live.page(EXAMPLE.template, Tabs))
}
