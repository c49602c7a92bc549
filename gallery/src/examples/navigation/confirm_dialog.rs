//! Confirm Dialog: a destructive action asks first, and nothing is sent
//! until the answer is yes.
//!
//! Each file's Delete opens that file's `<dialog>` (`command="show-modal"`),
//! which says what will go. Cancel and Escape close it with HTML alone: the
//! server hears nothing. Only the dialog's own Delete sends `delete` with
//! the file's id, and the file leaves the page with its dialog. Focus starts
//! on Cancel (`autofocus`), so Enter is the safe answer and deleting takes
//! a deliberate Tab; when the dialog closes, focus goes back to the button
//! that opened it.

use axum::Router;
use livetemplate::{ActionError, Actions, Context, Controller, LiveError, MountContext};
use serde::{Deserialize, Serialize};

use crate::catalog::{Category, Example, Gallery};

pub struct ConfirmDialog;

#[derive(Clone, Default, Serialize, Deserialize)]
pub struct FilesState {
    pub files: Vec<File>,
    /// The name of the file deleted last, for the status line.
    pub deleted: Option<String>,
}

#[derive(Clone, Serialize, Deserialize)]
pub struct File {
    pub id: u32,
    pub name: String,
    pub size: String,
}

const FILES: &[(&str, &str)] = &[
    ("quarterly-report.pdf", "1.2 MB"),
    ("team-photo.jpg", "3.4 MB"),
    ("budget-2027.xlsx", "86 KB"),
    ("meeting-notes.md", "4 KB"),
];

fn files() -> Vec<File> {
    (1..)
        .zip(FILES)
        .map(|(id, (name, size))| File {
            id,
            name: name.to_string(),
            size: size.to_string(),
        })
        .collect()
}

impl Controller for ConfirmDialog {
    type State = FilesState;
    /// Deletions survive a reload, per visitor.
    const PERSIST: &'static [&'static str] = &["files"];

    fn actions(actions: &mut Actions<Self>) {
        actions
            .on("delete", ConfirmDialog::delete)
            .on("restore", |_, state, _| {
                *state = FilesState {
                    files: files(),
                    deleted: None,
                };
                Ok(())
            });
    }

    fn mount(&self, _: &MountContext) -> Result<FilesState, ActionError> {
        Ok(FilesState {
            files: files(),
            deleted: None,
        })
    }
}

impl ConfirmDialog {
    /// Sent only by a dialog's Delete: `<button name="delete" value="{{ file.id }}">`.
    fn delete(&self, state: &mut FilesState, ctx: &mut Context<Self>) -> Result<(), ActionError> {
        let id = ctx
            .get_int("value")
            .ok_or(ActionError::msg("which file?"))?;
        // Already gone (another tab deleted it): nothing to do.
        if let Some(at) = state.files.iter().position(|f| i64::from(f.id) == id) {
            state.deleted = Some(state.files.remove(at).name);
        }
        Ok(())
    }
}

pub const EXAMPLE: Example = Example {
    category: Category::Navigation,
    slug: "confirm-dialog",
    title: "Confirm Dialog",
    summary: "Deleting a file asks first, in a native <dialog> that names the file. Cancel or Escape closes it without a word to \
              the server; only the dialog's Delete sends the action. Focus starts on Cancel, so the keyboard's Enter is the safe answer.",
    try_it: "Click Delete beside team-photo.jpg and Cancel: nothing is sent (the wire panel stays quiet). Delete it again and \
             confirm: it goes. With the keyboard: Tab to a Delete, Enter opens the dialog on Cancel, Tab then Enter deletes, Escape backs out.",
    template: "navigation/confirm-dialog.html",
    sign_in: false,
    source: crate::this_file!(),
    also: &[],
    routes,
};

/// The page, in the gallery's example layout at `/navigation/confirm-dialog`.
fn routes(gallery: &Gallery) -> Result<Router, LiveError> {
    gallery.show(&EXAMPLE, gallery.live.page(EXAMPLE.template, ConfirmDialog))
}
