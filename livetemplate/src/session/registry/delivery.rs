//! Running an action on the connections of a [`Target`], here and on the
//! other instances.

use std::sync::Arc;

use serde_json::{Map, Value};

use super::{Conn, Push, Registry, StateChange, Target};
use crate::cluster::{Address, Cluster, Local, Presence, Scope, Tracked};
use crate::lock::lock;
use crate::session::SharedRenders;

impl Registry {
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
                conn.mailbox.push(Push::SyncTab);
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
                conn.mailbox.push(push)
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
            .is_some_and(|c| c.mailbox.push(Push::Apply(change)))
    }

    /// Live connections of `target`, on every instance.
    pub(crate) fn count(&self, target: &Target) -> usize {
        let here = self.lock().members(target).len();
        match self.cluster.get() {
            Some(cluster) => here + self.count_elsewhere(cluster, target, None),
            None => here,
        }
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

    fn tracks(&self) -> Vec<(Arc<str>, Vec<Tracked>)> {
        super::tracking::tracks(self)
    }

    fn tracks_changed_elsewhere(&self, topics: &[Arc<str>]) {
        super::tracking::tracks_changed_elsewhere(self, topics);
    }

    fn resync_all(&self) {
        let index = self.lock();
        for conn in index.conns.values() {
            conn.mailbox.push(Push::Resync);
        }
    }
}
