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
        self.rfc3339_text().as_str().to_string()
    }

    /// [`Timestamp::rfc3339`] without allocating: the text in a small buffer.
    pub fn rfc3339_text(self) -> Rfc3339 {
        let secs = self.0.div_euclid(1_000_000_000);
        let micros = (self.0.rem_euclid(1_000_000_000) / 1_000) as u32;
        let (year, month, day) = civil(secs.div_euclid(86_400));
        let sod = secs.rem_euclid(86_400) as u32;
        // Every i64 of nanoseconds is within years 1677..=2262: four digits.
        let year = year.rem_euclid(10_000) as u32;
        let [y0, y1] = pair(year / 100);
        let [y2, y3] = pair(year % 100);
        let [mo0, mo1] = pair(month);
        let [d0, d1] = pair(day);
        let [h0, h1] = pair(sod / 3_600);
        let [mi0, mi1] = pair(sod / 60 % 60);
        let [s0, s1] = pair(sod % 60);
        let [u0, u1] = pair(micros / 10_000);
        let [u2, u3] = pair(micros / 100 % 100);
        let [u4, u5] = pair(micros % 100);
        let b = [
            y0, y1, y2, y3, b'-', mo0, mo1, b'-', d0, d1, b'T', h0, h1, b':', mi0, mi1, b':', s0,
            s1, b'.', u0, u1, u2, u3, u4, u5, b'Z',
        ];
        Rfc3339(b)
    }

    /// Parses `YYYY-MM-DD` (a date at 00:00 UTC), as used for retirement dates.
    pub fn from_date(date: &str) -> Option<Timestamp> {
        let fmt = time::macros::format_description!("[year]-[month]-[day]");
        let d = time::Date::parse(date.trim(), &fmt).ok()?;
        let secs = d.midnight().assume_utc().unix_timestamp();
        Some(Timestamp::from_secs_nanos(secs, 0))
    }
}

/// A timestamp's RFC 3339 text, held in place (no allocation).
#[derive(Clone, Copy)]
pub struct Rfc3339([u8; 27]);

impl Rfc3339 {
    /// The text's bytes (ASCII), for writers that append bytes.
    pub fn as_bytes(&self) -> &[u8; 27] {
        &self.0
    }

    /// The text.
    pub fn as_str(&self) -> &str {
        // Only ASCII digits and separators are ever written.
        std::str::from_utf8(&self.0).unwrap_or("invalid-time")
    }
}

/// Year, month and day of `days` since 1970-01-01 (proleptic Gregorian;
/// H. Hinnant's `civil_from_days`), without the `time` crate's general
/// conversions, which cost about 300 instructions a timestamp.
fn civil(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097); // day of the 400-year era, 0..=146_096
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365; // 0..=399
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100); // 0..=365, from March 1
    let mp = (5 * doy + 2) / 153; // 0..=11, March first
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// The two decimal digits of `v` (below 100).
fn pair(v: u32) -> [u8; 2] {
    [b'0' + (v / 10 % 10) as u8, b'0' + (v % 10) as u8]
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.rfc3339_text().as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The rendering fedscope had before `rfc3339_text` (through the `time` crate).
    fn reference(t: Timestamp) -> String {
        match time::OffsetDateTime::from_unix_timestamp_nanos(t.0 as i128) {
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

    #[test]
    fn renders_like_the_time_crate_over_the_whole_range() {
        let mut edges = vec![i64::MIN, i64::MIN + 1, i64::MAX, i64::MAX - 1, 0, -1, 1];
        // Around the epoch, leap days and century years, both sides of each second.
        for secs in [
            0i64,
            951_782_400,    // 2000-02-29
            951_868_800,    // 2000-03-01
            4_107_542_400,  // 2100-03-01
            -2_203_891_200, // 1900-03-01
            -5_364_662_400, // 1800-01-01
            68_169_600,     // 1972-02-29
        ] {
            for d in [-86_401i64, -86_400, -1, 0, 1, 86_399, 86_400] {
                let s = (secs + d).saturating_mul(1_000_000_000);
                edges.extend([s - 1, s, s + 999, s + 1_000, s + 999_999_999]);
            }
        }
        // A deterministic spread over the whole i64 range.
        let mut x = 0x9e37_79b9_7f4a_7c15u64;
        for _ in 0..200_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            edges.push(x as i64);
        }
        for n in edges {
            let t = Timestamp(n);
            assert_eq!(t.rfc3339_text().as_str(), reference(t), "{n}");
        }
    }

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
