//! Finding dead peers: a socket the client has said nothing on for a while
//! gets a WebSocket ping; one that answers nothing after it is closed. A
//! laptop that vanished without a close frame would otherwise hold its
//! connection and tasks until the operating system gives up on the TCP
//! connection, which can take hours.

use std::time::Duration;

/// How often to look for silence, and how long a ping may go unanswered,
/// as set on the [`Builder`](crate::Builder::ping).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Ping {
    pub every: Duration,
    pub timeout: Duration,
}

impl Default for Ping {
    fn default() -> Ping {
        Ping {
            every: Duration::from_secs(30),
            timeout: Duration::from_secs(10),
        }
    }
}

/// What to do when the pinger's timer fires.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Tick {
    /// Something was heard: look again after this long.
    Wait(Duration),
    /// Silence since the last look: ping, and look again after this long.
    Ping(Duration),
    /// The ping went unanswered: the peer is gone.
    Dead,
}

/// One connection's pinger. The socket loop only sets a flag per frame
/// heard; the timer fires once per period, not once per frame.
#[derive(Debug)]
pub(crate) struct Pinger {
    ping: Ping,
    heard: bool,
    asked: bool,
}

impl Pinger {
    pub(crate) fn new(ping: Ping) -> Pinger {
        Pinger {
            ping,
            heard: false,
            asked: false,
        }
    }

    /// The client sent a frame (any frame: an action, a heartbeat, a pong).
    pub(crate) fn heard(&mut self) {
        self.heard = true;
    }

    /// The first wait, from the connection's start.
    pub(crate) fn first(&self) -> Duration {
        self.ping.every
    }

    pub(crate) fn tick(&mut self) -> Tick {
        if std::mem::take(&mut self.heard) {
            self.asked = false;
            Tick::Wait(self.ping.every)
        } else if self.asked {
            Tick::Dead
        } else {
            self.asked = true;
            Tick::Ping(self.ping.timeout)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn silence_is_pinged_then_closed_and_any_frame_resets_it() {
        let ping = Ping {
            every: Duration::from_secs(30),
            timeout: Duration::from_secs(10),
        };
        let mut pinger = Pinger::new(ping);
        pinger.heard();
        assert_eq!(pinger.tick(), Tick::Wait(ping.every), "heard: no ping");
        assert_eq!(pinger.tick(), Tick::Ping(ping.timeout), "silence: ping");
        pinger.heard();
        assert_eq!(pinger.tick(), Tick::Wait(ping.every), "answered");
        assert_eq!(pinger.tick(), Tick::Ping(ping.timeout));
        assert_eq!(pinger.tick(), Tick::Dead, "unanswered");
    }
}
