//! Click To Edit: a contact card that turns into its own form.
//!
//! Edit swaps the card for inputs holding the current values; Save keeps
//! them, Cancel (or Escape) drops them. The inputs' own HTML — `required`,
//! `maxlength`, `type="email"` — is what the server checks, as the person
//! types and again on Save, so `save` only ever sees values that passed.
//! The contact is persisted: it survives a reload in this browser.

use axum::Router;
use livetemplate::{ActionError, Actions, Context, Controller, LiveError, MountContext};
use serde::{Deserialize, Serialize};

use crate::catalog::{Category, Example, Gallery};

pub struct ClickToEdit;

#[derive(Clone, Default, Serialize, Deserialize)]
pub struct Contact {
    pub first_name: String,
    pub last_name: String,
    pub email: String,
}

#[derive(Clone, Default, Serialize, Deserialize)]
pub struct ClickToEditState {
    pub contact: Contact,
    pub editing: bool,
}

impl Controller for ClickToEdit {
    type State = ClickToEditState;
    const PERSIST: &'static [&'static str] = &["contact"];

    fn actions(actions: &mut Actions<Self>) {
        actions
            .on("edit", |_, state, _| {
                state.editing = true;
                Ok(())
            })
            .on("cancel", |_, state, _| {
                state.editing = false;
                Ok(())
            })
            .on("save", Self::save);
    }

    fn mount(&self, _: &MountContext) -> Result<ClickToEditState, ActionError> {
        Ok(ClickToEditState {
            contact: Contact {
                first_name: "Ada".into(),
                last_name: "Lovelace".into(),
                email: "ada@example.com".into(),
            },
            editing: false,
        })
    }
}

impl ClickToEdit {
    /// Runs only once the template's checks pass: every field is there.
    fn save(
        &self,
        state: &mut ClickToEditState,
        ctx: &mut Context<Self>,
    ) -> Result<(), ActionError> {
        let field = |name| ctx.get_string(name).unwrap_or_default().trim().to_string();
        state.contact = Contact {
            first_name: field("first_name"),
            last_name: field("last_name"),
            email: field("email"),
        };
        state.editing = false;
        ctx.flash("success", "Saved.");
        Ok(())
    }
}

pub const EXAMPLE: Example = Example {
    category: Category::Forms,
    slug: "click-to-edit",
    title: "Click To Edit",
    summary: "A contact card that becomes its own form. The inputs' HTML (required, maxlength, type=\"email\") is the validation: \
              the server checks each field as it is typed and everything again on Save, so the handler only stores what passed.",
    try_it: "Click Edit, change the email to \"ada@\": the error appears beside it while you type, and Save keeps the form open. \
             Fix it and Save: the card shows the new address (reload: it stays). Edit again and press Escape: nothing changes.",
    template: "forms/click-to-edit.html",
    sign_in: false,
    source: crate::this_file!(),
    also: &[],
    routes,
};

/// The page, in the gallery's example layout at `/forms/click-to-edit`.
fn routes(gallery: &Gallery) -> Result<Router, LiveError> {
    gallery.show(&EXAMPLE, gallery.live.page(EXAMPLE.template, ClickToEdit))
}
