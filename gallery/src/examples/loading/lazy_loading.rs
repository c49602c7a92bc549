//! Lazy Loading: the page paints at once with placeholders, and each slow
//! part is pushed into it the moment it is ready.
//!
//! `mount` returns nothing slow, so the first paint costs no waiting. When
//! the WebSocket connects, `on_connect` starts the three loads with
//! `ctx.load`: each field turns `Loading` in the first frame and is filled
//! (`Ready` or `Failed`) by its own push, in whatever order they finish.
//! The loads are the connection's: closing the tab drops them. Without
//! JavaScript there is no connection, so the placeholders stay and the
//! page says why.

use std::convert::Infallible;
use std::time::Duration;

use axum::Router;
use livetemplate::{ActionError, Actions, Context, Controller, LiveError, Loadable};
use serde::{Deserialize, Serialize};

use crate::catalog::{Category, Example, Gallery};

pub struct LazyLoading;

#[derive(Clone, Default, Serialize, Deserialize)]
pub struct Dashboard {
    pub account: Loadable<Account>,
    pub orders: Loadable<Vec<Order>>,
    pub picks: Loadable<Vec<String>>,
}

#[derive(Clone, Serialize, Deserialize)]
pub struct Account {
    pub name: String,
    pub plan: String,
    pub member_since: u16,
}

#[derive(Clone, Serialize, Deserialize)]
pub struct Order {
    pub id: u32,
    pub item: String,
    pub total: String,
}

impl Controller for LazyLoading {
    type State = Dashboard;

    fn actions(actions: &mut Actions<Self>) {
        actions.on("reload", |_, page, ctx| load_all(page, ctx));
    }

    /// The first frame goes out right after this: the slow parts follow.
    fn on_connect(&self, page: &mut Dashboard, ctx: &mut Context<Self>) -> Result<(), ActionError> {
        load_all(page, ctx)
    }
}

/// Starts the three slow parts; each arrives on its own.
fn load_all(page: &mut Dashboard, ctx: &mut Context<LazyLoading>) -> Result<(), ActionError> {
    ctx.load(page, |p| &mut p.account, backend::account())?;
    ctx.load(page, |p| &mut p.orders, backend::orders())?;
    ctx.load(page, |p| &mut p.picks, backend::picks())?;
    Ok(())
}

/// A stand-in for the services behind the page, each slower than the last.
mod backend {
    use super::*;

    async fn after<T>(ms: u64, value: T) -> Result<T, Infallible> {
        tokio::time::sleep(Duration::from_millis(ms)).await;
        Ok(value)
    }

    pub async fn account() -> Result<Account, Infallible> {
        let account = Account {
            name: "Ada Lovelace".into(),
            plan: "Team".into(),
            member_since: 2019,
        };
        after(400, account).await
    }

    pub async fn orders() -> Result<Vec<Order>, Infallible> {
        let order = |id, item: &str, total: &str| Order {
            id,
            item: item.into(),
            total: total.into(),
        };
        let orders = vec![
            order(1042, "Mechanical keyboard", "$129.00"),
            order(1038, "USB-C dock", "$89.50"),
            order(1031, "Desk lamp", "$34.99"),
        ];
        after(1000, orders).await
    }

    pub async fn picks() -> Result<Vec<String>, Infallible> {
        let picks = ["Wrist rest", "Monitor arm", "Cable tray"].map(String::from);
        after(1800, Vec::from(picks)).await
    }
}

pub const EXAMPLE: Example = Example {
    category: Category::Loading,
    slug: "lazy-loading",
    title: "Lazy Loading",
    summary: "The page paints at once with placeholders; its three slow parts (0.4 s, 1 s and 1.8 s away) are started when the \
              connection opens and each is pushed into place as soon as it is ready.",
    try_it: "Reload the page: the skeletons show first, then the account, the orders and the picks fill in one by one. \
             Click Reload data to see it again without a new page. With JavaScript off, the placeholders stay and say why.",
    template: "loading/lazy-loading.html",
    sign_in: false,
    source: crate::this_file!(),
    also: &[],
    routes,
};

/// The page, in the gallery's example layout at `/loading/lazy-loading`.
fn routes(gallery: &Gallery) -> Result<Router, LiveError> {
    gallery.show(&EXAMPLE, gallery.live.page(EXAMPLE.template, LazyLoading))
}
