//! Live Preview: Markdown rendered on the server as the person types.
//!
//! The textarea sends `render` on `input`, debounced by the client
//! (`lvt-mod:debounce`), and the server answers with the new preview and
//! the word and character counts. Safe by construction: the renderer
//! (`markdown.rs`, below) turns the text into a list of typed blocks — a
//! heading, a paragraph, runs of bold or linked text — and never into an
//! HTML string; the template writes each tag itself and minijinja escapes
//! every text and URL, so a `<script>` typed in shows as text, and a link
//! keeps its URL only if it is http, https or mailto. No `|safe` anywhere.
//!
//! The textarea shows the sample once; after that the browser owns what is
//! typed (`lvt-ignore` keeps renders from touching it), so no update
//! resends the text, and a render can never undo a keystroke. It has no
//! `name`: the client sends it as `value`, and does not also send it as an
//! automatic `change`, as it would for a named field the template fills.

use axum::Router;
use livetemplate::{ActionError, Actions, Context, Controller, LiveError, MountContext};
use serde::{Deserialize, Serialize};

use super::markdown::{self, Block};
use crate::catalog::{Category, Example, Gallery};

/// The longest text rendered (the textarea says the same).
const MAX_CHARS: usize = 10_000;

const SAMPLE: &str = "# Release notes

Type **Markdown** here: the preview follows *as you type*.

## What changed

- Faster `diff` of long lists
- A [changelog](https://example.com/changelog) link
  - nested items stay indented

> Raw HTML shows as text: <script>alert(1)</script>";

pub struct LivePreview;

#[derive(Clone, Default, Serialize, Deserialize)]
pub struct PreviewState {
    /// What the textarea starts with.
    pub start: String,
    pub blocks: Vec<Block>,
    pub words: usize,
    pub chars: usize,
}

impl PreviewState {
    fn of(text: &str) -> PreviewState {
        PreviewState {
            start: String::new(),
            blocks: markdown::render(text),
            words: text.split_whitespace().count(),
            chars: text.chars().count(),
        }
    }
}

impl Controller for LivePreview {
    type State = PreviewState;

    fn actions(actions: &mut Actions<Self>) {
        actions.on("render", LivePreview::render);
    }

    fn mount(&self, _: &MountContext) -> Result<PreviewState, ActionError> {
        Ok(PreviewState {
            start: SAMPLE.to_string(),
            ..PreviewState::of(SAMPLE)
        })
    }
}

impl LivePreview {
    fn render(&self, state: &mut PreviewState, ctx: &mut Context<Self>) -> Result<(), ActionError> {
        let text = ctx.get_string("value").unwrap_or_default();
        if text.chars().count() > MAX_CHARS {
            return Err(ActionError::field(
                "value",
                format!("at most {MAX_CHARS} characters"),
            ));
        }
        let start = std::mem::take(&mut state.start);
        *state = PreviewState {
            start,
            ..PreviewState::of(&text)
        };
        Ok(())
    }
}

pub const EXAMPLE: Example = Example {
    category: Category::RealTime,
    slug: "live-preview",
    title: "Live Preview",
    summary: "Markdown rendered on the server while you type, beside the text, with word and character counts; whatever you type stays text.",
    try_it: "Type Markdown in the box: the preview and the counts follow. Type <script>alert(1)</script> or [x](javascript:alert(1)): it shows as text, and the link has no URL.",
    template: "realtime/live-preview.html",
    sign_in: false,
    source: crate::this_file!(),
    also: &[markdown::SOURCE],
    routes,
};

/// The page, in the gallery's example layout at `/realtime/live-preview`.
fn routes(gallery: &Gallery) -> Result<Router, LiveError> {
    gallery.show(&EXAMPLE, gallery.live.page(EXAMPLE.template, LivePreview))
}
