//! The wire protocol of `@livetemplate/client`: what arrives on the socket
//! (or in a POST) and what goes back.

pub(crate) mod form;
mod inbound;
mod outbound;
pub(crate) mod update;

pub(crate) use inbound::{ClientMessage, FrameError};
pub(crate) use outbound::{Envelope, ErrorFrame};

/// Reserved action: heartbeat, answered with exactly `{"pong":true}`.
pub(crate) const PING: &str = "__ping__";
/// Reserved action: the URL's query changed; mount again with the new query.
pub(crate) const NAVIGATE: &str = "__navigate__";
