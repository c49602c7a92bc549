//! Tasks that belong to a page's tabs in a session group: they end with
//! the group's last connection to that page.
//!
//! A group task works for its page (its `ctx.session()` reaches that page's
//! tabs only), so it is the page's connections that keep it alive. Another
//! tab of the group open on another page does not, and neither does the
//! page a tab navigates to: when the stock client follows a link to another
//! live page it closes this page's socket and opens one on the next page,
//! and this page's group tasks end with that close, whichever of the two
//! the server sees first.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use tokio_util::sync::CancellationToken;

use super::{Index, Registry};
use crate::cluster::{Presence, Scope};

/// A page and a session group: what group tasks are tied to.
pub(super) type PageGroup = (Arc<str>, Arc<str>);

/// A page, a session group and a task's name: what a named task claims.
pub(super) type NamedTask = (Arc<str>, Arc<str>, String);

/// Numbers the claims, so a claim's end frees only its own name.
static CLAIMS: AtomicU64 = AtomicU64::new(1);

impl Registry {
    /// The token the group's tasks for `page` stop on; `None` when the
    /// group has no live connection to `page` (a task started then would
    /// have nothing to end it).
    pub(crate) fn group_token(&self, page: &str, group: &str) -> Option<CancellationToken> {
        let mut index = self.lock();
        let key = index.page_group(page, group)?;
        Some(index.group_tasks.entry(key).or_default().clone())
    }

    /// Claims the name `name` for a task of `group` on `page`: `None` while
    /// another such task holds it. The claim ends when dropped, or when
    /// [`cancel_group_task`](Self::cancel_group_task) cancels its token
    /// (then the name is free at once).
    pub(crate) fn claim_group_task(
        self: &Arc<Self>,
        page: &str,
        group: &str,
        name: &str,
    ) -> Option<GroupTaskClaim> {
        let mut index = self.lock();
        let (page, group) = index.page_group(page, group)?;
        let key = (page, group, name.to_string());
        if index.named_tasks.contains_key(&key) {
            return None;
        }
        let token = index
            .group_tasks
            .entry((key.0.clone(), key.1.clone()))
            .or_default()
            .child_token();
        let id = CLAIMS.fetch_add(1, Ordering::Relaxed);
        index.named_tasks.insert(key.clone(), (id, token.clone()));
        Some(GroupTaskClaim {
            registry: self.clone(),
            key,
            id,
            token,
        })
    }

    /// Cancels the task of `group` on `page` claimed under `name`; false
    /// when none runs.
    pub(crate) fn cancel_group_task(&self, page: &str, group: &str, name: &str) -> bool {
        let key = (Arc::from(page), Arc::from(group), name.to_string());
        let Some((_, token)) = self.lock().named_tasks.remove(&key) else {
            return false;
        };
        token.cancel();
        true
    }
}

impl Index {
    /// `(page, group)` as the index holds them, when the group has a
    /// connection to the page.
    fn page_group(&self, page: &str, group: &str) -> Option<PageGroup> {
        let key = Presence {
            page: Arc::from(page),
            scope: Scope::Group(Arc::from(group)),
        };
        let (key, _) = self.presence.get_key_value(&key)?;
        match &key.scope {
            Scope::Group(group) => Some((key.page.clone(), group.clone())),
            _ => None,
        }
    }

    /// Ends the group's tasks for `page` if no connection of the group to
    /// it is left.
    pub(super) fn end_group_tasks_if_gone(&mut self, page: &Arc<str>, group: &Arc<str>) {
        if self.page_group(page, group).is_none() {
            if let Some(token) = self.group_tasks.remove(&(page.clone(), group.clone())) {
                token.cancel();
            }
        }
    }
}

/// A group task's hold on its name; see [`Registry::claim_group_task`].
pub(crate) struct GroupTaskClaim {
    registry: Arc<Registry>,
    key: NamedTask,
    /// Tells this claim from a later one under the same name.
    id: u64,
    /// Cancelled with the group's last connection to the page, or by
    /// [`Registry::cancel_group_task`].
    pub(crate) token: CancellationToken,
}

impl Drop for GroupTaskClaim {
    fn drop(&mut self) {
        let mut index = self.registry.lock();
        // Cancelled by name, the name may already be another task's.
        if index.named_tasks.get(&self.key).map(|(id, _)| *id) == Some(self.id) {
            index.named_tasks.remove(&self.key);
        }
    }
}
