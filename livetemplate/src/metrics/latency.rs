//! A lock-free latency histogram: log-linear buckets, four per doubling,
//! from 1 µs to about 1 s. Recording is one atomic add; quantiles are read
//! as the upper bound of the bucket they fall in (at most 19% above the
//! true value).

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// Buckets per doubling of the latency.
const PER_DOUBLING: usize = 4;
/// 1 µs · 2^20 ≈ 1 s; slower samples land in the last bucket.
const BUCKETS: usize = 20 * PER_DOUBLING + 1;

/// Counts of samples by latency.
#[derive(Debug)]
pub(crate) struct Histogram {
    buckets: [AtomicU64; BUCKETS],
    sum_nanos: AtomicU64,
}

impl Default for Histogram {
    fn default() -> Self {
        Histogram {
            buckets: std::array::from_fn(|_| AtomicU64::new(0)),
            sum_nanos: AtomicU64::new(0),
        }
    }
}

/// The bucket a latency falls in.
fn bucket(latency: Duration) -> usize {
    let micros = latency.as_secs_f64() * 1e6;
    if micros <= 1.0 {
        return 0;
    }
    ((micros.log2() * PER_DOUBLING as f64).ceil() as usize).min(BUCKETS - 1)
}

/// The upper bound of bucket `i`.
fn upper_bound(i: usize) -> Duration {
    Duration::from_secs_f64(2f64.powf(i as f64 / PER_DOUBLING as f64) / 1e6)
}

impl Histogram {
    pub(crate) fn record(&self, latency: Duration) {
        self.buckets[bucket(latency)].fetch_add(1, Ordering::Relaxed);
        let nanos = u64::try_from(latency.as_nanos()).unwrap_or(u64::MAX);
        self.sum_nanos.fetch_add(nanos, Ordering::Relaxed);
    }

    fn counts(&self) -> [u64; BUCKETS] {
        std::array::from_fn(|i| self.buckets[i].load(Ordering::Relaxed))
    }

    /// How many samples were recorded.
    pub(crate) fn count(&self) -> u64 {
        self.counts().iter().sum()
    }

    /// The latency at or under which a fraction `q` of the samples fell
    /// (the upper bound of its bucket); none before the first sample.
    pub(crate) fn quantile(&self, q: f64) -> Option<Duration> {
        let counts = self.counts();
        let total: u64 = counts.iter().sum();
        if total == 0 {
            return None;
        }
        let rank = ((total as f64 * q).ceil() as u64).clamp(1, total);
        let mut seen = 0;
        counts.iter().enumerate().find_map(|(i, &n)| {
            seen += n;
            (seen >= rank).then(|| upper_bound(i))
        })
    }

    /// Prometheus histogram lines for `name` (bounds at each doubling).
    pub(crate) fn prometheus(&self, name: &str, help: &str) -> String {
        use std::fmt::Write;
        let counts = self.counts();
        let mut out = format!("# HELP {name} {help}\n# TYPE {name} histogram\n");
        let mut cumulative = 0;
        for (i, n) in counts.iter().enumerate() {
            cumulative += n;
            if i % PER_DOUBLING == 0 && i + 1 < BUCKETS {
                let le = upper_bound(i).as_secs_f64();
                let _ = writeln!(out, "{name}_bucket{{le=\"{le:.6}\"}} {cumulative}");
            }
        }
        let sum = self.sum_nanos.load(Ordering::Relaxed) as f64 / 1e9;
        let _ = writeln!(out, "{name}_bucket{{le=\"+Inf\"}} {cumulative}");
        let _ = writeln!(out, "{name}_sum {sum:.9}\n{name}_count {cumulative}");
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_are_the_bucket_bounds_just_above_the_samples() {
        let h = Histogram::default();
        assert_eq!(h.quantile(0.5), None);
        for _ in 0..98 {
            h.record(Duration::from_micros(70));
        }
        h.record(Duration::from_millis(3));
        h.record(Duration::from_millis(3));
        assert_eq!(h.count(), 100);
        let p50 = h.quantile(0.5).unwrap();
        assert!(
            p50 >= Duration::from_micros(70) && p50 < Duration::from_micros(84),
            "{p50:?}"
        );
        let p99 = h.quantile(0.99).unwrap();
        assert!(
            p99 >= Duration::from_millis(3) && p99 < Duration::from_micros(3600),
            "{p99:?}"
        );
    }

    #[test]
    fn exposition_is_cumulative_and_ends_with_every_sample() {
        let h = Histogram::default();
        h.record(Duration::from_micros(3));
        h.record(Duration::from_secs(5));
        let text = h.prometheus("x_seconds", "test");
        assert!(
            text.contains("x_seconds_bucket{le=\"0.000004\"} 1\n"),
            "{text}"
        );
        assert!(text.contains("x_seconds_bucket{le=\"+Inf\"} 2\n"));
        assert!(text.contains("x_seconds_count 2\n"));
    }
}
