//! The examples the gallery shows, by category.

use std::sync::{Arc, Mutex};

use axum::routing::MethodRouter;
use livetemplate::{Controller, LiveError};
use serde::Serialize;

use crate::examples::{realtime, Deps};

/// One gallery example.
#[derive(Clone, Copy, Serialize)]
pub struct Example {
    pub category: &'static str,
    pub slug: &'static str,
    pub title: &'static str,
    /// What the example shows, in a paragraph.
    pub summary: &'static str,
    /// What to do, and what to expect.
    pub try_it: &'static str,
    /// The live template, under `templates/`.
    pub template: &'static str,
    /// The controller's source, shown verbatim on the page.
    #[serde(skip)]
    pub controller_source: &'static str,
    /// The controller's file, for the source panel's caption.
    pub controller_file: &'static str,
    /// Whether the example needs a signed-in user (the page says so).
    pub sign_in: bool,
    #[serde(skip)]
    pub build: fn(&Deps, &Example) -> Result<MethodRouter, LiveError>,
}

impl Example {
    /// The example's URL path.
    pub fn path(&self) -> String {
        format!("/{}/{}", self.category_slug(), self.slug)
    }

    pub fn category_slug(&self) -> &'static str {
        category_slug(self.category)
    }

    /// The page's route.
    pub fn route(&self, deps: &Deps) -> Result<MethodRouter, LiveError> {
        (self.build)(deps, self)
    }
}

/// An example's live page inside the gallery's example layout, which shows
/// the explanation, the "Try" line and the sources around the demo.
fn page<C: Controller>(
    deps: &Deps,
    example: &Example,
    controller: C,
) -> Result<MethodRouter, LiveError> {
    let live = &deps.live;
    let template_source = live
        .templates()
        .source(example.template)
        .unwrap_or_default();
    let ctx = serde_json::json!({
        "example": example,
        "path": example.path(),
        "template_source": template_source,
        "controller_source": example.controller_source,
    });
    live.page(example.template, controller)
        .layout("example.html", ctx)
        .build()
}

/// Categories in the order the index lists them.
pub const CATEGORIES: &[(&str, &str)] = &[("Real-Time & Multi-User", "realtime")];

fn category_slug(category: &str) -> &'static str {
    CATEGORIES
        .iter()
        .find(|(name, _)| *name == category)
        .map(|(_, slug)| *slug)
        .unwrap_or("misc")
}

/// Every example, in the order the index shows them.
pub const EXAMPLES: &[Example] = &[
    Example {
        category: "Real-Time & Multi-User",
        slug: "server-push",
        title: "Server Push",
        summary: "A background task calls session.trigger_action(\"tick\", {elapsed}) once a second; \
                  each tick runs the action on the tab's state and the re-rendered part is pushed to the browser. \
                  trigger_action returns an error once the session group has no live connection, which is how the task knows to stop.",
        try_it: "Click Start Timer and watch the counter tick up once per second. Close the tab mid-run: the task stops (the live-task gauge on /metrics drops).",
        template: "realtime/server-push.html",
        controller_source: include_str!("examples/realtime/server_push.rs"),
        controller_file: "gallery/src/examples/realtime/server_push.rs",
        sign_in: false,
        build: |deps, example| page(deps, example, realtime::server_push::ServerPush),
    },
    Example {
        category: "Real-Time & Multi-User",
        slug: "ticker",
        title: "Ticker",
        summary: "The seed's TimerController: a task ticks once a second and pushes tick to every tab of the session group; Reset sets it to 0. \
                  The timer belongs to the group, so there is one however many tabs are open, and it ends when the last one closes.",
        try_it: "Watch it count; click Reset. Open a second tab: both tabs of the group tick together, and Reset in one resets both.",
        template: "realtime/ticker.html",
        controller_source: include_str!("examples/realtime/ticker.rs"),
        controller_file: "gallery/src/examples/realtime/ticker.rs",
        sign_in: false,
        build: |deps, example| page(deps, example, realtime::ticker::Ticker::default()),
    },
    Example {
        category: "Real-Time & Multi-User",
        slug: "dashboard",
        title: "Live Dashboard",
        summary: "Periodic updates: a background job refreshes this server's live figures every 5 seconds — connections, live tasks, memory, actions per second — with a chart drawn on the server as SVG.",
        try_it: "Leave it open and watch the sample count rise every 5 s. Open more tabs: the connection count follows.",
        template: "realtime/dashboard.html",
        controller_source: include_str!("examples/realtime/dashboard.rs"),
        controller_file: "gallery/src/examples/realtime/dashboard.rs",
        sign_in: false,
        build: |deps, example| {
            let metrics = deps.live.metrics();
            page(deps, example, realtime::dashboard::Dashboard { metrics })
        },
    },
    Example {
        category: "Real-Time & Multi-User",
        slug: "export",
        title: "Export Job",
        summary: "A background job with progress and cancellation: Start export shows Processing… with a progress bar, then Complete with a link to the generated CSV, or Failed: … — and closing the tab cancels the job.",
        try_it: "Start an export and download the file. Tick \"Simulate a failure\" to see the error. Start another and close the tab: the job is cancelled (the live-task gauge on /metrics drops).",
        template: "realtime/export.html",
        controller_source: include_str!("examples/realtime/export.rs"),
        controller_file: "gallery/src/examples/realtime/export.rs",
        sign_in: false,
        build: |deps, example| {
            let downloads = deps.downloads.clone();
            page(deps, example, realtime::export::Export { downloads })
        },
    },
    Example {
        category: "Real-Time & Multi-User",
        slug: "notifications",
        title: "Notifications",
        summary: "Notify a user from anywhere: sessions.user(id).trigger_action(\"notification\", …) reaches every tab that user has open, in any browser — the runtime keeps the user registry.",
        try_it: "Sign in as \"ana\" in two tabs and as \"ben\" in another browser (or a private window). Send to ana: only ana's tabs show it.",
        template: "realtime/notifications.html",
        controller_source: include_str!("examples/realtime/notifications.rs"),
        controller_file: "gallery/src/examples/realtime/notifications.rs",
        sign_in: true,
        build: |deps, example| {
            let sessions = deps.live.sessions();
            page(deps, example, realtime::notifications::Notifications { sessions })
        },
    },
    Example {
        category: "Real-Time & Multi-User",
        slug: "webhook",
        title: "Webhook",
        summary: "An outside service POSTs {\"user_id\", \"message\"} to /webhooks/notify; every open tab of that user shows the message, and the answer says how many tabs it reached.",
        try_it: "Sign in, then run the curl command shown: the message appears in this tab (and in your other tabs).",
        template: "realtime/webhook.html",
        controller_source: include_str!("examples/realtime/webhook.rs"),
        controller_file: "gallery/src/examples/realtime/webhook.rs",
        sign_in: true,
        build: |deps, example| page(deps, example, realtime::webhook::Webhook),
    },
    Example {
        category: "Real-Time & Multi-User",
        slug: "welcome",
        title: "Welcome Message",
        summary: "Half a second after a signed-in user's tab connects, the server pushes \"Welcome back, NAME!\" — a job started in on_connect, tied to that tab.",
        try_it: "Sign in, then reload: the greeting arrives a moment after the page.",
        template: "realtime/welcome.html",
        controller_source: include_str!("examples/realtime/welcome.rs"),
        controller_file: "gallery/src/examples/realtime/welcome.rs",
        sign_in: true,
        build: |deps, example| page(deps, example, realtime::welcome::Welcome),
    },
    Example {
        category: "Real-Time & Multi-User",
        slug: "cross-tab",
        title: "Cross-Tab Sync",
        summary: "Three ways the tabs of one session group follow each other: a Sync dispatch after every client action, broadcast_action to the other tabs, and trigger_action to all of them.",
        try_it: "Open three tabs; click +1 in one: all show the new count. Wave: the others count a wave. Ring: every tab rings. A private window stays separate.",
        template: "realtime/cross-tab.html",
        controller_source: include_str!("examples/realtime/cross_tab.rs"),
        controller_file: "gallery/src/examples/realtime/cross_tab.rs",
        sign_in: false,
        build: |deps, example| page(deps, example, realtime::cross_tab::CrossTab),
    },
    Example {
        category: "Real-Time & Multi-User",
        slug: "chat",
        title: "Chat with Presence",
        summary: "Topics across users: every tab subscribes to room:lobby; a message is published to the topic, and joining or leaving updates who is here.",
        try_it: "Sign in as two names in two browsers (or a private window): messages and the who-is-here list update live in both.",
        template: "realtime/chat.html",
        controller_source: include_str!("examples/realtime/chat.rs"),
        controller_file: "gallery/src/examples/realtime/chat.rs",
        sign_in: true,
        build: |deps, example| {
            let chat = realtime::chat::Chat {
                room: Arc::new(Mutex::new(realtime::chat::Room::default())),
                sessions: deps.live.sessions(),
            };
            page(deps, example, chat)
        },
    },
    Example {
        category: "Real-Time & Multi-User",
        slug: "multi-instance",
        title: "Multi-Instance",
        summary: "Several instances behind one Redis act as one: trigger_action, sync, broadcasts, topics and pushes to a user reach tabs on every instance, \"no live connection\" holds cluster-wide, and persisted fields live in Redis. \
                  The page shows which instance serves the tab, the others it sees, and how often the tab was resynced after messages may have been lost.",
        try_it: "Run the three commands shown, open this page on both ports, and click Ping on one: the tab on the other instance shows it. Stop and restart Redis: both keep serving, then reconnect and resync.",
        template: "realtime/multi-instance.html",
        controller_source: include_str!("examples/realtime/multi_instance.rs"),
        controller_file: "gallery/src/examples/realtime/multi_instance.rs",
        sign_in: false,
        build: |deps, example| {
            let sessions = deps.live.sessions();
            page(deps, example, realtime::multi_instance::MultiInstance { sessions })
        },
    },
];
