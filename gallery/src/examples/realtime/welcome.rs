//! Welcome (seed 002, "Greet users after page loads"): half a second after
//! a signed-in user's tab connects, the server pushes "Welcome back, NAME!".
//!
//! The seed sleeps in a goroutine and then triggers `serverWelcome` through
//! the stored session, which greets every tab of the user again whenever
//! one of them reloads. A job (`ctx.spawn_job`) greets only the tab that
//! just connected, and is cancelled if it closes first.

use std::time::Duration;

use axum::Router;
use livetemplate::{ActionError, Actions, Context, Controller, LiveError, MountContext};
use serde::{Deserialize, Serialize};

use crate::catalog::{Category, Example, Gallery};

const DELAY: Duration = Duration::from_millis(500);

pub struct Welcome;

#[derive(Clone, Default, Serialize, Deserialize)]
pub struct WelcomeState {
    /// The signed-in user ("" when anonymous).
    pub me: String,
    pub welcome_message: String,
}

impl Controller for Welcome {
    type State = WelcomeState;

    fn actions(actions: &mut Actions<Self>) {
        actions.on("dismiss", |_, state, _| {
            state.welcome_message.clear();
            Ok(())
        });
    }

    fn mount(&self, ctx: &MountContext) -> Result<WelcomeState, ActionError> {
        Ok(WelcomeState {
            me: ctx.user_id().unwrap_or_default().to_string(),
            ..WelcomeState::default()
        })
    }

    fn on_connect(
        &self,
        state: &mut WelcomeState,
        ctx: &mut Context<Self>,
    ) -> Result<(), ActionError> {
        if state.me.is_empty() {
            return Ok(());
        }
        let message = format!("Welcome back, {}!", state.me);
        ctx.spawn_job(|job| async move {
            // Let the page render first.
            tokio::time::sleep(DELAY).await;
            job.update(move |state| state.welcome_message = message);
        })?;
        Ok(())
    }
}

pub const EXAMPLE: Example = Example {
    category: Category::RealTime,
    slug: "welcome",
    title: "Welcome Message",
    summary:
        "Sign in and reload: half a second after the page connects, the server greets you by name.",
    try_it: "Sign in, then reload: the greeting arrives a moment after the page.",
    template: "realtime/welcome.html",
    sign_in: true,
    source: crate::this_file!(),
    also: crate::catalog::SIGN_IN,
    routes,
};

/// The page, in the gallery's example layout at `/realtime/welcome`.
fn routes(gallery: &Gallery) -> Result<Router, LiveError> {
    gallery.show(&EXAMPLE, gallery.live.page(EXAMPLE.template, Welcome))
}
