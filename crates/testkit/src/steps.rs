//! What the integration tests say over and over, said once: the routes, order bodies, the
//! reservation calls, reading a row's stock and a product's ledger, and table-driven bad input.

use crate::{TestApp, TestResponse};
use chrono::{DateTime, Utc};
use serde_json::{json, Value};
use std::collections::BTreeSet;

/// The routes the tests call, by what they do.
pub mod routes {
    pub const PRODUCTS: &str = "/api/v1/inventory/products";
    pub const RESERVE: &str = "/api/v1/inventory/reserve";
    pub const RELEASE: &str = "/api/v1/inventory/release";
    pub const ADJUST: &str = "/api/v1/inventory/adjust";
    pub const RESERVATIONS: &str = "/api/v1/reservations";
    pub const EXPIRED: &str = "/api/v1/reservations/expired";

    /// `PUT` here changes a row's stock.
    pub fn stock(store: &str, product: &str) -> String {
        format!("{PRODUCTS}/{store}/{product}/stock")
    }

    /// `GET` here reads a product's ledger.
    pub fn history(store: &str, product: &str) -> String {
        format!("/api/v1/inventory/history/{store}/{product}")
    }
}

/// A reserve body for `order_id` in store `s1`, one line per `(product, quantity)`.
pub fn order(order_id: &str, items: &[(&str, i64)]) -> Value {
    order_in("s1", order_id, items)
}

/// A reserve body for `order_id` in `store`.
pub fn order_in(store: &str, order_id: &str, items: &[(&str, i64)]) -> Value {
    json!({
        "store_id": store,
        "order_id": order_id,
        "items": items
            .iter()
            .map(|(product, quantity)| json!({"product_id": product, "quantity": quantity}))
            .collect::<Vec<_>>(),
    })
}

/// The same body with an explicit hold time.
pub fn expiring(mut body: Value, minutes: i64) -> Value {
    body["expires_in_minutes"] = json!(minutes);
    body
}

/// `body` with `key` set to `value`.
pub fn with(mut body: Value, key: &str, value: Value) -> Value {
    body[key] = value;
    body
}

/// `body` without `key`.
pub fn without(mut body: Value, key: &str) -> Value {
    body.as_object_mut().expect("an object").remove(key);
    body
}

impl TestApp {
    pub async fn reserve(&self, body: &Value) -> TestResponse {
        self.post(routes::RESERVE, &body.to_string()).await
    }

    /// Reserves `body`, which must succeed as a new reservation, and answers its id.
    pub async fn reserved(&self, body: &Value) -> String {
        let response = self.reserve(body).await;
        assert_eq!(response.status, 201, "reserve {body}: {}", response.text);
        response.json["reservation_id"]
            .as_str()
            .expect("a reservation id")
            .to_owned()
    }

    pub async fn complete(&self, id: &str) -> TestResponse {
        self.post(&format!("{}/{id}/complete", routes::RESERVATIONS), "")
            .await
    }

    pub async fn release(&self, id: &str) -> TestResponse {
        self.post(&format!("{}/{id}/release", routes::RESERVATIONS), "")
            .await
    }

    /// The stored row's (current, reserved, available).
    pub async fn stock_of(&self, store: &str, product: &str) -> (i64, i64, i64) {
        let row = self
            .stored_row(store, product)
            .await
            .expect("the row exists");
        (row.current_stock, row.reserved_stock, row.available_stock)
    }

    /// A product's movements through GET history, oldest first.
    pub async fn history(&self, store: &str, product: &str) -> Vec<Value> {
        let response = self
            .get(&format!("{}?limit=100", routes::history(store, product)))
            .await;
        assert_eq!(response.status, 200, "history: {}", response.text);
        let mut movements = response.json["movements"]
            .as_array()
            .expect("movements")
            .clone();
        movements.reverse();
        movements
    }

    /// The types of a product's movements, oldest first.
    pub async fn movement_types_of(&self, store: &str, product: &str) -> Vec<String> {
        movement_types(&self.history(store, product).await)
            .into_iter()
            .map(str::to_owned)
            .collect()
    }
}

/// The movements' types, in order.
pub fn movement_types(movements: &[Value]) -> Vec<&str> {
    movements
        .iter()
        .map(|m| m["movement_type"].as_str().expect("movement_type"))
        .collect()
}

/// A movement's (current, reserved, available) before it.
pub fn stock_before(movement: &Value) -> (i64, i64, i64) {
    quantities(movement, "before")
}

/// A movement's (current, reserved, available) after it.
pub fn stock_after(movement: &Value) -> (i64, i64, i64) {
    quantities(movement, "after")
}

fn quantities(movement: &Value, when: &str) -> (i64, i64, i64) {
    let get = |what: &str| {
        movement[format!("{what}_{when}")]
            .as_i64()
            .unwrap_or_else(|| panic!("{what}_{when} in {movement}"))
    };
    (get("current"), get("reserved"), get("available"))
}

/// A JSON timestamp.
pub fn time(value: &Value) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(value.as_str().expect("a timestamp"))
        .expect("RFC 3339")
        .with_timezone(&Utc)
}

pub fn to_the_millisecond(t: DateTime<Utc>) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(t.timestamp_millis()).expect("a valid time")
}

/// The reservation ids of a listing, in order.
pub fn reservation_ids(response: &TestResponse) -> Vec<String> {
    response.json["reservations"]
        .as_array()
        .unwrap_or_else(|| panic!("reservations in {}", response.text))
        .iter()
        .map(|r| r["reservation_id"].as_str().expect("id").to_owned())
        .collect()
}

/// The lines of a refusal as (product, requested, available).
pub fn short_lines(response: &TestResponse) -> BTreeSet<(String, i64, i64)> {
    response.json["lines"]
        .as_array()
        .unwrap_or_else(|| panic!("lines in {}", response.text))
        .iter()
        .map(|l| {
            (
                l["product_id"].as_str().expect("product_id").to_owned(),
                l["requested"].as_i64().expect("requested"),
                l["available"].as_i64().expect("available"),
            )
        })
        .collect()
}

/// One short line as [`short_lines`] reads it.
pub fn short(product: &str, requested: i64, available: i64) -> (String, i64, i64) {
    (product.to_owned(), requested, available)
}

/// A 409 `reservation_not_active` for reservation `id`, which is `now` (`released`, ...).
#[track_caller]
pub fn assert_not_active(response: &TestResponse, id: &str, now: &str) {
    response.assert_problem(409, "reservation_not_active");
    assert_eq!(response.json["reservation_id"], id, "{}", response.text);
    assert_eq!(
        response.json["reservation_status"], now,
        "the problem says what the reservation is: {}",
        response.text
    );
}

/// A bad request and the problem it must get.
pub struct Case {
    pub method: &'static str,
    pub uri: String,
    pub body: Option<String>,
    pub status: u16,
    pub code: &'static str,
    /// For `invalid_parameter`: the field named. Otherwise: a word the detail contains.
    pub names: Option<&'static str>,
}

impl Case {
    pub fn new(
        method: &'static str,
        uri: impl Into<String>,
        body: Option<String>,
        status: u16,
        code: &'static str,
        names: Option<&'static str>,
    ) -> Self {
        Self {
            method,
            uri: uri.into(),
            body,
            status,
            code,
            names,
        }
    }

    pub fn post(
        uri: &str,
        body: impl ToString,
        status: u16,
        code: &'static str,
        names: Option<&'static str>,
    ) -> Self {
        Self::new("POST", uri, Some(body.to_string()), status, code, names)
    }

    pub fn put(
        uri: &str,
        body: impl ToString,
        status: u16,
        code: &'static str,
        names: Option<&'static str>,
    ) -> Self {
        Self::new("PUT", uri, Some(body.to_string()), status, code, names)
    }

    /// A GET refused with 400 `invalid_parameter` naming `field`.
    pub fn get(uri: impl Into<String>, field: &'static str) -> Self {
        Self::new("GET", uri, None, 400, "invalid_parameter", Some(field))
    }
}

impl TestApp {
    /// Sends every case and checks its problem: status, shape, the field or word it names, and
    /// that no internals leak. (Whether anything changed is the caller's snapshot to compare.)
    pub async fn assert_refused(&self, cases: &[Case]) {
        for case in cases {
            let response = self
                .send(case.method, &case.uri, case.body.as_deref())
                .await;
            let what = format!(
                "{} {} {:?}",
                case.method,
                case.uri,
                case.body.as_deref().map(|b| &b[..b.len().min(120)])
            );
            assert_eq!(response.status, case.status, "{what}: {}", response.text);
            response.assert_problem(case.status, case.code);
            match (case.code, case.names) {
                ("invalid_parameter", Some(field)) => {
                    assert_eq!(response.json["field"], field, "{what}: {}", response.text);
                }
                (_, Some(word)) => assert!(
                    response.json["detail"]
                        .as_str()
                        .unwrap_or_default()
                        .contains(word),
                    "{what}: the detail names {word}: {}",
                    response.text
                ),
                _ => {}
            }
            assert!(
                !response.text.contains("Error {") && !response.text.contains("SdkError"),
                "{what}: no internals leak: {}",
                response.text
            );
        }
    }
}

impl TestApp {
    /// Registers `id` as an active store location, through the API as an admin.
    pub async fn given_location(&self, id: &str) {
        let created = self
            .post(
                "/api/v1/locations",
                &serde_json::json!({"location_id": id, "type": "store", "name": format!("{id} name"),
                        "address": "12 MG Road, Bengaluru 560001"})
                .to_string(),
            )
            .await;
        assert_eq!(created.status, 201, "{}", created.text);
    }

    /// Registers `id` as a store location, then deletes it: an inactive location.
    pub async fn given_deleted_location(&self, id: &str) {
        self.given_location(id).await;
        let path = format!("/api/v1/locations/{id}");
        let deleted = self.send("DELETE", &path, None).await;
        assert_eq!(deleted.status, 200, "{}", deleted.text);
    }

    /// A stock change of `delta` written by the blind path at `at` and never settled: what a
    /// writer leaves waiting on the row when other writers keep it busy or its own drain fails
    /// (`inventory::db::pending`).
    pub async fn given_waiting_movement(
        &self,
        store: &str,
        product: &str,
        delta: i64,
        at: DateTime<Utc>,
    ) {
        use inventory::db::{Blind, MovementContext, RowChange};
        use inventory::domain::{Actor, MovementType, ProductId, StockOp, StoreId};
        let change = RowChange {
            store_id: StoreId::parse(store).expect("store id"),
            product_id: ProductId::parse(product).expect("product id"),
            op: StockOp::Add(delta),
        };
        let context = MovementContext::new(MovementType::StockUpdate, Actor::anonymous(), at);
        let written = self
            .app
            .db
            .blind_change(&change, &context)
            .await
            .expect("written");
        assert!(matches!(written, Blind::Applied(..)), "{written:?}");
    }

    /// Writes an item exactly as given, into `table`: a row as another system left it.
    pub async fn given_item(
        &self,
        table: &str,
        item: std::collections::HashMap<String, aws_sdk_dynamodb::types::AttributeValue>,
    ) {
        self.client
            .put_item()
            .table_name(table)
            .set_item(Some(item))
            .send()
            .await
            .expect("item written");
    }

    /// Sends a request as the holder of `token`, with an `Idempotency-Key`.
    pub async fn send_keyed(
        &self,
        token: &str,
        key: &str,
        method: &str,
        uri: &str,
        body: &str,
    ) -> TestResponse {
        let bearer = format!("Bearer {token}");
        self.send_with_headers(
            &[("authorization", bearer.as_str()), ("idempotency-key", key)],
            method,
            uri,
            Some(body),
        )
        .await
    }

    /// Every ledger-table item whose sort key is `sk` (`IDEM`, `ORDER`, `RES`).
    pub async fn ledger_items(
        &self,
        sk: &str,
    ) -> Vec<std::collections::HashMap<String, aws_sdk_dynamodb::types::AttributeValue>> {
        self.client
            .scan()
            .table_name(&self.tables.ledger)
            .consistent_read(true)
            .filter_expression("sk = :sk")
            .expression_attribute_values(
                ":sk",
                aws_sdk_dynamodb::types::AttributeValue::S(sk.to_owned()),
            )
            .send()
            .await
            .expect("scan")
            .items
            .unwrap_or_default()
    }
}
