//! Delete Row: each row's Delete removes it, and the reply is one `r`
//! operation naming the row's key; Undo puts the row back where it was,
//! sliding in (`lvt-fx:animate`, an entry animation, plays on new rows).

use axum::Router;
use livetemplate::{ActionError, Actions, Context, Controller, LiveError, MountContext};
use serde::{Deserialize, Serialize};

use crate::catalog::{Category, Example, Gallery};

pub struct DeleteRow;

#[derive(Clone, Default, Serialize, Deserialize)]
pub struct DeleteRowState {
    pub people: Vec<Person>,
    /// What was deleted, latest last, with where it stood: Undo takes it back.
    pub deleted: Vec<Deleted>,
}

#[derive(Clone, Serialize, Deserialize)]
pub struct Person {
    pub id: u32,
    pub name: String,
    pub role: String,
}

#[derive(Clone, Serialize, Deserialize)]
pub struct Deleted {
    pub at: usize,
    pub person: Person,
}

const TEAM: &[(&str, &str)] = &[
    ("Ada Lovelace", "Analyst"),
    ("Grace Hopper", "Compiler lead"),
    ("Alan Turing", "Cryptanalyst"),
    ("Katherine Johnson", "Navigator"),
    ("Edsger Dijkstra", "Reviewer"),
    ("Barbara Liskov", "Architect"),
];

fn team() -> Vec<Person> {
    (1..)
        .zip(TEAM)
        .map(|(id, (name, role))| Person {
            id,
            name: name.to_string(),
            role: role.to_string(),
        })
        .collect()
}

impl Controller for DeleteRow {
    type State = DeleteRowState;
    /// Deletions survive a reload, per visitor (not one table for everyone).
    const PERSIST: &'static [&'static str] = &["people", "deleted"];

    fn actions(actions: &mut Actions<Self>) {
        actions
            .on("delete", DeleteRow::delete)
            .on("undo", |_, state, _| {
                if let Some(Deleted { at, person }) = state.deleted.pop() {
                    state.people.insert(at.min(state.people.len()), person);
                }
                Ok(())
            })
            .on("restore", |_, state, _| {
                *state = DeleteRowState {
                    people: team(),
                    deleted: Vec::new(),
                };
                Ok(())
            });
    }

    fn mount(&self, _: &MountContext) -> Result<DeleteRowState, ActionError> {
        Ok(DeleteRowState {
            people: team(),
            deleted: Vec::new(),
        })
    }
}

impl DeleteRow {
    fn delete(
        &self,
        state: &mut DeleteRowState,
        ctx: &mut Context<Self>,
    ) -> Result<(), ActionError> {
        // The button's value: `<button name="delete" value="{{ person.id }}">`.
        let id = ctx.get_int("value").ok_or(ActionError::msg("which row?"))?;
        // Already gone (a second click, another tab): nothing to do.
        if let Some(at) = state.people.iter().position(|p| i64::from(p.id) == id) {
            let person = state.people.remove(at);
            state.deleted.push(Deleted { at, person });
        }
        Ok(())
    }
}

pub const EXAMPLE: Example = Example {
    category: Category::Lists,
    slug: "delete-row",
    title: "Delete Row",
    summary: "Each row has a Delete button; the server removes the row from the state and the reply is one list operation, [\"r\", key], \
              which the client applies to that row alone. Undo inserts the row back where it stood, and lvt-fx:animate slides it in.",
    try_it: "Delete Grace Hopper: her row goes, the others stay put. Click Undo: she slides back in second place. Reload: your deletions are still there.",
    template: "lists/delete-row.html",
    sign_in: false,
    source: crate::this_file!(),
    also: &[],
    routes,
};

/// The page, in the gallery's example layout at `/lists/delete-row`.
fn routes(gallery: &Gallery) -> Result<Router, LiveError> {
    gallery.show(&EXAMPLE, gallery.live.page(EXAMPLE.template, DeleteRow))
}
