//! The time now, in UTC, as the examples show it: an ISO 8601 stamp for
//! `<time datetime>` and a short "15:04 UTC" for pages without JavaScript.

use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

/// A moment, ready for a template.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Stamp {
    /// "2026-12-02T15:04:05Z"
    pub iso: String,
    /// "15:04 UTC"
    pub short: String,
}

impl Stamp {
    /// Now.
    pub fn now() -> Stamp {
        let secs = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or_default();
        Stamp::at(secs)
    }

    /// `secs` seconds after 1970-01-01T00:00:00Z.
    pub fn at(secs: u64) -> Stamp {
        let (y, m, d) = civil_date(secs / 86_400);
        let rest = secs % 86_400;
        let (h, min, s) = (rest / 3600, rest % 3600 / 60, rest % 60);
        Stamp {
            iso: format!("{y:04}-{m:02}-{d:02}T{h:02}:{min:02}:{s:02}Z"),
            short: format!("{h:02}:{min:02} UTC"),
        }
    }
}

/// Year, month and day of the `days`-th day after 1970-01-01 (the
/// proleptic Gregorian calendar; Howard Hinnant's `civil_from_days`).
fn civil_date(days: u64) -> (u64, u64, u64) {
    let z = days + 719_468;
    let era = z / 146_097;
    let doe = z % 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + u64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_moments() {
        assert_eq!(Stamp::at(0).iso, "1970-01-01T00:00:00Z");
        assert_eq!(Stamp::at(951_782_400).iso, "2000-02-29T00:00:00Z");
        let stamp = Stamp::at(1_796_223_845);
        assert_eq!(stamp.iso, "2026-12-02T15:04:05Z");
        assert_eq!(stamp.short, "15:04 UTC");
    }
}
