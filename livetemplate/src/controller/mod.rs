//! Controllers: the code behind a live page.
//!
//! A controller holds what its actions need (shared by every connection);
//! its [`Controller::State`] is plain serde data, one copy per connection.
//! Its [`Actions`] are the handlers clients and the server may run, and
//! each handler gets a [`Context`]: the action's data, the session, and a
//! place to start background work tied to the connection — slow work that
//! fills a [`Loadable`] field is one call, [`Context::load`].

mod actions;
mod context;
mod error;
mod load;
mod query;
mod topics;

pub use actions::Actions;
pub use context::{Context, MountContext};
pub use error::ActionError;
pub use load::Loadable;
pub use query::{QueryError, QueryFields};
pub use topics::TopicError;

pub(crate) use actions::{action_key, Caller};
pub(crate) use context::{Effects, Link, TopicRules};

use serde::{de::DeserializeOwned, Serialize};

/// The code behind a live page.
///
/// ```
/// use livetemplate::{Actions, ActionError, Context, Controller};
/// use serde::{Deserialize, Serialize};
///
/// struct Counter;
///
/// #[derive(Clone, Default, Serialize, Deserialize)]
/// struct Count { n: i64 }
///
/// #[derive(Deserialize)]
/// struct By { by: i64 }
///
/// impl Controller for Counter {
///     type State = Count;
///     fn actions(actions: &mut Actions<Self>) {
///         actions.on("increment", Counter::increment);
///     }
/// }
///
/// impl Counter {
///     fn increment(&self, count: &mut Count, ctx: &mut Context<Self>) -> Result<(), ActionError> {
///         let By { by } = ctx.data()?;
///         count.n += by;
///         Ok(())
///     }
/// }
/// ```
///
/// # Hooks, and where the seeds' names went
///
/// | LiveTemplate (Go) | here |
/// |---|---|
/// | an exported method per action | [`Actions::on`] (clients may send it), [`Actions::on_server`] (only the server) |
/// | `Mount` | [`mount`](Self::mount) |
/// | `OnConnect` / `OnDisconnect` | [`on_connect`](Self::on_connect) / [`on_disconnect`](Self::on_disconnect) |
/// | `Sync()` | [`SYNC_TABS`](Self::SYNC_TABS) and [`on_other_tab_action`](Self::on_other_tab_action) |
/// | `lvt:"persist"` tags | [`PERSIST`](Self::PERSIST) |
pub trait Controller: Send + Sync + Sized + 'static {
    /// The per-connection state the template renders.
    type State: Serialize + DeserializeOwned + Clone + Default + Send + Sync + 'static;

    /// State fields (top-level names) that survive a refresh or reconnect:
    /// saved per page and session group after every change, laid over
    /// [`mount`](Self::mount)'s state when the group comes back. Kept in the
    /// runtime's [`Store`](crate::Store) (memory by default). A name that is
    /// not a field of the state fails the page's build.
    const PERSIST: &'static [&'static str] = &[];

    /// Whether the group's other tabs follow each client action here (the
    /// seeds' `Sync()`): after an action a client sends succeeds, every
    /// other tab of this page in the session group lays the group's
    /// [persisted fields](Self::PERSIST) over its state, runs
    /// [`on_other_tab_action`](Self::on_other_tab_action) and re-renders.
    const SYNC_TABS: bool = false;

    /// Registers the actions this controller answers.
    fn actions(actions: &mut Actions<Self>);

    /// Declares the file uploads this page takes (default: none); see
    /// [`Uploads`](crate::Uploads). Finished files reach handlers through
    /// [`Context::uploads`]; a finished upload runs the action
    /// `upload_<name>_complete` when the controller registered one.
    fn uploads(uploads: &mut crate::Uploads) {
        let _ = uploads;
    }

    /// The state a new page or connection starts from (default:
    /// `State::default()`). Runs again, with the new query, when the
    /// client navigates within the page (`__navigate__`: a link to the same
    /// path with another query). Back and Forward make the client GET the
    /// page at that URL and reconnect, so they run it too: state read
    /// from the query ([`MountContext::query`], or typed with
    /// [`MountContext::query_as`]) is bookmarkable and survives a reload.
    fn mount(&self, ctx: &MountContext) -> Result<Self::State, ActionError> {
        let _ = ctx;
        Ok(Self::State::default())
    }

    /// Runs when a WebSocket connection opens, before its first render: the
    /// place to start background tasks (`ctx.spawn`) or keep `ctx.session()`.
    /// Slow parts of the page go here too ([`Context::load`]): the first
    /// frame shows them loading, and each is pushed when it is ready.
    fn on_connect(
        &self,
        state: &mut Self::State,
        ctx: &mut Context<Self>,
    ) -> Result<(), ActionError> {
        let _ = (state, ctx);
        Ok(())
    }

    /// Runs on each other tab of the session group, on this page, after a
    /// client action in one of them succeeded — when [`SYNC_TABS`](Self::SYNC_TABS)
    /// is on. The group's persisted fields are already laid over `state`;
    /// refresh here whatever else should follow (default: nothing).
    fn on_other_tab_action(
        &self,
        state: &mut Self::State,
        ctx: &mut Context<Self>,
    ) -> Result<(), ActionError> {
        let _ = (state, ctx);
        Ok(())
    }

    /// Runs when updates for this connection may have been lost (a gap in
    /// another instance's messages, or this instance's link to the others
    /// coming back), after the persisted fields were reloaded; the page is
    /// then re-rendered. Refresh here whatever the state caches from outside.
    /// Broadcasts and publishes made here are not sent.
    fn on_resync(
        &self,
        state: &mut Self::State,
        ctx: &mut Context<Self>,
    ) -> Result<(), ActionError> {
        let _ = (state, ctx);
        Ok(())
    }

    /// Runs after a connection closed; its tasks are already cancelled.
    fn on_disconnect(&self, state: &Self::State) {
        let _ = state;
    }
}
