//! One module per gallery example: a controller and its state.

pub mod realtime;

use livetemplate::{LiveTemplate, SignedCookieAuth};

use crate::downloads::Downloads;

/// What the examples share beyond the runtime: who is signed in, and where
/// generated files are served from.
#[derive(Clone)]
pub struct Deps {
    pub live: LiveTemplate,
    pub auth: SignedCookieAuth,
    pub downloads: Downloads,
}
