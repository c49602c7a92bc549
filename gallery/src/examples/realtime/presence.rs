//! Presence: who is here, with how many tabs, and who is typing.
//!
//! Each signed-in tab tracks itself on the topic `room:here` with
//! `ctx.track(topic, meta)`, which also subscribes it. The runtime keeps one
//! entry per person however many tabs they have (with the count), on every
//! instance; whenever the list changes, every tab on the topic runs the
//! server action `presence` with the new list. The meta is what the person
//! is doing: each keystroke sends `typing`, a pause of 1.5 s sends `idle`
//! (a debounced `keyup`), and Say sets what they said; each tracks the tab
//! again with new meta only when it changes. The person's last tab to close
//! takes them off the list.

use axum::Router;
use livetemplate::{
    ActionError, Actions, Context, Controller, LiveError, MountContext, PresenceChange, Present,
    Sessions,
};
use serde::{Deserialize, Serialize};

use crate::catalog::{Category, Example, Gallery, SIGN_IN};

/// The gallery's topic rules let signed-in users into `room:` topics.
const ROOM: &str = "room:here";
const MAX_SAID: usize = 140;

pub struct Presence {
    pub sessions: Sessions,
}

#[derive(Clone, Default, Serialize, Deserialize)]
pub struct PresenceState {
    /// The signed-in user ("" when anonymous).
    pub me: String,
    /// Who is here, one entry per person.
    pub here: Vec<Present<Doing>>,
    /// Who came or went last.
    pub last_change: String,
    /// Whether this tab told the room it is typing.
    pub typing: bool,
}

/// What a person shows next to their name: the meta their latest tab tracked.
#[derive(Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Doing {
    pub typing: bool,
    /// The last thing they said.
    pub said: String,
}

impl Controller for Presence {
    type State = PresenceState;

    fn actions(actions: &mut Actions<Self>) {
        actions
            .on("typing", |_, state, ctx| {
                if !state.typing {
                    state.typing = true;
                    track(state, ctx, None)?;
                }
                Ok(())
            })
            .on("idle", |_, state, ctx| {
                if state.typing {
                    state.typing = false;
                    track(state, ctx, None)?;
                }
                Ok(())
            })
            .on("say", Self::say)
            .on_server("presence", |_, state, ctx| {
                let change: PresenceChange<Doing> = ctx.data()?;
                let came = change.joined.iter().map(|key| format!("{key} arrived"));
                let went = change.left.iter().map(|key| format!("{key} left"));
                let said: Vec<String> = came.chain(went).collect();
                if !said.is_empty() {
                    state.last_change = said.join(", ");
                }
                state.here = change.here;
                Ok(())
            });
    }

    fn mount(&self, ctx: &MountContext) -> Result<PresenceState, ActionError> {
        // The list as it is now, for the first render; pushes keep it.
        let here = self.sessions.presence(ROOM).into_iter().map(typed);
        Ok(PresenceState {
            me: ctx.user_id().unwrap_or_default().to_string(),
            here: here.collect(),
            ..PresenceState::default()
        })
    }

    fn on_connect(
        &self,
        state: &mut PresenceState,
        ctx: &mut Context<Self>,
    ) -> Result<(), ActionError> {
        if !state.me.is_empty() {
            track(state, ctx, None)?;
        }
        Ok(())
    }
}

#[derive(Deserialize)]
struct Say {
    text: String,
}

impl Presence {
    /// Sets what this person said, shown under their name; they stop typing.
    fn say(&self, state: &mut PresenceState, ctx: &mut Context<Self>) -> Result<(), ActionError> {
        let text = ctx.data::<Say>()?.text.trim().to_string();
        if text.is_empty() {
            return Err(ActionError::field("text", "say something"));
        }
        if text.chars().count() > MAX_SAID {
            return Err(ActionError::field(
                "text",
                format!("at most {MAX_SAID} characters"),
            ));
        }
        state.typing = false;
        track(state, ctx, Some(text))?;
        Ok(())
    }
}

/// Tracks this tab on the room with whether it is typing and what its
/// person said: `said`, or what they said last (from another tab, maybe),
/// so a tab that tracks anew does not blank it.
fn track(
    state: &PresenceState,
    ctx: &mut Context<Presence>,
    said: Option<String>,
) -> Result<(), ActionError> {
    if state.me.is_empty() {
        return Err(ActionError::msg("sign in to be on the list"));
    }
    let said = said.unwrap_or_else(|| {
        let me = state.here.iter().find(|person| person.key == state.me);
        me.map(|person| person.meta.said.clone())
            .unwrap_or_default()
    });
    let typing = state.typing;
    ctx.track(ROOM, Doing { typing, said })?;
    Ok(())
}

/// An entry of the list as `Doing` (meta of another shape reads as idle).
fn typed(person: Present) -> Present<Doing> {
    Present {
        key: person.key,
        tabs: person.tabs,
        meta: serde_json::from_value(person.meta).unwrap_or_default(),
    }
}

pub const EXAMPLE: Example = Example {
    category: Category::RealTime,
    slug: "presence",
    title: "Presence",
    summary: "Who is on the page now, one line per person with how many tabs they have open, and “typing…” beside anyone typing, for everyone at once.",
    try_it: "Sign in, open a second tab, then sign in as someone else in the split view's second frame: each of you is listed once, you with 2 tabs. Type in one: the other shows “typing…” beside you until you pause or press Say. Close a tab: your count drops; close the last: you leave the list.",
    template: "realtime/presence.html",
    sign_in: true,
    source: crate::this_file!(),
    also: SIGN_IN,
    routes,
};

/// The page, in the gallery's example layout at `/realtime/presence`.
fn routes(gallery: &Gallery) -> Result<Router, LiveError> {
    let presence = Presence {
        sessions: gallery.live.sessions(),
    };
    gallery.show(&EXAMPLE, gallery.live.page(EXAMPLE.template, presence))
}
