//! Request fingerprints: what makes a retry "the same request".
//!
//! A fingerprint is the SHA-256 of a request's canonical form: the JSON serialisation of a
//! `#[derive(Serialize)]` value whose field names and enum names are spelled out with serde
//! attributes (the API's own names). Renaming a Rust type or variant does not change it; only a
//! change to what the request means does. Never `Debug` text, which changes with the code.

use serde::Serialize;

/// The hex SHA-256 of a request's canonical form.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(transparent)]
pub struct Fingerprint(String);

impl Fingerprint {
    /// The fingerprint of `request`, as the operation `operation` received it.
    pub fn of<T: Serialize>(operation: &str, request: &T) -> Self {
        Self(sha256_hex(canonical_form(operation, request).as_bytes()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The text a fingerprint hashes: `{"operation": .., "request": ..}`. Struct fields serialise in
/// declaration order and every request type is a struct or a tagged enum of structs (no maps),
/// so the same request always gives the same text.
pub fn canonical_form<T: Serialize>(operation: &str, request: &T) -> String {
    #[derive(Serialize)]
    struct Canonical<'a, T> {
        operation: &'a str,
        request: &'a T,
    }
    // Serialising plain structs of strings and numbers into a String cannot fail; if a future
    // type could, an empty form still hashes, and differs from every real request's.
    serde_json::to_string(&Canonical { operation, request }).unwrap_or_default()
}

/// Lower-case hex SHA-256.
pub fn sha256_hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, bytes);
    digest
        .as_ref()
        .iter()
        .fold(String::with_capacity(64), |mut hex, b| {
            let _ = write!(hex, "{b:02x}");
            hex
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sha256_is_the_standard_one() {
        assert_eq!(
            sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
