//! Every live connection of one runtime, findable by page and session
//! group, by user, and by topic — and the mailboxes pushes go through.
//!
//! This is the one mechanism behind `trigger_action`, `Sync`,
//! `broadcast_action`, topics and reaching a user from anywhere: each of
//! them is "run this action on the connections of this [`Target`]".

use std::any::Any;
use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};

use serde_json::{Map, Value};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use super::SharedRenders;
use crate::cluster::{Address, Cluster, ClusterStatus, Local, Presence, Scope};
use crate::lock::lock;

/// A change to a connection's state from a job; it downcasts the state to
/// the controller's type.
pub(crate) type StateChange = Box<dyn FnOnce(&mut dyn Any) + Send>;

/// Something to do on one connection, from outside it.
pub(crate) enum Push {
    /// Run an action, as if the client had sent it.
    Action {
        action: Arc<str>,
        /// Shared by every connection the push goes to.
        data: Arc<Map<String, Value>>,
        /// Renders the connections of this delivery share.
        shared: Arc<SharedRenders>,
    },
    /// Follow a client action made on another tab of the group
    /// (`Controller::SYNC_TABS`).
    SyncTab,
    /// Change the state directly (a job's update); the connection passes
    /// its state, which the closure downcasts to the controller's type.
    Apply(StateChange),
    /// Pushes for this connection may have been lost (on the way from
    /// another instance): reload persisted fields and re-render.
    Resync,
}

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
    /// Named group tasks running now, by group and name.
    named_tasks: HashSet<(Arc<str>, String)>,
    /// Connections per page and scope: what other instances are told.
    presence: HashMap<Presence, u32>,
    /// Counts changed since the cluster was last told.
    changed: Vec<(Presence, u32)>,
}

/// The live connections of one runtime.
pub(crate) struct Registry {
    index: Mutex<Index>,
    next_id: AtomicU64,
    /// Which actions each page handles, by page name.
    pages: Mutex<HashMap<Arc<str>, Handles>>,
    instance: Arc<str>,
    cluster: OnceLock<Arc<Cluster>>,
}

/// Who a new connection is.
pub(crate) struct ConnInfo {
    pub page: Arc<str>,
    pub group: Arc<str>,
    pub user: Option<Arc<str>>,
}

/// Keeps a connection registered; unregisters it (and ends its group's
/// tasks if it was the last) when dropped.
pub(crate) struct Registration {
    registry: Arc<Registry>,
    pub id: u64,
}

impl Registry {
    /// The registry of an instance named `instance`, alone until
    /// [`join`](Self::join) gives it a cluster.
    pub(crate) fn new(instance: Arc<str>) -> Registry {
        Registry {
            index: Mutex::new(Index::default()),
            next_id: AtomicU64::new(1),
            pages: Mutex::new(HashMap::new()),
            instance,
            cluster: OnceLock::new(),
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
    pub(crate) fn register(
        self: &Arc<Self>,
        info: ConnInfo,
    ) -> (Registration, mpsc::UnboundedReceiver<Push>) {
        let (tx, rx) = mpsc::unbounded_channel();
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
            },
        );
        self.tell_cluster(index);
        let registration = Registration {
            registry: self.clone(),
            id,
        };
        (registration, rx)
    }

    /// Runs `action` on every connection of `target` (but `except`) whose
    /// controller handles it, here and on the other instances; returns how
    /// many connections took it (those elsewhere as last reported).
    pub(crate) fn deliver(
        &self,
        target: &Target,
        action: &str,
        data: &Map<String, Value>,
        except: Option<u64>,
    ) -> usize {
        let here = self.deliver_here(target, action, data, except);
        match self.cluster.get() {
            Some(cluster) => {
                cluster.deliver(target.address(), action, data);
                here + self.count_elsewhere(cluster, target, Some(action))
            }
            None => here,
        }
    }

    /// The tabs of `page` in `group` (but `except`), here and on the other
    /// instances, follow a client action made on one of them.
    pub(crate) fn sync_tabs(&self, page: &Arc<str>, group: &Arc<str>, except: Option<u64>) {
        self.sync_tabs_except(page, group, except);
        if let Some(cluster) = self.cluster.get() {
            cluster.sync_tabs(page.clone(), group.clone());
        }
    }

    fn sync_tabs_except(&self, page: &str, group: &str, except: Option<u64>) {
        let index = self.lock();
        let Some(ids) = index.groups.get(group) else {
            return;
        };
        for id in ids.iter().filter(|id| Some(**id) != except) {
            if let Some(conn) = index.conns.get(id).filter(|c| &*c.page == page) {
                let _ = conn.mailbox.send(Push::SyncTab);
            }
        }
    }

    /// [`deliver`](Self::deliver) to this instance's connections only.
    /// Pushes to one page go to every connection of it: an unknown action
    /// is then an error the page shows, not a silent skip.
    pub(crate) fn deliver_here(
        &self,
        target: &Target,
        action: &str,
        data: &Map<String, Value>,
        except: Option<u64>,
    ) -> usize {
        let (shared_action, shared_data): (Arc<str>, _) =
            (Arc::from(action), Arc::new(data.clone()));
        let shared = Arc::new(SharedRenders::default());
        let index = self.lock();
        let page_only = matches!(target, Target::Page { .. });
        // Whether each page handles the action, asked once per page.
        let mut handled: Vec<(Arc<str>, bool)> = Vec::new();
        let mut handles = |conn: &Conn| {
            if let Some((_, yes)) = handled.iter().find(|(p, _)| Arc::ptr_eq(p, &conn.page)) {
                return *yes;
            }
            let yes = (conn.handles)(action);
            handled.push((conn.page.clone(), yes));
            yes
        };
        index
            .members(target)
            .into_iter()
            .filter(|id| Some(*id) != except)
            .filter_map(|id| index.conns.get(&id))
            .filter(|conn| page_only || handles(conn))
            .filter(|conn| {
                let push = Push::Action {
                    action: shared_action.clone(),
                    data: shared_data.clone(),
                    shared: shared.clone(),
                };
                conn.mailbox.send(push).is_ok()
            })
            .count()
    }

    /// Connections of `target` on other instances (that handle `action`).
    fn count_elsewhere(&self, cluster: &Cluster, target: &Target, action: Option<&str>) -> usize {
        let (scope, only_page) = match target {
            Target::Page { page, group } => (Scope::Group(group.clone()), Some(page)),
            Target::Group(group) => (Scope::Group(group.clone()), None),
            Target::User(user) => (Scope::User(user.clone()), None),
            Target::Topic(topic) => (Scope::Topic(topic.clone()), None),
        };
        let pages = lock(&self.pages);
        cluster.count_elsewhere(&scope, |page| match (only_page, action) {
            (Some(only), _) => page == &**only,
            // A page this instance does not have: assume it handles the action.
            (None, Some(action)) => pages.get(page).map_or(true, |handles| handles(action)),
            (None, None) => true,
        })
    }

    /// Sends a state change to one connection; false if it is gone.
    pub(crate) fn apply(&self, conn: u64, change: StateChange) -> bool {
        let index = self.lock();
        index
            .conns
            .get(&conn)
            .is_some_and(|c| c.mailbox.send(Push::Apply(change)).is_ok())
    }

    /// Live connections of `target`, on every instance.
    pub(crate) fn count(&self, target: &Target) -> usize {
        let here = self.lock().members(target).len();
        match self.cluster.get() {
            Some(cluster) => here + self.count_elsewhere(cluster, target, None),
            None => here,
        }
    }

    pub(crate) fn subscribe(&self, conn: u64, topic: &str) {
        let mut index = self.lock();
        let topic: Arc<str> = Arc::from(topic);
        let Some(c) = index.conns.get_mut(&conn) else {
            return;
        };
        if c.topics.insert(topic.clone()) {
            let page = c.page.clone();
            index.topics.entry(topic.clone()).or_default().insert(conn);
            index.count(&page, Scope::Topic(topic), 1);
            self.tell_cluster(index);
        }
    }

    pub(crate) fn unsubscribe(&self, conn: u64, topic: &str) {
        let mut index = self.lock();
        let Some(c) = index.conns.get_mut(&conn) else {
            return;
        };
        if c.topics.remove(topic) {
            let page = c.page.clone();
            index.remove_from_topic(topic, conn);
            index.count(&page, Scope::Topic(Arc::from(topic)), -1);
            self.tell_cluster(index);
        }
    }

    /// The token a group's tasks stop on; `None` when the group has no live
    /// connection (a task started then would have nothing to end it).
    pub(crate) fn group_token(&self, group: &str) -> Option<CancellationToken> {
        let mut index = self.lock();
        let (key, _) = index.groups.get_key_value(group)?;
        let key = key.clone();
        Some(index.group_tasks.entry(key).or_default().clone())
    }

    /// Claims the name `name` for a task of `group`: `None` while another
    /// task of the group holds it. The claim ends when dropped.
    pub(crate) fn claim_group_task(
        self: &Arc<Self>,
        group: &str,
        name: &str,
    ) -> Option<GroupTaskClaim> {
        let mut index = self.lock();
        let (group, _) = index.groups.get_key_value(group)?;
        let key = (group.clone(), name.to_string());
        index
            .named_tasks
            .insert(key.clone())
            .then(|| GroupTaskClaim {
                registry: self.clone(),
                key,
            })
    }

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

impl Local for Registry {
    fn deliver_here(&self, to: &Address, action: &str, data: &Map<String, Value>) {
        Registry::deliver_here(self, &Target::from_address(to), action, data, None);
    }

    fn sync_tabs_here(&self, page: &str, group: &str) {
        self.sync_tabs_except(page, group, None);
    }

    fn presence(&self) -> Vec<(Presence, u32)> {
        let index = self.lock();
        index
            .presence
            .iter()
            .map(|(k, n)| (k.clone(), *n))
            .collect()
    }

    fn resync_all(&self) {
        let index = self.lock();
        for conn in index.conns.values() {
            let _ = conn.mailbox.send(Push::Resync);
        }
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

/// A group task's hold on its name; see [`Registry::claim_group_task`].
pub(crate) struct GroupTaskClaim {
    registry: Arc<Registry>,
    key: (Arc<str>, String),
}

impl Drop for GroupTaskClaim {
    fn drop(&mut self) {
        self.registry.lock().named_tasks.remove(&self.key);
    }
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
        if let Some(user) = &conn.user {
            remove_id(&mut index.users, user, self.id);
            index.count(&conn.page, Scope::User(user.clone()), -1);
        }
        index.count(&conn.page, Scope::Group(conn.group.clone()), -1);
        if remove_id(&mut index.groups, &conn.group, self.id) {
            if let Some(token) = index.group_tasks.remove(&conn.group) {
                token.cancel();
            }
        }
        registry.tell_cluster(index);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A registry with pages "p1" and "p2" that handle `ping`, and "quiet"
    /// that handles nothing.
    fn registry() -> Arc<Registry> {
        let r = Arc::new(Registry::new("test".into()));
        assert_eq!(&*r.add_page("p1", Arc::new(|a| a == "ping")), "p1");
        assert_eq!(&*r.add_page("p2", Arc::new(|a| a == "ping")), "p2");
        assert_eq!(&*r.add_page("quiet", Arc::new(|_| false)), "quiet");
        r
    }

    fn info(page: &str, group: &str, user: Option<&str>) -> ConnInfo {
        ConnInfo {
            page: Arc::from(page),
            group: Arc::from(group),
            user: user.map(Arc::from),
        }
    }

    #[test]
    fn targets_reach_the_right_connections() {
        let r = registry();
        let (a, mut a_rx) = r.register(info("p1", "g", Some("ana")));
        let (_b, _b_rx) = r.register(info("quiet", "g", Some("ana")));
        let (_c, _c_rx) = r.register(info("p2", "g", None));
        let (_d, _d_rx) = r.register(info("p1", "h", Some("ben")));
        let (_e, _e_rx) = r.register(info("p1", "g", None));
        let data = Map::new();
        let page_g = Target::Page {
            page: Arc::from("p1"),
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
            3,
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
    fn a_second_page_on_one_template_gets_its_own_name() {
        let r = registry();
        assert_eq!(&*r.add_page("p1", Arc::new(|_| true)), "p1#2");
        assert_eq!(&*r.add_page("p1", Arc::new(|_| true)), "p1#3");
    }

    #[test]
    fn presence_counts_follow_connections_and_topics() {
        let r = registry();
        let count = |page: &str, scope: Scope| {
            let key = Presence {
                page: page.into(),
                scope,
            };
            r.presence()
                .into_iter()
                .find(|(k, _)| *k == key)
                .map_or(0, |(_, n)| n)
        };
        let (a, _a_rx) = r.register(info("p1", "g", Some("ana")));
        let (b, _b_rx) = r.register(info("p1", "g", None));
        r.subscribe(a.id, "room");
        r.subscribe(a.id, "room");
        assert_eq!(count("p1", Scope::Group("g".into())), 2);
        assert_eq!(count("p1", Scope::User("ana".into())), 1);
        assert_eq!(
            count("p1", Scope::Topic("room".into())),
            1,
            "once per connection"
        );
        drop(a);
        assert_eq!(count("p1", Scope::Group("g".into())), 1);
        assert_eq!(count("p1", Scope::Topic("room".into())), 0);
        drop(b);
        assert!(r.presence().is_empty(), "nothing left behind");
    }

    #[test]
    fn group_tasks_end_with_the_last_connection_of_the_group() {
        let r = registry();
        assert!(r.group_token("g").is_none(), "no connection, no group task");
        let (a, _a_rx) = r.register(info("p1", "g", None));
        let (b, _b_rx) = r.register(info("p2", "g", None));
        let token = r.group_token("g").unwrap();
        drop(a);
        assert!(!token.is_cancelled());
        drop(b);
        assert!(token.is_cancelled());
    }

    #[test]
    fn a_named_group_task_runs_once_per_group_until_it_ends() {
        let r = registry();
        assert!(
            r.claim_group_task("g", "timer").is_none(),
            "no connection, no claim"
        );
        let (_a, _a_rx) = r.register(info("p1", "g", None));
        let (_b, _b_rx) = r.register(info("p1", "h", None));
        let claim = r.claim_group_task("g", "timer").expect("the first claim");
        assert!(
            r.claim_group_task("g", "timer").is_none(),
            "taken while it runs"
        );
        assert!(r.claim_group_task("g", "other").is_some(), "another name");
        assert!(r.claim_group_task("h", "timer").is_some(), "another group");
        drop(claim);
        assert!(
            r.claim_group_task("g", "timer").is_some(),
            "free once it ended"
        );
    }
}
