//! What a catalog product's fields may hold, parsed once: the API and the CSV import both build
//! a [`ProductFields`] through these types, so the two never disagree on a rule.

use super::text::bounded_text;
use super::InvalidValue;

/// The units products are sold in: the documented list `GET /api/v1/inventory/units` answers and
/// every catalog write is checked against.
pub const UNITS: [&str; 7] = ["kg", "g", "l", "ml", "piece", "pack", "dozen"];

validated_string!(
    /// A product's name: 1 to 200 characters.
    ProductName,
    |raw| bounded_text("name", raw, 200)
);
validated_string!(
    /// A brand: 1 to 100 characters.
    Brand,
    |raw| bounded_text("brand", raw, 100)
);
validated_string!(
    /// A catalog category: 1 to 100 characters (the listing filter's bound).
    Category,
    |raw| bounded_text("category", raw, 100)
);
validated_string!(
    /// A description: 1 to 2000 characters.
    Description,
    |raw| bounded_text("description", raw, 2000)
);
validated_string!(
    /// One of [`UNITS`].
    Unit,
    |raw| {
        if UNITS.contains(&raw.as_str()) {
            Ok(raw)
        } else {
            Err(InvalidValue::new("unit", format!("must be one of {}", UNITS.join(", "))))
        }
    }
);
validated_string!(
    /// An absolute `https://` URL of at most 1000 characters, without spaces or control characters.
    ImageUrl,
    |raw| {
        let ok = raw.len() <= 1000
            && raw.len() > "https://".len()
            && raw.starts_with("https://")
            && !raw.chars().any(|c| c.is_whitespace() || c.is_control());
        if ok {
            Ok(raw)
        } else {
            Err(InvalidValue::new("image_url", "must be an https:// URL of at most 1000 characters"))
        }
    }
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units_come_from_the_documented_list_and_urls_must_be_https() {
        assert!(Unit::parse("kg").is_ok());
        assert_eq!(Unit::parse("kilo").unwrap_err().field, "unit");
        assert!(ImageUrl::parse("https://cdn.example.com/a.jpg").is_ok());
        assert!(ImageUrl::parse("http://cdn.example.com/a.jpg").is_err());
        assert!(ImageUrl::parse("https://a b").is_err());
    }
}
