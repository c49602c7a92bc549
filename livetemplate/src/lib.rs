//! # livetemplate
//!
//! Server-driven UI for Rust: the state lives on the server, the browser
//! sends actions over a WebSocket, and the server re-renders a
//! [minijinja](https://docs.rs/minijinja) template and pushes only what
//! changed to the stock [`@livetemplate/client`](https://www.npmjs.com/package/@livetemplate/client).
//! Background tasks push too, through [`Session::trigger_action`].
//!
//! ```no_run
//! use livetemplate::{Actions, Controller, LiveTemplate, Templates};
//! use serde::{Deserialize, Serialize};
//!
//! struct Counter;
//!
//! #[derive(Clone, Default, Serialize, Deserialize)]
//! struct Count { n: i64 }
//!
//! impl Controller for Counter {
//!     type State = Count;
//!     fn actions(actions: &mut Actions<Self>) {
//!         // <button name="increment"> sends it; so would "Increment" or "incre_ment".
//!         actions.on("increment", |_, count, _| {
//!             count.n += 1;
//!             Ok(())
//!         });
//!     }
//! }
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! // templates/counter.html: <p>{{ n }}</p><button name="increment">+1</button>
//! let live = LiveTemplate::new(Templates::from_dir("templates"));
//! let app = axum::Router::new()
//!     .route("/", live.page("counter.html", Counter).build()?) // fails if a button has no handler
//!     .merge(live.routes()); // serves the client script
//! axum::serve(tokio::net::TcpListener::bind("127.0.0.1:8080").await?, app).await?;
//! # Ok(()) }
//! ```
//!
//! ## A tour
//!
//! - **A page** is a template and a [`Controller`]: its [`State`](Controller::State)
//!   is plain serde data, one copy per connection, and its [`Actions`] are
//!   what buttons and forms (and the server) may run. A handler changes the
//!   state in place; an error or a panic leaves it as it was and reaches
//!   the template as `lvt.errors`. [`Context`] is what a handler sees: the
//!   action's data (typed with [`Context::data`]), the user and group, flash
//!   messages, and background work tied to the connection.
//! - **The runtime**, [`LiveTemplate`], holds the templates and settings
//!   (made on its [`Builder`]) and turns each page into an axum route
//!   ([`LiveTemplate::page`]): the page GET, its WebSocket, and the POST
//!   fallbacks for clients without a socket or without JavaScript.
//! - **Pushing from the server**: [`Context::session`] gives a [`Session`]
//!   (this page's tabs in the session group) whose
//!   [`trigger_action`](Session::trigger_action) runs an action on each of
//!   them and fails once none is left — the signal for a task to stop.
//!   Slow work for one part of the page is one call: [`Context::load`]
//!   shows a [`Loadable`] field as loading at once and fills it when the
//!   work ends (from [`Controller::on_connect`]: the page paints first).
//!   [`LiveTemplate::sessions`] reaches a user, a group or a topic from
//!   anywhere (a webhook, a job). Actions only the server may run are
//!   registered with [`Actions::on_server`].
//! - **Several tabs, several users**: an [`Authenticator`] says who a
//!   request is ([`SignedCookieAuth`] is a small one); a session group is
//!   every tab of a browser, or of a signed-in user. Tabs follow each other
//!   through [`Controller::SYNC_TABS`], [`Context::broadcast_action`] and
//!   topics ([`Context::subscribe`], [`Context::publish`]).
//! - **What survives a reload**: [`Controller::PERSIST`] names state fields
//!   kept per page and group in a [`Store`] ([`MemoryStore`] by default,
//!   bounded: idle entries expire, the least recently used go first).
//! - **Serving**: [`LiveTemplate::serve`] serves the app's router with
//!   [`Timeouts`] against slow clients and a shutdown that ends within its
//!   grace period ([`shutdown_signal`] for Ctrl-C and `SIGTERM`).
//! - **Requests from elsewhere**: the WebSocket and every state-changing
//!   POST must come from this site (`Origin`, else `Referer`, same scheme;
//!   [`Builder::allow_origin`] for others), and the runtime answers only to
//!   loopback names and the hosts given to [`Builder::allow_host`] and
//!   [`Builder::listening_on`] — [`LiveTemplate::host_check`] is the layer
//!   that extends this to the whole app, against DNS rebinding. Hand-off
//!   links join only after the person confirms; redirects stay on the site.
//! - **File uploads**: [`Controller::uploads`] declares them ([`Upload`]:
//!   types, how many, how large); files arrive in chunks over the socket
//!   (or as a multipart POST without it), are written to temporary files as
//!   they come, and reach handlers through [`Context::uploads`].
//! - **Several instances**: a [`cluster::Bus`] (Redis, with the feature
//!   `redis`: [`redis::Redis`]) makes instances behind a load balancer one
//!   runtime.
//!
//! How an action travels through the crate, one module per step: `protocol`
//! (parse the frame) → `dispatch` (find the handler, run it on the
//! connection's view) → `template` (render) → `tree` (split into statics
//! and slots) → `diff` (what changed) → `protocol` (encode) → socket. The
//! `server` module is the axum side, `session` the registry of live
//! connections that pushes go through.
//!
//! ## Features
//!
//! - `testing`: [`testing`], an in-process client that connects like a browser.
//! - `redis`: [`redis`], the Redis bus and store for several instances.
//! - `unstable`: [`unstable`], the trees and diffs under the API, for tools
//!   and benchmarks. Not covered by semver.
//!
//! ## Where to go next
//!
//! - [`Controller`] for the hooks (`mount`, `on_connect`, …) and how the
//!   Go original's names map to them.
//! - [`Context`] for everything a handler can do.
//! - [`Session`] and [`Sessions`] for pushing from background tasks.
//! - [`testing`] (feature `testing`) for testing a page without a browser.
//! - The gallery in this repository (`gallery/`): every example is one
//!   controller file and one template, and shows both on its page.

#![warn(missing_docs, missing_debug_implementations)]

pub mod cluster;
mod controller;
mod diff;
mod dispatch;
mod identity;
mod kept;
mod lock;
mod metrics;
mod protocol;
mod random;
mod redirect;
#[cfg(feature = "redis")]
pub mod redis;
mod report;
mod server;
mod session;
mod store;
mod template;
#[cfg(feature = "testing")]
pub mod testing;
mod trace;
mod tree;
#[cfg(feature = "unstable")]
pub mod unstable;
mod upload;

pub use controller::{
    ActionError, Actions, Context, Controller, Loadable, MountContext, QueryError, QueryFields,
    TopicError,
};
pub use identity::{Authenticator, Identity, InvalidUserName, SignedCookieAuth, USER_COOKIE};
pub use metrics::Metrics;
pub use server::{
    shutdown_signal, Builder, HostCheck, HostCheckLayer, LiveError, LiveTemplate, NotReady,
    PageBuilder, Serve, Timeouts, CLIENT_SCRIPT_PATH, DEFAULT_HANDOFF_LINKS_PER_GROUP,
    DEFAULT_HANDOFF_TTL, DEFAULT_MAX_HANDOFF_LINKS, DEFAULT_MAX_MESSAGE_BYTES, HANDOFF_PATH,
    UNVERSIONED_CLIENT_SCRIPT_PATH,
};
pub use session::{
    Job, PresenceChange, Present, QuotaScope, Session, SessionError, Sessions, SpawnError,
    PRESENCE_ACTION,
};
pub use store::{
    Fields, Load, MemoryStore, Store, StoreError, DEFAULT_STORE_ENTRIES, DEFAULT_STORE_IDLE,
};
pub use template::{TemplateError, Templates, TemplatesBuilder};
pub use trace::Trace;
pub use upload::{Upload, UploadedFile, Uploads, DEFAULT_CHUNK_SIZE};
