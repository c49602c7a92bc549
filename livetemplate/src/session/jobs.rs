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
/// # use livetemplate::{Actions, Context, Controller};
/// # #[derive(Clone, Default, serde::Serialize, serde::Deserialize)] struct Export { progress: u8, done: bool }
/// # struct Exporter;
/// # impl Controller for Exporter { type State = Export; fn actions(_: &mut Actions<Self>) {} }
/// # fn start(ctx: &mut Context<Exporter>) {
/// ctx.spawn_job(|job| async move {
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

impl<S> std::fmt::Debug for Job<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Job")
            .field("connection", &self.conn)
            .finish_non_exhaustive()
    }
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
            Box::new(move |state| match state.downcast_mut::<S>() {
                Some(state) => change(state),
                // `Context::spawn_job` types the job with its controller's
                // state, so this cannot happen; say so loudly if it does.
                None => tracing::error!(
                    state = std::any::type_name::<S>(),
                    "a job's update was for another state type; dropped"
                ),
            }),
        )
    }
}
