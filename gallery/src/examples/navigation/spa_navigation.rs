//! SPA Navigation: three live pages linked to each other, and going from
//! one to the next never reloads the document.
//!
//! The stock client follows links inside the live region itself: it
//! fetches the next page, swaps in its live region, closes this page's
//! WebSocket and opens one on the next page. The tab has one connection
//! throughout, and the server ends what the old page ran (its connection,
//! its tasks) when that socket closes. A link marked
//! `lvt-nav:no-intercept` is left to the browser: a full load.
//!
//! One controller is mounted at three paths, each told which page it
//! shows. The three pages keep their state in one struct, persisted: it
//! lives on the server, so the claps given on Home are there when you come
//! back from Tasks.

use axum::Router;
use livetemplate::{ActionError, Actions, Context, Controller, LiveError, MountContext};
use serde::{Deserialize, Serialize};

use crate::catalog::{Category, Example, Gallery};

/// Which page a path shows.
#[derive(Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Page {
    #[default]
    Home,
    Tasks,
    Settings,
}

pub struct SpaNavigation {
    pub page: Page,
}

#[derive(Clone, Default, Serialize, Deserialize)]
pub struct AppState {
    /// The page on screen (not persisted: each path says which).
    pub page: Page,
    /// Home's.
    pub claps: u32,
    /// Tasks'.
    pub tasks: Vec<Task>,
    /// Settings'.
    pub digest: bool,
}

#[derive(Clone, Serialize, Deserialize)]
pub struct Task {
    pub id: u32,
    pub title: String,
}

impl Controller for SpaNavigation {
    type State = AppState;
    const PERSIST: &'static [&'static str] = &["claps", "tasks", "digest"];

    fn actions(actions: &mut Actions<Self>) {
        actions
            .on("clap", |_, state, _| {
                state.claps += 1;
                Ok(())
            })
            .on("add", SpaNavigation::add)
            .on("remove", |_, state, ctx| {
                let id = ctx
                    .get_int("value")
                    .ok_or(ActionError::msg("which task?"))?;
                state.tasks.retain(|t| i64::from(t.id) != id);
                Ok(())
            })
            .on("toggle_digest", |_, state, _| {
                state.digest = !state.digest;
                Ok(())
            });
    }

    fn mount(&self, _: &MountContext) -> Result<AppState, ActionError> {
        Ok(AppState {
            page: self.page,
            ..AppState::default()
        })
    }
}

impl SpaNavigation {
    /// Runs once the template's checks (`required`, `maxlength`) pass.
    fn add(&self, state: &mut AppState, ctx: &mut Context<Self>) -> Result<(), ActionError> {
        let title = ctx.get_string("title").unwrap_or_default();
        let id = state.tasks.iter().map(|t| t.id).max().unwrap_or(0) + 1;
        state.tasks.push(Task {
            id,
            title: title.trim().to_string(),
        });
        Ok(())
    }
}

pub const EXAMPLE: Example = Example {
    category: Category::Navigation,
    slug: "spa-navigation",
    title: "SPA Navigation",
    summary: "Three live pages, Home, Tasks and Settings, linked to each other. The client follows the links itself: it fetches \
              the next page, swaps the live region and moves its one WebSocket to the new page, without reloading the document. \
              The state lives on the server, so each page is as you left it.",
    try_it: "Clap on Home, go to Tasks and add one, go back Home: the claps are still there and the page never reloaded \
             (the wire panel keeps listing frames across the pages). The last link opts out with lvt-nav:no-intercept: \
             the page reloads, and the wire panel starts empty.",
    template: "navigation/spa-navigation.html",
    sign_in: false,
    source: crate::this_file!(),
    also: &[],
    routes,
};

/// Home at `/navigation/spa-navigation`, in the gallery's example layout,
/// and the other two pages beside it.
fn routes(gallery: &Gallery) -> Result<Router, LiveError> {
    let page = |page| gallery.live.page(EXAMPLE.template, SpaNavigation { page });
    Ok(gallery
        .show(&EXAMPLE, page(Page::Home))?
        .route(
            "/navigation/spa-navigation/tasks",
            gallery.in_layout(&EXAMPLE, page(Page::Tasks))?,
        )
        .route(
            "/navigation/spa-navigation/settings",
            gallery.in_layout(&EXAMPLE, page(Page::Settings))?,
        ))
}
