//! Sortable: drag a row onto another and it takes that row's place. The
//! stock client does the dragging (`draggable` rows with `lvt-on:drop`) and
//! sends the dragged and target rows' `data-key`s; the server moves one row
//! in the state, and the reply is one `o` operation: the new order of keys.
//! ↑ and ↓ do the same from the keyboard.

use axum::Router;
use livetemplate::{ActionError, Actions, Context, Controller, LiveError, MountContext};
use serde::{Deserialize, Serialize};

use crate::catalog::{Category, Example, Gallery};

const CHECKLIST: &[&str] = &[
    "Write the changelog",
    "Bump the version",
    "Run the full test suite",
    "Tag the release",
    "Publish the crate",
    "Announce it",
];

pub struct Sortable;

#[derive(Clone, Default, Serialize, Deserialize)]
pub struct SortableState {
    pub tasks: Vec<Task>,
}

#[derive(Clone, Serialize, Deserialize)]
pub struct Task {
    pub id: u32,
    pub title: String,
}

fn checklist() -> Vec<Task> {
    (1..)
        .zip(CHECKLIST)
        .map(|(id, title)| Task {
            id,
            title: title.to_string(),
        })
        .collect()
}

/// What the client sends on a drop: the rows' `data-key`s.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Drop {
    drag_source_key: String,
    drag_target_key: String,
}

impl Controller for Sortable {
    type State = SortableState;
    /// The order survives a reload, per visitor.
    const PERSIST: &'static [&'static str] = &["tasks"];

    fn actions(actions: &mut Actions<Self>) {
        actions
            .on("reorder", Sortable::reorder)
            .on("move", Sortable::step)
            .on("reset", |_, state, _| {
                state.tasks = checklist();
                Ok(())
            });
    }

    fn mount(&self, _: &MountContext) -> Result<SortableState, ActionError> {
        Ok(SortableState { tasks: checklist() })
    }
}

impl Sortable {
    /// The dragged row takes the target's place; the rows between shift by one.
    fn reorder(
        &self,
        state: &mut SortableState,
        ctx: &mut Context<Self>,
    ) -> Result<(), ActionError> {
        let Drop {
            drag_source_key,
            drag_target_key,
        } = ctx.data()?;
        let at = |key: &str| state.tasks.iter().position(|t| t.id.to_string() == key);
        if let (Some(from), Some(to)) = (at(&drag_source_key), at(&drag_target_key)) {
            let task = state.tasks.remove(from);
            state.tasks.insert(to, task);
        }
        Ok(())
    }

    /// ↑ or ↓: `<button name="move" value="{{ task.id }}" data-by="-1">`.
    fn step(&self, state: &mut SortableState, ctx: &mut Context<Self>) -> Result<(), ActionError> {
        let (Some(id), Some(by)) = (ctx.get_int("value"), ctx.get_int("by")) else {
            return Err(ActionError::msg("which task, and which way?"));
        };
        let from = state.tasks.iter().position(|t| i64::from(t.id) == id);
        if let Some(from) = from {
            let to = from.saturating_add_signed(by.signum() as isize);
            if to < state.tasks.len() {
                state.tasks.swap(from, to);
            }
        }
        Ok(())
    }
}

pub const EXAMPLE: Example = Example {
    category: Category::Lists,
    slug: "sortable",
    title: "Sortable",
    summary: "Drag and drop with the stock client's own attributes: draggable rows with lvt-on:dragstart=\"\" and lvt-on:dragover=\"\" (handled in the browser) \
              and lvt-on:drop=\"reorder\", which sends dragSourceKey and dragTargetKey. The server moves the row, and the reply is one [\"o\", keys] operation.",
    try_it: "Drag \"Announce it\" onto \"Bump the version\": it takes second place and the rows between move down one. Or focus ↑ on a row and press Enter. Reload: the order stays.",
    template: "lists/sortable.html",
    sign_in: false,
    source: crate::this_file!(),
    also: &[],
    routes,
};

/// The page, in the gallery's example layout at `/lists/sortable`.
fn routes(gallery: &Gallery) -> Result<Router, LiveError> {
    gallery.show(&EXAMPLE, gallery.live.page(EXAMPLE.template, Sortable))
}
