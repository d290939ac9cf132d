use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use time::format_description::FormatItem;
use time::macros::format_description;
use time::{OffsetDateTime, PrimitiveDateTime};

/// RFC 3339 in UTC with whole seconds, as the contract shows: `2026-11-26T11:05:37Z`.
const WIRE_FORMAT: &[FormatItem<'static>] =
    format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]Z");

/// A moment in UTC, kept to the microsecond (what `DATETIME(6)` stores) and
/// shown to clients to the second.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Timestamp(PrimitiveDateTime);

impl Timestamp {
    pub fn now() -> Self {
        let now = OffsetDateTime::now_utc();
        let micros = now.microsecond();
        let truncated = now.replace_microsecond(micros).unwrap_or(now);
        Self(PrimitiveDateTime::new(truncated.date(), truncated.time()))
    }

    /// Milliseconds since the Unix epoch now: the clock sessions and outage
    /// reports count in.
    pub fn unix_millis_now() -> u64 {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |since| {
                u64::try_from(since.as_millis()).unwrap_or(u64::MAX)
            })
    }

    /// Milliseconds since the Unix epoch; `None` past what dates can hold.
    pub fn from_unix_millis(millis: u64) -> Option<Self> {
        let nanos = i128::from(millis) * 1_000_000;
        let moment = OffsetDateTime::from_unix_timestamp_nanos(nanos).ok()?;
        Some(Self(PrimitiveDateTime::new(moment.date(), moment.time())))
    }

    /// The moment `duration` before this one; the earliest moment dates
    /// can hold when that is further back.
    pub fn before(self, duration: std::time::Duration) -> Self {
        let earliest = PrimitiveDateTime::MIN;
        let earlier = time::Duration::try_from(duration)
            .ok()
            .and_then(|duration| self.0.checked_sub(duration));
        Self(earlier.unwrap_or(earliest))
    }

    pub fn from_utc(value: PrimitiveDateTime) -> Self {
        Self(value)
    }

    pub fn as_utc(self) -> PrimitiveDateTime {
        self.0
    }
}

/// The wire form, written straight into whatever is being built (a page of
/// statuses holds dozens; none needs a `String` of its own).
impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let value = self.0;
        write!(
            f,
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
            value.year(),
            u8::from(value.month()),
            value.day(),
            value.hour(),
            value.minute(),
            value.second()
        )
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        PrimitiveDateTime::parse(&text, WIRE_FORMAT)
            .map(Self)
            .map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn renders_rfc3339_utc_seconds() {
        let stamp = Timestamp::from_utc(datetime!(2026-11-26 11:05:37.123456));
        assert_eq!(stamp.to_string(), "2026-11-26T11:05:37Z");
    }

    #[test]
    fn goes_back_in_time_as_far_as_dates_do() {
        let stamp = Timestamp::from_utc(datetime!(2026-11-26 11:05:37));
        let day = std::time::Duration::from_secs(86_400);
        assert_eq!(stamp.before(day).to_string(), "2026-11-25T11:05:37Z");
        assert_eq!(
            stamp.before(std::time::Duration::MAX).as_utc(),
            PrimitiveDateTime::MIN
        );
    }

    #[test]
    fn reads_unix_milliseconds() {
        let stamp = Timestamp::from_unix_millis(1_795_000_000_123).unwrap();
        assert_eq!(stamp.to_string(), "2026-11-18T11:06:40Z");
    }

    #[test]
    fn round_trips_through_json() {
        let stamp = Timestamp::from_utc(datetime!(2026-01-02 03:04:05));
        let json = serde_json::to_string(&stamp).unwrap();
        assert_eq!(json, "\"2026-01-02T03:04:05Z\"");
        assert_eq!(serde_json::from_str::<Timestamp>(&json).unwrap(), stamp);
    }
}
