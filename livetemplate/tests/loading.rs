//! Slow work: `Context::load` fills a `Loadable` field (loading at once,
//! then the outcome, on the state as it is then; cancelled with the tab;
//! started from `on_connect` too), and a named group task can be cancelled.

use std::sync::Arc;
use std::time::Duration;

use livetemplate::testing::TestServer;
use livetemplate::{ActionError, Actions, Context, Controller, LiveTemplate, Loadable, Templates};
use serde::{Deserialize, Serialize};
use tokio::sync::{Notify, Semaphore};

const PAGE: &str = r#"<p>report: {{ report.status }}{% if report.status == "ready" %} {{ report.value }}{% elif report.status == "failed" %} {{ report.error }}{% endif %}</p>
<p>count: {{ count }}</p>
<button name="fetch">fetch</button><button name="fetchFailing">fail</button>
<button name="increment">+1</button><button name="reset">reset</button>
<button name="startTicker">tick</button><button name="stopTicker">stop</button>"#;

/// What the tests hold on to: when the work may end, and whether it ended.
#[derive(Clone)]
struct Probe {
    /// One permit lets one piece of work finish.
    gate: Arc<Semaphore>,
    /// Notified when a piece of work is dropped (finished or cancelled).
    dropped: Arc<Notify>,
}

/// Signals its probe when the work holding it goes away.
struct DropSignal(Arc<Notify>);

impl Drop for DropSignal {
    fn drop(&mut self) {
        self.0.notify_one();
    }
}

struct Reports {
    probe: Probe,
    /// Load the report from `on_connect` (the lazy page).
    on_connect: bool,
}

#[derive(Clone, Default, Serialize, Deserialize)]
struct Dashboard {
    report: Loadable<u32>,
    count: i64,
}

impl Reports {
    /// Slow work that ends when the test lets it.
    fn work(
        &self,
        outcome: Result<u32, String>,
    ) -> impl std::future::Future<Output = Result<u32, String>> + Send + 'static {
        let probe = self.probe.clone();
        async move {
            let _signal = DropSignal(probe.dropped.clone());
            let permit = probe.gate.acquire().await.map_err(|e| e.to_string())?;
            permit.forget();
            outcome
        }
    }
}

impl Controller for Reports {
    type State = Dashboard;

    fn actions(actions: &mut Actions<Self>) {
        actions
            .on("fetch", |c, s, ctx| {
                ctx.load(s, |s| &mut s.report, c.work(Ok(42)))?;
                Ok(())
            })
            .on("fetchFailing", |c, s, ctx| {
                ctx.load(
                    s,
                    |s| &mut s.report,
                    c.work(Err("the database is down".into())),
                )?;
                Ok(())
            })
            .on("increment", |_, s, _| {
                s.count += 1;
                Ok(())
            })
            .on("reset", |_, s, _| {
                s.report = Loadable::Idle;
                Ok(())
            })
            .on("startTicker", |c, _, ctx| {
                let signal = DropSignal(c.probe.dropped.clone());
                ctx.spawn_once_for_group("ticker", async move {
                    let _signal = signal;
                    std::future::pending::<()>().await;
                })?;
                Ok(())
            })
            .on("stopTicker", |_, _, ctx| {
                if ctx.cancel_group_task("ticker") {
                    Ok(())
                } else {
                    Err(ActionError::msg("no ticker to stop"))
                }
            });
    }

    fn on_connect(&self, s: &mut Dashboard, ctx: &mut Context<Self>) -> Result<(), ActionError> {
        if self.on_connect {
            ctx.load(s, |s| &mut s.report, self.work(Ok(7)))?;
        }
        Ok(())
    }
}

async fn server(on_connect: bool) -> (TestServer, Probe) {
    let live = LiveTemplate::new(Templates::from_fn(|_| Some(PAGE.into())));
    let probe = Probe {
        gate: Arc::new(Semaphore::new(0)),
        dropped: Arc::default(),
    };
    let reports = Reports {
        probe: probe.clone(),
        on_connect,
    };
    let router = axum::Router::new()
        .route(
            "/reports",
            live.page("reports.html", reports).build().unwrap(),
        )
        .merge(live.routes());
    (TestServer::start(router).await, probe)
}

/// Waits for a piece of work to be dropped; fails after a few seconds.
async fn dropped(probe: &Probe) -> bool {
    tokio::time::timeout(Duration::from_secs(3), probe.dropped.notified())
        .await
        .is_ok()
}

#[tokio::test]
async fn a_load_shows_loading_in_the_actions_reply_then_the_outcome() {
    let (server, probe) = server(false).await;
    let mut tab = server.browser().open("/reports").await.unwrap();
    assert!(tab.has_text("report: idle"));
    tab.click("fetch").await.unwrap();
    assert!(tab.has_text("report: loading"), "{}", tab.text());
    probe.gate.add_permits(1);
    tab.wait_for_text("report: ready 42").await.unwrap();
}

#[tokio::test]
async fn a_failure_shows_its_message() {
    let (server, probe) = server(false).await;
    let mut tab = server.browser().open("/reports").await.unwrap();
    tab.click("fetchFailing").await.unwrap();
    probe.gate.add_permits(1);
    tab.wait_for_text("report: failed the database is down")
        .await
        .unwrap();
    // Retry: failed is not loading, so it starts again.
    tab.click("fetch").await.unwrap();
    assert!(tab.has_text("report: loading"));
    probe.gate.add_permits(1);
    tab.wait_for_text("report: ready 42").await.unwrap();
}

#[tokio::test]
async fn the_outcome_lands_on_the_state_as_it_is_then() {
    let (server, probe) = server(false).await;
    let mut tab = server.browser().open("/reports").await.unwrap();
    tab.click("fetch").await.unwrap();
    // Changed while the work runs: the outcome must not undo it.
    tab.click("increment").await.unwrap();
    tab.click("increment").await.unwrap();
    probe.gate.add_permits(1);
    tab.wait_for_text("report: ready 42").await.unwrap();
    assert!(tab.has_text("count: 2"), "{}", tab.text());
}

#[tokio::test]
async fn a_second_load_while_loading_starts_nothing_and_a_reset_drops_the_outcome() {
    let (server, probe) = server(false).await;
    let mut tab = server.browser().open("/reports").await.unwrap();
    tab.click("fetch").await.unwrap();
    tab.click("fetchFailing").await.unwrap();
    tab.click("reset").await.unwrap();
    probe.gate.add_permits(2);
    assert!(dropped(&probe).await, "the one piece of work ended");
    tab.click("increment").await.unwrap();
    assert!(tab.has_text("report: idle"), "{}", tab.text());
    // Only one piece of work took a permit: the second load never ran.
    assert_eq!(probe.gate.available_permits(), 1);
}

#[tokio::test]
async fn a_new_load_of_the_field_drops_the_older_work() {
    let (server, probe) = server(false).await;
    let mut tab = server.browser().open("/reports").await.unwrap();
    tab.click("fetchFailing").await.unwrap();
    tab.click("reset").await.unwrap();
    // Loads again while the first work still waits: that one is dropped.
    tab.click("fetch").await.unwrap();
    assert!(dropped(&probe).await, "the older work was dropped");
    // One permit: had the older work stayed, it would take it (first in
    // line) and its failure would land on the new load.
    probe.gate.add_permits(1);
    tab.wait_for_text("report: ready 42").await.unwrap();
}

#[tokio::test]
async fn closing_the_tab_ends_the_work() {
    let (server, probe) = server(false).await;
    let mut tab = server.browser().open("/reports").await.unwrap();
    tab.click("fetch").await.unwrap();
    // The gate stays shut: only cancellation can end the work.
    tab.close().await;
    assert!(dropped(&probe).await, "the work outlived its tab");
}

#[tokio::test]
async fn a_load_from_on_connect_follows_the_first_frame() {
    let (server, probe) = server(true).await;
    let mut browser = server.browser();
    let mut tab = browser.open("/reports").await.unwrap();
    // The first frame is sent before the work ends (it cannot end yet).
    assert!(tab.has_text("report: loading"), "{}", tab.text());
    probe.gate.add_permits(1);
    tab.wait_for_text("report: ready 7").await.unwrap();
    // A plain GET, with no connection, shows the state before any load.
    let page = browser
        .request("GET", "/reports", &[("accept", "text/html")], "")
        .await
        .unwrap();
    assert!(page.body.contains("report: idle"), "{}", page.body);
}

#[tokio::test]
async fn a_named_group_task_stops_when_cancelled_and_may_start_again() {
    let (server, probe) = server(false).await;
    let mut tab = server.browser().open("/reports").await.unwrap();
    tab.click("startTicker").await.unwrap();
    let stop = tab.click("stopTicker").await.unwrap();
    assert!(stop.errors().is_empty(), "{stop:?}");
    assert!(dropped(&probe).await, "the cancelled task ended");
    // Stopped: nothing left to stop, and a new one starts at once.
    let again = tab.click("stopTicker").await.unwrap();
    assert!(!again.errors().is_empty(), "nothing to stop");
    tab.click("startTicker").await.unwrap();
    let stop = tab.click("stopTicker").await.unwrap();
    assert!(stop.errors().is_empty(), "{stop:?}");
    assert!(dropped(&probe).await, "the second task ended too");
}
