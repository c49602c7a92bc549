//! Caps on background work, so one client cannot start without bound.
//!
//! Every task ([`Context::spawn`](crate::Context::spawn) and its group
//! variants) takes a slot of its connection and of its session group;
//! every job ([`Context::spawn_job`](crate::Context::spawn_job)) also
//! takes a job slot of each, and one of the server's. A slot is given
//! back when its task ends, however it ends.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use crate::lock::lock;

/// The caps, as set on the [`Builder`](crate::Builder).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Limits {
    pub tasks_per_connection: usize,
    pub tasks_per_group: usize,
    pub jobs_per_connection: usize,
    pub jobs_per_group: usize,
    pub jobs_total: usize,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            tasks_per_connection: 64,
            tasks_per_group: 256,
            jobs_per_connection: 8,
            jobs_per_group: 32,
            jobs_total: 1024,
        }
    }
}

/// Whose cap a spawn ran into.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum QuotaScope {
    /// This connection's.
    Connection,
    /// The session group's (every tab of a browser or user).
    Group,
    /// The whole server's.
    Server,
}

impl std::fmt::Display for QuotaScope {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            QuotaScope::Connection => "this tab",
            QuotaScope::Group => "this session",
            QuotaScope::Server => "the server",
        })
    }
}

/// A background task or job was not started: a cap was reached. The
/// message is meant for the person using the page; `?` in a handler
/// shows it as the action's error.
///
/// ```
/// # use livetemplate::{Actions, ActionError, Context, Controller};
/// # struct Timer;
/// # impl Controller for Timer { type State = (); fn actions(_: &mut Actions<Self>) {} }
/// fn start(ctx: &mut Context<Timer>) -> Result<(), ActionError> {
///     ctx.spawn(async { /* … */ })?;
///     Ok(())
/// }
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SpawnError {
    /// Too many background tasks running.
    #[error("too many background tasks are running for {scope} (at most {limit}); wait for one to finish")]
    TooManyTasks {
        /// Whose cap.
        scope: QuotaScope,
        /// The cap.
        limit: usize,
    },
    /// Too many jobs running.
    #[error("too many jobs are running for {scope} (at most {limit}); wait for one to finish")]
    TooManyJobs {
        /// Whose cap.
        scope: QuotaScope,
        /// The cap.
        limit: usize,
    },
}

/// Tasks and jobs running for one connection (or one HTTP request).
#[derive(Debug, Default)]
pub(crate) struct Counts {
    tasks: AtomicUsize,
    jobs: AtomicUsize,
}

/// The caps and what runs against them, for one runtime.
#[derive(Debug, Default)]
pub(crate) struct Quotas {
    limits: Limits,
    jobs_total: AtomicUsize,
    /// Tasks and jobs by session group; a group leaves when both are 0.
    groups: Mutex<HashMap<Arc<str>, (usize, usize)>>,
}

/// One running task's slots; given back when dropped.
pub(crate) struct Slot {
    quotas: Arc<Quotas>,
    conn: Arc<Counts>,
    group: Arc<str>,
    job: bool,
}

/// Takes one from `counter` unless it is at `limit`.
fn take(counter: &AtomicUsize, limit: usize) -> bool {
    counter
        .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
            (n < limit).then_some(n + 1)
        })
        .is_ok()
}

impl Quotas {
    pub(crate) fn new(limits: Limits) -> Quotas {
        Quotas {
            limits,
            ..Quotas::default()
        }
    }

    #[cfg(test)]
    /// Jobs running on the whole server now.
    pub(crate) fn jobs_running(&self) -> usize {
        self.jobs_total.load(Ordering::Acquire)
    }

    /// A slot for a task (a job when `job`) of connection `conn` in `group`.
    pub(crate) fn take(
        self: &Arc<Self>,
        conn: &Arc<Counts>,
        group: &Arc<str>,
        job: bool,
    ) -> Result<Slot, SpawnError> {
        let l = &self.limits;
        let task_error = |scope, limit| SpawnError::TooManyTasks { scope, limit };
        let job_error = |scope, limit| SpawnError::TooManyJobs { scope, limit };
        if !take(&conn.tasks, l.tasks_per_connection) {
            return Err(task_error(QuotaScope::Connection, l.tasks_per_connection));
        }
        let mut groups = lock(&self.groups);
        let counts = groups.entry(group.clone()).or_default();
        if counts.0 >= l.tasks_per_group {
            if *counts == (0, 0) {
                groups.remove(group);
            }
            drop(groups);
            conn.tasks.fetch_sub(1, Ordering::AcqRel);
            return Err(task_error(QuotaScope::Group, l.tasks_per_group));
        }
        counts.0 += 1;
        // From here on, the slot gives back what it holds when dropped.
        let mut slot = Slot {
            quotas: self.clone(),
            conn: conn.clone(),
            group: group.clone(),
            job: false,
        };
        if !job {
            return Ok(slot);
        }
        let refused = if counts.1 >= l.jobs_per_group {
            Some(job_error(QuotaScope::Group, l.jobs_per_group))
        } else if !take(&conn.jobs, l.jobs_per_connection) {
            Some(job_error(QuotaScope::Connection, l.jobs_per_connection))
        } else if !take(&self.jobs_total, l.jobs_total) {
            conn.jobs.fetch_sub(1, Ordering::AcqRel);
            Some(job_error(QuotaScope::Server, l.jobs_total))
        } else {
            counts.1 += 1;
            None
        };
        drop(groups);
        match refused {
            // Dropping the slot gives back its task slots.
            Some(e) => Err(e),
            None => {
                slot.job = true;
                Ok(slot)
            }
        }
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        self.conn.tasks.fetch_sub(1, Ordering::AcqRel);
        if self.job {
            self.conn.jobs.fetch_sub(1, Ordering::AcqRel);
            self.quotas.jobs_total.fetch_sub(1, Ordering::AcqRel);
        }
        let mut groups = lock(&self.quotas.groups);
        if let Some(counts) = groups.get_mut(&self.group) {
            counts.0 = counts.0.saturating_sub(1);
            if self.job {
                counts.1 = counts.1.saturating_sub(1);
            }
            if *counts == (0, 0) {
                groups.remove(&self.group);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn quotas() -> Arc<Quotas> {
        Arc::new(Quotas::new(Limits {
            tasks_per_connection: 3,
            tasks_per_group: 4,
            jobs_per_connection: 1,
            jobs_per_group: 2,
            jobs_total: 2,
        }))
    }

    #[test]
    fn caps_hold_per_connection_group_and_server_and_free_on_drop() {
        let q = quotas();
        let (a, b) = (Arc::new(Counts::default()), Arc::new(Counts::default()));
        let g: Arc<str> = "g".into();
        let held: Vec<_> = (0..3).map(|_| q.take(&a, &g, false).unwrap()).collect();
        assert_eq!(
            q.take(&a, &g, false).err(),
            Some(SpawnError::TooManyTasks {
                scope: QuotaScope::Connection,
                limit: 3
            })
        );
        let job = q.take(&b, &g, true).unwrap();
        assert_eq!(
            q.take(&b, &g, false).err().map(|e| e.to_string()),
            Some("too many background tasks are running for this session (at most 4); wait for one to finish".into())
        );
        drop(held);
        assert_eq!(
            q.take(&b, &g, true).err(),
            Some(SpawnError::TooManyJobs {
                scope: QuotaScope::Connection,
                limit: 1
            })
        );
        let other = q.take(&a, &"h".into(), true).unwrap();
        assert_eq!(
            q.take(&Arc::new(Counts::default()), &"i".into(), true)
                .err(),
            Some(SpawnError::TooManyJobs {
                scope: QuotaScope::Server,
                limit: 2
            })
        );
        drop((job, other));
        assert_eq!(q.jobs_running(), 0);
        assert!(lock(&q.groups).is_empty(), "nothing left behind");
        assert_eq!(a.tasks.load(Ordering::Acquire), 0);
    }
}
