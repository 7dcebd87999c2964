//! Test kit: each [`TestApp`] gets its own freshly named tables in DynamoDB Local (created from
//! template.yaml), so tests run in parallel; requests go through the local gateway's router,
//! which builds real API Gateway events for the real handlers.

use aws_sdk_dynamodb::Client;
use axum::body::Body;
use axum::Router;
use inventory::db::{local_client, Db, InventoryItem, Tables};
use inventory::domain::{Barcode, Money, ProductId, StoreId};
use inventory::{App, Clock};
use inventory_local::auth::{DevKeys, TokenSpec};
use inventory_local::gateway;
use inventory_local::seed::{put_if_absent, CatalogEntry, InventoryEntry};
use inventory_local::tables::{create_tables, TableNames};
use inventory_local::template::Template;
use serde_json::Value;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;
use tower::ServiceExt;

pub use aws_sdk_dynamodb::types::AttributeValue;
pub use inventory_local::seed;

pub mod contract;
mod steps;

pub use steps::*;
pub mod streams;

/// DynamoDB Local's address: `DYNAMODB_ENDPOINT`, else the port `make test` starts it on.
pub fn endpoint() -> String {
    std::env::var("DYNAMODB_ENDPOINT").unwrap_or_else(|_| "http://127.0.0.1:8000".into())
}

/// The service wired to its own empty tables.
pub struct TestApp {
    pub app: App,
    pub client: Client,
    pub tables: Tables,
    router: Router,
    audience: String,
    admin_token: String,
}

/// One RSA key pair per test process: generating one takes a moment.
pub fn dev_keys() -> &'static DevKeys {
    static KEYS: OnceLock<DevKeys> = OnceLock::new();
    KEYS.get_or_init(|| DevKeys::generate().expect("an RSA key pair"))
}

impl TestApp {
    /// Creates uniquely prefixed tables from template.yaml.
    ///
    /// # Panics
    /// When DynamoDB Local is not running (start it with `make test` or
    /// `scripts/dynamodb-local.sh start`) or the template is broken.
    pub async fn new() -> Self {
        Self::with_clock(Clock::System).await
    }

    /// As [`TestApp::new`], with time standing still until `app.clock.advance(..)`.
    pub async fn with_manual_clock() -> Self {
        Self::with_clock(Clock::manual(chrono::Utc::now())).await
    }

    async fn with_clock(clock: Clock) -> Self {
        let template = Template::of_repository().expect("template.yaml parses");
        let prefix = format!("t{}-", &uuid::Uuid::new_v4().simple().to_string()[..12]);
        let client = local_client(&endpoint()).await;
        create_tables(&client, &template, &prefix).await.unwrap_or_else(|e| {
            panic!("cannot create tables in DynamoDB Local at {} ({e}); start it with `scripts/dynamodb-local.sh start`", endpoint())
        });
        let tables = TableNames::for_template(&template, &prefix)
            .tables()
            .expect("template names the tables");
        let mut app = App::new(Db::new(client.clone(), tables.clone()));
        app.clock = clock;
        let audience = template.jwt_audience().to_owned();
        let router = gateway::router(&template, app.clone(), dev_keys().verifier(&audience))
            .expect("gateway builds from the template");
        let admin = TokenSpec {
            subject: "test-admin".into(),
            roles: vec!["admin".into()],
            stores: vec![],
            audience: audience.clone(),
            ttl_seconds: 3600,
        };
        let admin_token = dev_keys().sign(&admin.claims()).expect("token");
        Self {
            app,
            client,
            tables,
            router,
            audience,
            admin_token,
        }
    }

    /// Writes a catalog product.
    pub async fn given_product(&self, product: &CatalogEntry) {
        put_if_absent(&self.client, &self.tables.products, "product_id", product)
            .await
            .expect("product written");
    }

    /// Writes an inventory row in the legacy shape (no reserved or available stock).
    pub async fn given_row(&self, row: &InventoryEntry) {
        put_if_absent(&self.client, &self.tables.inventory, "product_id", row)
            .await
            .expect("row written");
    }

    /// A product and a row of `stock` units of it in `store`, denormalised as the service expects.
    pub async fn given_stock(
        &self,
        store: &str,
        product: &str,
        stock: i64,
    ) -> (CatalogEntry, InventoryEntry) {
        let p = product_named(product, &format!("Product {product}"));
        let mut r = row(store, product, stock);
        r.denormalise(&p);
        self.given_product(&p).await;
        self.given_row(&r).await;
        (p, r)
    }

    /// Writes many inventory rows (legacy shape) with BatchWriteItem, 25 at a time: seeding a
    /// large store one conditional put at a time would take DynamoDB Local tens of seconds.
    pub async fn given_rows(&self, rows: &[InventoryEntry]) {
        self.given_items(
            &self.tables.inventory,
            rows.iter().map(|r| {
                inventory::db::item::to_item(&self.tables.inventory, r).expect("row encodes")
            }),
        )
        .await;
    }

    /// Writes raw items into `table`, 25 per BatchWriteItem, retrying what comes back unprocessed:
    /// for shapes no type of ours would write (legacy rows, rows of the wrong types).
    pub async fn given_items(
        &self,
        table: &str,
        items: impl IntoIterator<Item = HashMap<String, AttributeValue>>,
    ) {
        use aws_sdk_dynamodb::types::{PutRequest, WriteRequest};
        let requests: Vec<WriteRequest> = items
            .into_iter()
            .map(|item| {
                WriteRequest::builder()
                    .put_request(
                        PutRequest::builder()
                            .set_item(Some(item))
                            .build()
                            .expect("put"),
                    )
                    .build()
            })
            .collect();
        for chunk in requests.chunks(25) {
            let mut pending = chunk.to_vec();
            while !pending.is_empty() {
                let out = self
                    .client
                    .batch_write_item()
                    .request_items(table, pending)
                    .send()
                    .await
                    .expect("batch write");
                pending = out
                    .unprocessed_items
                    .and_then(|mut u| u.remove(table))
                    .unwrap_or_default();
            }
        }
    }

    /// Loads the repository's demo locations, catalog and inventory as `make run` does: with
    /// the onboarding tool's import.
    pub async fn given_demo_data(&self) -> seed::SeedReport {
        let report = seed::import_demo(
            &self.client,
            &self.tables,
            &inventory_local::template::repository_root().join("demo"),
        )
        .await
        .expect("demo data imported");
        seed::SeedReport {
            written: usize::try_from(report.written()).unwrap_or(usize::MAX),
            already_present: usize::try_from(report.exists()).unwrap_or(usize::MAX),
        }
    }

    /// A token signed with the test key: `roles` and `stores` comma-separated.
    pub fn token(&self, subject: &str, roles: &str, stores: &str) -> String {
        self.token_with(subject, roles, stores, |_| {})
    }

    /// A token whose claims `edit` may change (expiry, audience, ...) before signing.
    pub fn token_with(
        &self,
        subject: &str,
        roles: &str,
        stores: &str,
        edit: impl FnOnce(&mut Value),
    ) -> String {
        let split = |s: &str| {
            s.split(',')
                .filter(|x| !x.is_empty())
                .map(str::to_owned)
                .collect()
        };
        let spec = TokenSpec {
            subject: subject.into(),
            roles: split(roles),
            stores: split(stores),
            audience: self.audience.clone(),
            ttl_seconds: 3600,
        };
        let mut claims = spec.claims();
        edit(&mut claims);
        dev_keys().sign(&claims).expect("token")
    }

    /// Sends a request through the gateway router, as `curl` against `make run` would, with an
    /// admin token: tests of behaviour are not tests of authorization.
    pub async fn send(&self, method: &str, uri: &str, body: Option<&str>) -> TestResponse {
        let token = self.admin_token.clone();
        self.send_as(Some(&token), method, uri, body).await
    }

    /// Sends a request with the given bearer token, or none.
    pub async fn send_as(
        &self,
        token: Option<&str>,
        method: &str,
        uri: &str,
        body: Option<&str>,
    ) -> TestResponse {
        let authorization = token.map(|t| format!("Bearer {t}"));
        self.send_with_authorization(authorization.as_deref(), method, uri, body)
            .await
    }

    /// Sends a request with exactly this `Authorization` header (or none), as a client could.
    pub async fn send_with_authorization(
        &self,
        authorization: Option<&str>,
        method: &str,
        uri: &str,
        body: Option<&str>,
    ) -> TestResponse {
        let headers: Vec<(&str, &str)> = authorization
            .map(|a| ("authorization", a))
            .into_iter()
            .collect();
        self.send_with_headers(&headers, method, uri, body).await
    }

    /// Sends a request with the admin token and these extra headers.
    pub async fn send_as_admin_with(
        &self,
        headers: &[(&str, &str)],
        method: &str,
        uri: &str,
        body: Option<&str>,
    ) -> TestResponse {
        let bearer = format!("Bearer {}", self.admin_token);
        let mut all = vec![("authorization", bearer.as_str())];
        all.extend_from_slice(headers);
        self.send_with_headers(&all, method, uri, body).await
    }

    /// Sends a request with exactly these headers (besides host and content type).
    pub async fn send_with_headers(
        &self,
        headers: &[(&str, &str)],
        method: &str,
        uri: &str,
        body: Option<&str>,
    ) -> TestResponse {
        let mut request = http::Request::builder()
            .method(method)
            .uri(uri)
            .header("host", "127.0.0.1:3000")
            .header("content-type", "application/json");
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let request = request
            .body(body.map_or_else(Body::empty, |b| Body::from(b.to_owned())))
            .expect("a valid request");
        let response = self
            .router
            .clone()
            .oneshot(request)
            .await
            .expect("the router never fails");
        let status = response.status().as_u16();
        let header = |name: &str| {
            response
                .headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_owned()
        };
        let content_type = header("content-type");
        let cache_control = header("cache-control");
        let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .expect("body reads");
        let text = String::from_utf8_lossy(&bytes).into_owned();
        let json = serde_json::from_str(&text).unwrap_or(Value::Null);
        let path = uri.split('?').next().unwrap_or(uri);
        contract::check_response(method, path, status, &content_type, &json);
        TestResponse {
            status,
            content_type,
            cache_control,
            text,
            json,
        }
    }

    /// Sends a request with no token at all, as the storefront does.
    pub async fn get_anonymously(&self, uri: &str) -> TestResponse {
        self.send_with_headers(&[], "GET", uri, None).await
    }

    pub async fn get(&self, uri: &str) -> TestResponse {
        self.send("GET", uri, None).await
    }

    pub async fn put(&self, uri: &str, body: &str) -> TestResponse {
        self.send("PUT", uri, Some(body)).await
    }

    pub async fn post(&self, uri: &str, body: &str) -> TestResponse {
        self.send("POST", uri, Some(body)).await
    }

    /// The stored inventory row, read directly from the table.
    pub async fn stored_row(&self, store: &str, product: &str) -> Option<InventoryItem> {
        self.app
            .db
            .inventory_item(
                &StoreId::parse(store).expect("store id"),
                &ProductId::parse(product).expect("product id"),
            )
            .await
            .expect("row reads")
    }

    /// The raw stored attributes of a row, to see exactly what a write left behind.
    pub async fn stored_attributes(
        &self,
        store: &str,
        product: &str,
    ) -> Option<HashMap<String, AttributeValue>> {
        self.client
            .get_item()
            .table_name(&self.tables.inventory)
            .key("store_id", AttributeValue::S(store.into()))
            .key("product_id", AttributeValue::S(product.into()))
            .consistent_read(true)
            .send()
            .await
            .expect("row reads")
            .item
    }

    /// Every item of every table, to prove a refused request wrote nothing anywhere.
    pub async fn snapshot(&self) -> Vec<HashMap<String, AttributeValue>> {
        let mut all = Vec::new();
        for table in [
            &self.tables.products,
            &self.tables.inventory,
            &self.tables.ledger,
            &self.tables.orders,
        ] {
            let out = self
                .client
                .scan()
                .table_name(table)
                .consistent_read(true)
                .send()
                .await
                .expect("scan");
            let mut items = out.items.unwrap_or_default();
            items.sort_by_key(|i| {
                format!(
                    "{:?}",
                    i.iter().collect::<std::collections::BTreeMap<_, _>>()
                )
            });
            all.extend(items);
        }
        all
    }
}

/// Each test's tables are deleted when it ends: DynamoDB Local slows down markedly as tables
/// pile up (a long-lived instance with thousands of them ran contended writes 5x slower).
impl Drop for TestApp {
    fn drop(&mut self) {
        let tables = [
            self.tables.products.clone(),
            self.tables.inventory.clone(),
            self.tables.ledger.clone(),
            self.tables.orders.clone(),
        ];
        // A fresh client on a thread of its own: the test's runtime is busy dropping us.
        let cleanup = std::thread::spawn(move || {
            let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            else {
                return;
            };
            runtime.block_on(async {
                let client = local_client(&endpoint()).await;
                for table in tables {
                    let _ = client.delete_table().table_name(table).send().await;
                }
            });
        });
        let _ = cleanup.join();
    }
}

/// A response as a client sees it.
#[derive(Debug, Clone)]
pub struct TestResponse {
    pub status: u16,
    pub content_type: String,
    pub cache_control: String,
    pub text: String,
    pub json: Value,
}

impl TestResponse {
    /// The problem document's `code`, for error responses.
    pub fn code(&self) -> &str {
        self.json["code"].as_str().unwrap_or_default()
    }

    /// Asserts this is a problem response of the one shape every error uses.
    #[track_caller]
    pub fn assert_problem(&self, status: u16, code: &str) {
        assert_eq!(self.status, status, "status of {}", self.text);
        assert_eq!(
            self.content_type, "application/problem+json",
            "content type of {}",
            self.text
        );
        assert_eq!(
            self.json["status"], status,
            "problem status in {}",
            self.text
        );
        assert_eq!(self.code(), code, "problem code in {}", self.text);
        for field in ["type", "title", "detail"] {
            assert!(
                self.json[field].as_str().is_some_and(|s| !s.is_empty()),
                "problem has no {field}: {}",
                self.text
            );
        }
    }
}

/// A valid EAN-13 barcode, distinct for each `seed`.
pub fn ean13(seed: u64) -> Barcode {
    let body = format!("890{:09}", seed % 1_000_000_000);
    let sum: u32 = body
        .bytes()
        .rev()
        .enumerate()
        .map(|(i, b)| u32::from(b - b'0') * if i % 2 == 0 { 3 } else { 1 })
        .sum();
    Barcode::parse(format!("{body}{}", (10 - sum % 10) % 10)).expect("a valid check digit")
}

static NEXT_BARCODE: AtomicU64 = AtomicU64::new(1);

/// A catalog product with plausible values.
pub fn product_named(id: &str, name: &str) -> CatalogEntry {
    CatalogEntry {
        product_id: ProductId::parse(id).expect("product id"),
        name: name.into(),
        brand: "Testbrand".into(),
        barcode: ean13(
            NEXT_BARCODE.fetch_add(1, Ordering::Relaxed) + u64::from(std::process::id()) * 1000,
        ),
        mrp: money("50.00"),
        category: "Staples".into(),
        unit: "pack".into(),
        description: "A product for tests".into(),
        image_url: format!("https://images.example.com/products/{id}.jpg"),
        created_at: None,
    }
}

/// An inventory row of `stock` units with a reorder point of 5, selling at 45.50, costing 40.10.
pub fn row(store: &str, product: &str, stock: i64) -> InventoryEntry {
    InventoryEntry::new(
        StoreId::parse(store).expect("store id"),
        ProductId::parse(product).expect("product id"),
        stock,
        money("45.50"),
        money("40.10"),
    )
}

pub fn money(text: &str) -> Money {
    Money::parse("amount", text).expect("valid money")
}
