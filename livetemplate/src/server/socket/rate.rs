//! A token bucket per connection: how many actions a client may send.

use std::time::{Duration, Instant};

/// The rate limit, as set on the [`Builder`](crate::Builder::rate_limit).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Rate {
    /// Tokens added per second.
    pub per_second: f64,
    /// Tokens the bucket holds (a burst allowed after a quiet spell).
    pub burst: f64,
}

impl Default for Rate {
    fn default() -> Rate {
        Rate {
            per_second: 50.0,
            burst: 100.0,
        }
    }
}

/// A bucket that refills at `per_second` up to `burst`.
#[derive(Debug)]
struct Bucket {
    rate: Rate,
    tokens: f64,
    at: Instant,
}

impl Bucket {
    fn new(rate: Rate, now: Instant) -> Bucket {
        Bucket {
            rate,
            tokens: rate.burst,
            at: now,
        }
    }

    fn take(&mut self, now: Instant) -> bool {
        let elapsed = now.saturating_duration_since(self.at).as_secs_f64();
        self.tokens = (self.tokens + elapsed * self.rate.per_second).min(self.rate.burst);
        self.at = now;
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

/// What to do with one client frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Verdict {
    Run,
    /// Answer with `_rate_limit`, do not run.
    Refuse,
    /// The client sends over twice the rate: answer as for `Refuse`, then
    /// read nothing more from it until then. Its frames wait in the
    /// network's buffers, which soon stop its sending too: a flood costs
    /// the server nothing while it is held, and a client that is only
    /// held does not reconnect (which would cost a handshake and a mount).
    Hold(Instant),
    /// The client has been held again and again: close the connection.
    Close,
}

/// Holds in a row, each soon after the last, before the connection is closed.
const STRIKES_BEFORE_CLOSE: u32 = 5;

/// A connection's limiter. Refusals draw on a second bucket of the same
/// size: a client that sends a little over the rate is only refused; one
/// sending over twice the rate for more than a burst is held for the time
/// the burst takes to refill, and after [`STRIKES_BEFORE_CLOSE`] holds in
/// a row, closed.
#[derive(Debug)]
pub(crate) struct Limiter {
    actions: Bucket,
    refusals: Bucket,
    /// How long a hold lasts: the time the burst takes to refill.
    hold: Duration,
    strikes: u32,
    last_strike: Option<Instant>,
}

impl Limiter {
    pub(crate) fn new(rate: Rate) -> Limiter {
        let now = Instant::now();
        let hold = Duration::from_secs_f64((rate.burst / rate.per_second).clamp(0.05, 10.0));
        Limiter {
            actions: Bucket::new(rate, now),
            refusals: Bucket::new(rate, now),
            hold,
            strikes: 0,
            last_strike: None,
        }
    }

    pub(crate) fn check(&mut self, now: Instant) -> Verdict {
        if self.actions.take(now) {
            return Verdict::Run;
        }
        if self.refusals.take(now) {
            return Verdict::Refuse;
        }
        // Strikes are "in a row" while each follows the last within a few
        // holds; a client that calmed down starts again from none.
        let calm = self
            .last_strike
            .is_some_and(|last| now.saturating_duration_since(last) > self.hold * 3);
        self.strikes = if calm { 1 } else { self.strikes + 1 };
        self.last_strike = Some(now);
        if self.strikes > STRIKES_BEFORE_CLOSE {
            Verdict::Close
        } else {
            Verdict::Hold(now + self.hold)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_then_the_rate_then_refusals_then_holds_then_close() {
        let rate = Rate {
            per_second: 10.0,
            burst: 5.0,
        };
        let hold = Duration::from_millis(500);
        let mut limiter = Limiter::new(rate);
        let mut now = Instant::now();
        let verdicts: Vec<_> = (0..11).map(|_| limiter.check(now)).collect();
        assert_eq!(&verdicts[..5], &[Verdict::Run; 5], "the burst");
        assert_eq!(&verdicts[5..10], &[Verdict::Refuse; 5], "then refused");
        assert_eq!(verdicts[10], Verdict::Hold(now + hold), "then held");
        // A client that floods again as soon as each hold ends.
        for strike in 2..=STRIKES_BEFORE_CLOSE + 1 {
            now += hold;
            let verdicts: Vec<_> = (0..11).map(|_| limiter.check(now)).collect();
            assert_eq!(&verdicts[..5], &[Verdict::Run; 5], "the burst refilled");
            let last = verdicts[10];
            if strike > STRIKES_BEFORE_CLOSE {
                assert_eq!(last, Verdict::Close, "strike {strike}");
            } else {
                assert_eq!(last, Verdict::Hold(now + hold), "strike {strike}");
            }
        }
    }

    #[test]
    fn a_client_that_calms_down_starts_again_from_no_strikes() {
        let rate = Rate {
            per_second: 10.0,
            burst: 5.0,
        };
        let mut limiter = Limiter::new(rate);
        let mut now = Instant::now();
        for _ in 0..20 {
            let held = (0..11).map(|_| limiter.check(now)).last();
            assert!(matches!(held, Some(Verdict::Hold(_))), "{held:?}");
            // Quiet for longer than three holds before each flood.
            now += Duration::from_secs(2);
        }
    }

    #[test]
    fn a_client_at_the_rate_is_never_refused() {
        let rate = Rate {
            per_second: 10.0,
            burst: 5.0,
        };
        let mut limiter = Limiter::new(rate);
        let t0 = Instant::now();
        for i in 0..100 {
            let at = t0 + Duration::from_millis(100 * i);
            assert_eq!(limiter.check(at), Verdict::Run);
        }
    }
}
