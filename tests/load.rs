//! Concurrency: many orders racing for little stock, and one order sent many times at once.

use futures::future::join_all;
use futures::stream::{self, StreamExt};
use inventory::db::Movement;
use inventory::domain::{MovementType, ProductId, Stock, StoreId};
use serde_json::json;
use std::collections::BTreeMap;
use std::time::{Duration, Instant};
use testkit::{TestApp, TestResponse};

const STORE: &str = "s1";
const PRODUCTS: [&str; 5] = ["p1", "p2", "p3", "p4", "p5"];
const STOCK: i64 = 40;
const ORDERS: usize = 200;
/// Requests in flight at once for the ledger-checking race; the test below pushes 50.
const IN_FLIGHT: usize = 10;
/// The whole test, reservations and completions, must finish within this.
const DEADLINE: Duration = Duration::from_secs(120);

/// A small deterministic generator (Knuth's MMIX LCG), so every run sends the same orders.
struct Lcg(u64);

impl Lcg {
    fn below(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) % n
    }
}

/// `ORDERS` orders of 1-3 lines of 1-3 units over random products (a product may repeat).
fn orders(seed: u64) -> Vec<Vec<(usize, i64)>> {
    let mut rng = Lcg(seed);
    (0..ORDERS)
        .map(|_| {
            (0..=rng.below(3))
                .map(|_| {
                    let product = usize::try_from(rng.below(5)).expect("small");
                    let quantity = i64::try_from(rng.below(3)).expect("small") + 1;
                    (product, quantity)
                })
                .collect()
        })
        .collect()
}

/// An order's units per product, as a reservation holds them.
fn summed(lines: &[(usize, i64)]) -> BTreeMap<usize, i64> {
    let mut units = BTreeMap::new();
    for &(product, quantity) in lines {
        *units.entry(product).or_insert(0) += quantity;
    }
    units
}

/// A product's movements, oldest first.
async fn ledger(app: &TestApp, product: &str) -> Vec<Movement> {
    let (store, product) = (
        StoreId::parse(STORE).expect("store id"),
        ProductId::parse(product).expect("product id"),
    );
    let mut all = Vec::new();
    let mut start = None;
    for _ in 0..100 {
        let (page, next) = app
            .app
            .db
            .movements(&store, &product, 100, start)
            .await
            .expect("movements read");
        all.extend(page);
        match next {
            Some(token) => start = Some(token),
            None => break,
        }
    }
    all.reverse();
    all
}

/// The movements replay from `initial` on hand to the stored row, never below zero.
async fn assert_ledger_replays_to_the_stored_row(
    app: &TestApp,
    product: &str,
    initial: i64,
    movements: &[Movement],
) {
    let row = app.stored_row(STORE, product).await.expect("row exists");
    let mut previous = Stock::on_hand(initial);
    for (i, m) in movements.iter().enumerate() {
        assert_eq!(
            m.seq,
            i64::try_from(i).expect("small") + 1,
            "{product}'s movements are numbered without gaps"
        );
        assert_eq!(
            m.before(),
            previous,
            "{product}'s movement {} starts where the one before ended",
            m.seq
        );
        let after = m.after();
        assert!(
            after.current == after.available + after.reserved
                && after.available >= 0
                && after.reserved >= 0,
            "{product}'s movement {} leaves a valid row: {after:?}",
            m.seq
        );
        previous = after;
    }
    assert_eq!(
        previous,
        row.stock(),
        "{product}'s ledger replays to its stored row"
    );
}

/// How a race of orders went.
#[derive(Debug)]
struct Tally {
    reserved: usize,
    refused: usize,
    busy: usize,
    busy_completions: usize,
    reserving: Duration,
    completing: Duration,
}

/// Sends `ORDERS` orders for `STOCK` units of each product, `in_flight` at a time, through
/// `POST /api/v1/inventory/reserve`, then completes every reservation, `in_flight` at a time;
/// asserts that nothing was oversold and that the rows and the ledger account for exactly the
/// completed orders (so a refused or busy request changed nothing), and tallies the answers.
async fn orders_race_for_the_stock(in_flight: usize) -> Tally {
    let app = TestApp::new().await;
    for product in PRODUCTS {
        app.given_stock(STORE, product, STOCK).await;
    }
    let orders = orders(0x5eed_2024);
    let demand: i64 = orders.iter().flatten().map(|(_, q)| q).sum();
    assert!(
        demand > STOCK * 5,
        "demand ({demand}) exceeds supply, so some orders must be refused"
    );

    let started = Instant::now();
    let answers: Vec<(usize, TestResponse)> = stream::iter(orders.iter().enumerate())
        .map(|(i, lines)| {
            let items: Vec<_> = lines
                .iter()
                .map(|&(p, q)| json!({"product_id": PRODUCTS[p], "quantity": q}))
                .collect();
            let body = json!({
                "store_id": STORE,
                "order_id": format!("order-{i:04}"),
                "items": items,
            })
            .to_string();
            let app = &app;
            async move { (i, app.post("/api/v1/inventory/reserve", &body).await) }
        })
        .buffer_unordered(in_flight)
        .collect()
        .await;
    let reserving = started.elapsed();

    let mut reserved: Vec<(String, usize)> = Vec::new();
    let (mut refused, mut busy) = (0, 0);
    for (i, answer) in &answers {
        match answer.status {
            201 => {
                let id = answer.json["reservation_id"]
                    .as_str()
                    .expect("a reservation id")
                    .to_owned();
                let held: BTreeMap<usize, i64> = answer.json["lines"]
                    .as_array()
                    .expect("lines")
                    .iter()
                    .map(|l| {
                        let p = PRODUCTS
                            .iter()
                            .position(|p| l["product_id"] == *p)
                            .expect("a known product");
                        (p, l["quantity"].as_i64().expect("a quantity"))
                    })
                    .collect();
                assert_eq!(held, summed(&orders[*i]), "order {i} holds what it asked");
                reserved.push((id, *i));
            }
            409 => {
                answer.assert_problem(409, "insufficient_stock");
                refused += 1;
            }
            503 => {
                answer.assert_problem(503, "service_busy");
                busy += 1;
            }
            other => panic!("order {i}: unexpected {other}: {}", answer.text),
        }
    }

    let started = Instant::now();
    let completions: Vec<(String, usize, TestResponse)> = stream::iter(reserved.iter().cloned())
        .map(|(id, i)| {
            let app = &app;
            async move {
                let answer = app
                    .post(&format!("/api/v1/reservations/{id}/complete"), "")
                    .await;
                (id, i, answer)
            }
        })
        .buffer_unordered(in_flight)
        .collect()
        .await;
    let mut completed: Vec<usize> = Vec::new();
    let mut busy_completions = 0;
    for (id, i, mut answer) in completions {
        // A busy answer changed nothing; a client retries it, and so do we, a few times.
        for _ in 0..3 {
            if answer.status != 503 {
                break;
            }
            busy_completions += 1;
            answer = app
                .post(&format!("/api/v1/reservations/{id}/complete"), "")
                .await;
        }
        assert_eq!(answer.status, 200, "completing {id}: {}", answer.text);
        assert_eq!(answer.json["status"], "completed", "{}", answer.text);
        completed.push(i);
    }
    let completing = started.elapsed();

    let mut committed = [0i64; PRODUCTS.len()];
    for i in &completed {
        for (p, q) in summed(&orders[*i]) {
            committed[p] += q;
        }
    }
    for (p, product) in PRODUCTS.iter().enumerate() {
        let row = app.stored_row(STORE, product).await.expect("row exists");
        assert!(
            row.current_stock >= 0 && row.available_stock >= 0,
            "{product} never went below zero: {row:?}"
        );
        assert_eq!(
            STOCK - row.current_stock,
            committed[p],
            "{product}: the units shipped are exactly those of the completed orders"
        );
        assert_eq!(
            (row.reserved_stock, row.available_stock),
            (0, row.current_stock),
            "{product}: nothing is left reserved"
        );

        let movements = ledger(&app, product).await;
        let sum = |kind: MovementType| -> i64 {
            movements
                .iter()
                .filter(|m| m.movement_type == kind)
                .map(|m| m.delta)
                .sum()
        };
        assert_eq!(
            sum(MovementType::Commit),
            -committed[p],
            "{product}: the commit movements add up to the units shipped"
        );
        assert_eq!(
            sum(MovementType::Reserve),
            committed[p],
            "{product}: the reserve movements add up to the units shipped"
        );
        assert!(
            movements.iter().all(|m| matches!(
                m.movement_type,
                MovementType::Reserve | MovementType::Commit
            )),
            "{product}: only reservations and commits were recorded"
        );
        assert_ledger_replays_to_the_stored_row(&app, product, STOCK, &movements).await;
    }

    let tally = Tally {
        reserved: reserved.len(),
        refused,
        busy,
        busy_completions,
        reserving,
        completing,
    };
    println!(
        "{ORDERS} orders, {in_flight} in flight: {} reserved, {} refused, {} busy in {:.1?}; \
         completed in {:.1?} ({} busy answers retried)",
        tally.reserved,
        tally.refused,
        tally.busy,
        tally.reserving,
        tally.completing,
        tally.busy_completions
    );
    tally
}

#[tokio::test]
async fn two_hundred_concurrent_orders_never_oversell_and_the_ledger_agrees() {
    let tally = tokio::time::timeout(DEADLINE, orders_race_for_the_stock(IN_FLIGHT))
        .await
        .expect("the orders were served within the deadline");

    assert!(tally.reserved > 0, "some orders were reserved: {tally:?}");
    assert!(
        tally.refused > 0,
        "some orders were refused: stock ran out: {tally:?}"
    );
    assert!(
        tally.busy * 20 <= ORDERS,
        "service_busy is rare (at most 5% of orders): {tally:?}"
    );
}

/// Contention on a few hot rows must be served, not refused as busy. This failed (75% busy)
/// while a stale movement key forced a re-read on every retry and test tables piled up in
/// DynamoDB Local; it now serves 200 orders at 50 in flight with no busy answer in about 11 s.
#[tokio::test]
async fn fifty_orders_in_flight_on_five_rows_are_rarely_answered_busy() {
    let tally = tokio::time::timeout(DEADLINE, orders_race_for_the_stock(50))
        .await
        .expect("the orders were served within the deadline");

    assert!(
        tally.busy * 20 <= ORDERS,
        "service_busy is rare (at most 5% of orders): {tally:?}"
    );
    assert!(
        tally.refused > 0,
        "stock ran out and further orders were refused: {tally:?}"
    );
}

#[tokio::test]
async fn the_same_order_submitted_twenty_times_concurrently_deducts_once() {
    let app = TestApp::new().await;
    app.given_stock(STORE, "p1", 10).await;
    app.given_stock(STORE, "p2", 10).await;
    let command = json!({
        "action": "deduct",
        "order_id": "counter-0042",
        "store_id": STORE,
        "items": [
            {"product_id": "p1", "quantity": 2},
            {"product_id": "p2", "quantity": 3},
        ],
    });

    let results = tokio::time::timeout(
        Duration::from_secs(60),
        join_all((0..20).map(|_| inventory::orders::handle(&app.app, command.clone()))),
    )
    .await
    .expect("the twenty answers came within a minute");

    let answers: Vec<serde_json::Value> = results
        .iter()
        .map(|r| serde_json::to_value(r).expect("serialises"))
        .collect();
    for answer in &answers {
        assert_eq!(answer["ok"], true, "every copy succeeds: {answer}");
    }
    let ids: Vec<&str> = answers
        .iter()
        .map(|a| a["reservation"]["reservation_id"].as_str().expect("an id"))
        .collect();
    assert!(
        ids.iter().all(|id| *id == ids[0]),
        "every copy answers the same reservation: {ids:?}"
    );
    assert_eq!(
        answers.iter().filter(|a| a["replayed"] == false).count(),
        1,
        "exactly one copy did the work; the others were replays"
    );
    assert!(
        answers
            .iter()
            .all(|a| a["reservation"]["status"] == "completed"),
        "the sale is completed"
    );

    for (product, units) in [("p1", 2), ("p2", 3)] {
        let row = app.stored_row(STORE, product).await.expect("row exists");
        assert_eq!(
            (row.current_stock, row.reserved_stock, row.available_stock),
            (10 - units, 0, 10 - units),
            "{product}'s stock was taken once"
        );
        let movements = ledger(&app, product).await;
        assert_eq!(
            movements.len(),
            1,
            "{product} has exactly one movement: {movements:#?}"
        );
        assert_eq!(movements[0].movement_type, MovementType::Deduct);
        assert_eq!(movements[0].delta, -units, "{product}'s deduct movement");
        assert_eq!(
            movements[0].reservation_id.as_ref().map(|r| r.as_str()),
            Some(ids[0]),
            "{product}'s movement names the reservation"
        );
        assert_ledger_replays_to_the_stored_row(&app, product, 10, &movements).await;
    }
}
