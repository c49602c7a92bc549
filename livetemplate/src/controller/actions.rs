//! The actions of a controller, by name, and who may ask for each.
//!
//! Actions are looked up by name the way buttons spell them: `startTimer`,
//! `start_timer` and `start-timer` all reach the same handler.

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};
use std::fmt;
use std::sync::Arc;

use super::{ActionError, Context, Controller};

/// An action handler: changes the state in place; an error leaves it as it was.
pub(crate) type Handler<C> = Arc<
    dyn Fn(&C, &mut <C as Controller>::State, &mut Context<C>) -> Result<(), ActionError>
        + Send
        + Sync,
>;

/// Who may run an action.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Caller {
    /// The client (a button, a form) and the server.
    Client,
    /// Only the server: `trigger_action`, a topic publish, a broadcast.
    Server,
}

struct Registered<C: Controller> {
    name: String,
    caller: Caller,
    handler: Handler<C>,
}

/// The actions of a controller, by name; filled in by
/// [`Controller::actions`].
///
/// ```
/// use livetemplate::{Actions, ActionError, Controller};
/// # #[derive(Clone, Default, serde::Serialize, serde::Deserialize)] struct Clock { seconds: u64 }
/// # struct Timer;
/// impl Controller for Timer {
///     type State = Clock;
///     fn actions(actions: &mut Actions<Self>) {
///         // A button may send `reset`...
///         actions.on("reset", |_, clock, _| {
///             clock.seconds = 0;
///             Ok(())
///         });
///         // ...but only the server's own task may send `tick`.
///         actions.on_server("tick", |_, clock, _| {
///             clock.seconds += 1;
///             Ok(())
///         });
///     }
/// }
/// ```
pub struct Actions<C: Controller> {
    by_key: HashMap<String, Registered<C>>,
    duplicates: Vec<String>,
}

impl<C: Controller> fmt::Debug for Actions<C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut names: Vec<_> = self
            .by_key
            .values()
            .map(|r| (r.name.as_str(), r.caller))
            .collect();
        names.sort();
        f.debug_struct("Actions").field("actions", &names).finish()
    }
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

    fn register<F>(&mut self, name: &str, caller: Caller, handler: F) -> &mut Self
    where
        F: Fn(&C, &mut C::State, &mut Context<C>) -> Result<(), ActionError>
            + Send
            + Sync
            + 'static,
    {
        let key = action_key(name).into_owned();
        if self.by_key.contains_key(&key) {
            self.duplicates.push(name.to_string());
        }
        let registered = Registered {
            name: name.to_string(),
            caller,
            handler: Arc::new(handler),
        };
        self.by_key.insert(key, registered);
        self
    }

    /// Registers `handler` for the action `name` (in any of its spellings),
    /// which clients may send: a button, a form, a link. The server may run
    /// it too (`trigger_action`, a topic, a broadcast).
    pub fn on<F>(&mut self, name: &str, handler: F) -> &mut Self
    where
        F: Fn(&C, &mut C::State, &mut Context<C>) -> Result<(), ActionError>
            + Send
            + Sync
            + 'static,
    {
        self.register(name, Caller::Client, handler)
    }

    /// Registers `handler` for an action only the server runs: through
    /// [`Session::trigger_action`](crate::Session::trigger_action), a topic
    /// publish or a broadcast. A client that sends it gets the answer an
    /// unknown action gets, so it cannot forge a timer's tick or a
    /// notification; a template that names it fails the page's build.
    pub fn on_server<F>(&mut self, name: &str, handler: F) -> &mut Self
    where
        F: Fn(&C, &mut C::State, &mut Context<C>) -> Result<(), ActionError>
            + Send
            + Sync
            + 'static,
    {
        self.register(name, Caller::Server, handler)
    }

    /// The handler for an action name, whichever way it is spelled, if
    /// `caller` may run it.
    pub(crate) fn get(&self, name: &str, caller: Caller) -> Option<&Handler<C>> {
        let registered = self.by_key.get(action_key(name).as_ref())?;
        (caller == Caller::Server || registered.caller == Caller::Client)
            .then_some(&registered.handler)
    }

    /// Who may run the action `name`, if it is registered.
    pub(crate) fn caller(&self, name: &str) -> Option<Caller> {
        self.by_key.get(action_key(name).as_ref()).map(|r| r.caller)
    }

    /// Registered names, as they were registered, sorted.
    pub(crate) fn names(&self) -> Vec<String> {
        let mut names: Vec<_> = self.by_key.values().map(|r| r.name.clone()).collect();
        names.sort();
        names
    }

    /// The spelling-independent keys of every registered action.
    pub(crate) fn keys(&self) -> HashSet<String> {
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
