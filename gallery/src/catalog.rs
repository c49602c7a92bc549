//! What the gallery knows of its examples: each example's file says what it
//! is ([`Example`]) and mounts its own page; this module only lists them.

use axum::routing::MethodRouter;
use axum::Router;
use livetemplate::{Controller, LiveError, LiveTemplate, PageBuilder, SignedCookieAuth};
use serde::Serialize;

use crate::examples::{feedback, forms, lists, loading, navigation, realtime, search};

/// An example's categories, in the order the index shows them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Category {
    /// Forms people fill in and edit: validation, bulk changes, resets.
    Forms,
    /// Lists of rows: deleting, loading more, reordering, 10,000 rows.
    Lists,
    /// Finding things: search as you type, filters kept in the URL.
    Search,
    /// Slow work made visible: placeholders, progress, retry.
    Loading,
    /// Dialogs, tabs, pages and keys: what makes a page feel like an app.
    Navigation,
    /// Showing that something happened: animations, busy states, flashes.
    Feedback,
    /// Server push, several tabs, several users, several instances.
    RealTime,
}

impl Category {
    /// Every category, in the index's order.
    pub const ALL: &'static [Category] = &[
        Category::Forms,
        Category::Lists,
        Category::Search,
        Category::Loading,
        Category::Navigation,
        Category::Feedback,
        Category::RealTime,
    ];

    /// The name people read.
    pub fn name(self) -> &'static str {
        match self {
            Category::Forms => "Forms & Editing",
            Category::Lists => "Lists & Data",
            Category::Search => "Search & Filtering",
            Category::Loading => "Loading & Progress",
            Category::Navigation => "Dialogs, Tabs & Navigation",
            Category::Feedback => "Visual Feedback",
            Category::RealTime => "Real-Time & Multi-User",
        }
    }

    /// The first part of its examples' paths.
    pub fn slug(self) -> &'static str {
        match self {
            Category::Forms => "forms",
            Category::Lists => "lists",
            Category::Search => "search",
            Category::Loading => "loading",
            Category::Navigation => "navigation",
            Category::Feedback => "feedback",
            Category::RealTime => "realtime",
        }
    }
}

/// A source file shown on an example's page, verbatim.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Source {
    /// Its path in the repository.
    pub path: &'static str,
    /// Its text, embedded at build time.
    #[serde(skip)]
    pub text: &'static str,
}

/// The [`Source`] of the file this is written in.
#[macro_export]
macro_rules! this_file {
    () => {
        $crate::catalog::Source {
            path: file!(),
            text: include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/../", file!())),
        }
    };
}

/// The sign-in and signed-in forms that examples needing a user include.
pub const SIGN_IN: &[Source] = &[
    Source {
        path: "templates/partials/sign-in.html",
        text: include_str!("../../templates/partials/sign-in.html"),
    },
    Source {
        path: "templates/partials/signed-in.html",
        text: include_str!("../../templates/partials/signed-in.html"),
    },
];

/// One gallery example, as its own file describes it.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Example {
    pub category: Category,
    /// The last part of its path: `/<category>/<slug>`.
    pub slug: &'static str,
    pub title: &'static str,
    /// What a visitor sees on the page, in a sentence or two.
    pub summary: &'static str,
    /// What to do, and what to expect.
    #[serde(rename = "try")]
    pub try_it: &'static str,
    /// The live template, under `templates/`.
    pub template: &'static str,
    /// Whether the example needs a signed-in user (the page says so).
    pub sign_in: bool,
    /// The example's own file: its controller and how its page is mounted.
    #[serde(skip)]
    pub source: Source,
    /// Other files it relies on (a route of its own, a partial), shown after it.
    #[serde(skip)]
    pub also: &'static [Source],
    /// Mounts the example's page (and any route of its own).
    #[serde(skip)]
    pub routes: fn(&Gallery) -> Result<Router, LiveError>,
}

impl Example {
    /// The example's URL path.
    pub fn path(&self) -> String {
        format!("/{}/{}", self.category.slug(), self.slug)
    }
}

/// Every example, in the order the index shows them.
pub const EXAMPLES: &[Example] = &[
    forms::click_to_edit::EXAMPLE,
    forms::edit_row::EXAMPLE,
    forms::inline_validation::EXAMPLE,
    forms::bulk_update::EXAMPLE,
    forms::reset_input::EXAMPLE,
    forms::preserve_inputs::EXAMPLE,
    forms::file_upload::EXAMPLE,
    lists::delete_row::EXAMPLE,
    lists::click_to_load::EXAMPLE,
    lists::infinite_scroll::EXAMPLE,
    lists::value_select::EXAMPLE,
    lists::sortable::EXAMPLE,
    lists::large_table::EXAMPLE,
    // Search & Filtering
    search::active_search::EXAMPLE,
    search::url_filters::EXAMPLE,
    // Loading & Progress
    loading::lazy_loading::EXAMPLE,
    loading::progress_bar::EXAMPLE,
    loading::async_operations::EXAMPLE,
    // Dialogs, Tabs & Navigation
    navigation::modal_dialog::EXAMPLE,
    navigation::confirm_dialog::EXAMPLE,
    navigation::tabs::EXAMPLE,
    navigation::spa_navigation::EXAMPLE,
    navigation::keyboard_shortcuts::EXAMPLE,
    // Visual Feedback
    feedback::animations::EXAMPLE,
    feedback::loading_states::EXAMPLE,
    feedback::highlight::EXAMPLE,
    feedback::flash_messages::EXAMPLE,
    realtime::server_push::EXAMPLE,
    realtime::ticker::EXAMPLE,
    realtime::dashboard::EXAMPLE,
    realtime::export::EXAMPLE,
    realtime::notifications::EXAMPLE,
    realtime::webhook::EXAMPLE,
    realtime::welcome::EXAMPLE,
    realtime::cross_tab::EXAMPLE,
    realtime::chat::EXAMPLE,
    realtime::multi_user_refresh::EXAMPLE,
    realtime::pubsub::EXAMPLE,
    realtime::presence::EXAMPLE,
    realtime::reconnection::EXAMPLE,
    realtime::live_preview::EXAMPLE,
    realtime::multi_instance::EXAMPLE,
];

/// What an example's page is built with: the runtime (its templates,
/// sessions and metrics), the gallery's sign-in, and the secret webhook
/// senders sign with.
#[derive(Debug, Clone)]
pub struct Gallery {
    pub live: LiveTemplate,
    pub auth: SignedCookieAuth,
    pub webhook_secret: std::sync::Arc<str>,
}

impl Gallery {
    /// Routes `page` at the example's path, inside the gallery's example
    /// layout: the explanation, the Try line, and the sources around the demo.
    pub fn show<C: Controller>(
        &self,
        example: &Example,
        page: PageBuilder<C>,
    ) -> Result<Router, LiveError> {
        let route = self.in_layout(example, page)?;
        Ok(Router::new().route(&example.path(), route))
    }

    /// `page` in the example's layout, to route at a path of the example's
    /// own: for an example of several pages, mounted beside
    /// [`show`](Self::show)'s.
    pub fn in_layout<C: Controller>(
        &self,
        example: &Example,
        page: PageBuilder<C>,
    ) -> Result<MethodRouter, LiveError> {
        page.layout("example.html", self.layout(example)).build()
    }

    /// What `example.html` shows around the demo.
    fn layout(&self, example: &Example) -> serde_json::Value {
        crate::layout::context(self, example)
    }
}
