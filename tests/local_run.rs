//! What `make run` does: tables from the template, demo data loaded once, a gateway on loopback.

use inventory::db::local_client;
use inventory_local::tables::{create_tables, TableNames};
use inventory_local::template::{repository_root, Template};
use std::collections::BTreeSet;
use testkit::TestApp;

#[tokio::test]
async fn the_demo_data_is_a_realistic_catalog_across_three_stores_with_low_and_empty_shelves() {
    let (catalog, inventory) =
        testkit::seed::load_demo(&repository_root().join("demo")).expect("demo data parses");

    assert!(catalog.len() >= 170, "{} products", catalog.len());
    assert!(inventory.len() >= 200, "{} rows", inventory.len());
    let stores: BTreeSet<_> = inventory.iter().map(|r| r.store_id.as_str()).collect();
    assert!(stores.len() >= 3);
    let barcodes: BTreeSet<_> = catalog.iter().map(|p| p.barcode.as_str()).collect();
    assert_eq!(
        barcodes.len(),
        catalog.len(),
        "barcodes are unique (each parsed with its check digit)"
    );
    for store in stores {
        let rows: Vec<_> = inventory
            .iter()
            .filter(|r| r.store_id.as_str() == store)
            .collect();
        assert!(
            rows.iter().any(|r| r.current_stock == 0),
            "{store} has an empty shelf"
        );
        assert!(
            rows.iter()
                .any(|r| r.current_stock > 0 && r.current_stock <= r.reorder_point),
            "{store} has a low shelf"
        );
    }
}

#[tokio::test]
async fn setting_up_twice_creates_no_duplicates_and_keeps_changes() {
    let app = TestApp::new().await;
    let first = app.given_demo_data().await;
    let changed = app
        .put(
            "/api/v1/inventory/products/store-blr-001/prd-0003/stock",
            r#"{"quantity_change": 5}"#,
        )
        .await;
    assert_eq!(changed.status, 200, "{}", changed.text);
    let stock = changed.json["current_stock"].clone();

    let second = app.given_demo_data().await;
    // The template's tables already exist under this prefix: creating them again is a no-op.
    let template = Template::of_repository().expect("template");
    let prefix = app
        .tables
        .products
        .trim_end_matches("global-products")
        .to_owned();
    create_tables(
        &local_client(&testkit::endpoint()).await,
        &template,
        &prefix,
    )
    .await
    .expect("idempotent");

    assert_eq!(first.already_present, 0);
    assert_eq!(second.written, 0, "nothing written twice");
    assert_eq!(second.already_present, first.written);
    let after = app
        .get("/api/v1/inventory/products/store-blr-001/prd-0003")
        .await;
    assert_eq!(
        after.json["current_stock"], stock,
        "a rerun does not reset stock"
    );
}

#[tokio::test]
async fn the_gateway_serves_real_http_on_loopback() {
    let app = TestApp::new().await;
    app.given_stock("s1", "p1", 3).await;
    let template = Template::of_repository().expect("template");
    let router = inventory_local::gateway::router(
        &template,
        app.app.clone(),
        testkit::dev_keys().verifier(template.jwt_audience()),
    )
    .expect("router");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind loopback");
    let addr = listener.local_addr().expect("addr");
    let server = tokio::spawn(async move { axum::serve(listener, router).await });
    let client = reqwest::Client::new();
    let base = format!("http://{addr}/api/v1/inventory");

    let got = client
        .get(format!("{base}/products/s1/p1"))
        .send()
        .await
        .expect("get");
    let put = client
        .put(format!("{base}/products/s1/p1/stock"))
        .bearer_auth(app.token("staff-1", "staff", "s1"))
        .body(r#"{"quantity_change": -1}"#)
        .send()
        .await
        .expect("put");
    let missing = client
        // (`{base}/nothing-here` would be a product id: GET /api/v1/inventory/{product_id}.)
        .get(format!("{base}/nothing/here"))
        .send()
        .await
        .expect("404");

    assert_eq!(got.status(), 200);
    assert_eq!(put.status(), 200);
    assert_eq!(
        put.json::<serde_json::Value>().await.expect("json")["current_stock"],
        2
    );
    assert_eq!(missing.status(), 404);
    assert_eq!(
        missing.headers()["content-type"],
        "application/problem+json"
    );
    server.abort();
    let names = TableNames::for_template(&template, "");
    assert_eq!(
        names.tables().expect("names").inventory,
        "store-inventory",
        "make run uses the production table names"
    );
}

#[cfg(unix)]
fn mode_of(path: &std::path::Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path)
        .expect("metadata")
        .permissions()
        .mode()
        & 0o777
}

#[cfg(unix)]
#[test]
fn the_dev_key_directory_is_owner_only_and_the_private_key_is_not_readable_by_others() {
    let dir = std::env::temp_dir().join(format!("dev-jwt-{}", uuid_like()));

    inventory_local::auth::DevKeys::load_or_create(&dir).expect("keys created");

    assert_eq!(mode_of(&dir), 0o700, "the key directory");
    assert_eq!(mode_of(&dir.join("private.pem")), 0o600, "the private key");
    let _ = std::fs::remove_dir_all(&dir);
}

#[cfg(unix)]
#[test]
fn a_dev_key_left_readable_by_an_older_version_is_made_owner_only_on_next_use() {
    use std::os::unix::fs::PermissionsExt;
    let dir = std::env::temp_dir().join(format!("dev-jwt-{}", uuid_like()));
    let first = inventory_local::auth::DevKeys::load_or_create(&dir).expect("keys created");
    let loose = |path: &std::path::Path, mode| {
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).expect("chmod")
    };
    loose(&dir, 0o755);
    loose(&dir.join("private.pem"), 0o644);

    let again = inventory_local::auth::DevKeys::load_or_create(&dir).expect("keys load");

    assert_eq!(again.public_pem, first.public_pem, "the same key is kept");
    assert_eq!(mode_of(&dir), 0o700, "the key directory");
    assert_eq!(mode_of(&dir.join("private.pem")), 0o600, "the private key");
    let _ = std::fs::remove_dir_all(&dir);
}

fn uuid_like() -> String {
    format!(
        "{}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or_default()
    )
}

/// Sends `raw` bytes to `addr` and reads the whole answer (the request asks to close).
async fn raw_http(addr: std::net::SocketAddr, raw: &[u8]) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
    stream.write_all(raw).await.expect("send");
    let mut answer = Vec::new();
    let read = tokio::time::timeout(
        std::time::Duration::from_secs(10),
        stream.read_to_end(&mut answer),
    )
    .await
    .expect("an answer within 10 s");
    assert!(
        read.is_ok(),
        "the connection was reset instead of answered: {read:?}"
    );
    String::from_utf8_lossy(&answer).into_owned()
}

#[tokio::test]
async fn the_gateway_answers_a_malformed_host_or_forwarded_proto_with_a_400_problem_not_a_reset() {
    let app = TestApp::new().await;
    let template = Template::of_repository().expect("template");
    let router = inventory_local::gateway::router(
        &template,
        app.app.clone(),
        testkit::dev_keys().verifier(template.jwt_audience()),
    )
    .expect("router");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind loopback");
    let addr = listener.local_addr().expect("addr");
    let server = tokio::spawn(async move { axum::serve(listener, router).await });

    for host in ["bad host", "[::1", "example.com:99999999", "ex%ample.com"] {
        let request = format!(
            "GET /api/v1/inventory/units HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"
        );
        let answer = raw_http(addr, request.as_bytes()).await;
        assert!(
            answer.starts_with("HTTP/1.1 400"),
            "Host: {host} answered {answer:?}"
        );
        assert!(
            answer.contains("content-type: application/problem+json"),
            "{answer}"
        );
        let body = answer.split("\r\n\r\n").nth(1).unwrap_or_default();
        let problem: serde_json::Value = serde_json::from_str(body).expect("a JSON body");
        assert_eq!(problem["status"], 400, "{problem}");
        assert_eq!(problem["code"], "invalid_parameter", "{problem}");
        assert_eq!(problem["field"], "host", "{problem}");
    }
    let spoofed = raw_http(
        addr,
        b"GET /api/v1/inventory/units HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Forwarded-Proto: not a scheme\r\nConnection: close\r\n\r\n",
    )
    .await;
    assert!(spoofed.starts_with("HTTP/1.1 200"), "{spoofed}");
    let fine = raw_http(
        addr,
        b"GET /api/v1/inventory/units HTTP/1.1\r\nHost: localhost:3000\r\nConnection: close\r\n\r\n",
    )
    .await;
    assert!(fine.starts_with("HTTP/1.1 200"), "{fine}");
    server.abort();
}

/// The local addresses listening on `port`, from /proc/net/tcp and tcp6 (hex, as the kernel
/// writes them): `0100007F` is 127.0.0.1, `00000000` every interface.
#[cfg(target_os = "linux")]
fn listening_addresses(port: u16) -> Vec<String> {
    let mut found = Vec::new();
    for table in ["/proc/net/tcp", "/proc/net/tcp6"] {
        let Ok(text) = std::fs::read_to_string(table) else {
            continue;
        };
        for line in text.lines().skip(1) {
            let fields: Vec<&str> = line.split_whitespace().collect();
            let (Some(local), Some(state)) = (fields.get(1), fields.get(3)) else {
                continue;
            };
            let Some((address, hex_port)) = local.split_once(':') else {
                continue;
            };
            if *state == "0A" && u16::from_str_radix(hex_port, 16).ok() == Some(port) {
                found.push(address.to_owned());
            }
        }
    }
    found
}

/// DynamoDB Local on a port of its own, stopped when dropped.
struct ScratchDynamo(u16);

impl ScratchDynamo {
    fn start(port: u16) -> Self {
        let status =
            std::process::Command::new(repository_root().join("scripts/dynamodb-local.sh"))
                .args(["start", &port.to_string()])
                .status()
                .expect("the script runs");
        assert!(status.success(), "DynamoDB Local started on {port}");
        Self(port)
    }
}

impl Drop for ScratchDynamo {
    fn drop(&mut self) {
        let _ = std::process::Command::new(repository_root().join("scripts/dynamodb-local.sh"))
            .args(["stop", &self.0.to_string()])
            .status();
    }
}

#[cfg(target_os = "linux")]
#[tokio::test]
async fn dynamodb_local_listens_on_loopback_only_and_allows_only_local_browser_origins() {
    let port: u16 = std::env::var("DYNAMODB_LOCAL_TEST_PORT")
        .ok()
        .and_then(|p| p.parse().ok())
        .unwrap_or(8019);
    let _dynamo = ScratchDynamo::start(port);

    let addresses = listening_addresses(port);
    let loopback = [
        "0100007F",
        "0000000000000000FFFF00000100007F",
        "00000000000000000000000001000000",
    ];
    let client = reqwest::Client::new();
    let preflight = |origin: &'static str| {
        client
            .request(
                reqwest::Method::OPTIONS,
                format!("http://127.0.0.1:{port}/"),
            )
            .header("origin", origin)
            .header("access-control-request-method", "POST")
            .send()
    };
    let local = preflight("http://localhost:3000").await.expect("preflight");
    let foreign = preflight("https://evil.example").await.expect("preflight");

    assert!(!addresses.is_empty(), "something listens on {port}");
    assert!(
        addresses.iter().all(|a| loopback.contains(&a.as_str())),
        "DynamoDB Local listens beyond loopback: {addresses:?}"
    );
    assert_eq!(
        local
            .headers()
            .get("access-control-allow-origin")
            .map(|v| v.as_bytes()),
        Some(&b"http://localhost:3000"[..])
    );
    assert_eq!(
        foreign.headers().get("access-control-allow-origin"),
        None,
        "a foreign origin is not allowed"
    );
}
