//! Simulated time: integer milliseconds, so that event order never depends on floating-point rounding.
//!
//! Trace timestamps (naive UTC text such as `2015-09-17 18:24:56` or `2015-09-17T18:24:56.5`) are converted
//! once, at ingestion, into Unix milliseconds; the simulation then counts [`SimTime`] from the workload's
//! origin (its first event).

use chrono::NaiveDateTime;

pub const MS_PER_SECOND: i64 = 1_000;
pub const MS_PER_HOUR: i64 = 3_600_000;

/// A point in simulated time: milliseconds since the workload's origin.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SimTime(pub i64);

impl SimTime {
    pub const ZERO: SimTime = SimTime(0);

    pub fn from_secs(secs: i64) -> SimTime {
        SimTime(secs * MS_PER_SECOND)
    }

    pub fn as_ms(self) -> i64 {
        self.0
    }

    pub fn as_secs_f64(self) -> f64 {
        self.0 as f64 / MS_PER_SECOND as f64
    }

    /// Milliseconds from `earlier` to `self` (negative if `earlier` is later).
    pub fn since(self, earlier: SimTime) -> i64 {
        self.0 - earlier.0
    }

    pub fn plus_ms(self, ms: i64) -> SimTime {
        SimTime(self.0 + ms)
    }
}

/// Parses a naive UTC timestamp as StarCompactor writes it (`datetime.isoformat()` or pandas' display form)
/// into Unix milliseconds. Accepts `T` or a space between date and time, and optional fractional seconds.
pub fn parse_naive_utc_ms(text: &str) -> Option<i64> {
    let text = text.trim();
    const FORMATS: [&str; 2] = ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M:%S%.f"];
    FORMATS
        .iter()
        .find_map(|format| NaiveDateTime::parse_from_str(text, format).ok())
        .map(|datetime| datetime.and_utc().timestamp_millis())
}

/// Formats Unix milliseconds as `YYYY-MM-DD HH:MM:SS` (UTC), as the trace files write it.
pub fn format_unix_ms(unix_ms: i64) -> String {
    match chrono::DateTime::from_timestamp_millis(unix_ms) {
        Some(datetime) => datetime.format("%Y-%m-%d %H:%M:%S").to_string(),
        None => format!("{unix_ms} ms"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_both_separators_and_fractions() {
        // 2015-09-17T00:00:00 is StarCompactor's default epoch; 18:24:56 is 66296 s after it.
        let epoch = parse_naive_utc_ms("2015-09-17T00:00:00").unwrap();
        let event = parse_naive_utc_ms("2015-09-17 18:24:56").unwrap();
        assert_eq!(event - epoch, 66_296_000);
        let fractional = parse_naive_utc_ms("2015-09-17 18:24:56.250").unwrap();
        assert_eq!(fractional - event, 250);
        assert_eq!(format_unix_ms(event), "2015-09-17 18:24:56");
    }

    #[test]
    fn rejects_garbage() {
        assert_eq!(parse_naive_utc_ms("yesterday"), None);
        assert_eq!(parse_naive_utc_ms("2015-13-01 00:00:00"), None);
        assert_eq!(parse_naive_utc_ms(""), None);
    }
}
