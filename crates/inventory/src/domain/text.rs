//! Bounded free text: reasons and search terms.

use super::InvalidValue;

validated_string!(
    /// Why stock changed, as a person wrote it: 1 to 500 characters, no control characters.
    Reason,
    |raw| bounded_text("reason", raw, 500)
);
validated_string!(
    /// Who made a change: a user id or email from the caller's identity, up to 128 characters.
    Actor,
    |raw| bounded_text("actor", raw, 128)
);
validated_string!(
    /// What a change refers to: an order id, a delivery note, a count sheet; up to 128 characters.
    Reference,
    |raw| bounded_text("reference", raw, 128)
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

/// Trims, then checks length in characters (not bytes) and refuses control characters and
/// format characters (Unicode category Cf: bidi overrides, zero-width spaces and joiners, the
/// BOM), which can make a ledger line read other than it was written.
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
    if trimmed.chars().any(is_format_character) {
        return Err(InvalidValue::new(
            field,
            "must not contain invisible formatting characters (Unicode category Cf, such as bidi overrides or zero-width spaces)",
        ));
    }
    Ok(trimmed.to_owned())
}

fn is_format_character(c: char) -> bool {
    use unicode_properties::{GeneralCategory, UnicodeGeneralCategory};
    c.general_category() == GeneralCategory::Format
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

    #[test]
    fn text_refuses_format_characters_and_names_the_field() {
        for sneaky in [
            "paid\u{202E}devorppa",
            "a\u{200B}b",
            "\u{FEFF}bom",
            "x\u{2066}y",
            "a\u{200D}b",
        ] {
            let err = Reason::parse(sneaky).unwrap_err();
            assert_eq!(err.field, "reason", "{sneaky:?}");
            assert!(err.problem.contains("Cf"), "{}", err.problem);
        }
        assert_eq!(
            Reference::parse("GRN\u{202A}1").unwrap_err().field,
            "reference"
        );
        assert!(Reason::parse("दूध का पैकेट फटा").is_ok());
    }
}
