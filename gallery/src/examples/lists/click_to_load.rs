//! Click To Load: the list shows a page of orders and a button for the next
//! page; the reply to a click is one `a` operation carrying only the new
//! rows, so the rows already shown are not sent or redrawn.

use axum::Router;
use livetemplate::{ActionError, Actions, Controller, LiveError, MountContext};
use serde::{Deserialize, Serialize};

use crate::catalog::{Category, Example, Gallery};

const PAGE: usize = 10;
const ORDERS: usize = 45;

pub struct ClickToLoad;

#[derive(Clone, Default, Serialize, Deserialize)]
pub struct ClickToLoadState {
    pub orders: Vec<Order>,
    pub total: usize,
}

#[derive(Clone, Serialize, Deserialize)]
pub struct Order {
    pub id: usize,
    pub customer: String,
    pub amount: String,
}

/// Orders `from..from + PAGE`, as a database query would give them.
fn page(from: usize) -> Vec<Order> {
    const CUSTOMERS: &[&str] = &["Acme", "Globex", "Initech", "Umbrella", "Hooli", "Wonka"];
    (from..(from + PAGE).min(ORDERS))
        .map(|i| Order {
            id: 1001 + i,
            customer: CUSTOMERS[i % CUSTOMERS.len()].to_string(),
            amount: format!("${}.{:02}", 20 + i * 37 % 480, i * 13 % 100),
        })
        .collect()
}

impl Controller for ClickToLoad {
    type State = ClickToLoadState;

    fn actions(actions: &mut Actions<Self>) {
        actions.on("loadMore", |_, state, _| {
            let next = page(state.orders.len());
            state.orders.extend(next);
            Ok(())
        });
    }

    fn mount(&self, _: &MountContext) -> Result<ClickToLoadState, ActionError> {
        Ok(ClickToLoadState {
            orders: page(0),
            total: ORDERS,
        })
    }
}

pub const EXAMPLE: Example = Example {
    category: Category::Lists,
    slug: "click-to-load",
    title: "Click To Load",
    summary: "Pagination by appending: the server adds the next page to the state, and the reply is one [\"a\", rows] operation \
              with only those rows. The button counts what is left and goes away at the end.",
    try_it: "Click Load more: ten orders join the table below the others (#1011–#1020) and the count says 20 of 45. Keep going: after the fifth click the button is gone.",
    template: "lists/click-to-load.html",
    sign_in: false,
    source: crate::this_file!(),
    also: &[],
    routes,
};

/// The page, in the gallery's example layout at `/lists/click-to-load`.
fn routes(gallery: &Gallery) -> Result<Router, LiveError> {
    gallery.show(&EXAMPLE, gallery.live.page(EXAMPLE.template, ClickToLoad))
}
