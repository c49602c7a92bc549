//! Highlight on Change: a price table where each update flashes the
//! prices that moved, and only those.
//!
//! The stock client's `lvt-fx:highlight` flashes its element after every
//! update that carries the attribute, so the template puts it only on the
//! prices the last update changed: the server knows what changed, and the
//! wire carries just those cells and the attribute coming and going.
//! Colour and length are CSS properties (`--lvt-highlight-color`,
//! `--lvt-highlight-duration`).

use axum::Router;
use livetemplate::{ActionError, Actions, Controller, LiveError, MountContext};
use serde::{Deserialize, Serialize};

use crate::catalog::{Category, Example, Gallery};

const STOCKS: &[(&str, i64)] = &[
    ("ACME", 12_450),
    ("GLOBEX", 8_820),
    ("INITECH", 3_310),
    ("UMBRELLA", 21_075),
    ("HOOLI", 15_990),
];

pub struct Highlight;

#[derive(Clone, Default, Serialize, Deserialize)]
pub struct HighlightState {
    pub stocks: Vec<Stock>,
    pub updates: u32,
    /// Drives which prices move, so each visitor's table moves its own way.
    pub seed: u64,
}

#[derive(Clone, Serialize, Deserialize)]
pub struct Stock {
    pub symbol: String,
    pub cents: i64,
    /// The last move, in cents.
    pub delta: i64,
    /// What the template shows: "124.50", "+1.20".
    pub price: String,
    pub change: String,
    /// Moved in the last update: the template highlights it.
    pub changed: bool,
}

impl Stock {
    fn new(symbol: &str, cents: i64) -> Stock {
        Stock {
            symbol: symbol.to_string(),
            cents,
            delta: 0,
            price: money(cents, false),
            change: String::new(),
            changed: false,
        }
    }

    fn moves(&mut self, delta: i64) {
        self.delta = delta;
        self.cents += delta;
        self.price = money(self.cents, false);
        self.change = money(delta, true);
        self.changed = true;
    }
}

/// Cents as "123.45" (with a "+" for gains when `sign`).
fn money(cents: i64, sign: bool) -> String {
    let sign = match cents {
        c if c < 0 => "-",
        c if c > 0 && sign => "+",
        _ => "",
    };
    format!("{sign}{}.{:02}", cents.abs() / 100, cents.abs() % 100)
}

impl Controller for Highlight {
    type State = HighlightState;

    fn actions(actions: &mut Actions<Self>) {
        actions
            .on("update", |_, state, _| {
                state.update(2);
                Ok(())
            })
            .on("updateOne", |_, state, _| {
                state.update(1);
                Ok(())
            });
    }

    fn mount(&self, ctx: &MountContext) -> Result<HighlightState, ActionError> {
        let stocks = STOCKS
            .iter()
            .map(|&(symbol, cents)| Stock::new(symbol, cents))
            .collect();
        let seed = ctx
            .group()
            .bytes()
            .fold(7, |h: u64, b| h.wrapping_mul(31).wrapping_add(u64::from(b)));
        Ok(HighlightState {
            stocks,
            updates: 0,
            seed,
        })
    }
}

impl HighlightState {
    /// Moves `count` different prices, up or down by up to 2 %.
    fn update(&mut self, count: usize) {
        for stock in &mut self.stocks {
            stock.changed = false;
        }
        let mut moved = 0;
        while moved < count {
            let i = self.next() as usize % self.stocks.len();
            let step = self.next() as i64 % 200 + 1;
            let down = self.next() % 2 == 0;
            let stock = &mut self.stocks[i];
            if stock.changed {
                continue;
            }
            let delta = (stock.cents * step / 10_000).max(1);
            stock.moves(if down { -delta } else { delta });
            moved += 1;
        }
        self.updates += 1;
    }

    /// The next pseudo-random number (a linear congruential generator:
    /// plenty for a demo, not for secrets).
    fn next(&mut self) -> u64 {
        self.seed = self
            .seed
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        self.seed >> 33
    }
}

pub const EXAMPLE: Example = Example {
    category: Category::Feedback,
    slug: "highlight",
    title: "Highlight on Change",
    summary: "A price table: each update flashes the prices that moved and leaves the rest alone. The template puts the client's \
              lvt-fx:highlight only on what the last update changed.",
    try_it: "Press \"Update prices\": two prices flash, the others stay still. Press \"Move one\": exactly one flashes. \
             Open the wire panel to see only those cells sent.",
    template: "feedback/highlight.html",
    sign_in: false,
    source: crate::this_file!(),
    also: &[],
    routes,
};

/// The page at `/feedback/highlight`.
fn routes(gallery: &Gallery) -> Result<Router, LiveError> {
    gallery.show(&EXAMPLE, gallery.live.page(EXAMPLE.template, Highlight))
}
