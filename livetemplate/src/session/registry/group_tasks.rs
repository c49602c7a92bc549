//! Tasks that belong to a session group: they end with its last connection.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use tokio_util::sync::CancellationToken;

use super::Registry;

/// Numbers the claims, so a claim's end frees only its own name.
static CLAIMS: AtomicU64 = AtomicU64::new(1);

impl Registry {
    /// The token cancelled when the group's last connection closes; `None`
    /// when the group has no connection (a task started then would have
    /// nothing to end it).
    pub(crate) fn group_token(&self, group: &str) -> Option<CancellationToken> {
        let mut index = self.lock();
        let (key, _) = index.groups.get_key_value(group)?;
        let key = key.clone();
        Some(index.group_tasks.entry(key).or_default().clone())
    }

    /// Claims the name `name` for a task of `group`: `None` while another
    /// task of the group holds it. The claim ends when dropped, or when
    /// [`cancel_group_task`](Self::cancel_group_task) cancels its token
    /// (then the name is free at once).
    pub(crate) fn claim_group_task(
        self: &Arc<Self>,
        group: &str,
        name: &str,
    ) -> Option<GroupTaskClaim> {
        let mut index = self.lock();
        let (group, _) = index.groups.get_key_value(group)?;
        let key = (group.clone(), name.to_string());
        if index.named_tasks.contains_key(&key) {
            return None;
        }
        let token = index
            .group_tasks
            .entry(key.0.clone())
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

    /// Cancels the task of `group` claimed under `name`; false when none runs.
    pub(crate) fn cancel_group_task(&self, group: &str, name: &str) -> bool {
        let key = (Arc::from(group), name.to_string());
        let Some((_, token)) = self.lock().named_tasks.remove(&key) else {
            return false;
        };
        token.cancel();
        true
    }
}

/// A group task's hold on its name; see [`Registry::claim_group_task`].
pub(crate) struct GroupTaskClaim {
    registry: Arc<Registry>,
    key: (Arc<str>, String),
    /// Tells this claim from a later one under the same name.
    id: u64,
    /// Cancelled with the group, or by [`Registry::cancel_group_task`].
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
