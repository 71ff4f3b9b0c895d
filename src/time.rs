//! Capture timestamps: nanoseconds since the Unix epoch, rendered as RFC 3339 UTC.

use serde::{Serialize, Serializer};

/// A capture timestamp in nanoseconds since 1970-01-01T00:00:00Z.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(pub i64);

impl Timestamp {
    /// Builds a timestamp from whole seconds and a nanosecond remainder.
    pub fn from_secs_nanos(secs: i64, nanos: u32) -> Self {
        Timestamp(
            secs.saturating_mul(1_000_000_000)
                .saturating_add(nanos as i64),
        )
    }

    /// Whole seconds since the epoch (floor).
    pub fn secs(self) -> i64 {
        self.0.div_euclid(1_000_000_000)
    }

    /// Nanoseconds within the second.
    pub fn subsec_nanos(self) -> u32 {
        self.0.rem_euclid(1_000_000_000) as u32
    }

    /// Difference `self - earlier` in seconds, as a float.
    pub fn seconds_since(self, earlier: Timestamp) -> f64 {
        (self.0 - earlier.0) as f64 / 1e9
    }

    /// RFC 3339 UTC with microsecond precision, e.g. `2013-05-27T10:00:00.000123Z`.
    pub fn rfc3339(self) -> String {
        match time::OffsetDateTime::from_unix_timestamp_nanos(self.0 as i128) {
            Ok(t) => {
                let (y, mo, d) = (t.year(), u8::from(t.month()), t.day());
                format!(
                    "{y:04}-{mo:02}-{d:02}T{:02}:{:02}:{:02}.{:06}Z",
                    t.hour(),
                    t.minute(),
                    t.second(),
                    t.microsecond()
                )
            }
            Err(_) => String::from("invalid-time"),
        }
    }

    /// Parses `YYYY-MM-DD` (a date at 00:00 UTC), as used for retirement dates.
    pub fn from_date(date: &str) -> Option<Timestamp> {
        let fmt = time::macros::format_description!("[year]-[month]-[day]");
        let d = time::Date::parse(date.trim(), &fmt).ok()?;
        let secs = d.midnight().assume_utc().unix_timestamp();
        Some(Timestamp::from_secs_nanos(secs, 0))
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.rfc3339())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_rfc3339() {
        let t = Timestamp::from_secs_nanos(1_307_664_000, 123_456_789);
        assert_eq!(t.rfc3339(), "2011-06-10T00:00:00.123456Z");
        assert_eq!(
            Timestamp::from_date("2011-06-10"),
            Some(Timestamp::from_secs_nanos(1_307_664_000, 0))
        );
    }
}
