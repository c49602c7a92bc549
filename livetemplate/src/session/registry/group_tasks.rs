//! Tasks that belong to a session group: they end with its last connection.

use std::sync::Arc;

use tokio_util::sync::CancellationToken;

use super::Registry;

impl Registry {
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
