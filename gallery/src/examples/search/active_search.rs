//! Active Search: results follow the search box as you type. The box is an
//! ordinary bound input, so the client sends `change` a moment after the
//! last keystroke (its debounce), and the server filters 1,914 Unicode
//! characters bundled with the gallery. Each result is keyed by its code
//! point: a narrower search removes rows, and the rows that stay send only
//! their changed highlight. The highlight is three plain strings — before,
//! match, after — that the template escapes like any other text.

use axum::Router;
use livetemplate::{ActionError, Actions, Context, Controller, LiveError, MountContext};
use serde::{Deserialize, Serialize};

use crate::catalog::{Category, Example, Gallery};

/// The data set: code point, character, name, block; tab-separated.
const SYMBOLS: &str = include_str!("symbols.tsv");

/// How many results the page lists; the count says how many matched.
const SHOWN: usize = 20;

pub struct ActiveSearch {
    symbols: Vec<Symbol>,
}

struct Symbol {
    code: String,
    glyph: String,
    name: String,
    block: String,
}

#[derive(Clone, Default, Serialize, Deserialize)]
pub struct SearchState {
    pub q: String,
    pub total: usize,
    pub matches: usize,
    pub hits: Vec<Hit>,
}

/// One result, its name cut around the match.
#[derive(Clone, Serialize, Deserialize)]
pub struct Hit {
    pub code: String,
    pub glyph: String,
    pub before: String,
    pub matched: String,
    pub after: String,
    pub block: String,
}

impl ActiveSearch {
    pub fn new() -> ActiveSearch {
        let symbols = SYMBOLS
            .lines()
            .filter(|line| !line.starts_with('#'))
            .filter_map(|line| {
                let mut cols = line.split('\t');
                Some(Symbol {
                    code: cols.next()?.to_string(),
                    glyph: cols.next()?.to_string(),
                    name: cols.next()?.to_string(),
                    block: cols.next()?.to_string(),
                })
            })
            .collect();
        ActiveSearch { symbols }
    }

    fn search(&self, q: &str) -> SearchState {
        let needle = q.trim().to_lowercase();
        let mut state = SearchState {
            q: q.to_string(),
            total: self.symbols.len(),
            ..SearchState::default()
        };
        if needle.is_empty() {
            return state;
        }
        for symbol in &self.symbols {
            // Names are ASCII, so lower-casing keeps every byte where it was.
            let Some(at) = symbol.name.to_ascii_lowercase().find(&needle) else {
                continue;
            };
            state.matches += 1;
            if state.hits.len() < SHOWN {
                let end = at + needle.len();
                state.hits.push(Hit {
                    code: symbol.code.clone(),
                    glyph: symbol.glyph.clone(),
                    before: symbol.name[..at].to_string(),
                    matched: symbol.name[at..end].to_string(),
                    after: symbol.name[end..].to_string(),
                    block: symbol.block.clone(),
                });
            }
        }
        state
    }
}

impl Default for ActiveSearch {
    fn default() -> ActiveSearch {
        ActiveSearch::new()
    }
}

impl Controller for ActiveSearch {
    type State = SearchState;

    fn actions(actions: &mut Actions<Self>) {
        actions.on("change", ActiveSearch::change);
    }

    /// `?q=arrow` opens with that search: a search can be linked to.
    fn mount(&self, ctx: &MountContext) -> Result<SearchState, ActionError> {
        Ok(self.search(ctx.query("q").unwrap_or("")))
    }
}

impl ActiveSearch {
    fn change(&self, state: &mut SearchState, ctx: &mut Context<Self>) -> Result<(), ActionError> {
        if let Some(q) = ctx.get_string("q") {
            *state = self.search(&q);
        }
        Ok(())
    }
}

pub const EXAMPLE: Example = Example {
    category: Category::Search,
    slug: "active-search",
    title: "Active Search",
    summary: "Search 1,914 Unicode characters by name as you type. The client waits for a pause in your typing, sends the box's value, \
              and the server answers with the rows that changed: results are keyed, so a narrower search removes rows and the ones that \
              stay update only their highlighted part. The match is highlighted with <mark>, and the name around it is escaped as text.",
    try_it: "Type \"arrow\": 151 match, the first 20 are listed with \"arrow\" highlighted. Go on typing \" with h\": the list narrows \
             to the hooks. Type \"<b>\": no match, and nothing is read as markup. The wire panel shows one small frame per pause.",
    template: "search/active-search.html",
    sign_in: false,
    source: crate::this_file!(),
    also: &[],
    routes,
};

/// The page, in the gallery's example layout at `/search/active-search`.
fn routes(gallery: &Gallery) -> Result<Router, LiveError> {
    gallery.show(
        &EXAMPLE,
        gallery.live.page(EXAMPLE.template, ActiveSearch::new()),
    )
}
