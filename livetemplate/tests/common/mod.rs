//! A small app for the runtime's behaviour tests: a counter with actions
//! that succeed, fail, panic, push, and start tasks.
#![allow(dead_code)] // each test file uses a different part

#[cfg(feature = "redis")]
pub mod redis_server;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use livetemplate::testing::TestServer;
use livetemplate::{
    ActionError, Actions, Context, Controller, LiveTemplate, MountContext, Session, Templates,
};
use serde::{Deserialize, Serialize};
use tokio::sync::mpsc;

pub const COUNTER: &str = r#"<p>Count: <b>{{ count }}</b></p>
{% if lvt.errors._general %}<p role="alert">{{ lvt.errors._general }}</p>{% endif %}
{% if lvt.errors.by %}<p class="field-error">{{ lvt.errors.by }}</p>{% endif %}
<p>Label: {{ label }}</p>
<button name="increment">+1</button>
<button name="fail">fail</button>
<button name="explode">explode</button>
<button name="add">add</button>
<button name="startWorker">work</button>
<button name="start_stubborn">stubborn</button>"#;

#[derive(Default)]
pub struct Counter {
    pub disconnects: Arc<AtomicUsize>,
    pub sessions: Option<mpsc::UnboundedSender<Session>>,
}

#[derive(Clone, Default, Serialize, Deserialize)]
pub struct CounterState {
    pub count: i64,
    pub label: String,
}

#[derive(Deserialize)]
struct AddData {
    by: i64,
}

impl Controller for Counter {
    type State = CounterState;

    fn actions(actions: &mut Actions<Self>) {
        actions
            .on("increment", |_, s, _| {
                s.count += 1;
                Ok(())
            })
            .on("fail", |_, s, _| {
                s.count += 100; // must not stick: the action fails
                Err(ActionError::msg("the action failed on purpose"))
            })
            .on("explode", |_, s, _| {
                s.count += 1000;
                panic!("handler bug");
            })
            .on("add", |_, s, ctx| {
                let data: AddData = ctx.data()?;
                if data.by <= 0 {
                    return Err(ActionError::field("by", "must be positive"));
                }
                s.count += data.by;
                Ok(())
            })
            .on("dropConnection", |_, _, ctx| {
                ctx.drop_connection();
                Ok(())
            })
            .on("setLabel", |_, s, ctx| {
                s.label = ctx.get_string("label").unwrap_or_default();
                Ok(())
            })
            .on("startWorker", |_, _s, ctx| {
                // A well-behaved task: stops when trigger_action says no one is left.
                let session = ctx.session();
                ctx.spawn(async move {
                    loop {
                        tokio::time::sleep(Duration::from_millis(20)).await;
                        if session.trigger_action("increment", ()).is_err() {
                            return;
                        }
                    }
                })?;
                Ok(())
            })
            .on("startStubborn", |_, _s, ctx| {
                // A task that never checks anything: only cancellation ends it.
                ctx.spawn(async move {
                    loop {
                        tokio::time::sleep(Duration::from_millis(20)).await;
                    }
                })?;
                Ok(())
            });
    }

    fn mount(&self, ctx: &MountContext) -> Result<CounterState, ActionError> {
        Ok(CounterState {
            count: ctx.query("start").and_then(|s| s.parse().ok()).unwrap_or(0),
            label: String::new(),
        })
    }

    fn on_connect(
        &self,
        _state: &mut CounterState,
        ctx: &mut Context<Self>,
    ) -> Result<(), ActionError> {
        if let Some(tx) = &self.sessions {
            let _ = tx.send(ctx.session());
        }
        Ok(())
    }

    fn on_disconnect(&self, _state: &CounterState) {
        self.disconnects.fetch_add(1, Ordering::SeqCst);
    }
}

pub fn templates() -> Templates {
    Templates::from_fn(|name| (name == "counter.html").then(|| COUNTER.to_string()))
}

/// Serves the counter at `/counter`.
pub async fn serve(counter: Counter) -> (TestServer, LiveTemplate) {
    serve_with(LiveTemplate::new(templates()), counter).await
}

/// Serves the counter and hands out each connection's session as it opens.
pub async fn serve_with_sessions() -> (TestServer, LiveTemplate, mpsc::UnboundedReceiver<Session>) {
    let (tx, sessions) = mpsc::unbounded_channel();
    let (server, live) = serve(Counter {
        sessions: Some(tx),
        ..Default::default()
    })
    .await;
    (server, live, sessions)
}

pub async fn serve_with(live: LiveTemplate, counter: Counter) -> (TestServer, LiveTemplate) {
    let route = live
        .page("counter.html", counter)
        .build()
        .expect("page builds");
    let app = axum::Router::new()
        .route("/counter", route)
        .merge(live.routes());
    (TestServer::start(app).await, live)
}

/// Waits (by polling a gauge, with a deadline) until `f` holds.
pub async fn until(mut f: impl FnMut() -> bool, what: &str) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(3);
    while !f() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "not within 3 s: {what}"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}
