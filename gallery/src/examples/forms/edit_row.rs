//! Edit Row: a table where one row at a time becomes a form.
//!
//! Each row is keyed (`data-key`), so opening, saving or cancelling an edit
//! sends only the rows that changed, not the table. The row's inputs are
//! checked as their HTML says (`required`, `type="email"`), live and on
//! Save; Escape cancels. The people are persisted for this browser.
//!
//! The inputs say `lvt-on:input="change"`: the stock client finds bound
//! fields to check as they are typed in the markup it receives whole, and a
//! row that changes arrives as a row operation, so the row asks for it.

use axum::Router;
use livetemplate::{ActionError, Actions, Context, Controller, LiveError, MountContext};
use serde::{Deserialize, Serialize};

use crate::catalog::{Category, Example, Gallery};

pub struct EditRow;

#[derive(Clone, Default, Serialize, Deserialize)]
pub struct Person {
    pub id: i64,
    pub name: String,
    pub email: String,
}

#[derive(Clone, Default, Serialize, Deserialize)]
pub struct EditRowState {
    pub people: Vec<Person>,
    /// The id of the row being edited, if any.
    pub editing: Option<i64>,
}

impl Controller for EditRow {
    type State = EditRowState;
    const PERSIST: &'static [&'static str] = &["people"];

    fn actions(actions: &mut Actions<Self>) {
        actions
            .on("edit", |_, state, ctx| {
                state.editing = Some(row_id(ctx)?);
                Ok(())
            })
            .on("cancel", |_, state, _| {
                state.editing = None;
                Ok(())
            })
            .on("save", Self::save);
    }

    fn mount(&self, _: &MountContext) -> Result<EditRowState, ActionError> {
        let people = [
            ("Grace Hopper", "grace@example.com"),
            ("Alan Turing", "alan@example.com"),
            ("Katherine Johnson", "katherine@example.com"),
            ("Edsger Dijkstra", "edsger@example.com"),
        ];
        Ok(EditRowState {
            people: (1..)
                .zip(people)
                .map(|(id, (name, email))| Person {
                    id,
                    name: name.into(),
                    email: email.into(),
                })
                .collect(),
            editing: None,
        })
    }
}

impl EditRow {
    /// Runs only once the row's checks pass.
    fn save(&self, state: &mut EditRowState, ctx: &mut Context<Self>) -> Result<(), ActionError> {
        let id = row_id(ctx)?;
        let person = state
            .people
            .iter_mut()
            .find(|p| p.id == id)
            .ok_or_else(|| ActionError::msg("That row is no longer there."))?;
        person.name = ctx.get_string("name").unwrap_or_default().trim().into();
        person.email = ctx.get_string("email").unwrap_or_default().trim().into();
        state.editing = None;
        Ok(())
    }
}

/// The row a form is about (its hidden `id` field).
fn row_id(ctx: &Context<EditRow>) -> Result<i64, ActionError> {
    ctx.get_int("id")
        .ok_or_else(|| ActionError::msg("Which row? The form sent no id."))
}

pub const EXAMPLE: Example = Example {
    category: Category::Forms,
    slug: "edit-row",
    title: "Edit Row",
    summary: "A table where Edit turns one row into inputs. Rows are keyed, so each edit sends only the rows it changed; \
              the inputs' HTML is the validation, checked as you type and on Save.",
    try_it: "Click Edit on Alan Turing, rename him to \"Alan M. Turing\" and press Save: only that row changes. \
             Edit another row and clear its email: \"This field is required.\" shows in the row; press Escape to put it back.",
    template: "forms/edit-row.html",
    sign_in: false,
    source: crate::this_file!(),
    also: &[],
    routes,
};

/// The page, in the gallery's example layout at `/forms/edit-row`.
fn routes(gallery: &Gallery) -> Result<Router, LiveError> {
    gallery.show(&EXAMPLE, gallery.live.page(EXAMPLE.template, EditRow))
}
