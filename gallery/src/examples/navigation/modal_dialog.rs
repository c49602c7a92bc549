//! Modal Dialog: a native `<dialog>` with a form that saves through an
//! action, open while the server keeps pushing.
//!
//! The Edit button opens the dialog with HTML's own invoker command,
//! `command="show-modal" commandfor="…"` (the stock client polyfills it in
//! browsers without it); Cancel and Escape close it. A clock is pushed from
//! the server every second, and each push re-renders the page: the client
//! keeps an open dialog open through it, and what is typed stays typed
//! (the inputs the server renders did not change, so it leaves them be).
//!
//! A save the checks refuse keeps the dialog open with the errors beside
//! the fields. A save that succeeds closes it from the server: the dialog's
//! `data-key` names how many saves this tab made, so after a save it is a
//! new element and the open one leaves the page. (Dropping its `open`
//! attribute instead would leave the page behind it inert.)

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::Router;
use livetemplate::{ActionError, Actions, Context, Controller, LiveError, MountContext};
use serde::{Deserialize, Serialize};

use crate::catalog::{Category, Example, Gallery};

pub struct ModalDialog;

#[derive(Clone, Default, Serialize, Deserialize)]
pub struct ProfileState {
    pub name: String,
    pub email: String,
    /// Saves made in this tab: the dialog's key, so a save closes it.
    pub saves: u32,
    /// When this tab last saved.
    pub saved_at: Option<String>,
    /// The server's clock, pushed every second.
    pub now: String,
}

impl Controller for ModalDialog {
    type State = ProfileState;
    /// The profile survives a reload, per visitor.
    const PERSIST: &'static [&'static str] = &["name", "email"];

    fn actions(actions: &mut Actions<Self>) {
        actions
            .on("save", ModalDialog::save)
            .on_server("tick", |_, state, _| {
                state.now = clock();
                Ok(())
            });
    }

    fn mount(&self, _: &MountContext) -> Result<ProfileState, ActionError> {
        Ok(ProfileState {
            name: "Ada Lovelace".into(),
            email: "ada@example.org".into(),
            saves: 0,
            saved_at: None,
            now: clock(),
        })
    }

    fn on_connect(&self, _: &mut ProfileState, ctx: &mut Context<Self>) -> Result<(), ActionError> {
        let session = ctx.session();
        // One clock for the tabs of this browser on this page; it stops
        // when the last of them closes.
        ctx.spawn_once_for_group("clock", async move {
            let mut every_second = tokio::time::interval(Duration::from_secs(1));
            every_second.tick().await; // the first tick is immediate
            loop {
                every_second.tick().await;
                if session.trigger_action("tick", ()).is_err() {
                    return;
                }
            }
        })?;
        Ok(())
    }
}

impl ModalDialog {
    /// Runs once the template's checks (`required`, `type="email"`,
    /// `minlength`) pass on the dialog's form.
    fn save(&self, state: &mut ProfileState, ctx: &mut Context<Self>) -> Result<(), ActionError> {
        let name = ctx.get_string("name").unwrap_or_default();
        let email = ctx.get_string("email").unwrap_or_default();
        state.name = name.trim().to_string();
        state.email = email.trim().to_string();
        state.saves += 1;
        state.saved_at = Some(clock());
        Ok(())
    }
}

/// The time of day on the server, to the second (UTC).
fn clock() -> String {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    format!(
        "{:02}:{:02}:{:02} UTC",
        secs / 3600 % 24,
        secs / 60 % 60,
        secs % 60
    )
}

pub const EXAMPLE: Example = Example {
    category: Category::Navigation,
    slug: "modal-dialog",
    title: "Modal Dialog",
    summary: "A profile edited in a native <dialog>, opened with command=\"show-modal\". The server pushes its clock every second; \
              the dialog stays open through every push and keeps what you typed. Save checks the form on the server: errors show \
              inside the dialog, and a good save closes it.",
    try_it: "Click Edit profile and type a new name: the clock behind keeps ticking, the dialog stays open and your text stays. \
             Empty the name and Save: the error shows in the dialog. Fix it and Save: the dialog closes and the card shows the new name.",
    template: "navigation/modal-dialog.html",
    sign_in: false,
    source: crate::this_file!(),
    also: &[],
    routes,
};

/// The page, in the gallery's example layout at `/navigation/modal-dialog`.
fn routes(gallery: &Gallery) -> Result<Router, LiveError> {
    gallery.show(&EXAMPLE, gallery.live.page(EXAMPLE.template, ModalDialog))
}
