//! Bounded free text: reasons and search terms.

use super::InvalidValue;
use serde::{Deserialize, Serialize};

/// Why stock changed, as a person wrote it: 1 to 500 characters, no control characters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Reason(String);

impl Reason {
    pub const MAX_CHARS: usize = 500;

    /// # Errors
    /// Empty after trimming, over 500 characters, or containing control characters.
    pub fn parse(raw: impl Into<String>) -> Result<Self, InvalidValue> {
        bounded_text("reason", raw.into(), Self::MAX_CHARS).map(Self)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Reason {
    type Error = InvalidValue;
    fn try_from(raw: String) -> Result<Self, InvalidValue> {
        Self::parse(raw)
    }
}

impl From<Reason> for String {
    fn from(r: Reason) -> String {
        r.0
    }
}

macro_rules! bounded_text_type {
    ($(#[$doc:meta])* $name:ident, $field:literal, $max:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        impl $name {
            /// # Errors
            /// Empty after trimming, too long, or containing control characters.
            pub fn parse(raw: impl Into<String>) -> Result<Self, InvalidValue> {
                bounded_text($field, raw.into(), $max).map(Self)
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl TryFrom<String> for $name {
            type Error = InvalidValue;
            fn try_from(raw: String) -> Result<Self, InvalidValue> {
                Self::parse(raw)
            }
        }

        impl From<$name> for String {
            fn from(v: $name) -> String {
                v.0
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

bounded_text_type!(
    /// Who made a change: a user id or email from the caller's identity, up to 128 characters.
    Actor, "actor", 128
);
bounded_text_type!(
    /// What a change refers to: an order id, a delivery note, a count sheet; up to 128 characters.
    Reference, "reference", 128
);

impl Actor {
    /// The actor recorded when a request carries no identity.
    pub fn anonymous() -> Self {
        Self("anonymous".into())
    }
}

/// A search term, folded to lower case so matching is case-insensitive: 1 to 100 characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchQuery(String);

impl SearchQuery {
    pub const MAX_CHARS: usize = 100;

    /// # Errors
    /// Empty after trimming, over 100 characters, or containing control characters.
    pub fn parse(raw: impl Into<String>) -> Result<Self, InvalidValue> {
        bounded_text("q", raw.into(), Self::MAX_CHARS).map(|q| Self(q.to_lowercase()))
    }

    /// Whether `text` contains this term, ignoring case.
    pub fn matches(&self, text: &str) -> bool {
        text.to_lowercase().contains(&self.0)
    }
}

/// Trims, then checks length in characters (not bytes) and refuses control characters.
pub(crate) fn bounded_text(
    field: &'static str,
    raw: String,
    max_chars: usize,
) -> Result<String, InvalidValue> {
    let trimmed = raw.trim();
    let chars = trimmed.chars().count();
    if chars == 0 || chars > max_chars {
        return Err(InvalidValue::new(
            field,
            format!("must be 1 to {max_chars} characters"),
        ));
    }
    if trimmed.chars().any(char::is_control) {
        return Err(InvalidValue::new(
            field,
            "must not contain control characters",
        ));
    }
    Ok(trimmed.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn search_matches_ignoring_case() {
        let q = SearchQuery::parse("  AtTa ").unwrap();
        assert!(q.matches("Aashirvaad Shudh Chakki Atta 5 kg"));
        assert!(!q.matches("Amul Butter"));
    }

    #[test]
    fn text_is_bounded_in_characters() {
        assert!(Reason::parse("").is_err());
        assert!(Reason::parse("   ").is_err());
        assert!(Reason::parse("ए".repeat(500)).is_ok());
        assert!(Reason::parse("ए".repeat(501)).is_err());
        assert!(SearchQuery::parse("a\u{0}b").is_err());
    }
}
