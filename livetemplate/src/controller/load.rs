//! Slow work shown as it goes: a [`Loadable`] field in the state, and
//! [`Context::load`] to fill it from the background.

use std::fmt::Display;
use std::future::Future;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use tokio_util::sync::CancellationToken;

use super::{Context, Controller};
use crate::session::SpawnError;

/// A value that arrives later: not asked for yet, on its way, there, or
/// failed with a message a person can read. Keep one in the state for
/// each slow part of a page and fill it with [`Context::load`].
///
/// The template sees an object with a `status` — `"idle"`, `"loading"`,
/// `"ready"` or `"failed"` — and the `value` when ready, the `error` when
/// failed:
///
/// ```text
/// {% if report.status == "ready" %}<p>{{ report.value.total }} orders</p>
/// {% elif report.status == "failed" %}<p role="alert">{{ report.error }}</p>
/// {% else %}<p aria-busy="true">Loading…</p>{% endif %}
/// ```
///
/// ```
/// use livetemplate::Loadable;
/// use serde_json::json;
///
/// let report: Loadable<u32> = Loadable::Ready(42);
/// assert_eq!(serde_json::to_value(&report)?, json!({ "status": "ready", "value": 42 }));
/// let failed: Loadable<u32> = Err::<u32, _>("the database is down").into();
/// assert_eq!(serde_json::to_value(&failed)?, json!({ "status": "failed", "error": "the database is down" }));
/// assert_eq!(serde_json::to_value(Loadable::<u32>::Loading)?, json!({ "status": "loading" }));
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum Loadable<T> {
    /// Nothing asked for yet (the default).
    #[default]
    Idle,
    /// Asked for; the result is on its way.
    Loading,
    /// Arrived.
    Ready(T),
    /// Could not be had: why, for the person waiting.
    Failed(String),
}

impl<T> Loadable<T> {
    /// Whether the result is on its way.
    pub fn is_loading(&self) -> bool {
        matches!(self, Loadable::Loading)
    }

    /// The value, once it arrived.
    pub fn value(&self) -> Option<&T> {
        match self {
            Loadable::Ready(value) => Some(value),
            _ => None,
        }
    }

    /// Why it failed, if it did.
    pub fn error(&self) -> Option<&str> {
        match self {
            Loadable::Failed(why) => Some(why),
            _ => None,
        }
    }
}

/// The work's outcome: its value, or its error as a message.
impl<T, E: Display> From<Result<T, E>> for Loadable<T> {
    fn from(result: Result<T, E>) -> Self {
        match result {
            Ok(value) => Loadable::Ready(value),
            Err(e) => Loadable::Failed(e.to_string()),
        }
    }
}

/// What the template sees (and the store keeps, when persisted).
#[derive(Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "lowercase")]
enum Shape<V, S> {
    Idle,
    Loading,
    Ready { value: V },
    Failed { error: S },
}

impl<T: Serialize> Serialize for Loadable<T> {
    fn serialize<Z: Serializer>(&self, serializer: Z) -> Result<Z::Ok, Z::Error> {
        let shape: Shape<&T, &str> = match self {
            Loadable::Idle => Shape::Idle,
            Loadable::Loading => Shape::Loading,
            Loadable::Ready(value) => Shape::Ready { value },
            Loadable::Failed(error) => Shape::Failed { error },
        };
        shape.serialize(serializer)
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Loadable<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Ok(match Shape::<T, String>::deserialize(deserializer)? {
            Shape::Idle => Loadable::Idle,
            Shape::Loading => Loadable::Loading,
            Shape::Ready { value } => Loadable::Ready(value),
            Shape::Failed { error } => Loadable::Failed(error),
        })
    }
}

impl<C: Controller> Context<C> {
    /// Fills a [`Loadable`] field of the state from slow work: the field
    /// shows [`Loading`](Loadable::Loading) in this action's own render,
    /// `work` runs off the connection loop, and its outcome —
    /// [`Ready`](Loadable::Ready) or [`Failed`](Loadable::Failed) with the
    /// error's message — is written into the state as it is *then* (other
    /// actions may have changed it meanwhile) and pushed to the tab.
    ///
    /// `field` says where the value goes (`|state| &mut state.report`).
    /// The work is a job of this connection (see
    /// [`spawn_job`](Self::spawn_job)): closing the tab drops it at its next
    /// `.await`, and the caps on jobs apply; over a cap nothing changes and
    /// [`SpawnError`] says why.
    ///
    /// - While the field shows `Loading`, nothing new starts: the work under
    ///   way will fill it (a double click loads once). `Ok(false)` then.
    /// - If something else changed the field before the work ended (a
    ///   Cancel set it back to `Idle`), the outcome is dropped; and when a
    ///   new load of the field starts, the older work is dropped at once,
    ///   so only the newest outcome lands. (That is for a field of the
    ///   state itself: for one inside a `Vec` or a `Box`, the older work
    ///   runs on, and whichever ends first fills the field.)
    /// - Called from [`Controller::on_connect`], the page's first frame
    ///   shows `Loading` and the outcome is pushed when it comes: the page
    ///   paints at once and its slow parts follow.
    /// - Over HTTP (a client without a WebSocket) there is no tab to push
    ///   to: the field shows `Loading` and the outcome is lost.
    ///
    /// ```
    /// use livetemplate::{Actions, ActionError, Context, Controller, Loadable};
    /// use serde::{Deserialize, Serialize};
    ///
    /// #[derive(Clone, Default, Serialize, Deserialize)]
    /// struct Dashboard { report: Loadable<u32> }
    ///
    /// struct Reports;
    /// impl Controller for Reports {
    ///     type State = Dashboard;
    ///     fn actions(actions: &mut Actions<Self>) {
    ///         actions.on("refresh", |_, state, ctx| {
    ///             ctx.load(state, |s| &mut s.report, count_orders())?;
    ///             Ok(())
    ///         });
    ///     }
    /// }
    ///
    /// async fn count_orders() -> Result<u32, std::io::Error> {
    ///     tokio::time::sleep(std::time::Duration::from_secs(1)).await;
    ///     Ok(42)
    /// }
    /// ```
    pub fn load<T, E, F, W>(
        &self,
        state: &mut C::State,
        field: F,
        work: W,
    ) -> Result<bool, SpawnError>
    where
        T: Send + 'static,
        E: Display,
        F: Fn(&mut C::State) -> &mut Loadable<T> + Send + 'static,
        W: Future<Output = Result<T, E>> + Send + 'static,
    {
        if field(state).is_loading() {
            return Ok(false);
        }
        let slot = self.slot(true)?;
        let superseded = match place_in(state, &field) {
            Some(at) => self.link.tasks.begin_load(at),
            // Behind a pointer: no newer load can be told from this one.
            None => CancellationToken::new(),
        };
        *field(state) = Loadable::Loading;
        let job = self.job();
        self.link.tasks.spawn(slot, async move {
            let outcome = tokio::select! {
                biased;
                _ = superseded.cancelled() => return,
                outcome = work => Loadable::from(outcome),
            };
            // Runs on the connection, in turn with the actions: a newer load
            // started before this is applied has cancelled `superseded`.
            job.update(move |state| {
                let place = field(state);
                if place.is_loading() && !superseded.is_cancelled() {
                    *place = outcome;
                }
            });
        });
        Ok(true)
    }
}

/// Where `field` is in `state`, as an offset: the same in every copy of
/// the state for a field of the state itself, which is what lets a newer
/// load of a field be told from an older one. `None` for a field behind a
/// pointer (in a `Vec`, a `Box`), whose address changes with each copy.
fn place_in<S, T>(state: &mut S, field: &impl Fn(&mut S) -> &mut Loadable<T>) -> Option<usize> {
    let start = state as *mut S as usize;
    let at = field(state) as *mut Loadable<T> as usize;
    at.checked_sub(start)
        .filter(|offset| *offset < std::mem::size_of::<S>())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn every_status_goes_to_the_template_and_back() {
        let all = [
            (Loadable::Idle, json!({ "status": "idle" })),
            (Loadable::Loading, json!({ "status": "loading" })),
            (
                Loadable::Ready(vec![1, 2]),
                json!({ "status": "ready", "value": [1, 2] }),
            ),
            (
                Loadable::Failed("timed out".into()),
                json!({ "status": "failed", "error": "timed out" }),
            ),
        ];
        for (loadable, shape) in all {
            assert_eq!(serde_json::to_value(&loadable).ok(), Some(shape.clone()));
            let back: Loadable<Vec<i32>> = serde_json::from_value(shape).expect("reads back");
            assert_eq!(back, loadable);
        }
        assert!(serde_json::from_value::<Loadable<i32>>(json!({ "status": "lost" })).is_err());
    }

    #[test]
    fn a_field_of_the_state_has_the_same_place_in_every_copy() {
        #[derive(Clone, Default)]
        struct Page {
            count: u64,
            report: Loadable<String>,
            rows: Vec<Loadable<u8>>,
        }
        let mut page = Page {
            rows: vec![Loadable::Idle],
            ..Page::default()
        };
        let mut copy = page.clone();
        let here = place_in(&mut page, &|p: &mut Page| &mut p.report);
        assert!(here.is_some());
        assert_eq!(here, place_in(&mut copy, &|p: &mut Page| &mut p.report));
        assert_ne!(here, place_in(&mut page, &|p: &mut Page| &mut p.rows[0]));
        assert_eq!(place_in(&mut page, &|p: &mut Page| &mut p.rows[0]), None);
        page.count += copy.count;
    }
}
