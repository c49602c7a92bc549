//! Bulk Update: tick rows, press one button, one action changes them all.
//!
//! The checkboxes share a name (`ids`), so the form sends the ticked ids as
//! one list with the action; the handler changes those rows, says how many
//! actually changed, and marks them with `lvt-fx:highlight`. The client
//! clears the ticks after a success (it resets the form). The users are
//! persisted for this browser.

use axum::Router;
use livetemplate::{ActionError, Actions, Context, Controller, LiveError, MountContext};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::catalog::{Category, Example, Gallery};

pub struct BulkUpdate;

#[derive(Clone, Default, Serialize, Deserialize)]
pub struct User {
    pub id: i64,
    pub name: String,
    pub email: String,
    pub active: bool,
}

#[derive(Clone, Default, Serialize, Deserialize)]
pub struct BulkUpdateState {
    pub users: Vec<User>,
    /// The rows the last action changed, to highlight.
    pub changed: Vec<i64>,
}

impl Controller for BulkUpdate {
    type State = BulkUpdateState;
    const PERSIST: &'static [&'static str] = &["users"];

    fn actions(actions: &mut Actions<Self>) {
        actions
            .on("activate", |_, state, ctx| set_active(state, ctx, true))
            .on("deactivate", |_, state, ctx| set_active(state, ctx, false));
    }

    fn mount(&self, _: &MountContext) -> Result<BulkUpdateState, ActionError> {
        let users = [
            ("Grace Hopper", "grace@example.com", true),
            ("Alan Turing", "alan@example.com", false),
            ("Katherine Johnson", "katherine@example.com", true),
            ("Edsger Dijkstra", "edsger@example.com", false),
            ("Barbara Liskov", "barbara@example.com", false),
        ];
        Ok(BulkUpdateState {
            users: (1..)
                .zip(users)
                .map(|(id, (name, email, active))| User {
                    id,
                    name: name.into(),
                    email: email.into(),
                    active,
                })
                .collect(),
            changed: Vec::new(),
        })
    }
}

/// Sets the ticked rows to `active` and says how many changed.
fn set_active(
    state: &mut BulkUpdateState,
    ctx: &mut Context<BulkUpdate>,
    active: bool,
) -> Result<(), ActionError> {
    let ticked = ticked(ctx);
    if ticked.is_empty() {
        return Err(ActionError::msg("Tick at least one row first."));
    }
    state.changed.clear();
    for user in state.users.iter_mut().filter(|u| ticked.contains(&u.id)) {
        if user.active != active {
            user.active = active;
            state.changed.push(user.id);
        }
    }
    let done = if active { "Activated" } else { "Deactivated" };
    let (n, already) = (state.changed.len(), ticked.len() - state.changed.len());
    let mut message = format!("{done} {n} user{}.", if n == 1 { "" } else { "s" });
    if already > 0 {
        let state_word = if active { "active" } else { "inactive" };
        message += &format!(" {already} already {state_word}.");
    }
    ctx.flash("success", message);
    Ok(())
}

/// The ticked ids: a list from the client (one checkbox group), a single
/// value or a list from a form posted without JavaScript.
fn ticked(ctx: &Context<BulkUpdate>) -> Vec<i64> {
    let id = |v: &Value| match v {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.parse().ok(),
        _ => None,
    };
    match ctx.get("ids") {
        Some(Value::Array(ids)) => ids.iter().filter_map(id).collect(),
        Some(one) => id(one).into_iter().collect(),
        None => Vec::new(),
    }
}

pub const EXAMPLE: Example = Example {
    category: Category::Forms,
    slug: "bulk-update",
    title: "Bulk Update",
    summary: "Checkbox rows and one button: the ticked ids travel as one list with a single action, \
              the handler updates those rows, reports how many changed, and highlights them. The ticks clear after a success.",
    try_it: "Tick Alan Turing, Edsger Dijkstra and Grace Hopper, then press Activate: \"Activated 2 users. 1 already active.\", \
             both rows turn Active and flash, and the ticks clear. Press Deactivate with nothing ticked: you are told to tick a row.",
    template: "forms/bulk-update.html",
    sign_in: false,
    source: crate::this_file!(),
    also: &[],
    routes,
};

/// The page, in the gallery's example layout at `/forms/bulk-update`.
fn routes(gallery: &Gallery) -> Result<Router, LiveError> {
    gallery.show(&EXAMPLE, gallery.live.page(EXAMPLE.template, BulkUpdate))
}
