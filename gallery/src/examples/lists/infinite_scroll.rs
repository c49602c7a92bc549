//! Infinite Scroll: an element marked `lvt-scroll-sentinel` ends the feed;
//! when it scrolls into view the stock client sends `load_more` by itself,
//! and the reply appends the next page as one `a` operation. At the end the
//! sentinel is gone, and with it the client's observer.

use axum::Router;
use livetemplate::{ActionError, Actions, Controller, LiveError, MountContext};
use serde::{Deserialize, Serialize};

use crate::catalog::{Category, Example, Gallery};

const PAGE: usize = 20;
const COMMITS: usize = 200;

pub struct InfiniteScroll;

#[derive(Clone, Default, Serialize, Deserialize)]
pub struct InfiniteScrollState {
    pub commits: Vec<Commit>,
    pub total: usize,
}

#[derive(Clone, Serialize, Deserialize)]
pub struct Commit {
    pub sha: String,
    pub message: String,
    pub author: String,
}

/// Commits `from..from + PAGE`, newest first, as a `git log` would page them.
fn page(from: usize) -> Vec<Commit> {
    const VERBS: &[&str] = &["Fix", "Add", "Speed up", "Document", "Test", "Simplify"];
    const THINGS: &[&str] = &[
        "the parser",
        "list diffs",
        "reconnects",
        "the index",
        "uploads",
    ];
    const AUTHORS: &[&str] = &["ana", "ben", "chloé", "dev", "eun-ji"];
    (from..(from + PAGE).min(COMMITS))
        .map(|i| Commit {
            // Distinct for distinct i: an odd multiplier is a bijection mod 2³².
            sha: format!("{:08x}", (i as u32 + 1).wrapping_mul(2_654_435_761)),
            message: format!(
                "{} {} (#{})",
                VERBS[i % VERBS.len()],
                THINGS[i / VERBS.len() % THINGS.len()],
                COMMITS - i
            ),
            author: AUTHORS[i * 7 % AUTHORS.len()].to_string(),
        })
        .collect()
}

impl Controller for InfiniteScroll {
    type State = InfiniteScrollState;

    fn actions(actions: &mut Actions<Self>) {
        // The name the client sends for a visible sentinel.
        actions.on("load_more", |_, state, _| {
            let next = page(state.commits.len());
            state.commits.extend(next);
            Ok(())
        });
    }

    fn mount(&self, _: &MountContext) -> Result<InfiniteScrollState, ActionError> {
        Ok(InfiniteScrollState {
            commits: page(0),
            total: COMMITS,
        })
    }
}

pub const EXAMPLE: Example = Example {
    category: Category::Lists,
    slug: "infinite-scroll",
    title: "Infinite Scroll",
    summary: "A <p lvt-scroll-sentinel> after the last commit is watched by the stock client; when it scrolls into view the client sends load_more \
              (one at a time), and the reply appends twenty commits as one [\"a\", rows] operation. No script of our own.",
    try_it: "Scroll to the bottom of the box: twenty more commits appear and the count goes from 20 to 40. Keep scrolling to reach the first commit, #1, where loading stops.",
    template: "lists/infinite-scroll.html",
    sign_in: false,
    source: crate::this_file!(),
    also: &[],
    routes,
};

/// The page, in the gallery's example layout at `/lists/infinite-scroll`.
fn routes(gallery: &Gallery) -> Result<Router, LiveError> {
    gallery.show(
        &EXAMPLE,
        gallery.live.page(EXAMPLE.template, InfiniteScroll),
    )
}
