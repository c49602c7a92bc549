//! Keyboard Shortcuts: an inbox driven from the keyboard, with the keys
//! bound in the template and the selection kept on the server.
//!
//! Each shortcut is an element with `lvt-on:window:keydown="action"` and
//! `lvt-key="j"`: the stock client listens on the window and sends the
//! action when that key is pressed. Here those elements are the key list
//! itself, so the list `?` shows is the list of what is bound. The letter
//! keys carry `lvt-mod:skip-when-typing`: while the focus is in a text
//! field the client lets them be typed. Escape has no such guard: it
//! clears the search while you are in it.
//!
//! `/` puts the focus in the search field: it is rendered with
//! `lvt-autofocus`, which focuses a field once, when it appears. So each
//! `/` makes it a new field: its `data-key` counts the presses.

use axum::Router;
use livetemplate::{ActionError, Actions, Context, Controller, LiveError, MountContext};
use serde::{Deserialize, Serialize};

use crate::catalog::{Category, Example, Gallery};

pub struct KeyboardShortcuts;

#[derive(Clone, Default, Serialize, Deserialize)]
pub struct InboxState {
    pub query: String,
    /// The messages the search lets through.
    pub shown: Vec<Message>,
    /// Where the selection is in `shown`.
    pub selected: usize,
    pub opened: Option<Message>,
    /// Whether the key list is showing.
    pub help: bool,
    /// How many times `/` was pressed: the search field's key.
    pub searches: u32,
    /// Whether Escape just emptied the search: the field is re-rendered
    /// even though it has the focus.
    pub cleared: bool,
}

#[derive(Clone, Serialize, Deserialize)]
pub struct Message {
    pub id: u32,
    pub from: String,
    pub subject: String,
}

const INBOX: &[(&str, &str)] = &[
    ("Grace", "Compiler meeting moved to Thursday"),
    ("Alan", "Invoice for the bombe parts"),
    ("Ada", "Notes on the analytical engine"),
    ("Katherine", "Trajectory figures, checked"),
    ("Edsger", "Re: goto, considered"),
    ("Barbara", "Invoice: substitution seminar"),
];

/// The inbox messages whose sender or subject contain `query`.
fn search(query: &str) -> Vec<Message> {
    let query = query.trim().to_lowercase();
    (1..)
        .zip(INBOX)
        .filter(|(_, (from, subject))| {
            query.is_empty()
                || from.to_lowercase().contains(&query)
                || subject.to_lowercase().contains(&query)
        })
        .map(|(id, (from, subject))| Message {
            id,
            from: from.to_string(),
            subject: subject.to_string(),
        })
        .collect()
}

impl Controller for KeyboardShortcuts {
    type State = InboxState;

    fn actions(actions: &mut Actions<Self>) {
        actions
            .on("next", |_, state, _| {
                state.selected = (state.selected + 1).min(state.shown.len().saturating_sub(1));
                Ok(())
            })
            .on("previous", |_, state, _| {
                state.selected = state.selected.saturating_sub(1);
                Ok(())
            })
            .on("open", KeyboardShortcuts::open)
            .on("help", |_, state, _| {
                state.help = !state.help;
                Ok(())
            })
            .on("focus_search", |_, state, _| {
                state.searches += 1;
                state.cleared = false;
                Ok(())
            })
            .on("search", |_, state, ctx| {
                state.query = ctx.get_string("query").unwrap_or_default();
                state.cleared = false;
                state.shown = search(&state.query);
                state.selected = 0;
                Ok(())
            })
            .on("escape", KeyboardShortcuts::escape);
    }

    fn mount(&self, _: &MountContext) -> Result<InboxState, ActionError> {
        Ok(InboxState {
            shown: search(""),
            ..InboxState::default()
        })
    }
}

impl KeyboardShortcuts {
    /// Enter opens the selected message; a click on a message opens that one.
    fn open(&self, state: &mut InboxState, ctx: &mut Context<Self>) -> Result<(), ActionError> {
        if let Some(id) = ctx.get_int("value") {
            if let Some(at) = state.shown.iter().position(|m| i64::from(m.id) == id) {
                state.selected = at;
            }
        }
        state.opened = state.shown.get(state.selected).cloned();
        Ok(())
    }

    /// Escape undoes one thing: the key list, else the open message, else
    /// the search.
    fn escape(&self, state: &mut InboxState, _: &mut Context<Self>) -> Result<(), ActionError> {
        state.cleared = false;
        if state.help {
            state.help = false;
        } else if state.opened.is_some() {
            state.opened = None;
        } else if !state.query.is_empty() {
            state.query.clear();
            state.shown = search("");
            state.selected = 0;
            state.cleared = true;
        }
        Ok(())
    }
}

pub const EXAMPLE: Example = Example {
    category: Category::Navigation,
    slug: "keyboard-shortcuts",
    title: "Keyboard Shortcuts",
    summary: "An inbox you drive from the keyboard: j and k move the selection, Enter opens, Escape closes, / searches and ? lists \
              the keys. Each key is an lvt-on:window:keydown binding with lvt-key, and the letters are not taken while you type in the search.",
    try_it: "Press j twice and Enter: the third message opens. Escape closes it. Press / and type \"invoice\": the letters go into the \
             search, not to the shortcuts, and the list narrows; Escape empties it. Press ? for the key list.",
    template: "navigation/keyboard-shortcuts.html",
    sign_in: false,
    source: crate::this_file!(),
    also: &[],
    routes,
};

/// The page, in the gallery's example layout at `/navigation/keyboard-shortcuts`.
fn routes(gallery: &Gallery) -> Result<Router, LiveError> {
    gallery.show(
        &EXAMPLE,
        gallery.live.page(EXAMPLE.template, KeyboardShortcuts),
    )
}
