//! Pagination: page sizes and opaque cursors.

use super::InvalidValue;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use std::collections::BTreeMap;

/// How many items a page may hold: 1 to 100, 20 when not given.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limit(u8);

impl Limit {
    pub const MAX: u8 = 100;

    /// # Errors
    /// When the text is not a whole number from 1 to 100.
    pub fn parse(raw: Option<&str>) -> Result<Self, InvalidValue> {
        let Some(raw) = raw else {
            return Ok(Self::default());
        };
        match raw.trim().parse::<u8>() {
            Ok(n) if (1..=Self::MAX).contains(&n) => Ok(Self(n)),
            _ => Err(InvalidValue::new(
                "limit",
                "must be a whole number from 1 to 100",
            )),
        }
    }

    pub fn get(self) -> usize {
        usize::from(self.0)
    }
}

impl Default for Limit {
    fn default() -> Self {
        Self(20)
    }
}

/// A 1-based page number, for clients of the previous service that page by number: 1 to 10,000.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageNumber(u32);

impl PageNumber {
    pub const MAX: u32 = 10_000;

    /// # Errors
    /// When the text is not a whole number from 1 to 10,000.
    pub fn parse(raw: &str) -> Result<Self, InvalidValue> {
        match raw.trim().parse::<u32>() {
            Ok(n) if (1..=Self::MAX).contains(&n) => Ok(Self(n)),
            _ => Err(InvalidValue::new(
                "page",
                "must be a whole number from 1 to 10000",
            )),
        }
    }

    pub fn get(self) -> usize {
        self.0 as usize
    }
}

/// A DynamoDB `LastEvaluatedKey` carried to the client and back, base64url-encoded JSON of its
/// string attributes. Decoding checks only its form; the repository that issued it checks that
/// it belongs to the same query before using it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NextToken(BTreeMap<String, String>);

impl NextToken {
    const MAX_LEN: usize = 1024;

    pub fn from_key(key: BTreeMap<String, String>) -> Self {
        Self(key)
    }

    /// # Errors
    /// When the token is too long, not base64url, or not a small JSON object of strings.
    pub fn parse(raw: &str) -> Result<Self, InvalidValue> {
        let bad = || InvalidValue::new("next_token", "is not a token this API issued");
        if raw.is_empty() || raw.len() > Self::MAX_LEN {
            return Err(bad());
        }
        let bytes = URL_SAFE_NO_PAD.decode(raw).map_err(|_| bad())?;
        let key: BTreeMap<String, String> = serde_json::from_slice(&bytes).map_err(|_| bad())?;
        if key.is_empty() || key.len() > 4 {
            return Err(bad());
        }
        Ok(Self(key))
    }

    pub fn encode(&self) -> String {
        // A map of strings always serialises.
        URL_SAFE_NO_PAD.encode(serde_json::to_vec(&self.0).unwrap_or_default())
    }

    pub fn get(&self, attribute: &str) -> Option<&str> {
        self.0.get(attribute).map(String::as_str)
    }

    pub fn into_key(self) -> BTreeMap<String, String> {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limit_defaults_to_20_and_is_bounded() {
        assert_eq!(Limit::parse(None).unwrap().get(), 20);
        assert_eq!(Limit::parse(Some("100")).unwrap().get(), 100);
        for bad in ["0", "101", "-1", "ten", "", "1.5"] {
            assert!(Limit::parse(Some(bad)).is_err(), "{bad}");
        }
    }

    #[test]
    fn tokens_round_trip_and_garbage_is_refused() {
        let key = BTreeMap::from([("store_id".to_owned(), "s1".to_owned())]);
        let token = NextToken::from_key(key.clone());
        assert_eq!(NextToken::parse(&token.encode()).unwrap().into_key(), key);
        for bad in ["", "!!!", "bm90IGpzb24", &"A".repeat(2000)] {
            assert!(NextToken::parse(bad).is_err(), "{bad}");
        }
    }
}
