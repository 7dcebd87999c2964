//! Identifiers of stores and products.

use super::InvalidValue;

/// The longest id we accept; existing ids are short slugs or UUIDs.
const MAX_ID_LEN: usize = 64;

/// Ids end up in DynamoDB keys and in composite keys joined with '#', so '#' and anything outside
/// this small alphabet is refused rather than escaped.
fn parse_id(field: &'static str, raw: String) -> Result<String, InvalidValue> {
    if raw.is_empty() || raw.len() > MAX_ID_LEN {
        return Err(InvalidValue::new(
            field,
            format!("must be 1 to {MAX_ID_LEN} characters"),
        ));
    }
    if !raw
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
    {
        return Err(InvalidValue::new(
            field,
            "may contain only letters, digits, '-', '_' and '.'",
        ));
    }
    Ok(raw)
}

validated_string!(
    /// A store (shop) of the marketplace.
    StoreId,
    |raw| parse_id("store_id", raw)
);
validated_string!(
    /// A product of the shared catalog.
    ProductId,
    |raw| parse_id("product_id", raw)
);
validated_string!(
    /// A marketplace order, as the order service names it.
    OrderId,
    |raw| parse_id("order_id", raw)
);
validated_string!(
    /// A reservation of stock for an order.
    ReservationId,
    |raw| parse_id("reservation_id", raw)
);

impl ReservationId {
    /// A new, unguessable reservation id.
    pub fn generate() -> Self {
        Self(format!("res-{}", uuid::Uuid::new_v4().simple()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_slugs_and_uuids() {
        assert!(StoreId::parse("store-blr-001").is_ok());
        assert!(ProductId::parse("6f1c2a9e-8b1d-4c1e-9f7a-0d2b8c3e4f5a").is_ok());
    }

    #[test]
    fn rejects_empty_long_and_expression_like_ids() {
        assert!(StoreId::parse("").is_err());
        assert!(StoreId::parse("x".repeat(65)).is_err());
        for bad in ["a#b", ":v", "#a", "a b", ") OR attribute_exists(x"] {
            let err = ProductId::parse(bad).unwrap_err();
            assert_eq!(err.field, "product_id", "{bad}");
        }
    }

    #[test]
    fn a_bulk_lines_key_is_a_valid_key_of_its_own_for_any_request_key() {
        let longest = IdempotencyKey::parse("k".repeat(128)).unwrap();
        let line = longest.for_line(99);
        assert!(IdempotencyKey::parse(line.as_str().to_owned()).is_ok());
        assert_ne!(longest.for_line(0), longest.for_line(1));
        assert_ne!(
            IdempotencyKey::parse("a").unwrap().for_line(0),
            IdempotencyKey::parse("b").unwrap().for_line(0)
        );
    }

    #[test]
    fn deserializing_cannot_build_an_invalid_id() {
        assert!(serde_json::from_str::<StoreId>("\"a#b\"").is_err());
        assert_eq!(
            serde_json::from_str::<StoreId>("\"s1\"").unwrap().as_str(),
            "s1"
        );
    }
}

validated_string!(
    /// A client's key for retrying a stock change safely: 1 to 128 characters of
    /// `[A-Za-z0-9._:-]` (a UUID fits).
    IdempotencyKey,
    |raw| {
        let ok = (1..=128).contains(&raw.len())
            && raw.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':'));
        if ok {
            Ok(raw)
        } else {
            Err(InvalidValue::new("Idempotency-Key", "must be 1 to 128 characters of letters, digits, '-', '_', '.' and ':'"))
        }
    }
);

impl IdempotencyKey {
    /// The key of line `index` of a bulk request sent under this key: each line claims its own
    /// in its own transaction. Hashed so it stays within the alphabet and length of a key
    /// whatever the request's key is.
    pub fn for_line(&self, index: usize) -> Self {
        let digest = super::fingerprint::sha256_hex(self.0.as_bytes());
        Self(format!("bulk:{}:{index}", &digest[..32]))
    }
}
