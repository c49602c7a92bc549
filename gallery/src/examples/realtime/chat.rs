//! Chat: a room where signed-in users talk, with who is here.
//!
//! Each tab subscribes to the topic `room:lobby` when it connects (the
//! gallery's topic rules let signed-in users into `room:` topics). Sending
//! publishes `message` to the topic, which runs on every subscribed tab;
//! joining and leaving publish `presence`. The room keeps the last messages,
//! so a new tab starts with the conversation so far.

use std::collections::{BTreeMap, VecDeque};
use std::sync::Arc;

use axum::Router;
use livetemplate::{ActionError, Actions, Context, Controller, LiveError, MountContext, Sessions};
use parking_lot::Mutex;
use serde::{Deserialize, Serialize};

use crate::catalog::{Category, Example, Gallery, SIGN_IN};

const ROOM: &str = "room:lobby";
/// Messages the room remembers.
const HISTORY: usize = 50;
const MAX_LENGTH: usize = 500;

pub struct Chat {
    pub room: Arc<Mutex<Room>>,
    pub sessions: Sessions,
}

/// What all tabs share: the conversation and who is connected (tabs per user).
#[derive(Default)]
pub struct Room {
    history: VecDeque<Message>,
    here: BTreeMap<String, usize>,
}

#[derive(Clone, Default, Serialize, Deserialize)]
pub struct ChatState {
    /// The signed-in user ("" when anonymous).
    pub me: String,
    pub messages: Vec<Message>,
    pub here: Vec<String>,
}

#[derive(Clone, Default, Serialize, Deserialize)]
pub struct Message {
    pub id: u64,
    pub from: String,
    pub text: String,
}

impl Controller for Chat {
    type State = ChatState;

    fn actions(actions: &mut Actions<Self>) {
        actions
            .on("send", Chat::send)
            .on_server("message", |_, state, ctx| {
                state.messages.push(ctx.data()?);
                if state.messages.len() > HISTORY {
                    state.messages.remove(0);
                }
                Ok(())
            })
            .on_server("presence", |_, state, ctx| {
                state.here = ctx.data::<Presence>()?.here;
                Ok(())
            });
    }

    fn mount(&self, ctx: &MountContext) -> Result<ChatState, ActionError> {
        let room = self.room.lock();
        Ok(ChatState {
            me: ctx.user_id().unwrap_or_default().to_string(),
            messages: room.history.iter().cloned().collect(),
            here: room.here.keys().cloned().collect(),
        })
    }

    fn on_connect(
        &self,
        state: &mut ChatState,
        ctx: &mut Context<Self>,
    ) -> Result<(), ActionError> {
        if state.me.is_empty() {
            return Ok(());
        }
        ctx.subscribe(ROOM)?;
        let here = {
            let mut room = self.room.lock();
            *room.here.entry(state.me.clone()).or_default() += 1;
            room.here.keys().cloned().collect::<Vec<_>>()
        };
        ctx.publish(ROOM, "presence", Presence { here })?;
        Ok(())
    }

    fn on_disconnect(&self, state: &ChatState) {
        if state.me.is_empty() {
            return;
        }
        let here = {
            let mut room = self.room.lock();
            if let Some(tabs) = room.here.get_mut(&state.me) {
                *tabs -= 1;
                if *tabs == 0 {
                    room.here.remove(&state.me);
                }
            }
            room.here.keys().cloned().collect::<Vec<_>>()
        };
        // From outside any connection: the room may be empty now, that is fine.
        let _ = self
            .sessions
            .topic(ROOM)
            .trigger_action("presence", Presence { here });
    }
}

#[derive(Serialize, Deserialize)]
struct Presence {
    here: Vec<String>,
}

#[derive(Deserialize)]
struct Say {
    text: String,
}

impl Chat {
    fn send(&self, state: &mut ChatState, ctx: &mut Context<Self>) -> Result<(), ActionError> {
        if state.me.is_empty() {
            return Err(ActionError::msg("sign in to chat"));
        }
        let text = ctx.data::<Say>()?.text.trim().to_string();
        if text.is_empty() {
            return Err(ActionError::field("text", "say something"));
        }
        if text.chars().count() > MAX_LENGTH {
            return Err(ActionError::field(
                "text",
                format!("at most {MAX_LENGTH} characters"),
            ));
        }
        let message = {
            let mut room = self.room.lock();
            let id = room.history.back().map_or(1, |m| m.id + 1);
            let message = Message {
                id,
                from: state.me.clone(),
                text,
            };
            room.history.push_back(message.clone());
            if room.history.len() > HISTORY {
                room.history.pop_front();
            }
            message
        };
        ctx.publish(ROOM, "message", message)?;
        Ok(())
    }
}

pub const EXAMPLE: Example = Example {
    category: Category::RealTime,
    slug: "chat",
    title: "Chat with Presence",
    summary: "A chat room for signed-in people, with who is here, updated live for everyone.",
    try_it: "Sign in, open the split view and sign in with another name in its second frame: messages and the who-is-here list update for both.",
    template: "realtime/chat.html",
    sign_in: true,
    source: crate::this_file!(),
    also: SIGN_IN,
    routes,
};

/// The page, in the gallery's example layout at `/realtime/chat`.
fn routes(gallery: &Gallery) -> Result<Router, LiveError> {
    let chat = Chat {
        room: Arc::default(),
        sessions: gallery.live.sessions(),
    };
    gallery.show(&EXAMPLE, gallery.live.page(EXAMPLE.template, chat))
}
