//! Controllers: the code behind a live page.
//!
//! A controller holds what its actions need (shared by every connection);
//! its [`Controller::State`] is plain serde data, one copy per connection.
//! Actions are looked up by name the way buttons spell them: `startTimer`,
//! `start_timer` and `start-timer` all reach the same handler.

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::Arc;

use serde::{de::DeserializeOwned, Serialize};

use crate::context::{Context, MountContext};

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
/// impl Controller for Counter {
///     type State = Count;
///     fn actions(actions: &mut Actions<Self>) {
///         actions.on("increment", Counter::increment);
///     }
/// }
///
/// impl Counter {
///     fn increment(&self, state: &mut Count, ctx: &mut Context) -> Result<(), ActionError> {
///         state.n += ctx.get_int("by").max(1);
///         Ok(())
///     }
/// }
/// ```
pub trait Controller: Send + Sync + Sized + 'static {
    /// The per-connection state the template renders.
    type State: Serialize + DeserializeOwned + Clone + Default + Send + Sync + 'static;

    /// State fields (top-level names) that survive a refresh or reconnect:
    /// saved per page and session group after every change, laid over
    /// [`mount`](Self::mount)'s state when the group comes back. Kept in the
    /// runtime's [`Store`](crate::Store) (memory by default).
    const PERSIST: &'static [&'static str] = &[];

    /// Registers the actions this controller answers. An action named
    /// `sync`, if registered, runs on the group's other tabs of the page
    /// after each action a client sends.
    fn actions(actions: &mut Actions<Self>);

    /// The state a new page or connection starts from (default: `State::default()`).
    fn mount(&self, ctx: &MountContext) -> Result<Self::State, ActionError> {
        let _ = ctx;
        Ok(Self::State::default())
    }

    /// Runs when a WebSocket connection opens, before its first render: the
    /// place to start background tasks (`ctx.spawn`) or keep `ctx.session()`.
    fn on_connect(&self, state: &mut Self::State, ctx: &mut Context) -> Result<(), ActionError> {
        let _ = (state, ctx);
        Ok(())
    }

    /// Runs when updates for this connection may have been lost (a gap in
    /// another instance's messages, or this instance's link to the others
    /// coming back), after the persisted fields were reloaded; the page is
    /// then re-rendered. Refresh here whatever the state caches from outside.
    /// Broadcasts and publishes made here are not sent.
    fn on_resync(&self, state: &mut Self::State, ctx: &mut Context) -> Result<(), ActionError> {
        let _ = (state, ctx);
        Ok(())
    }

    /// Runs after a connection closed; its tasks are already cancelled.
    fn on_disconnect(&self, state: &Self::State) {
        let _ = state;
    }
}

/// An action handler: changes the state in place; an error leaves it as it was.
pub type Handler<C> = Arc<
    dyn Fn(&C, &mut <C as Controller>::State, &mut Context) -> Result<(), ActionError>
        + Send
        + Sync,
>;

/// The actions of a controller, by name.
pub struct Actions<C: Controller> {
    by_key: HashMap<String, (String, Handler<C>)>,
    duplicates: Vec<String>,
}

impl<C: Controller> Actions<C> {
    pub(crate) fn collect() -> Actions<C> {
        let mut actions = Actions {
            by_key: HashMap::new(),
            duplicates: Vec::new(),
        };
        C::actions(&mut actions);
        actions
    }

    /// Registers `handler` for the action `name` (in any of its spellings).
    pub fn on<F>(&mut self, name: &str, handler: F) -> &mut Self
    where
        F: Fn(&C, &mut C::State, &mut Context) -> Result<(), ActionError> + Send + Sync + 'static,
    {
        let key = action_key(name).into_owned();
        if self.by_key.contains_key(&key) {
            self.duplicates.push(name.to_string());
        }
        self.by_key
            .insert(key, (name.to_string(), Arc::new(handler)));
        self
    }

    /// The handler for an action name, whichever way it is spelled.
    pub(crate) fn get(&self, name: &str) -> Option<&Handler<C>> {
        self.by_key.get(action_key(name).as_ref()).map(|(_, h)| h)
    }

    /// Registered names, as they were registered, sorted.
    pub(crate) fn names(&self) -> Vec<String> {
        let mut names: Vec<_> = self.by_key.values().map(|(n, _)| n.clone()).collect();
        names.sort();
        names
    }

    /// The spelling-independent keys of the registered actions.
    pub(crate) fn keys(&self) -> std::collections::HashSet<String> {
        self.by_key.keys().cloned().collect()
    }

    pub(crate) fn duplicates(&self) -> &[String] {
        &self.duplicates
    }
}

/// The spelling-independent key of an action name: `startTimer`,
/// `start_timer`, `start-timer` and `StartTimer` share `starttimer`.
///
/// A name already in that form (most are) is returned as it is: this runs
/// for every connection a push is delivered to.
pub(crate) fn action_key(name: &str) -> Cow<'_, str> {
    let plain = |b: &u8| !b.is_ascii_uppercase() && *b != b'_' && *b != b'-' && b.is_ascii();
    if name.bytes().all(|b| plain(&b)) {
        return Cow::Borrowed(name);
    }
    name.chars()
        .filter(|c| *c != '_' && *c != '-')
        .flat_map(char::to_lowercase)
        .collect()
}

/// Why an action failed. The state is left unchanged and the message is
/// shown to the template as `lvt.errors` (and sent in `meta.errors`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ActionError {
    /// A failure of the action as a whole (`errors._general`).
    #[error("{0}")]
    General(String),
    /// Failures of particular fields (`errors.<field>`).
    #[error("invalid input: {}", fields.iter().map(|(f, m)| format!("{f}: {m}")).collect::<Vec<_>>().join(", "))]
    Fields {
        /// Field name → message.
        fields: Vec<(String, String)>,
    },
}

impl ActionError {
    /// A general error with this message.
    pub fn msg(message: impl Into<String>) -> ActionError {
        ActionError::General(message.into())
    }

    /// An error about one field.
    pub fn field(field: impl Into<String>, message: impl Into<String>) -> ActionError {
        ActionError::Fields {
            fields: vec![(field.into(), message.into())],
        }
    }

    /// The errors as `meta.errors` spells them.
    pub(crate) fn to_map(&self) -> serde_json::Map<String, serde_json::Value> {
        let mut map = serde_json::Map::new();
        match self {
            ActionError::General(m) => {
                map.insert("_general".into(), m.clone().into());
            }
            ActionError::Fields { fields } => {
                for (f, m) in fields {
                    map.insert(f.clone(), m.clone().into());
                }
            }
        }
        map
    }
}

#[cfg(test)]
mod tests {
    use super::action_key;

    #[test]
    fn a_name_already_plain_is_its_own_key_without_a_copy() {
        assert!(matches!(
            action_key("bump"),
            std::borrow::Cow::Borrowed("bump")
        ));
        assert!(matches!(action_key("Bump"), std::borrow::Cow::Owned(k) if k == "bump"));
        assert_eq!(action_key("café-Noir"), "cafénoir");
    }

    #[test]
    fn spellings_share_one_key() {
        for name in ["startTimer", "start_timer", "start-timer", "StartTimer"] {
            assert_eq!(action_key(name), "starttimer");
        }
        assert_ne!(action_key("start"), action_key("startTimer"));
    }
}
