//! Timestamps: `DateTime<Utc>` in the code, RFC 3339 in UTC with milliseconds in tables and
//! responses (`2026-11-22T02:17:51.123Z`), so stored items keep the shape they always had.

use chrono::{DateTime, SecondsFormat, Utc};

/// The text a timestamp is stored and answered as.
pub fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// A stored or client-sent RFC 3339 timestamp, in UTC.
pub fn parse_rfc3339(text: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(text)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

/// `t` cut to whole milliseconds: what survives a round trip through [`rfc3339`].
pub fn to_the_millisecond(t: DateTime<Utc>) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(t.timestamp_millis()).unwrap_or(t)
}

/// `#[serde(with = "crate::domain::time::millis")]`: a `DateTime<Utc>` as [`rfc3339`] text.
pub mod millis {
    use chrono::{DateTime, Utc};
    use serde::{Deserialize, Deserializer, Serializer};

    /// # Errors
    /// Only the serializer's own.
    pub fn serialize<S: Serializer>(t: &DateTime<Utc>, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&super::rfc3339(*t))
    }

    /// # Errors
    /// When the text is not RFC 3339.
    pub fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<DateTime<Utc>, D::Error> {
        let text = String::deserialize(deserializer)?;
        super::parse_rfc3339(&text)
            .ok_or_else(|| serde::de::Error::custom("a timestamp must be RFC 3339"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_timestamp_is_written_as_rfc3339_utc_with_milliseconds_and_read_back() {
        let t = parse_rfc3339("2026-11-22T02:17:51.123456+05:30").unwrap();
        assert_eq!(rfc3339(t), "2026-11-21T20:47:51.123Z");
        assert_eq!(parse_rfc3339(&rfc3339(t)), Some(to_the_millisecond(t)));
    }
}
