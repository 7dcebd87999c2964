//! GS1 barcodes (EAN-8, UPC-A, EAN-13) with their check digit verified.

use super::InvalidValue;

validated_string!(
    /// A barcode whose length is 8, 12 or 13 digits and whose last digit is the GS1 mod-10 check
    /// digit.
    Barcode,
    check_barcode
);

fn check_barcode(raw: String) -> Result<String, InvalidValue> {
    if !matches!(raw.len(), 8 | 12 | 13) || !raw.bytes().all(|b| b.is_ascii_digit()) {
        return Err(InvalidValue::new(
            "barcode",
            "must be 8 (EAN-8), 12 (UPC-A) or 13 (EAN-13) digits",
        ));
    }
    let digits: Vec<u32> = raw.bytes().map(|b| u32::from(b - b'0')).collect();
    let (body, check) = digits.split_at(digits.len() - 1);
    if gs1_check_digit(body) != check[0] {
        return Err(InvalidValue::new("barcode", "has an invalid check digit"));
    }
    Ok(raw)
}

/// Weights 3 and 1 alternate from the rightmost digit of the body.
fn gs1_check_digit(body: &[u32]) -> u32 {
    let sum: u32 = body
        .iter()
        .rev()
        .enumerate()
        .map(|(i, d)| if i % 2 == 0 { d * 3 } else { *d })
        .sum();
    (10 - sum % 10) % 10
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_valid_ean13_ean8_and_upca() {
        for ok in ["8901058000290", "4006381333931", "96385074", "036000291452"] {
            assert!(Barcode::parse(ok).is_ok(), "{ok}");
        }
    }

    #[test]
    fn rejects_a_wrong_check_digit() {
        let err = Barcode::parse("8901058000291").unwrap_err();
        assert_eq!(err.to_string(), "barcode has an invalid check digit");
    }

    #[test]
    fn rejects_wrong_lengths_and_non_digits() {
        for bad in ["", "123", "89010580002901", "89010580002a0", "12345678901"] {
            assert!(Barcode::parse(bad).is_err(), "{bad}");
        }
    }
}
