//! Chat: a room where signed-in users talk, with who is here.
//!
//! Each tab tracks itself on the topic `room:lobby` when it connects (the
//! gallery's topic rules let signed-in users into `room:` topics), which
//! also subscribes it. Sending publishes `message` to the topic, which runs
//! on every subscribed tab. Who is here is the runtime's presence list: one
//! entry per person however many tabs they have, on every instance; when it
//! changes, every tab runs `presence`. The room keeps the last messages, so
//! a new tab starts with the conversation so far.

use std::collections::VecDeque;
use std::sync::Arc;

use axum::Router;
use livetemplate::{
    ActionError, Actions, Context, Controller, LiveError, MountContext, PresenceChange, Present,
    Sessions,
};
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

/// What all tabs share: the conversation.
#[derive(Default)]
pub struct Room {
    history: VecDeque<Message>,
}

#[derive(Clone, Default, Serialize, Deserialize)]
pub struct ChatState {
    /// The signed-in user ("" when anonymous).
    pub me: String,
    pub messages: Vec<Message>,
    /// Who is here: the signed-in users with a tab on the room.
    pub here: Vec<Present>,
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
                state.here = ctx.data::<PresenceChange>()?.here;
                Ok(())
            });
    }

    fn mount(&self, ctx: &MountContext) -> Result<ChatState, ActionError> {
        Ok(ChatState {
            me: ctx.user_id().unwrap_or_default().to_string(),
            messages: self.room.lock().history.iter().cloned().collect(),
            here: self.sessions.presence(ROOM),
        })
    }

    fn on_connect(
        &self,
        state: &mut ChatState,
        ctx: &mut Context<Self>,
    ) -> Result<(), ActionError> {
        if !state.me.is_empty() {
            ctx.track(ROOM, ())?;
        }
        Ok(())
    }
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
