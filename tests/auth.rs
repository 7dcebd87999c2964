//! Who may call what. The gateway checks the token on every protected route (401 without a valid
//! one, as API Gateway's JWT authorizer does); the service checks roles and stores (403), before
//! it reads anything, so neither answer reveals whether a resource exists. Every refused write is
//! checked to have written nothing anywhere.

use inventory_local::auth::DevKeys;
use inventory_local::template::Template;
use serde_json::{json, Value};
use std::collections::BTreeSet;
use testkit::{TestApp, TestResponse};

const RESERVE: &str = "/api/v1/inventory/reserve";
const RELEASE: &str = "/api/v1/inventory/release";
const ADJUST: &str = "/api/v1/inventory/adjust";
const RESERVATIONS: &str = "/api/v1/reservations";
const EXPIRED: &str = "/api/v1/reservations/expired";

/// Store A, which the staff tokens below cover, and store B, which they do not.
const A: &str = "s1";
const B: &str = "s2";

// ---------------------------------------------------------------------------------------------
// Requests and fixtures

/// One request: the template route it exercises, and what is sent.
#[derive(Debug, Clone)]
struct Call {
    route: &'static str,
    method: &'static str,
    uri: String,
    body: Option<String>,
}

fn call(route: &'static str, uri: impl Into<String>, body: Option<Value>) -> Call {
    let method = route.split(' ').next().expect("a method");
    Call {
        route,
        method,
        uri: uri.into(),
        body: body.map(|b| b.to_string()),
    }
}

fn put_stock(store: &str, product: &str) -> Call {
    call(
        "PUT /api/v1/inventory/products/{store_id}/{product_id}/stock",
        format!("/api/v1/inventory/products/{store}/{product}/stock"),
        Some(json!({"quantity_change": -1, "reason": "sold at counter"})),
    )
}

fn adjust(store: &str, product: &str) -> Call {
    adjust_with(store, product, |_| {})
}

fn adjust_with(store: &str, product: &str, edit: impl FnOnce(&mut Value)) -> Call {
    let mut body = json!({
        "store_id": store,
        "product_id": product,
        "quantity_change": -1,
        "adjustment_type": "damage",
        "reason": "dropped crate",
    });
    edit(&mut body);
    call("POST /api/v1/inventory/adjust", ADJUST, Some(body))
}

/// A bulk request of one stock change and one adjustment, both in `store`.
fn bulk(store: &str, product: &str) -> Call {
    call(
        "POST /api/v1/inventory/bulk",
        "/api/v1/inventory/bulk",
        Some(json!({"lines": [
            {"store_id": store, "product_id": product, "quantity_change": -1, "reason": "sold"},
            {"store_id": store, "product_id": product, "quantity_change": -1,
             "adjustment_type": "damage", "reason": "dropped crate"},
        ]})),
    )
}

fn reserve(store: &str, order_id: &str) -> Call {
    call(
        "POST /api/v1/inventory/reserve",
        RESERVE,
        Some(json!({
            "store_id": store,
            "order_id": order_id,
            "items": [{"product_id": "p1", "quantity": 1}],
        })),
    )
}

fn low_stock(store: &str) -> Call {
    call(
        "GET /api/v1/inventory/low-stock",
        format!("/api/v1/inventory/low-stock?store_id={store}"),
        None,
    )
}

fn history(store: &str, product: &str) -> Call {
    call(
        "GET /api/v1/inventory/history/{store_id}/{product_id}",
        format!("/api/v1/inventory/history/{store}/{product}?limit=100"),
        None,
    )
}

fn get_reservation(id: &str) -> Call {
    call(
        "GET /api/v1/reservations/{reservation_id}",
        format!("{RESERVATIONS}/{id}"),
        None,
    )
}

fn complete(id: &str) -> Call {
    call(
        "POST /api/v1/reservations/{reservation_id}/complete",
        format!("{RESERVATIONS}/{id}/complete"),
        None,
    )
}

fn release(id: &str) -> Call {
    call(
        "POST /api/v1/reservations/{reservation_id}/release",
        format!("{RESERVATIONS}/{id}/release"),
        None,
    )
}

fn release_by_body(id: &str) -> Call {
    call(
        "POST /api/v1/inventory/release",
        RELEASE,
        Some(json!({"reservation_id": id})),
    )
}

fn expired() -> Call {
    call("GET /api/v1/reservations/expired", EXPIRED, None)
}

/// Two stores stocking p1 (10 units each), and active reservations to finish.
struct Stores {
    app: TestApp,
    /// Active reservations of one unit of p1 in store A.
    a: [String; 3],
    /// Active reservations of one unit of p1 in store B.
    b: [String; 3],
    /// A pending order of one unit of p9 in store A (p1's stock and history stay the fixture's).
    order: String,
}

async fn two_stores() -> Stores {
    let app = TestApp::new().await;
    app.given_stock(A, "p1", 10).await;
    app.given_stock(B, "p1", 10).await;
    app.given_stock(A, "p9", 10).await;
    let mut a = Vec::new();
    let mut b = Vec::new();
    for n in 0..3 {
        a.push(reserved(&app, A, &format!("order-a{n}")).await);
        b.push(reserved(&app, B, &format!("order-b{n}")).await);
    }
    let placed = app
        .post(
            "/api/v1/orders",
            &json!({"order_id": "order-o1", "store_id": A, "customer_id": "cust-1",
                    "items": [{"product_id": "p9", "quantity": 1}]})
            .to_string(),
        )
        .await;
    assert_eq!(placed.status, 201, "order: {}", placed.text);
    Stores {
        app,
        order: "order-o1".to_owned(),
        a: a.try_into().expect("three"),
        b: b.try_into().expect("three"),
    }
}

/// Reserves one unit of p1 in `store` as admin and answers the reservation's id.
async fn reserved(app: &TestApp, store: &str, order_id: &str) -> String {
    let c = reserve(store, order_id);
    let response = app.post(&c.uri, c.body.as_deref().expect("a body")).await;
    assert_eq!(response.status, 201, "reserve: {}", response.text);
    response.json["reservation_id"]
        .as_str()
        .expect("a reservation id")
        .to_owned()
}

/// One valid request for every protected route, all for store A; each finishing route gets a
/// reservation of its own, so every one of them succeeds when sent with an admin token.
fn every_protected_route(s: &Stores) -> Vec<Call> {
    vec![
        put_stock(A, "p1"),
        adjust(A, "p1"),
        bulk(A, "p1"),
        low_stock(A),
        call(
            "GET /api/v1/inventory/summary",
            format!("/api/v1/inventory/summary?store_id={A}"),
            None,
        ),
        history(A, "p1"),
        reserve(A, "order-new"),
        release_by_body(&s.a[0]),
        call(
            "GET /api/v1/reservations",
            format!("{RESERVATIONS}?store_id={A}"),
            None,
        ),
        get_reservation(&s.a[1]),
        expired(),
        complete(&s.a[1]),
        release(&s.a[2]),
        call(
            "POST /api/v1/orders",
            "/api/v1/orders",
            Some(
                json!({"order_id": "order-checkout", "store_id": A, "customer_id": "cust-1",
                        "items": [{"product_id": "p9", "quantity": 1}]}),
            ),
        ),
        call(
            "GET /api/v1/orders/{order_id}",
            format!("/api/v1/orders/{}", s.order),
            None,
        ),
        call(
            "GET /api/v1/orders",
            format!("/api/v1/orders?store_id={A}"),
            None,
        ),
        call(
            "POST /api/v1/orders/{order_id}/status",
            format!("/api/v1/orders/{}/status", s.order),
            Some(json!({"status": "CONFIRMED"})),
        ),
        call(
            "POST /api/v1/locations",
            "/api/v1/locations",
            Some(
                json!({"location_id": "loc-auth", "type": "warehouse", "name": "W", "address": "1 Road"}),
            ),
        ),
        call("GET /api/v1/locations", "/api/v1/locations", None),
        call(
            "GET /api/v1/locations/types/{type}",
            "/api/v1/locations/types/warehouse",
            None,
        ),
        call(
            "GET /api/v1/locations/{location_id}",
            "/api/v1/locations/loc-auth",
            None,
        ),
        call(
            "PUT /api/v1/locations/{location_id}",
            "/api/v1/locations/loc-auth",
            Some(json!({"type": "store", "name": "S", "address": "2 Road"})),
        ),
        // Stocked while loc-auth is active, before the delete below.
        call(
            "POST /api/v1/inventory",
            "/api/v1/inventory",
            Some(
                json!({"store_id": "loc-auth", "product_id": "p1", "current_stock": 4,
                        "reorder_point": 2, "reorder_quantity": 10, "min_stock_level": 1,
                        "max_stock_level": 20, "selling_price": "45.50", "cost_price": "40.10",
                        "location": "B2-01"}),
            ),
        ),
        call(
            "PATCH /api/v1/inventory/products/{store_id}/{product_id}",
            format!("/api/v1/inventory/products/{A}/p1"),
            Some(json!({"reorder_point": 6})),
        ),
        call(
            "GET /api/v1/inventory/{product_id}",
            "/api/v1/inventory/p1",
            None,
        ),
        call(
            "DELETE /api/v1/locations/{location_id}",
            "/api/v1/locations/loc-auth",
            None,
        ),
        call(
            "POST /api/v1/products",
            "/api/v1/products",
            Some(json!({"product_id": "prd-auth", "name": "Auth test product"})),
        ),
        call(
            "PUT /api/v1/products/{product_id}",
            "/api/v1/products/prd-auth",
            Some(json!({"name": "Auth test product, renamed"})),
        ),
        call(
            "GET /api/v1/inventory/reorder-suggestions",
            format!("/api/v1/inventory/reorder-suggestions?store_id={A}&horizon_days=14"),
            None,
        ),
    ]
}

/// The template's routes that need a token, as `METHOD path`.
fn protected_routes_of_the_template() -> BTreeSet<String> {
    let template = Template::of_repository().expect("template.yaml parses");
    template
        .http_routes()
        .filter(|(function, _, _)| function.requires_token)
        .map(|(_, method, path)| format!("{method} {path}"))
        .collect()
}

async fn send(app: &TestApp, token: Option<&str>, c: &Call) -> TestResponse {
    app.send_as(token, c.method, &c.uri, c.body.as_deref())
        .await
}

/// Asserts `response` to `c` is the problem `status`/`code`, naming the request when it is not.
#[track_caller]
fn assert_refused_as(response: &TestResponse, c: &Call, status: u16, code: &str) {
    assert_eq!(
        (response.status, response.code()),
        (status, code),
        "{} {}: {}",
        c.method,
        c.uri,
        response.text
    );
    response.assert_problem(status, code);
}

/// Sends every call with `token`, asserts each is refused with `status`/`code`, and that nothing
/// in any table changed.
async fn assert_all_refused(
    app: &TestApp,
    token: Option<&str>,
    calls: &[Call],
    status: u16,
    code: &str,
) {
    let before = app.snapshot().await;
    for c in calls {
        let response = send(app, token, c).await;
        assert_refused_as(&response, c, status, code);
    }
    assert_eq!(
        app.snapshot().await,
        before,
        "the refused requests wrote nothing"
    );
}

/// Sends every call with `token` and asserts each succeeds.
async fn assert_all_succeed(app: &TestApp, token: Option<&str>, calls: &[Call]) {
    for c in calls {
        let response = send(app, token, c).await;
        assert!(
            (200..300).contains(&response.status),
            "{} {} answered {}: {}",
            c.method,
            c.uri,
            response.status,
            response.text
        );
    }
}

/// The claims a token from `app.token(..)` would carry.
fn claims_of(app: &TestApp, subject: &str, roles: &str, stores: &str) -> Value {
    let mut claims = Value::Null;
    app.token_with(subject, roles, stores, |c| claims = c.clone());
    claims
}

/// The movements of a row, oldest first, read as `token`.
async fn movements(app: &TestApp, token: &str, store: &str, product: &str) -> Vec<Value> {
    let response = send(app, Some(token), &history(store, product)).await;
    assert_eq!(response.status, 200, "history: {}", response.text);
    let mut movements = response.json["movements"]
        .as_array()
        .expect("movements")
        .clone();
    movements.reverse();
    movements
}

// ---------------------------------------------------------------------------------------------
// Hand-built tokens: the tests crate has no JWT or HMAC library, so forged tokens are assembled
// here, and the pieces are checked against published test vectors first.

/// Unpadded base64url (RFC 4648 section 5), as JWTs use.
fn base64url(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |acc, (i, b)| acc | (u32::from(*b) << (16 - 8 * i)));
        for i in 0..=chunk.len() {
            out.push(char::from(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize]));
        }
    }
    out
}

/// SHA-256 (FIPS 180-4).
fn sha256(data: &[u8]) -> [u8; 32] {
    const K: [u32; 64] = [
        0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4,
        0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe,
        0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f,
        0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7,
        0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc,
        0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
        0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116,
        0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
        0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
        0xc67178f2,
    ];
    let mut h: [u32; 8] = [
        0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab,
        0x5be0cd19,
    ];
    let mut message = data.to_vec();
    let bits = (data.len() as u64).wrapping_mul(8);
    message.push(0x80);
    while message.len() % 64 != 56 {
        message.push(0);
    }
    message.extend_from_slice(&bits.to_be_bytes());
    for block in message.chunks(64) {
        let mut w = [0u32; 64];
        for (i, word) in block.chunks(4).enumerate() {
            w[i] = u32::from_be_bytes(word.try_into().expect("four bytes"));
        }
        for i in 16..64 {
            let s0 = w[i - 15].rotate_right(7) ^ w[i - 15].rotate_right(18) ^ (w[i - 15] >> 3);
            let s1 = w[i - 2].rotate_right(17) ^ w[i - 2].rotate_right(19) ^ (w[i - 2] >> 10);
            w[i] = w[i - 16]
                .wrapping_add(s0)
                .wrapping_add(w[i - 7])
                .wrapping_add(s1);
        }
        let [mut a, mut b, mut c, mut d, mut e, mut f, mut g, mut hh] = h;
        for i in 0..64 {
            let s1 = e.rotate_right(6) ^ e.rotate_right(11) ^ e.rotate_right(25);
            let ch = (e & f) ^ (!e & g);
            let t1 = hh
                .wrapping_add(s1)
                .wrapping_add(ch)
                .wrapping_add(K[i])
                .wrapping_add(w[i]);
            let s0 = a.rotate_right(2) ^ a.rotate_right(13) ^ a.rotate_right(22);
            let maj = (a & b) ^ (a & c) ^ (b & c);
            let t2 = s0.wrapping_add(maj);
            hh = g;
            g = f;
            f = e;
            e = d.wrapping_add(t1);
            d = c;
            c = b;
            b = a;
            a = t1.wrapping_add(t2);
        }
        for (x, y) in h.iter_mut().zip([a, b, c, d, e, f, g, hh]) {
            *x = x.wrapping_add(y);
        }
    }
    let mut out = [0u8; 32];
    for (chunk, word) in out.chunks_mut(4).zip(h) {
        chunk.copy_from_slice(&word.to_be_bytes());
    }
    out
}

/// HMAC-SHA256 (RFC 2104): keys longer than a block are hashed first.
fn hmac_sha256(key: &[u8], message: &[u8]) -> [u8; 32] {
    let mut block = [0u8; 64];
    if key.len() > 64 {
        block[..32].copy_from_slice(&sha256(key));
    } else {
        block[..key.len()].copy_from_slice(key);
    }
    let pad = |byte: u8| block.iter().map(|k| k ^ byte).collect::<Vec<u8>>();
    let mut inner = pad(0x36);
    inner.extend_from_slice(message);
    let mut outer = pad(0x5c);
    outer.extend_from_slice(&sha256(&inner));
    sha256(&outer)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn segment(value: &Value) -> String {
    base64url(value.to_string().as_bytes())
}

/// A token with `alg: none` and an empty signature.
fn unsigned_token(claims: &Value) -> String {
    format!(
        "{}.{}.",
        segment(&json!({"alg": "none", "typ": "JWT"})),
        segment(claims)
    )
}

/// An HS256 token with `secret` as the HMAC key.
fn hs256_token(claims: &Value, secret: &[u8]) -> String {
    let signing_input = format!(
        "{}.{}",
        segment(&json!({"alg": "HS256", "typ": "JWT"})),
        segment(claims)
    );
    let signature = hmac_sha256(secret, signing_input.as_bytes());
    format!("{signing_input}.{}", base64url(&signature))
}

#[test]
fn the_forged_tokens_are_built_with_correct_base64url_and_hmac_sha256() {
    // RFC 4648 section 10, unpadded; and the two characters that differ from plain base64.
    for (input, expected) in [
        ("", ""),
        ("f", "Zg"),
        ("fo", "Zm8"),
        ("foo", "Zm9v"),
        ("foob", "Zm9vYg"),
        ("fooba", "Zm9vYmE"),
        ("foobar", "Zm9vYmFy"),
    ] {
        assert_eq!(
            base64url(input.as_bytes()),
            expected,
            "base64url({input:?})"
        );
    }
    assert_eq!(base64url(&[0xfb, 0xff]), "-_8");
    // FIPS 180-4 examples.
    assert_eq!(
        hex(&sha256(b"abc")),
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    );
    assert_eq!(
        hex(&sha256(
            b"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"
        )),
        "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"
    );
    // RFC 4231 test cases 2 (short key) and 6 (key longer than a block).
    assert_eq!(
        hex(&hmac_sha256(b"Jefe", b"what do ya want for nothing?")),
        "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
    );
    assert_eq!(
        hex(&hmac_sha256(
            &[0xaa; 131],
            b"Test Using Larger Than Block-Size Key - Hash Key First"
        )),
        "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"
    );
}

// ---------------------------------------------------------------------------------------------
// 401: no valid token

#[tokio::test]
async fn the_request_list_covers_every_protected_route_of_the_template_and_each_succeeds_as_admin()
{
    let s = two_stores().await;
    let calls = every_protected_route(&s);

    let covered: BTreeSet<String> = calls.iter().map(|c| c.route.to_owned()).collect();

    assert_eq!(
        covered,
        protected_routes_of_the_template(),
        "the 401 tests below send a request to every protected route"
    );
    // So each refusal below is about the token, never about the request.
    assert_all_succeed(&s.app, Some(&s.app.token("root", "admin", "")), &calls).await;
}

#[tokio::test]
async fn every_protected_route_answers_401_without_a_token_and_changes_nothing() {
    let s = two_stores().await;

    assert_all_refused(
        &s.app,
        None,
        &every_protected_route(&s),
        401,
        "unauthenticated",
    )
    .await;
}

#[tokio::test]
async fn every_protected_route_answers_401_to_basic_credentials_and_changes_nothing() {
    let s = two_stores().await;
    let valid = s.app.token("root", "admin", "");
    let before = s.app.snapshot().await;

    for authorization in [
        "Basic x".to_owned(),
        "Basic dXNlcjpwYXNz".to_owned(),
        // A valid token under the wrong scheme is no bearer token either.
        format!("Basic {valid}"),
        "Bearer".to_owned(),
        "Bearer ".to_owned(),
    ] {
        for c in every_protected_route(&s) {
            let response = s
                .app
                .send_with_authorization(Some(&authorization), c.method, &c.uri, c.body.as_deref())
                .await;
            assert_refused_as(&response, &c, 401, "unauthenticated");
        }
    }

    assert_eq!(s.app.snapshot().await, before, "nothing changed");
}

#[tokio::test]
async fn an_expired_token_answers_401_and_changes_nothing() {
    let s = two_stores().await;
    let expired = s.app.token_with("root", "admin", "", |claims| {
        let now = chrono::Utc::now().timestamp();
        claims["iat"] = json!(now - 7200);
        claims["exp"] = json!(now - 60);
    });

    assert_all_refused(
        &s.app,
        Some(&expired),
        &every_protected_route(&s),
        401,
        "unauthenticated",
    )
    .await;
}

#[tokio::test]
async fn a_token_that_is_not_valid_yet_answers_401_and_changes_nothing() {
    let s = two_stores().await;
    let early = s.app.token_with("root", "admin", "", |claims| {
        claims["nbf"] = json!(chrono::Utc::now().timestamp() + 3600);
    });

    assert_all_refused(
        &s.app,
        Some(&early),
        &every_protected_route(&s),
        401,
        "unauthenticated",
    )
    .await;
}

#[tokio::test]
async fn a_token_signed_by_another_key_answers_401_and_changes_nothing() {
    let s = two_stores().await;
    let claims = claims_of(&s.app, "root", "admin", "");
    let other_keys = DevKeys::generate().expect("a second key pair");
    let forged = other_keys.sign(&claims).expect("signed");

    assert_all_refused(
        &s.app,
        Some(&forged),
        &every_protected_route(&s),
        401,
        "unauthenticated",
    )
    .await;
}

#[tokio::test]
async fn a_signed_token_whose_claims_were_altered_afterwards_answers_401_and_changes_nothing() {
    let s = two_stores().await;
    let staff = s.app.token("mallory", "staff", B);
    let [header, _, signature]: [&str; 3] = staff
        .split('.')
        .collect::<Vec<_>>()
        .try_into()
        .expect("three segments");
    let promoted = segment(&claims_of(&s.app, "mallory", "admin", ""));
    let tampered = format!("{header}.{promoted}.{signature}");

    assert_all_refused(
        &s.app,
        Some(&tampered),
        &every_protected_route(&s),
        401,
        "unauthenticated",
    )
    .await;
}

#[tokio::test]
async fn a_token_with_alg_none_answers_401_and_changes_nothing() {
    let s = two_stores().await;
    let unsigned = unsigned_token(&claims_of(&s.app, "root", "admin", ""));

    assert_all_refused(
        &s.app,
        Some(&unsigned),
        &every_protected_route(&s),
        401,
        "unauthenticated",
    )
    .await;
}

#[tokio::test]
async fn an_hs256_token_keyed_with_the_public_key_answers_401_and_changes_nothing() {
    let s = two_stores().await;
    let claims = claims_of(&s.app, "root", "admin", "");
    let public_pem = &testkit::dev_keys().public_pem;
    // The classic key confusion: a verifier that let the token pick its algorithm would check
    // this HMAC with the (public) verification key as the secret, and accept it.
    let confused = hs256_token(&claims, public_pem.as_bytes());
    let trimmed = hs256_token(&claims, public_pem.trim_end().as_bytes());

    for token in [confused, trimmed] {
        assert_all_refused(
            &s.app,
            Some(&token),
            &every_protected_route(&s),
            401,
            "unauthenticated",
        )
        .await;
    }
}

#[tokio::test]
async fn a_token_for_another_audience_answers_401_and_changes_nothing() {
    let s = two_stores().await;
    let token = s.app.token_with("root", "admin", "", |claims| {
        claims["aud"] = json!("some-other-api");
    });

    assert_all_refused(
        &s.app,
        Some(&token),
        &every_protected_route(&s),
        401,
        "unauthenticated",
    )
    .await;
}

#[tokio::test]
async fn a_token_from_another_issuer_answers_401_and_changes_nothing() {
    let s = two_stores().await;
    let token = s.app.token_with("root", "admin", "", |claims| {
        claims["iss"] = json!("https://evil.example.com/issuer");
    });

    assert_all_refused(
        &s.app,
        Some(&token),
        &every_protected_route(&s),
        401,
        "unauthenticated",
    )
    .await;
}

#[tokio::test]
async fn a_token_without_a_subject_answers_401_and_changes_nothing() {
    let s = two_stores().await;
    let no_sub = s.app.token_with("root", "admin", "", |claims| {
        claims.as_object_mut().expect("an object").remove("sub");
    });
    let empty_sub = s.app.token_with("root", "admin", "", |claims| {
        claims["sub"] = json!("");
    });

    for token in [no_sub, empty_sub] {
        assert_all_refused(
            &s.app,
            Some(&token),
            &every_protected_route(&s),
            401,
            "unauthenticated",
        )
        .await;
    }
}

// ---------------------------------------------------------------------------------------------
// 403: a valid token whose roles or stores do not cover the request

#[tokio::test]
async fn staff_of_store_a_are_refused_403_for_store_b_and_change_nothing_there() {
    let s = two_stores().await;
    let staff = s.app.token("asha", "staff", A);

    assert_all_refused(
        &s.app,
        Some(&staff),
        &[
            put_stock(B, "p1"),
            adjust(B, "p1"),
            bulk(B, "p1"),
            reserve(B, "order-staff"),
            low_stock(B),
            history(B, "p1"),
            get_reservation(&s.b[0]),
            release(&s.b[0]),
            release_by_body(&s.b[1]),
        ],
        403,
        "forbidden",
    )
    .await;
}

#[tokio::test]
async fn the_same_staff_token_works_for_its_own_store() {
    let s = two_stores().await;
    let staff = s.app.token("asha", "staff", A);

    assert_all_succeed(
        &s.app,
        Some(&staff),
        &[
            put_stock(A, "p1"),
            adjust(A, "p1"),
            reserve(A, "order-staff"),
            low_stock(A),
            history(A, "p1"),
            get_reservation(&s.a[0]),
            release(&s.a[0]),
            release_by_body(&s.a[1]),
        ],
    )
    .await;

    let row = s.app.stored_row(A, "p1").await.expect("the row");
    // 10 on hand, 3 reserved; -1 sold, -1 damaged, +1 reserved, 2 released.
    assert_eq!(
        (row.current_stock, row.reserved_stock, row.available_stock),
        (8, 2, 6)
    );
}

#[tokio::test]
async fn staff_may_not_complete_a_reservation_even_in_their_own_store() {
    let s = two_stores().await;
    let staff = s.app.token("asha", "staff", A);

    assert_all_refused(&s.app, Some(&staff), &[complete(&s.a[0])], 403, "forbidden").await;
    let reservation = s.app.get(&get_reservation(&s.a[0]).uri).await;
    assert_eq!(reservation.json["status"], "active", "{}", reservation.text);
}

#[tokio::test]
async fn staff_may_not_list_expired_reservations_which_cover_every_store() {
    let s = two_stores().await;
    let staff = s.app.token("asha", "staff", &format!("{A},{B}"));

    let response = send(&s.app, Some(&staff), &expired()).await;

    response.assert_problem(403, "forbidden");
}

#[tokio::test]
async fn a_token_without_a_known_role_is_refused_403_everywhere() {
    let s = two_stores().await;
    let nobody = s.app.token("guest", "", A);
    let superuser = s.app.token("guest", "superuser,root", A);

    for token in [nobody, superuser] {
        assert_all_refused(
            &s.app,
            Some(&token),
            &every_protected_route(&s),
            403,
            "forbidden",
        )
        .await;
    }
}

// ---------------------------------------------------------------------------------------------
// The actor recorded in the ledger is the token's subject

#[tokio::test]
async fn an_adjustment_naming_another_actor_than_the_token_is_refused_403_and_changes_nothing() {
    let s = two_stores().await;
    let staff = s.app.token("asha", "staff", A);

    assert_all_refused(
        &s.app,
        Some(&staff),
        &[adjust_with(A, "p1", |body| {
            body["created_by"] = json!("someone-else");
        })],
        403,
        "forbidden",
    )
    .await;
}

#[tokio::test]
async fn an_adjustment_naming_the_token_subject_records_that_subject_as_actor() {
    let s = two_stores().await;
    let staff = s.app.token("asha", "staff", A);

    let response = send(
        &s.app,
        Some(&staff),
        &adjust_with(A, "p1", |body| body["created_by"] = json!("asha")),
    )
    .await;

    assert_eq!(response.status, 200, "{}", response.text);
    let movements = movements(&s.app, &staff, A, "p1").await;
    let last = movements.last().expect("a movement");
    assert_eq!(last["movement_type"], "adjustment", "{last}");
    assert_eq!(last["actor"], "asha", "{last}");
}

#[tokio::test]
async fn an_adjustment_without_created_by_records_the_token_subject_as_actor() {
    let s = two_stores().await;
    let staff = s.app.token("asha", "staff", A);

    let response = send(&s.app, Some(&staff), &adjust(A, "p1")).await;

    assert_eq!(response.status, 200, "{}", response.text);
    let movements = movements(&s.app, &staff, A, "p1").await;
    let last = movements.last().expect("a movement");
    assert_eq!(last["movement_type"], "adjustment", "{last}");
    assert_eq!(last["actor"], "asha", "{last}");
}

#[tokio::test]
async fn every_change_records_the_token_subject_as_actor() {
    let s = two_stores().await;
    let staff = s.app.token("asha", "staff", A);
    let service = s.app.token("order-service", "service", "");

    for (token, c) in [
        (&staff, put_stock(A, "p1")),
        (&staff, release(&s.a[0])),
        (&service, complete(&s.a[1])),
    ] {
        let response = send(&s.app, Some(token), &c).await;
        assert_eq!(
            response.status, 200,
            "{} {}: {}",
            c.method, c.uri, response.text
        );
    }
    let staff_reservation = send(&s.app, Some(&staff), &reserve(A, "order-staff")).await;
    assert_eq!(staff_reservation.status, 201, "{}", staff_reservation.text);

    let actors: Vec<(String, String)> = movements(&s.app, &staff, A, "p1")
        .await
        .iter()
        .map(|m| {
            (
                m["movement_type"].as_str().expect("type").to_owned(),
                m["actor"].as_str().expect("actor").to_owned(),
            )
        })
        .collect();
    assert_eq!(
        actors[3..],
        [
            ("stock_update".to_owned(), "asha".to_owned()),
            ("release".to_owned(), "asha".to_owned()),
            ("commit".to_owned(), "order-service".to_owned()),
            ("reserve".to_owned(), "asha".to_owned()),
        ],
        "after the fixture's three reservations by test-admin: {actors:?}"
    );
}

// ---------------------------------------------------------------------------------------------
// Existence is not revealed

#[tokio::test]
async fn another_stores_reservation_and_a_nonexistent_one_both_answer_403_to_staff() {
    let s = two_stores().await;
    let staff = s.app.token("asha", "staff", A);
    let missing = "res-00000000000000000000000000000000";

    for id in [s.b[0].as_str(), missing] {
        assert_all_refused(
            &s.app,
            Some(&staff),
            &[get_reservation(id), release(id), release_by_body(id)],
            403,
            "forbidden",
        )
        .await;
    }
}

#[tokio::test]
async fn another_stores_reservation_and_a_nonexistent_one_answer_identical_403_bodies() {
    let s = two_stores().await;
    let staff = s.app.token("asha", "staff", A);
    let missing = "res-00000000000000000000000000000000";

    for make in [get_reservation, release, release_by_body] {
        let existing = send(&s.app, Some(&staff), &make(&s.b[0])).await;
        let nonexistent = send(&s.app, Some(&staff), &make(missing)).await;

        existing.assert_problem(403, "forbidden");
        nonexistent.assert_problem(403, "forbidden");
        assert_eq!(
            existing.json,
            nonexistent.json,
            "{}: the body does not tell an existing id from a missing one",
            make(missing).uri
        );
    }
    // A store manager may complete, but only for their own stores.
    let manager = s.app.token("meera", "store_manager", A);
    let existing = send(&s.app, Some(&manager), &complete(&s.b[0])).await;
    let nonexistent = send(&s.app, Some(&manager), &complete(missing)).await;
    existing.assert_problem(403, "forbidden");
    nonexistent.assert_problem(403, "forbidden");
    assert_eq!(existing.json, nonexistent.json, "complete");
}

#[tokio::test]
async fn a_stock_change_in_another_store_answers_the_same_403_whether_or_not_the_row_exists() {
    let s = two_stores().await;
    let staff = s.app.token("asha", "staff", A);
    let calls = [
        put_stock(B, "p1"),
        put_stock(B, "p-missing"),
        put_stock("s-missing", "p1"),
        adjust(B, "p1"),
        adjust(B, "p-missing"),
        bulk(B, "p1"),
        bulk(B, "p-missing"),
        history(B, "p1"),
        history(B, "p-missing"),
    ];

    assert_all_refused(&s.app, Some(&staff), &calls, 403, "forbidden").await;
    let existing = send(&s.app, Some(&staff), &put_stock(B, "p1")).await;
    let missing = send(&s.app, Some(&staff), &put_stock(B, "p-missing")).await;
    assert_eq!(existing.json, missing.json, "identical bodies");
}

#[tokio::test]
async fn a_401_is_the_same_whether_or_not_the_resource_exists() {
    let s = two_stores().await;
    let missing = "res-00000000000000000000000000000000";

    let existing = send(&s.app, None, &get_reservation(&s.b[0])).await;
    let nonexistent = send(&s.app, None, &get_reservation(missing)).await;

    existing.assert_problem(401, "unauthenticated");
    nonexistent.assert_problem(401, "unauthenticated");
    assert_eq!(existing.json, nonexistent.json);
}

// ---------------------------------------------------------------------------------------------
// What each role may do

#[tokio::test]
async fn the_service_role_may_reserve_complete_and_release_for_any_store() {
    let s = two_stores().await;
    let service = s.app.token("order-service", "service", "");

    assert_all_succeed(
        &s.app,
        Some(&service),
        &[
            reserve(A, "order-svc-a"),
            reserve(B, "order-svc-b"),
            complete(&s.a[0]),
            complete(&s.b[0]),
            release(&s.a[1]),
            release(&s.b[1]),
            release_by_body(&s.b[2]),
            get_reservation(&s.b[2]),
            expired(),
        ],
    )
    .await;

    for (id, status) in [(&s.a[0], "completed"), (&s.b[1], "released")] {
        let r = s.app.get(&get_reservation(id).uri).await;
        assert_eq!(r.json["status"], status, "{}", r.text);
    }
}

#[tokio::test]
async fn the_service_role_may_not_change_stock_directly() {
    let s = two_stores().await;
    let service = s.app.token("order-service", "service", "");

    assert_all_refused(
        &s.app,
        Some(&service),
        &[put_stock(A, "p1"), adjust(B, "p1"), bulk(A, "p1")],
        403,
        "forbidden",
    )
    .await;
}

#[tokio::test]
async fn a_store_manager_may_complete_for_their_own_store_only() {
    let s = two_stores().await;
    let manager = s.app.token("meera", "store_manager", A);

    let own = send(&s.app, Some(&manager), &complete(&s.a[0])).await;
    assert_eq!(own.status, 200, "{}", own.text);
    assert_eq!(own.json["status"], "completed", "{}", own.text);

    assert_all_refused(
        &s.app,
        Some(&manager),
        &[complete(&s.b[0]), put_stock(B, "p1"), reserve(B, "order-m")],
        403,
        "forbidden",
    )
    .await;
    let other = s.app.get(&get_reservation(&s.b[0]).uri).await;
    assert_eq!(other.json["status"], "active", "{}", other.text);
}

#[tokio::test]
async fn a_store_manager_may_not_list_expired_reservations_which_cover_every_store() {
    let s = two_stores().await;
    let manager = s.app.token("meera", "store_manager", &format!("{A},{B}"));

    send(&s.app, Some(&manager), &expired())
        .await
        .assert_problem(403, "forbidden");
}

#[tokio::test]
async fn an_admin_may_do_everything_for_every_store() {
    let s = two_stores().await;
    let admin = s.app.token("root", "admin", "");

    assert_all_succeed(
        &s.app,
        Some(&admin),
        &[
            put_stock(A, "p1"),
            put_stock(B, "p1"),
            adjust(B, "p1"),
            low_stock(B),
            history(B, "p1"),
            reserve(B, "order-admin"),
            get_reservation(&s.b[0]),
            complete(&s.b[0]),
            release(&s.a[0]),
            release_by_body(&s.b[1]),
            expired(),
        ],
    )
    .await;
}

#[tokio::test]
async fn roles_combine_a_staff_token_that_is_also_service_may_complete_anywhere() {
    let s = two_stores().await;
    let both = s.app.token("hybrid", "staff,service", A);

    assert_all_succeed(
        &s.app,
        Some(&both),
        &[complete(&s.b[0]), put_stock(A, "p1")],
    )
    .await;
    // Staff's stock rights stay scoped to its stores; service grants no stock rights.
    assert_all_refused(&s.app, Some(&both), &[put_stock(B, "p1")], 403, "forbidden").await;
}

// ---------------------------------------------------------------------------------------------
// Public routes

/// One request for every public route of the storefront.
fn every_public_route(barcode: &str) -> Vec<Call> {
    vec![
        call(
            "GET /api/v1/inventory/products",
            format!("/api/v1/inventory/products?store_id={A}"),
            None,
        ),
        call(
            "GET /api/v1/inventory/products/{store_id}/{product_id}",
            format!("/api/v1/inventory/products/{A}/p1"),
            None,
        ),
        call(
            "GET /api/v1/inventory/search",
            format!("/api/v1/inventory/search?store_id={A}&q=product"),
            None,
        ),
        call(
            "GET /api/v1/inventory/products/{store_id}/{product_id}/availability",
            format!("/api/v1/inventory/products/{A}/p1/availability?quantity=1"),
            None,
        ),
        call(
            "GET /api/v1/inventory/barcode/{barcode}",
            format!("/api/v1/inventory/barcode/{barcode}"),
            None,
        ),
        call(
            "GET /api/v1/inventory/categories",
            "/api/v1/inventory/categories",
            None,
        ),
        call(
            "GET /api/v1/inventory/units",
            "/api/v1/inventory/units",
            None,
        ),
        call("GET /health", "/health", None),
        call("GET /health/ready", "/health/ready", None),
        call(
            "GET /api/v1/products/{product_id}",
            "/api/v1/products/p1",
            None,
        ),
    ]
}

#[tokio::test]
async fn the_request_list_covers_every_public_route_of_the_template() {
    let template = Template::of_repository().expect("template.yaml parses");
    let public: BTreeSet<String> = template
        .http_routes()
        .filter(|(function, _, _)| !function.requires_token)
        .map(|(_, method, path)| format!("{method} {path}"))
        .collect();

    let covered: BTreeSet<String> = every_public_route("8900000000000")
        .iter()
        .map(|c| c.route.to_owned())
        .collect();

    assert_eq!(covered, public);
}

#[tokio::test]
async fn public_routes_answer_without_a_token() {
    let app = TestApp::new().await;
    let (product, _) = app.given_stock(A, "p1", 10).await;

    let calls = every_public_route(product.barcode.as_str());
    assert_all_succeed(&app, None, &calls).await;
}

#[tokio::test]
async fn public_routes_answer_even_with_an_invalid_token_which_the_gateway_does_not_check_there() {
    let app = TestApp::new().await;
    let (product, _) = app.given_stock(A, "p1", 10).await;
    let claims = claims_of(&app, "root", "admin", "");
    let expired = app.token_with("root", "admin", "", |c| {
        c["exp"] = json!(chrono::Utc::now().timestamp() - 60);
    });
    let calls = every_public_route(product.barcode.as_str());

    for token in [
        "not-a-jwt".to_owned(),
        expired,
        unsigned_token(&claims),
        DevKeys::generate()
            .expect("a key pair")
            .sign(&claims)
            .expect("signed"),
    ] {
        assert_all_succeed(&app, Some(&token), &calls).await;
    }
    for c in &calls {
        let response = app
            .send_with_authorization(Some("Basic x"), c.method, &c.uri, c.body.as_deref())
            .await;
        assert_eq!(
            response.status, 200,
            "{} {}: {}",
            c.method, c.uri, response.text
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Cognito groups

/// A token whose roles come only from `cognito:groups`.
fn cognito_token(app: &TestApp, subject: &str, groups: &[&str], stores: &str) -> String {
    app.token_with(subject, "", stores, |claims| {
        let object = claims.as_object_mut().expect("an object");
        object.remove("roles");
        object.insert("cognito:groups".into(), json!(groups));
    })
}

#[tokio::test]
async fn cognito_groups_grant_roles_like_the_roles_claim() {
    let s = two_stores().await;
    let staff = cognito_token(&s.app, "asha", &["staff"], A);
    let service = cognito_token(&s.app, "order-service", &["service"], "");
    let admin = cognito_token(&s.app, "root", &["admin"], "");

    assert_all_succeed(
        &s.app,
        Some(&staff),
        &[put_stock(A, "p1"), reserve(A, "order-c"), release(&s.a[0])],
    )
    .await;
    assert_all_refused(
        &s.app,
        Some(&staff),
        &[put_stock(B, "p1"), complete(&s.a[1]), expired()],
        403,
        "forbidden",
    )
    .await;
    assert_all_succeed(&s.app, Some(&service), &[complete(&s.b[0]), expired()]).await;
    assert_all_refused(
        &s.app,
        Some(&service),
        &[put_stock(A, "p1")],
        403,
        "forbidden",
    )
    .await;
    assert_all_succeed(
        &s.app,
        Some(&admin),
        &[put_stock(B, "p1"), complete(&s.a[1])],
    )
    .await;
}

#[tokio::test]
async fn cognito_groups_and_roles_together_grant_the_union() {
    let s = two_stores().await;
    let token = s.app.token_with("hybrid", "staff", A, |claims| {
        claims["cognito:groups"] = json!(["service"]);
    });

    assert_all_succeed(
        &s.app,
        Some(&token),
        &[put_stock(A, "p1"), complete(&s.b[0]), expired()],
    )
    .await;
}
