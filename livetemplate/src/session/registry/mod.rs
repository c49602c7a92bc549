//! Every live connection of one runtime, findable by page and session
//! group, by user, and by topic — and the mailboxes pushes go through.
//!
//! This is the one mechanism behind `trigger_action`, `Sync`,
//! `broadcast_action`, topics and reaching a user from anywhere: each of
//! them is "run this action on the connections of this [`Target`]".
//!
//! This file keeps who is connected (membership, presence); delivery
//! runs actions on them, mailbox bounds what waits for each, and
//! group_tasks ties background work to the life of a page's tabs in a group.

mod delivery;
mod group_tasks;
mod mailbox;
#[cfg(test)]
mod tests;
mod tracking;

pub(crate) use mailbox::{Mailbox, Push, StateChange};

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};

use tokio_util::sync::CancellationToken;

use super::presence::Present;
use super::quota::Quotas;
use crate::cluster::{Address, Cluster, ClusterStatus, Local, Presence, Scope};
use crate::lock::lock;

/// Which connections a push is for. Pages are named by template, so the
/// same page on another instance has the same name.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) enum Target {
    /// One page's connections in one session group (what `ctx.session()` reaches).
    Page { page: Arc<str>, group: Arc<str> },
    /// Every connection of a session group, on any page.
    Group(Arc<str>),
    /// Every connection of a signed-in user, on any page and in any group.
    User(Arc<str>),
    /// Every connection subscribed to a topic.
    Topic(Arc<str>),
}

impl Target {
    /// How the other instances are told which connections a push is for.
    fn address(&self) -> Address {
        match self.clone() {
            Target::Page { page, group } => Address::Page { page, group },
            Target::Group(group) => Address::Group { group },
            Target::User(user) => Address::User { user },
            Target::Topic(topic) => Address::Topic { topic },
        }
    }

    fn from_address(address: &Address) -> Target {
        match address.clone() {
            Address::Page { page, group } => Target::Page { page, group },
            Address::Group { group } => Target::Group(group),
            Address::User { user } => Target::User(user),
            Address::Topic { topic } => Target::Topic(topic),
        }
    }
}

/// Whether a connection's controller has a handler for an action name.
pub(crate) type Handles = Arc<dyn Fn(&str) -> bool + Send + Sync>;

struct Conn {
    page: Arc<str>,
    group: Arc<str>,
    user: Option<Arc<str>>,
    mailbox: mailbox::Outbox,
    handles: Handles,
    topics: HashSet<Arc<str>>,
    /// Topics this connection is on the presence list of.
    tracking: HashSet<Arc<str>>,
}

#[derive(Default)]
struct Index {
    conns: HashMap<u64, Conn>,
    groups: HashMap<Arc<str>, Vec<u64>>,
    users: HashMap<Arc<str>, Vec<u64>>,
    topics: HashMap<Arc<str>, HashSet<u64>>,
    /// Cancelled when the group's last connection to the page closes.
    group_tasks: HashMap<group_tasks::PageGroup, CancellationToken>,
    /// Named group tasks running now, by page, group and name: the claim's
    /// number and what cancels the task.
    named_tasks: HashMap<group_tasks::NamedTask, (u64, CancellationToken)>,
    /// Connections per page and scope: what other instances are told.
    presence: HashMap<Presence, u32>,
    /// Counts changed since the cluster was last told.
    changed: Vec<(Presence, u32)>,
    /// Presence: per topic, what each tracking connection said.
    tracked: HashMap<Arc<str>, HashMap<u64, tracking::Track>>,
}

/// The live connections of one runtime.
pub(crate) struct Registry {
    index: Mutex<Index>,
    next_id: AtomicU64,
    /// Which actions each page handles, by page name.
    pages: Mutex<HashMap<Arc<str>, Handles>>,
    instance: Arc<str>,
    cluster: OnceLock<Arc<Cluster>>,
    /// Caps on tasks and jobs, per connection, group and in all.
    pub(crate) quotas: Arc<Quotas>,
    /// Each topic's presence list as this instance's subscribers last got
    /// it; held while a list is made and pushed, so lists go out in order.
    presence_shown: Mutex<HashMap<Arc<str>, Vec<Present>>>,
    track_clock: AtomicU64,
}

/// Who a new connection is.
pub(crate) struct ConnInfo {
    pub page: Arc<str>,
    pub group: Arc<str>,
    pub user: Option<Arc<str>>,
}

/// Keeps a connection registered; unregisters it (and ends its group's
/// tasks for its page if it was the last there) when dropped.
pub(crate) struct Registration {
    registry: Arc<Registry>,
    pub id: u64,
}

impl Registry {
    /// The registry of an instance named `instance`, alone until
    /// [`join`](Self::join) gives it a cluster.
    #[cfg(test)]
    pub(crate) fn new(instance: Arc<str>) -> Registry {
        Registry::with_quotas(instance, Quotas::default())
    }

    /// [`new`](Self::new), with caps on background work (see [`Quotas`]).
    pub(crate) fn with_quotas(instance: Arc<str>, quotas: Quotas) -> Registry {
        Registry {
            index: Mutex::new(Index::default()),
            next_id: AtomicU64::new(1),
            pages: Mutex::new(HashMap::new()),
            instance,
            cluster: OnceLock::new(),
            quotas: Arc::new(quotas),
            presence_shown: Mutex::new(HashMap::new()),
            track_clock: AtomicU64::new(0),
        }
    }

    /// Makes this registry one instance of `cluster` (once).
    pub(crate) fn join(self: &Arc<Self>, cluster: Arc<Cluster>, shutdown: CancellationToken) {
        if self.cluster.set(cluster.clone()).is_ok() {
            let local: Arc<dyn Local> = self.clone();
            cluster.start(Arc::downgrade(&local), shutdown);
        }
    }

    pub(crate) fn cluster_status(&self) -> ClusterStatus {
        match self.cluster.get() {
            Some(cluster) => cluster.status(),
            None => ClusterStatus::alone(&self.instance),
        }
    }

    /// Names a page after its template ("name#2" for the second page on the
    /// same template), and notes which actions it handles.
    pub(crate) fn add_page(&self, template: &str, handles: Handles) -> Arc<str> {
        let mut pages = lock(&self.pages);
        let mut name: Arc<str> = Arc::from(template);
        let mut n = 1;
        while pages.contains_key(&name) {
            n += 1;
            name = Arc::from(format!("{template}#{n}"));
        }
        pages.insert(name.clone(), handles);
        name
    }

    fn page_handles(&self, page: &str) -> Handles {
        lock(&self.pages)
            .get(page)
            .cloned()
            .unwrap_or_else(|| Arc::new(|_: &str| false))
    }

    /// Registers a connection; its pushes arrive on the receiver.
    pub(crate) fn register(self: &Arc<Self>, info: ConnInfo) -> (Registration, Mailbox) {
        let (tx, rx) = mailbox::mailbox(mailbox::MAILBOX_CAPACITY);
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let handles = self.page_handles(&info.page);
        let mut index = self.lock();
        index.groups.entry(info.group.clone()).or_default().push(id);
        index.count(&info.page, Scope::Group(info.group.clone()), 1);
        if let Some(user) = &info.user {
            index.users.entry(user.clone()).or_default().push(id);
            index.count(&info.page, Scope::User(user.clone()), 1);
        }
        index.conns.insert(
            id,
            Conn {
                page: info.page,
                group: info.group,
                user: info.user,
                mailbox: tx,
                handles,
                topics: HashSet::new(),
                tracking: HashSet::new(),
            },
        );
        self.tell_cluster(index);
        let registration = Registration {
            registry: self.clone(),
            id,
        };
        (registration, rx)
    }

    pub(crate) fn subscribe(&self, conn: u64, topic: &str) {
        let mut index = self.lock();
        index.subscribe(conn, &Arc::from(topic));
        self.tell_cluster(index);
    }

    pub(crate) fn unsubscribe(&self, conn: u64, topic: &str) {
        let mut index = self.lock();
        let Some(c) = index.conns.get_mut(&conn) else {
            return;
        };
        if c.topics.remove(topic) {
            let page = c.page.clone();
            let untracked = c.tracking.take(topic);
            index.remove_from_topic(topic, conn);
            index.count(&page, Scope::Topic(Arc::from(topic)), -1);
            if let Some(topic) = &untracked {
                index.drop_track(topic, conn);
            }
            self.tell_cluster(index);
            if let Some(topic) = untracked {
                self.presence_changed(&[topic]);
            }
        }
    }

    /// The token a group's tasks stop on; `None` when the group has no live
    /// Passes count changes on to the cluster, after the index is unlocked.
    fn tell_cluster(&self, mut index: MutexGuard<'_, Index>) {
        let changed = std::mem::take(&mut index.changed);
        drop(index);
        if let Some(cluster) = self.cluster.get() {
            for (key, n) in changed {
                cluster.presence_changed(key, n);
            }
        }
    }

    fn lock(&self) -> MutexGuard<'_, Index> {
        lock(&self.index)
    }
}

impl Index {
    /// Subscribes `conn` to `topic`; false if there is no such connection.
    fn subscribe(&mut self, conn: u64, topic: &Arc<str>) -> bool {
        let Some(c) = self.conns.get_mut(&conn) else {
            return false;
        };
        if c.topics.insert(topic.clone()) {
            let page = c.page.clone();
            self.topics.entry(topic.clone()).or_default().insert(conn);
            self.count(&page, Scope::Topic(topic.clone()), 1);
        }
        true
    }

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

    /// Adds `delta` to the count of `page` in `scope`, noting the change.
    fn count(&mut self, page: &Arc<str>, scope: Scope, delta: i32) {
        let key = Presence {
            page: page.clone(),
            scope,
        };
        let n = self.presence.entry(key.clone()).or_default();
        *n = n.saturating_add_signed(delta);
        let n = *n;
        if n == 0 {
            self.presence.remove(&key);
        }
        self.changed.push((key, n));
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
        let registry = &self.registry;
        let mut index = registry.lock();
        let Some(conn) = index.conns.remove(&self.id) else {
            return;
        };
        for topic in &conn.topics {
            index.remove_from_topic(topic, self.id);
            index.count(&conn.page, Scope::Topic(topic.clone()), -1);
        }
        for topic in &conn.tracking {
            index.drop_track(topic, self.id);
        }
        if let Some(user) = &conn.user {
            remove_id(&mut index.users, user, self.id);
            index.count(&conn.page, Scope::User(user.clone()), -1);
        }
        index.count(&conn.page, Scope::Group(conn.group.clone()), -1);
        remove_id(&mut index.groups, &conn.group, self.id);
        index.end_group_tasks_if_gone(&conn.page, &conn.group);
        registry.tell_cluster(index);
        if !conn.tracking.is_empty() {
            let topics: Vec<Arc<str>> = conn.tracking.into_iter().collect();
            registry.presence_changed(&topics);
        }
    }
}
