//! Pub/Sub: a feed of the topics this tab follows.
//!
//! Each topic is a runtime topic, `feed:deploys` and so on (the gallery's
//! topic rules let anyone use `feed:` topics). Subscribe and Unsubscribe
//! call `ctx.subscribe` / `ctx.unsubscribe` for this tab's connection only;
//! Publish calls `ctx.publish`, which runs `post` on every connection
//! subscribed to that topic — in any browser — and on no other. As with
//! Redis pub/sub, nothing is stored on the server: a message reaches whoever
//! is subscribed when it is sent. Each tab keeps the last messages it got;
//! the feed stays scrolled to the newest (`lvt-fx:scroll="bottom-sticky"`).

use std::sync::atomic::{AtomicU64, Ordering};

use axum::Router;
use livetemplate::{ActionError, Actions, Context, Controller, LiveError, MountContext};
use serde::{Deserialize, Serialize};

use crate::catalog::{Category, Example, Gallery};
use crate::clock::Stamp;

const TOPICS: [&str; 3] = ["deploys", "alerts", "chat"];
/// Messages a tab's feed keeps.
const FEED: usize = 30;
const MAX_LENGTH: usize = 200;

/// Message ids, unique on this server (the feed is keyed by them).
#[derive(Default)]
pub struct PubSub {
    next_id: AtomicU64,
}

#[derive(Clone, Default, Serialize, Deserialize)]
pub struct FeedState {
    pub topics: Vec<Topic>,
    pub feed: Vec<Post>,
    /// What this tab last published, as a line for it.
    pub sent: Option<String>,
}

#[derive(Clone, Serialize, Deserialize)]
pub struct Topic {
    pub name: String,
    pub subscribed: bool,
}

#[derive(Clone, Serialize, Deserialize)]
pub struct Post {
    pub id: u64,
    pub topic: String,
    pub text: String,
    pub at: Stamp,
}

/// The runtime topic of a feed topic.
fn channel(topic: &str) -> String {
    format!("feed:{topic}")
}

impl Controller for PubSub {
    type State = FeedState;

    fn actions(actions: &mut Actions<Self>) {
        actions
            .on("subscribe", |_, state, ctx| {
                let topic = state.topic(ctx)?;
                ctx.subscribe(&channel(&topic))?;
                state.mark(&topic, true);
                Ok(())
            })
            .on("unsubscribe", |_, state, ctx| {
                let topic = state.topic(ctx)?;
                ctx.unsubscribe(&channel(&topic));
                state.mark(&topic, false);
                Ok(())
            })
            .on("publish", PubSub::publish)
            .on_server("post", |_, state, ctx| {
                let post: Post = ctx.data()?;
                // One already on its way when this tab unsubscribed: drop it.
                if state
                    .topics
                    .iter()
                    .any(|t| t.name == post.topic && t.subscribed)
                {
                    state.feed.push(post);
                    if state.feed.len() > FEED {
                        state.feed.remove(0);
                    }
                }
                Ok(())
            });
    }

    /// Every tab starts following `chat`.
    fn mount(&self, _: &MountContext) -> Result<FeedState, ActionError> {
        let topics = TOPICS.iter().map(|name| Topic {
            name: name.to_string(),
            subscribed: *name == "chat",
        });
        Ok(FeedState {
            topics: topics.collect(),
            ..FeedState::default()
        })
    }

    /// Subscriptions belong to a connection: make them again for each one.
    fn on_connect(
        &self,
        state: &mut FeedState,
        ctx: &mut Context<Self>,
    ) -> Result<(), ActionError> {
        for topic in state.topics.iter().filter(|t| t.subscribed) {
            ctx.subscribe(&channel(&topic.name))?;
        }
        Ok(())
    }
}

impl FeedState {
    /// The topic a Subscribe or Unsubscribe button names.
    fn topic(&self, ctx: &Context<PubSub>) -> Result<String, ActionError> {
        let name = ctx.get_string("value").unwrap_or_default();
        if TOPICS.contains(&name.as_str()) {
            Ok(name)
        } else {
            Err(ActionError::msg(format!("there is no topic {name:?}")))
        }
    }

    fn mark(&mut self, topic: &str, subscribed: bool) {
        for t in self.topics.iter_mut().filter(|t| t.name == topic) {
            t.subscribed = subscribed;
        }
    }
}

impl PubSub {
    fn publish(&self, state: &mut FeedState, ctx: &mut Context<Self>) -> Result<(), ActionError> {
        // Read as strings: the client sends a message of digits as a number.
        let topic = ctx.get_string("topic").unwrap_or_default();
        let text = ctx.get_string("text").unwrap_or_default();
        if !TOPICS.contains(&topic.as_str()) {
            return Err(ActionError::field("topic", "pick one of the topics"));
        }
        let text = text.trim().to_string();
        if text.is_empty() {
            return Err(ActionError::field("text", "write a message"));
        }
        if text.chars().count() > MAX_LENGTH {
            return Err(ActionError::field(
                "text",
                format!("at most {MAX_LENGTH} characters"),
            ));
        }
        state.sent = Some(format!("Published “{text}” to #{topic}."));
        let post = Post {
            id: self.next_id.fetch_add(1, Ordering::Relaxed) + 1,
            topic: topic.clone(),
            text,
            at: Stamp::now(),
        };
        ctx.publish(&channel(&topic), "post", post)?;
        Ok(())
    }
}

pub const EXAMPLE: Example = Example {
    category: Category::RealTime,
    slug: "pubsub",
    title: "Pub/Sub Topics",
    summary: "A feed of the topics this tab subscribes to: publish to a topic and every tab subscribed to it, in any browser, gets the message — and no other tab does.",
    try_it: "Open the split view (each frame subscribes on its own) or a second browser. Subscribe one to #alerts and publish to #alerts from another: it arrives. Publish to #deploys: only tabs subscribed to #deploys get it.",
    template: "realtime/pubsub.html",
    sign_in: false,
    source: crate::this_file!(),
    also: &[],
    routes,
};

/// The page, in the gallery's example layout at `/realtime/pubsub`.
fn routes(gallery: &Gallery) -> Result<Router, LiveError> {
    let page = gallery.live.page(EXAMPLE.template, PubSub::default());
    gallery.show(&EXAMPLE, page)
}
