//! A token bucket per connection: how many actions a client may send.

use std::time::Instant;

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
    /// The client keeps sending over the limit: close the connection.
    Close,
}

/// A connection's limiter. Refusals draw on a second bucket of the same
/// size: a client that sends a little over the rate is only refused, one
/// sending over twice the rate for more than a burst is closed.
#[derive(Debug)]
pub(crate) struct Limiter {
    actions: Bucket,
    refusals: Bucket,
}

impl Limiter {
    pub(crate) fn new(rate: Rate) -> Limiter {
        let now = Instant::now();
        Limiter {
            actions: Bucket::new(rate, now),
            refusals: Bucket::new(rate, now),
        }
    }

    pub(crate) fn check(&mut self, now: Instant) -> Verdict {
        if self.actions.take(now) {
            Verdict::Run
        } else if self.refusals.take(now) {
            Verdict::Refuse
        } else {
            Verdict::Close
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn a_burst_then_the_rate_then_refusals_then_close() {
        let rate = Rate {
            per_second: 10.0,
            burst: 5.0,
        };
        let mut limiter = Limiter::new(rate);
        let t0 = Instant::now();
        let verdicts: Vec<_> = (0..11).map(|_| limiter.check(t0)).collect();
        assert_eq!(&verdicts[..5], &[Verdict::Run; 5], "the burst");
        assert_eq!(&verdicts[5..10], &[Verdict::Refuse; 5], "then refused");
        assert_eq!(verdicts[10], Verdict::Close, "then closed");

        let mut limiter = Limiter::new(rate);
        // Steady at the rate: never refused.
        for i in 0..100 {
            let at = t0 + Duration::from_millis(100 * i);
            assert_eq!(limiter.check(at), Verdict::Run);
        }
    }
}
