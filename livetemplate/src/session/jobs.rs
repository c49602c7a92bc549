//! Jobs: background work that changes its connection's state as it goes.

use std::marker::PhantomData;
use std::sync::Arc;

use super::Registry;

/// What a job started with [`Context::spawn_job`](crate::Context::spawn_job)
/// uses to change the state of its connection. Each update runs on the
/// state as it is *now* — not a copy from when the job started — and is
/// pushed to the tab like an action's.
///
/// ```no_run
/// # use livetemplate::{Context, Job};
/// # #[derive(Clone, Default, serde::Serialize, serde::Deserialize)] struct Export { progress: u8, done: bool }
/// # fn start(ctx: &mut Context) {
/// ctx.spawn_job(|job: Job<Export>| async move {
///     for step in 1..=10u8 {
///         tokio::time::sleep(std::time::Duration::from_millis(300)).await;
///         job.update(move |s| s.progress = step * 10);
///     }
///     job.update(|s| s.done = true);
/// });
/// # }
/// ```
pub struct Job<S> {
    pub(crate) registry: Arc<Registry>,
    /// The connection; `None` when the job was started over HTTP.
    pub(crate) conn: Option<u64>,
    pub(crate) state: PhantomData<fn(&mut S)>,
}

impl<S> Clone for Job<S> {
    fn clone(&self) -> Self {
        Job {
            registry: self.registry.clone(),
            conn: self.conn,
            state: PhantomData,
        }
    }
}

impl<S: 'static> Job<S> {
    /// Applies `change` to the connection's current state and pushes the
    /// result. False when the connection is gone (the job can stop).
    pub fn update(&self, change: impl FnOnce(&mut S) + Send + 'static) -> bool {
        let Some(conn) = self.conn else {
            return false;
        };
        self.registry.apply(
            conn,
            Box::new(move |state| {
                if let Some(state) = state.downcast_mut::<S>() {
                    change(state);
                }
            }),
        )
    }
}
