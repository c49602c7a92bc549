//! Reset User Input: the input empties after a note is added, and keeps
//! what was typed when it is refused.
//!
//! Nothing in the template asks for it: after an action a form sent
//! succeeds, the stock client resets that form, so the box is empty and
//! still focused for the next note. When the action fails (`required`,
//! `maxlength`, a note already there) the form is left alone and the
//! message shows beside it. New notes slide in (`lvt-fx:animate`).

use axum::Router;
use livetemplate::{ActionError, Actions, Context, Controller, LiveError};
use serde::{Deserialize, Serialize};

use crate::catalog::{Category, Example, Gallery};

pub struct ResetInput;

#[derive(Clone, Default, Serialize, Deserialize)]
pub struct Note {
    pub id: u64,
    pub text: String,
}

#[derive(Clone, Default, Serialize, Deserialize)]
pub struct NotesState {
    pub notes: Vec<Note>,
}

impl Controller for ResetInput {
    type State = NotesState;

    fn actions(actions: &mut Actions<Self>) {
        actions.on("add", Self::add);
    }
}

impl ResetInput {
    /// Runs once the note passed the template's checks (there, at most 80).
    fn add(&self, state: &mut NotesState, ctx: &mut Context<Self>) -> Result<(), ActionError> {
        let text = ctx
            .get_string("note")
            .unwrap_or_default()
            .trim()
            .to_string();
        if state
            .notes
            .iter()
            .any(|n| n.text.eq_ignore_ascii_case(&text))
        {
            return Err(ActionError::field(
                "note",
                "That one is already on the list.",
            ));
        }
        let id = state.notes.last().map_or(1, |n| n.id + 1);
        state.notes.push(Note { id, text });
        Ok(())
    }
}

pub const EXAMPLE: Example = Example {
    category: Category::Forms,
    slug: "reset-input",
    title: "Reset User Input",
    summary: "After a form's action succeeds, the stock client resets the form: the input is empty and keeps the focus, \
              with no attribute or code. A refused note (empty, or already on the list) stays in the box beside its error.",
    try_it: "Type \"Buy milk\" and press Enter: it joins the list and the box is empty, ready for the next. \
             Type \"buy milk\" and press Enter: \"That one is already on the list.\" shows and your text stays to be fixed.",
    template: "forms/reset-input.html",
    sign_in: false,
    source: crate::this_file!(),
    also: &[],
    routes,
};

/// The page, in the gallery's example layout at `/forms/reset-input`.
fn routes(gallery: &Gallery) -> Result<Router, LiveError> {
    gallery.show(&EXAMPLE, gallery.live.page(EXAMPLE.template, ResetInput))
}
