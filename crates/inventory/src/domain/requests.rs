//! The canonical forms of the single-row stock requests that take an `Idempotency-Key`: what a
//! retry must repeat to be the same request. Every name is spelled out here, in the API's own
//! terms, so renaming a Rust type or variant never changes a fingerprint (see `fingerprint`).

use super::fingerprint::Fingerprint;
use super::{AdjustmentType, ProductId, Reason, Reference, StockChange, StoreId};
use serde::Serialize;

/// `PUT .../stock`: a delta or a count, on one row.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct StockChangeRequest<'a> {
    #[serde(rename = "store_id")]
    pub store_id: &'a StoreId,
    #[serde(rename = "product_id")]
    pub product_id: &'a ProductId,
    #[serde(rename = "change")]
    pub change: &'a StockChange,
}

impl StockChangeRequest<'_> {
    pub fn fingerprint(&self) -> Fingerprint {
        Fingerprint::of("update_stock", self)
    }
}

/// `POST .../adjust`: a typed adjustment of one row.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct AdjustmentRequest<'a> {
    #[serde(rename = "store_id")]
    pub store_id: &'a StoreId,
    #[serde(rename = "product_id")]
    pub product_id: &'a ProductId,
    #[serde(rename = "quantity_change")]
    pub quantity_change: i64,
    #[serde(rename = "adjustment_type", serialize_with = "adjustment_name")]
    pub adjustment_type: AdjustmentType,
    #[serde(rename = "reason")]
    pub reason: &'a Reason,
    #[serde(rename = "reference")]
    pub reference: Option<&'a Reference>,
}

impl AdjustmentRequest<'_> {
    pub fn fingerprint(&self) -> Fingerprint {
        Fingerprint::of("adjust_stock", self)
    }
}

/// `POST .../bulk`: its lines' own canonical forms, in order. The same lines in another order
/// are another request (a count after a sale is not a count before it).
#[derive(Debug, Clone, Copy, Serialize)]
pub struct BulkRequest<'a> {
    #[serde(rename = "lines")]
    pub lines: &'a [Fingerprint],
}

impl BulkRequest<'_> {
    pub fn fingerprint(&self) -> Fingerprint {
        Fingerprint::of("bulk_update_stock", self)
    }
}

/// One line of a bulk request at its place in it: what the line's own key records.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct BulkLineRequest<'a> {
    #[serde(rename = "index")]
    pub index: usize,
    #[serde(rename = "line")]
    pub line: &'a Fingerprint,
}

impl BulkLineRequest<'_> {
    pub fn fingerprint(&self) -> Fingerprint {
        Fingerprint::of("bulk_update_stock_line", self)
    }
}

fn adjustment_name<S: serde::Serializer>(t: &AdjustmentType, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(match t {
        AdjustmentType::Restock => "restock",
        AdjustmentType::Damage => "damage",
        AdjustmentType::Theft => "theft",
        AdjustmentType::Correction => "correction",
        AdjustmentType::Return => "return",
        AdjustmentType::Manual => "manual",
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::fingerprint::canonical_form;
    use crate::domain::{StockCount, StockDelta};

    fn ids() -> (StoreId, ProductId) {
        (
            StoreId::parse("store-blr-001").unwrap(),
            ProductId::parse("prd-0003").unwrap(),
        )
    }

    /// Golden values: a key claimed today must match the same request after any refactoring.
    #[test]
    fn a_stock_change_fingerprint_is_its_canonical_form_and_does_not_drift() {
        let (store_id, product_id) = ids();
        let delta = StockChange::Delta {
            delta: StockDelta::new(-2).unwrap(),
            reason: Some(Reason::parse("sold at counter").unwrap()),
            sale: false,
        };
        let request = StockChangeRequest {
            store_id: &store_id,
            product_id: &product_id,
            change: &delta,
        };
        assert_eq!(
            canonical_form("update_stock", &request),
            r#"{"operation":"update_stock","request":{"store_id":"store-blr-001","product_id":"prd-0003","change":{"kind":"delta","quantity_change":-2,"reason":"sold at counter"}}}"#
        );
        assert_eq!(
            request.fingerprint().as_str(),
            "b8c44a2da07538263e6224781ff2f343f46175a08edcfcd3b56e7a1049c1f9e0"
        );

        // A removal marked as a sale is another request: the marker is in its canonical form.
        let sale = StockChange::Delta {
            delta: StockDelta::new(-2).unwrap(),
            reason: None,
            sale: true,
        };
        assert_eq!(
            canonical_form(
                "update_stock",
                &StockChangeRequest {
                    store_id: &store_id,
                    product_id: &product_id,
                    change: &sale,
                }
            ),
            r#"{"operation":"update_stock","request":{"store_id":"store-blr-001","product_id":"prd-0003","change":{"kind":"delta","quantity_change":-2,"reason":null,"sale":true}}}"#
        );

        let count = StockChange::Count {
            new_stock: StockCount::new("new_stock", 40).unwrap(),
            expected_stock: StockCount::new("expected_stock", 59).unwrap(),
            reason: None,
        };
        assert_eq!(
            canonical_form(
                "update_stock",
                &StockChangeRequest {
                    store_id: &store_id,
                    product_id: &product_id,
                    change: &count,
                }
            ),
            r#"{"operation":"update_stock","request":{"store_id":"store-blr-001","product_id":"prd-0003","change":{"kind":"count","new_stock":40,"expected_stock":59,"reason":null}}}"#
        );
    }

    #[test]
    fn an_adjustment_fingerprint_is_its_canonical_form_and_does_not_drift() {
        let (store_id, product_id) = ids();
        let reason = Reason::parse("pack torn in delivery").unwrap();
        let reference = Reference::parse("GRN-1187").unwrap();
        let request = AdjustmentRequest {
            store_id: &store_id,
            product_id: &product_id,
            quantity_change: -1,
            adjustment_type: AdjustmentType::Damage,
            reason: &reason,
            reference: Some(&reference),
        };
        assert_eq!(
            canonical_form("adjust_stock", &request),
            r#"{"operation":"adjust_stock","request":{"store_id":"store-blr-001","product_id":"prd-0003","quantity_change":-1,"adjustment_type":"damage","reason":"pack torn in delivery","reference":"GRN-1187"}}"#
        );
        assert_eq!(
            request.fingerprint().as_str(),
            "5387419b73005f25dc3b1dfb3a89b7f32d11d6b1501bf1c6b208a8981253a84d"
        );
    }

    #[test]
    fn a_bulk_request_is_its_lines_in_order_and_each_line_knows_its_place() {
        let (store_id, product_id) = ids();
        let sale = StockChange::Delta {
            delta: StockDelta::new(-1).unwrap(),
            reason: None,
            sale: true,
        };
        let restock = StockChange::Delta {
            delta: StockDelta::new(5).unwrap(),
            reason: None,
            sale: false,
        };
        let line = |change| {
            StockChangeRequest {
                store_id: &store_id,
                product_id: &product_id,
                change,
            }
            .fingerprint()
        };
        let (a, b) = (line(&sale), line(&restock));

        let forward = BulkRequest {
            lines: &[a.clone(), b.clone()],
        };
        let backward = BulkRequest {
            lines: &[b.clone(), a.clone()],
        };
        assert_ne!(forward.fingerprint(), backward.fingerprint());
        assert_eq!(
            canonical_form("bulk_update_stock", &forward),
            format!(
                r#"{{"operation":"bulk_update_stock","request":{{"lines":["{}","{}"]}}}}"#,
                a.as_str(),
                b.as_str()
            )
        );
        let first = BulkLineRequest { index: 0, line: &a };
        let elsewhere = BulkLineRequest { index: 1, line: &a };
        assert_ne!(first.fingerprint(), elsewhere.fingerprint());
        assert_ne!(
            first.fingerprint(),
            a,
            "a line's key never answers for the single route"
        );
    }
}
