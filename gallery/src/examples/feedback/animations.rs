//! Animations: items that fade in as they are added and fade out as they
//! go, and a panel that scales open — with the server sending only the
//! change.
//!
//! `lvt-fx:animate="slide"` (or `fade`, `scale`) is the stock client's entry
//! animation: it plays once on each element the update brings, so new
//! items slide in and the re-opened panel scales in, while the items that
//! stay put do not move. Leaving is the server's part: Remove marks the
//! item `leaving` (a CSS fade-out) and a short job removes it once the
//! fade is over. The gallery's stylesheet turns every animation off for
//! people who ask their system for reduced motion.

use std::time::Duration;

use axum::Router;
use livetemplate::{ActionError, Actions, Context, Controller, LiveError, MountContext};
use serde::{Deserialize, Serialize};

use crate::catalog::{Category, Example, Gallery};

/// How long the fade-out runs (`.fx-list .leaving` in the stylesheet).
const LEAVE: Duration = Duration::from_millis(300);
/// Items a list may hold.
const MAX_ITEMS: usize = 12;

pub struct Animations;

#[derive(Clone, Default, Serialize, Deserialize)]
pub struct AnimationsState {
    pub items: Vec<Item>,
    pub next_id: u32,
    pub panel_open: bool,
    /// Why the last add was refused.
    pub problem: String,
}

#[derive(Clone, Serialize, Deserialize)]
pub struct Item {
    pub id: u32,
    pub text: String,
    /// Fading out; gone once the fade is over.
    pub leaving: bool,
}

impl Controller for Animations {
    type State = AnimationsState;

    fn actions(actions: &mut Actions<Self>) {
        actions
            .on("add", Animations::add)
            .on("remove", Animations::remove)
            .on("toggle", |_, state, _| {
                state.panel_open = !state.panel_open;
                Ok(())
            });
    }

    fn mount(&self, _: &MountContext) -> Result<AnimationsState, ActionError> {
        let mut state = AnimationsState::default();
        for text in ["Water the plants", "Call the bakery"] {
            state.push(text.to_string());
        }
        Ok(state)
    }
}

impl AnimationsState {
    fn push(&mut self, text: String) {
        self.next_id += 1;
        self.items.push(Item {
            id: self.next_id,
            text,
            leaving: false,
        });
    }
}

impl Animations {
    fn add(&self, state: &mut AnimationsState, ctx: &mut Context<Self>) -> Result<(), ActionError> {
        let text = ctx.get_string("text").unwrap_or_default();
        let text = text.trim();
        state.problem = if text.is_empty() {
            "Type something to add.".into()
        } else if state.items.len() >= MAX_ITEMS {
            format!("The list holds {MAX_ITEMS} items: remove one first.")
        } else {
            state.push(text.to_string());
            String::new()
        };
        Ok(())
    }

    /// Starts the fade-out; a job removes the item when it is over.
    fn remove(
        &self,
        state: &mut AnimationsState,
        ctx: &mut Context<Self>,
    ) -> Result<(), ActionError> {
        let id = ctx.get_int("value").unwrap_or_default();
        let Some(item) = state.items.iter_mut().find(|i| i64::from(i.id) == id) else {
            return Ok(());
        };
        item.leaving = true;
        let id = item.id;
        let started = ctx.spawn_job(move |job| async move {
            tokio::time::sleep(LEAVE).await;
            job.update(move |s: &mut AnimationsState| s.items.retain(|i| i.id != id));
        });
        // No job to be had (too many running): no fade, just gone.
        if started.is_err() {
            state.items.retain(|i| i.id != id);
        }
        Ok(())
    }
}

pub const EXAMPLE: Example = Example {
    category: Category::Feedback,
    slug: "animations",
    title: "Animations",
    summary: "Items slide in when added and fade out when removed; a panel scales open. The client's lvt-fx:animate plays on \
              what an update adds, the server marks what is leaving, and reduced motion turns it all off.",
    try_it: "Add an item: only the new one slides in. Remove one: it fades out, then the list closes up. \
             Show the details panel twice: it scales in each time. With reduced motion on in your system settings, nothing moves.",
    template: "feedback/animations.html",
    sign_in: false,
    source: crate::this_file!(),
    also: &[],
    routes,
};

/// The page at `/feedback/animations`.
fn routes(gallery: &Gallery) -> Result<Router, LiveError> {
    gallery.show(&EXAMPLE, gallery.live.page(EXAMPLE.template, Animations))
}
