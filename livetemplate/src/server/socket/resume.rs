//! Resumable connections: a tab whose socket drops and comes back within a
//! grace period gets its own view back.
//!
//! Each page load carries a token (the query parameter [`TAB_PARAM`] in the
//! URL the stock client opens its socket on; see [`token_script`]). When a
//! socket ends without the client's close frame (the network dropped, the
//! peer stopped answering), its view, registration, mailbox and tasks are
//! *parked* under that token instead of dropped: a keeper task goes on
//! applying the pushes meant for the tab to its state (rendering nothing),
//! and its tasks go on running; `trigger_action` counts it as live. A socket
//! that arrives with the token within the grace takes it all back and is
//! sent one frame: the whole tree of the state as it is now (the stock
//! client forgets its tree when it reconnects, so it needs the statics
//! again). Past the grace, the view is ended the way a closed connection
//! is: tasks cancelled, registration dropped, `on_disconnect`. A tab with
//! files staged for an upload is not kept (an upload cut off cannot go on).
//!
//! The server may not have noticed the drop yet when the tab comes back
//! (a network that vanished sends nothing; the ping finds out later): a
//! socket with a token whose connection is still open takes over, the old
//! one is parked at once and handed to the new.
//!
//! What parked views hold is bounded, in count and in bytes (their states
//! as JSON plus a measured 4 KiB each; their trees are dropped on parking),
//! by a [`Budget`] shared by every page of a runtime; a view that does not
//! fit is ended at once.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::{oneshot, Notify};
use tokio_util::sync::CancellationToken;

use super::run_push;
use crate::controller::{Controller, Link};
use crate::dispatch::{Dispatch, View};
use crate::identity::Identity;
use crate::lock::lock;
use crate::metrics::Metrics;
use crate::session::{Mailbox, Registration};
use crate::template::RenderCache;

/// The query parameter that carries a page load's token. The runtime takes
/// it out of the query before `mount` sees it.
pub(crate) const TAB_PARAM: &str = "lvt_tab";

/// How long a dropped tab is kept unless the builder says otherwise.
pub(crate) const DEFAULT_GRACE: Duration = Duration::from_secs(30);

/// How long a dropped tab is kept, and how much all kept tabs may hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ResumeLimits {
    /// How long a tab whose socket dropped is kept; zero: not at all.
    pub grace: Duration,
    /// The most tabs kept at once, over every page.
    pub max_views: usize,
    /// The most bytes their states may take, over every page.
    pub max_bytes: usize,
}

impl Default for ResumeLimits {
    fn default() -> ResumeLimits {
        ResumeLimits {
            grace: DEFAULT_GRACE,
            max_views: 10_000,
            max_bytes: 64 << 20,
        }
    }
}

/// What every parked view of a runtime holds, against its limits (and in
/// the `parked` gauges).
pub(crate) struct Budget {
    limits: ResumeLimits,
    /// Views and bytes held now.
    held: Mutex<(usize, usize)>,
    metrics: Arc<Metrics>,
}

impl Budget {
    pub(crate) fn new(limits: ResumeLimits, metrics: Arc<Metrics>) -> Budget {
        Budget {
            limits,
            held: Mutex::new((0, 0)),
            metrics,
        }
    }

    /// Takes room for one view of `bytes`; false when it does not fit.
    fn take(&self, bytes: usize) -> bool {
        let mut held = lock(&self.held);
        let (views, used) = *held;
        if views >= self.limits.max_views || used.saturating_add(bytes) > self.limits.max_bytes {
            return false;
        }
        *held = (views + 1, used + bytes);
        self.metrics.parked_changed(1, bytes as i64);
        true
    }

    /// A view's state went from `old` to `new` bytes; false (nothing
    /// changed) when the new size does not fit.
    fn resize(&self, old: usize, new: usize) -> bool {
        let mut held = lock(&self.held);
        let used = held.1 - old;
        if used.saturating_add(new) > self.limits.max_bytes {
            return false;
        }
        held.1 = used + new;
        self.metrics.parked_changed(0, new as i64 - old as i64);
        true
    }

    fn give_back(&self, bytes: usize) {
        let mut held = lock(&self.held);
        held.0 -= 1;
        held.1 -= bytes;
        self.metrics.parked_changed(-1, -(bytes as i64));
    }
}

/// What a connection holds beyond its socket: what a parked tab keeps.
pub(crate) struct Held<C: Controller> {
    pub view: View<C>,
    pub registration: Registration,
    pub mailbox: Mailbox,
    pub link: Arc<Link>,
}

impl<C: Controller> Held<C> {
    /// Ends the connection for good: its tasks are cancelled, it is
    /// unregistered, and the controller hears `on_disconnect`.
    pub(crate) fn end(self, page: &Dispatch<C>) {
        let Held {
            view,
            registration,
            mailbox,
            link,
        } = self;
        link.tasks.cancel();
        drop(registration);
        drop(mailbox);
        let state = &view.state;
        let hook = std::panic::AssertUnwindSafe(|| page.controller.on_disconnect(state));
        if std::panic::catch_unwind(hook).is_err() {
            tracing::error!("on_disconnect panicked");
        }
    }
}

/// Hands a parked view to the socket that asked for it.
type Ask<C> = oneshot::Sender<oneshot::Sender<Held<C>>>;

struct Slot<C: Controller> {
    group: Arc<str>,
    user: Option<Arc<str>>,
    ask: Ask<C>,
}

/// An open connection with a token: how a socket coming back with the
/// same token tells it to make way.
struct Open {
    group: Arc<str>,
    user: Option<Arc<str>>,
    /// Which connection (a later one with the token replaces the entry).
    serial: u64,
    replaced: CancellationToken,
}

/// How long a socket coming back waits for the connection it replaces to
/// be parked.
const TAKEOVER_WAIT: Duration = Duration::from_secs(2);

/// The parked views of one page, by token, and its open connections with
/// a token.
pub(crate) struct Parking<C: Controller> {
    grace: Duration,
    budget: Arc<Budget>,
    slots: Mutex<HashMap<Arc<str>, Slot<C>>>,
    open: Mutex<HashMap<Arc<str>, Open>>,
    serial: std::sync::atomic::AtomicU64,
    /// Woken when a view is parked or an open connection ends.
    changed: Notify,
}

/// An open connection's entry under its token, removed when dropped.
pub(crate) struct Entered<C: Controller> {
    parking: Arc<Parking<C>>,
    token: Arc<str>,
    serial: u64,
    /// Cancelled when the same token comes back on another socket.
    pub replaced: CancellationToken,
}

impl<C: Controller> Drop for Entered<C> {
    fn drop(&mut self) {
        let mut open = lock(&self.parking.open);
        if open
            .get(&self.token)
            .is_some_and(|o| o.serial == self.serial)
        {
            open.remove(&self.token);
        }
        drop(open);
        self.parking.changed.notify_waiters();
    }
}

impl<C: Controller> Parking<C> {
    pub(crate) fn new(grace: Duration, budget: Arc<Budget>) -> Parking<C> {
        Parking {
            grace,
            budget,
            slots: Mutex::new(HashMap::new()),
            open: Mutex::new(HashMap::new()),
            serial: std::sync::atomic::AtomicU64::new(1),
            changed: Notify::new(),
        }
    }

    /// Notes an open connection under `token`, for a socket coming back
    /// with it to replace; `None` when the token is another session's.
    pub(crate) fn enter(self: &Arc<Self>, token: &Arc<str>, who: &Identity) -> Option<Entered<C>> {
        let serial = self
            .serial
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let replaced = CancellationToken::new();
        let entry = Open {
            group: Arc::from(who.group.as_str()),
            user: who.user_id.as_deref().map(Arc::from),
            serial,
            replaced: replaced.clone(),
        };
        let theirs =
            |group: &str, user: Option<&str>| group != who.group || user != who.user_id.as_deref();
        let parked_by_another = lock(&self.slots)
            .get(token)
            .is_some_and(|s| theirs(&s.group, s.user.as_deref()));
        let mut open = lock(&self.open);
        if parked_by_another
            || open
                .get(token)
                .is_some_and(|o| theirs(&o.group, o.user.as_deref()))
        {
            return None;
        }
        open.insert(token.clone(), entry);
        drop(open);
        Some(Entered {
            parking: self.clone(),
            token: token.clone(),
            serial,
            replaced,
        })
    }

    /// The view of the page load `token` for `who`: parked, or taken from
    /// its connection if that is still open (it is told to make way, and
    /// waited for); `None` if there is none to have.
    pub(crate) async fn resume(&self, token: &str, who: &Identity) -> Option<Held<C>> {
        let deadline = tokio::time::Instant::now() + TAKEOVER_WAIT;
        loop {
            let changed = self.changed.notified();
            tokio::pin!(changed);
            changed.as_mut().enable();
            if let Some(asked) = self.ask(token, who) {
                return asked.await.ok();
            }
            {
                let open = lock(&self.open);
                let theirs = open.get(token).filter(|o| {
                    *o.group == *who.group && o.user.as_deref() == who.user_id.as_deref()
                })?;
                theirs.replaced.cancel();
            }
            if tokio::time::timeout_at(deadline, changed).await.is_err() {
                return None;
            }
        }
    }

    /// Whether dropped tabs are kept at all.
    pub(crate) fn enabled(&self) -> bool {
        !self.grace.is_zero()
    }

    /// Asks for the view parked under `token`, if `who` parked it and it
    /// is still in its grace.
    fn ask(&self, token: &str, who: &Identity) -> Option<oneshot::Receiver<Held<C>>> {
        let (tx, rx) = oneshot::channel();
        let mut slots = lock(&self.slots);
        let slot = slots.get(token)?;
        if *slot.group != *who.group || slot.user.as_deref() != who.user_id.as_deref() {
            return None;
        }
        let slot = slots.remove(token)?;
        // Sent while the map is locked: a keeper whose grace ends finds
        // its slot gone, and then its request waiting.
        slot.ask.send(tx).ok()?;
        Some(rx)
    }

    /// Keeps `held` under `token` for the grace period; gives it back
    /// (`Some`) when it cannot be kept: resuming is off, the token is
    /// taken, it has files staged (an upload cut off cannot go on, and its
    /// temporary files are not held for a tab that may not come back), or
    /// it does not fit the budget.
    pub(crate) fn park(
        self: &Arc<Self>,
        page: Arc<Dispatch<C>>,
        token: Arc<str>,
        mut held: Held<C>,
        shutdown: CancellationToken,
    ) -> Option<Held<C>> {
        if !self.enabled()
            || !held.view.uploads.is_empty()
            || lock(&self.slots).contains_key(&token)
        {
            return Some(held);
        }
        // The client forgets its tree on reconnecting: keep only the state.
        forget_tree(&mut held.view);
        let bytes = state_bytes(&held.view);
        if !self.budget.take(bytes) {
            tracing::info!(bytes, "a dropped tab does not fit the resume budget: ended");
            return Some(held);
        }
        let (ask, asked) = oneshot::channel();
        let identity = &held.link.identity;
        let slot = Slot {
            group: Arc::from(identity.group.as_str()),
            user: identity.user_id.as_deref().map(Arc::from),
            ask,
        };
        lock(&self.slots).insert(token.clone(), slot);
        self.changed.notify_waiters();
        let keeper = Keeper {
            parking: self.clone(),
            page,
            token,
            bytes,
        };
        let deadline = tokio::time::Instant::now() + self.grace;
        tokio::spawn(keeper.keep(held, asked, deadline, shutdown));
        None
    }

    /// Takes the slot of `token` out if it is still there (no socket asked
    /// for it): true when it was.
    fn unpark(&self, token: &str) -> bool {
        lock(&self.slots).remove(token).is_some()
    }
}

/// The task that looks after one parked view.
struct Keeper<C: Controller> {
    parking: Arc<Parking<C>>,
    page: Arc<Dispatch<C>>,
    token: Arc<str>,
    /// What the view's state takes now, as counted in the budget.
    bytes: usize,
}

impl<C: Controller> Keeper<C> {
    /// Applies pushes to the view until a socket asks for it (then hands it
    /// over), or the grace ends, the server shuts down, or the view
    /// outgrows the budget (then ends it).
    async fn keep(
        mut self,
        mut held: Held<C>,
        mut asked: oneshot::Receiver<oneshot::Sender<Held<C>>>,
        deadline: tokio::time::Instant,
        shutdown: CancellationToken,
    ) {
        held.view.defer = true;
        let overflow = held.mailbox.overflow().clone();
        let expired = tokio::time::sleep_until(deadline);
        tokio::pin!(expired);
        let mut ended = false;
        loop {
            tokio::select! {
                biased;
                reply = &mut asked => {
                    self.parking.budget.give_back(self.bytes);
                    let Ok(reply) = reply else {
                        held.end(&self.page);
                        return;
                    };
                    self.page.metrics.resumed();
                    held.view.defer = false;
                    if let Err(held) = reply.send(held) {
                        held.end(&self.page);
                    }
                    return;
                }
                () = &mut expired, if !ended => {
                    ended = true;
                    if self.parking.unpark(&self.token) {
                        break;
                    }
                    // A socket took the slot just now: its request waits.
                }
                _ = shutdown.cancelled(), if !ended => {
                    ended = true;
                    if self.parking.unpark(&self.token) {
                        break;
                    }
                }
                _ = overflow.cancelled(), if !ended => {
                    ended = true;
                    if self.parking.unpark(&self.token) {
                        break;
                    }
                }
                Some(push) = held.mailbox.recv(), if !ended => {
                    run_push(&self.page, &mut held.view, &held.link, push).await;
                    held.view.release();
                    if !self.measure(&held.view) && self.parking.unpark(&self.token) {
                        tracing::info!("a parked tab outgrew the resume budget: ended");
                        break;
                    }
                }
            }
        }
        self.parking.budget.give_back(self.bytes);
        held.end(&self.page);
    }

    /// Counts the view's state anew; false when it no longer fits.
    fn measure(&mut self, view: &View<C>) -> bool {
        let bytes = state_bytes(view);
        if bytes == self.bytes {
            return true;
        }
        if self.parking.budget.resize(self.bytes, bytes) {
            self.bytes = bytes;
            return true;
        }
        false
    }
}

/// Drops what was rendered for the client: a reconnecting client starts
/// from no tree, and gets the whole tree of the state as it is then.
fn forget_tree<C: Controller>(view: &mut View<C>) {
    view.tree = None;
    view.rendered = None;
    view.retired = None;
    view.retired_tree = None;
    view.cache = RenderCache::default();
    view.stale = false;
}

/// What a parked view holds besides its state: the view, its
/// registration and mailbox, its keeper task (measured by the allocator in
/// `tests/resume_memory.rs`: about 4 KiB with a small state).
const KEPT_OVERHEAD: usize = 4 * 1024;

/// What a parked view is counted as holding: its state as JSON, and the
/// rest ([`KEPT_OVERHEAD`]).
fn state_bytes<C: Controller>(view: &View<C>) -> usize {
    KEPT_OVERHEAD + serde_json::to_vec(&view.state).map_or(0, |json| json.len())
}

/// The inline script that puts the page load's `token` into the URL the
/// stock client reads when it starts (it keeps that URL for its socket
/// and every reconnect), then puts the address bar back as it was once the
/// client has started, so a reload or a copied link carries no token.
pub(crate) fn token_script(token: &str) -> String {
    format!(
        "<script>(function(){{var h=location.href,u=new URL(h);u.searchParams.set(\"{TAB_PARAM}\",\"{token}\");\
history.replaceState(history.state,\"\",u);var t=u.href;document.addEventListener(\"DOMContentLoaded\",function(){{\
if(location.href===t)history.replaceState(history.state,\"\",h)}})}})()</script>"
    )
}
