//! Every live connection of one runtime, findable by page and session
//! group, by user, and by topic — and the mailboxes pushes go through.
//!
//! This is the one mechanism behind `trigger_action`, `Sync`,
//! `broadcast_action`, topics and reaching a user from anywhere: each of
//! them is "run this action on the connections of this [`Target`]".

use std::any::Any;
use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use serde_json::{Map, Value};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

/// A change to a connection's state from a job; it downcasts the state to
/// the controller's type.
pub(crate) type StateChange = Box<dyn FnOnce(&mut dyn Any) + Send>;

/// Something to do on one connection, from outside it.
pub(crate) enum Push {
    /// Run an action, as if the client had sent it.
    Action {
        action: String,
        data: Map<String, Value>,
    },
    /// Change the state directly (a job's update); the connection passes
    /// its state, which the closure downcasts to the controller's type.
    Apply(StateChange),
}

/// Which connections a push is for.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) enum Target {
    /// One page's connections in one session group (what `ctx.session()` reaches).
    Page { page: u64, group: Arc<str> },
    /// Every connection of a session group, on any page.
    Group(Arc<str>),
    /// Every connection of a signed-in user, on any page and in any group.
    User(Arc<str>),
    /// Every connection subscribed to a topic.
    Topic(Arc<str>),
}

/// Whether a connection's controller has a handler for an action name.
pub(crate) type Handles = Arc<dyn Fn(&str) -> bool + Send + Sync>;

struct Conn {
    page: u64,
    group: Arc<str>,
    user: Option<Arc<str>>,
    mailbox: mpsc::UnboundedSender<Push>,
    handles: Handles,
    topics: HashSet<Arc<str>>,
}

#[derive(Default)]
struct Index {
    conns: HashMap<u64, Conn>,
    groups: HashMap<Arc<str>, Vec<u64>>,
    users: HashMap<Arc<str>, Vec<u64>>,
    topics: HashMap<Arc<str>, HashSet<u64>>,
    /// Cancelled when the group's last connection closes.
    group_tasks: HashMap<Arc<str>, CancellationToken>,
}

/// The live connections of one runtime.
#[derive(Default)]
pub(crate) struct Registry {
    index: Mutex<Index>,
    next_id: AtomicU64,
}

/// Who a new connection is.
pub(crate) struct ConnInfo {
    pub page: u64,
    pub group: Arc<str>,
    pub user: Option<Arc<str>>,
    pub handles: Handles,
}

/// Keeps a connection registered; unregisters it (and ends its group's
/// tasks if it was the last) when dropped.
pub(crate) struct Registration {
    registry: Arc<Registry>,
    pub id: u64,
}

impl Registry {
    /// A fresh id for a page, so sessions of different pages stay apart.
    pub(crate) fn page_id(&self) -> u64 {
        self.next_id.fetch_add(1, Ordering::Relaxed)
    }

    /// Registers a connection; its pushes arrive on the receiver.
    pub(crate) fn register(
        self: &Arc<Self>,
        info: ConnInfo,
    ) -> (Registration, mpsc::UnboundedReceiver<Push>) {
        let (tx, rx) = mpsc::unbounded_channel();
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let mut index = self.lock();
        index.groups.entry(info.group.clone()).or_default().push(id);
        if let Some(user) = &info.user {
            index.users.entry(user.clone()).or_default().push(id);
        }
        index.conns.insert(
            id,
            Conn {
                page: info.page,
                group: info.group,
                user: info.user,
                mailbox: tx,
                handles: info.handles,
                topics: HashSet::new(),
            },
        );
        drop(index);
        let registration = Registration {
            registry: self.clone(),
            id,
        };
        (registration, rx)
    }

    /// Runs `action` on every connection of `target` (but `except`) whose
    /// controller handles it; returns how many took it. Pushes to one page
    /// go to every connection of it: an unknown action is then an error the
    /// page shows, not a silent skip.
    pub(crate) fn deliver(
        &self,
        target: &Target,
        action: &str,
        data: &Map<String, Value>,
        except: Option<u64>,
    ) -> usize {
        let index = self.lock();
        let page_only = matches!(target, Target::Page { .. });
        index
            .members(target)
            .into_iter()
            .filter(|id| Some(*id) != except)
            .filter_map(|id| index.conns.get(&id))
            .filter(|conn| page_only || (conn.handles)(action))
            .filter(|conn| {
                let push = Push::Action {
                    action: action.to_string(),
                    data: data.clone(),
                };
                conn.mailbox.send(push).is_ok()
            })
            .count()
    }

    /// Sends a state change to one connection; false if it is gone.
    pub(crate) fn apply(&self, conn: u64, change: StateChange) -> bool {
        let index = self.lock();
        index
            .conns
            .get(&conn)
            .is_some_and(|c| c.mailbox.send(Push::Apply(change)).is_ok())
    }

    /// Live connections of `target`.
    pub(crate) fn count(&self, target: &Target) -> usize {
        self.lock().members(target).len()
    }

    pub(crate) fn subscribe(&self, conn: u64, topic: &str) {
        let mut index = self.lock();
        let topic: Arc<str> = Arc::from(topic);
        if let Some(c) = index.conns.get_mut(&conn) {
            c.topics.insert(topic.clone());
            index.topics.entry(topic).or_default().insert(conn);
        }
    }

    pub(crate) fn unsubscribe(&self, conn: u64, topic: &str) {
        let mut index = self.lock();
        if let Some(c) = index.conns.get_mut(&conn) {
            c.topics.remove(topic);
        }
        index.remove_from_topic(topic, conn);
    }

    /// The token a group's tasks stop on; `None` when the group has no live
    /// connection (a task started then would have nothing to end it).
    pub(crate) fn group_token(&self, group: &str) -> Option<CancellationToken> {
        let mut index = self.lock();
        let (key, _) = index.groups.get_key_value(group)?;
        let key = key.clone();
        Some(index.group_tasks.entry(key).or_default().clone())
    }

    fn lock(&self) -> MutexGuard<'_, Index> {
        // Every change to the index is completed before anything that could
        // panic, so a poisoned lock still guards a consistent index.
        self.index.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Index {
    fn members(&self, target: &Target) -> Vec<u64> {
        match target {
            Target::Page { page, group } => self
                .groups
                .get(group)
                .into_iter()
                .flatten()
                .copied()
                .filter(|id| self.conns.get(id).is_some_and(|c| c.page == *page))
                .collect(),
            Target::Group(group) => self.groups.get(group).cloned().unwrap_or_default(),
            Target::User(user) => self.users.get(user).cloned().unwrap_or_default(),
            Target::Topic(topic) => self
                .topics
                .get(topic)
                .map(|ids| ids.iter().copied().collect())
                .unwrap_or_default(),
        }
    }

    fn remove_from_topic(&mut self, topic: &str, conn: u64) {
        if let Some(ids) = self.topics.get_mut(topic) {
            ids.remove(&conn);
            if ids.is_empty() {
                self.topics.remove(topic);
            }
        }
    }
}

fn remove_id(map: &mut HashMap<Arc<str>, Vec<u64>>, key: &str, id: u64) -> bool {
    let Some(ids) = map.get_mut(key) else {
        return false;
    };
    ids.retain(|i| *i != id);
    let emptied = ids.is_empty();
    if emptied {
        map.remove(key);
    }
    emptied
}

impl Drop for Registration {
    fn drop(&mut self) {
        let mut index = self.registry.lock();
        let Some(conn) = index.conns.remove(&self.id) else {
            return;
        };
        for topic in &conn.topics {
            index.remove_from_topic(topic, self.id);
        }
        if let Some(user) = &conn.user {
            remove_id(&mut index.users, user, self.id);
        }
        if remove_id(&mut index.groups, &conn.group, self.id) {
            if let Some(token) = index.group_tasks.remove(&conn.group) {
                token.cancel();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info(
        page: u64,
        group: &str,
        user: Option<&str>,
        handles: &'static [&'static str],
    ) -> ConnInfo {
        ConnInfo {
            page,
            group: Arc::from(group),
            user: user.map(Arc::from),
            handles: Arc::new(move |a| handles.contains(&a)),
        }
    }

    #[test]
    fn targets_reach_the_right_connections() {
        let r = Arc::new(Registry::default());
        let (a, mut a_rx) = r.register(info(1, "g", Some("ana"), &["ping"]));
        let (_b, _b_rx) = r.register(info(1, "g", Some("ana"), &[]));
        let (_c, _c_rx) = r.register(info(2, "g", None, &["ping"]));
        let (_d, _d_rx) = r.register(info(1, "h", Some("ben"), &["ping"]));
        let data = Map::new();
        let page_g = Target::Page {
            page: 1,
            group: Arc::from("g"),
        };
        assert_eq!(
            r.deliver(&page_g, "ping", &data, None),
            2,
            "every tab of the page"
        );
        assert_eq!(
            r.deliver(&page_g, "ping", &data, Some(a.id)),
            1,
            "but the sender"
        );
        assert_eq!(
            r.deliver(&Target::Group("g".into()), "ping", &data, None),
            2,
            "handlers only"
        );
        assert_eq!(
            r.deliver(&Target::User("ana".into()), "ping", &data, None),
            1
        );
        r.subscribe(a.id, "room");
        assert_eq!(
            r.deliver(&Target::Topic("room".into()), "ping", &data, None),
            1
        );
        assert!(matches!(a_rx.try_recv(), Ok(Push::Action { .. })));
        drop(a);
        assert_eq!(
            r.count(&Target::Topic("room".into())),
            0,
            "leaving unsubscribes"
        );
        assert_eq!(r.count(&Target::User("ana".into())), 1);
    }

    #[test]
    fn group_tasks_end_with_the_last_connection_of_the_group() {
        let r = Arc::new(Registry::default());
        assert!(r.group_token("g").is_none(), "no connection, no group task");
        let (a, _a_rx) = r.register(info(1, "g", None, &[]));
        let (b, _b_rx) = r.register(info(2, "g", None, &[]));
        let token = r.group_token("g").unwrap();
        drop(a);
        assert!(!token.is_cancelled());
        drop(b);
        assert!(token.is_cancelled());
    }
}
