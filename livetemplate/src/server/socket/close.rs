//! Why a connection is closed, as the close frame tells the client.

use axum::extract::ws::{CloseFrame, Message};

/// A close code (RFC 6455 §7.4) and the reason sent with it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Close {
    pub code: u16,
    pub reason: &'static str,
}

impl Close {
    /// 1001: the server is shutting down.
    pub const GOING_AWAY: Close = Close {
        code: 1001,
        reason: "the server is shutting down",
    };
    /// 1002: a frame broke the WebSocket protocol.
    /// A ping went unanswered (if the client hears this at all, its link
    /// came back just too late; it reconnects).
    pub const SILENT: Close = Close {
        code: 1001,
        reason: "no answer to ping",
    };
    pub const PROTOCOL: Close = Close {
        code: 1002,
        reason: "WebSocket protocol error",
    };
    /// 1007: a text frame that is not UTF-8.
    pub const NOT_UTF8: Close = Close {
        code: 1007,
        reason: "a text frame was not valid UTF-8",
    };
    /// 1008: actions kept coming faster than the rate limit.
    pub const RATE: Close = Close {
        code: 1008,
        reason: "too many actions: over the rate limit",
    };
    /// 1009: a message over the hard size limit.
    pub const TOO_BIG: Close = Close {
        code: 1009,
        reason: "message too big",
    };
    /// 1011: the page could not start.
    pub const FAILED: Close = Close {
        code: 1011,
        reason: "the page could not be started",
    };
    /// 1013: pushes for this connection piled up faster than it could run them.
    pub const BEHIND: Close = Close {
        code: 1013,
        reason: "too many updates waiting; reconnect",
    };

    pub fn message(self) -> Message {
        Message::Close(Some(CloseFrame {
            code: self.code,
            reason: self.reason.into(),
        }))
    }

    /// The close that answers a read error; `None` when the peer is gone
    /// (nothing to tell it).
    pub fn for_read_error(error: axum::Error) -> Option<Close> {
        use tungstenite::Error;
        let inner = error.into_inner();
        match inner.downcast_ref::<Error>()? {
            Error::Capacity(_) => Some(Close::TOO_BIG),
            Error::Utf8(_) => Some(Close::NOT_UTF8),
            Error::Protocol(tungstenite::error::ProtocolError::ResetWithoutClosingHandshake) => {
                None
            }
            Error::Protocol(_) | Error::AttackAttempt => Some(Close::PROTOCOL),
            _ => None,
        }
    }
}
