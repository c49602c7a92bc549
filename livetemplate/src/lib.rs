//! # livetemplate
//!
//! Server-driven UI for Rust: the state lives on the server, the browser
//! sends actions over a WebSocket, and the server re-renders a
//! [minijinja](https://docs.rs/minijinja) template and pushes only what
//! changed to the stock [`@livetemplate/client`](https://www.npmjs.com/package/@livetemplate/client).
//! Background tasks push too, through [`Session::trigger_action`].
//!
//! ```no_run
//! use livetemplate::{Actions, ActionError, Context, Controller, LiveTemplate, Templates};
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
//!         actions.on("increment", |_, state: &mut Count, _: &mut Context| {
//!             state.n += 1;
//!             Ok::<_, ActionError>(())
//!         });
//!     }
//! }
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! // templates/counter.html: <p>{{ n }}</p><button name="increment">+1</button>
//! let live = LiveTemplate::new(Templates::from_dir("templates"));
//! let app = axum::Router::new()
//!     .route("/", live.page("counter.html", Counter).build()?)
//!     .merge(live.routes());
//! axum::serve(tokio::net::TcpListener::bind("127.0.0.1:8080").await?, app).await?;
//! # Ok(()) }
//! ```
//!
//! The path of an action through the crate: [`protocol`] (parse the frame)
//! → `session` (find the connection, run the [`Controller`]) → [`template`]
//! (render) → [`tree`] (split into statics and slots) → [`diff`] (what
//! changed) → [`protocol`] (encode) → socket.

pub mod cluster;
mod context;
mod controller;
pub mod diff;
mod identity;
mod lock;
mod metrics;
pub mod protocol;
#[cfg(feature = "redis")]
pub mod redis;
mod server;
mod session;
mod store;
pub mod template;
#[cfg(feature = "testing")]
pub mod testing;
mod trace;
pub mod tree;

pub use cluster::{Bus, BusEvent, ClusterStatus};
pub use context::{Context, MountContext, TopicError};
pub use controller::{ActionError, Actions, Controller, Handler};
pub use identity::{Authenticator, Identity, InvalidUserName, SignedCookieAuth, USER_COOKIE};
pub use metrics::Metrics;
pub use server::{
    LiveError, LiveTemplate, PageBuilder, CLIENT_SCRIPT_PATH, DEFAULT_HANDOFF_TTL,
    DEFAULT_MAX_MESSAGE_BYTES, HANDOFF_PATH,
};
pub use session::{Job, Session, SessionError, Sessions};
pub use store::{Fields, Load, MemoryStore, Store, StoreError};
pub use template::{RenderCache, TemplateError, Templates};
pub use trace::Trace;
