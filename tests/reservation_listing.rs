//! Listing a store's reservations: newest first, by status, page by page.

use chrono::Duration;
use testkit::routes::RESERVATIONS;
use testkit::{expiring, order, order_in, reservation_ids, TestApp};

/// Reservations in `s1` of every status, each created one second after the one before:
/// (expired, active, completed, released), oldest first. One other in `s2`.
async fn reservations_of_every_status(app: &TestApp) -> [String; 4] {
    app.given_stock("s1", "p1", 100).await;
    app.given_stock("s2", "p1", 100).await;
    let expired = app
        .reserved(&expiring(order("o-expired", &[("p1", 1)]), 1))
        .await;
    app.app.clock.advance(Duration::minutes(2));
    let active = app.reserved(&order("o-active", &[("p1", 1)])).await;
    app.app.clock.advance(Duration::seconds(1));
    let completed = app.reserved(&order("o-completed", &[("p1", 1)])).await;
    app.app.clock.advance(Duration::seconds(1));
    let released = app.reserved(&order("o-released", &[("p1", 1)])).await;
    app.app.clock.advance(Duration::seconds(1));
    app.reserved(&order_in("s2", "o-other", &[("p1", 1)])).await;
    assert_eq!(app.complete(&completed).await.status, 200, "completed");
    assert_eq!(app.release(&released).await.status, 200, "released");
    [expired, active, completed, released]
}

#[tokio::test]
async fn listing_shows_a_stores_reservations_newest_first_filtered_by_status() {
    let app = TestApp::with_manual_clock().await;
    let [expired, active, completed, released] = reservations_of_every_status(&app).await;

    let all = app.get(&format!("{RESERVATIONS}?store_id=s1")).await;
    let by_status = |status: &'static str| {
        let app = &app;
        async move {
            let r = app
                .get(&format!("{RESERVATIONS}?store_id=s1&status={status}"))
                .await;
            assert_eq!(r.status, 200, "{status}: {}", r.text);
            for item in r.json["reservations"].as_array().expect("reservations") {
                assert_eq!(
                    item["status"], status,
                    "{status} lists only {status}: {item}"
                );
            }
            reservation_ids(&r)
        }
    };

    assert_eq!(all.status, 200, "{}", all.text);
    assert_eq!(
        reservation_ids(&all),
        [&released, &completed, &active, &expired].map(String::clone),
        "every reservation of s1 and none of s2, newest first"
    );
    assert_eq!(all.json["count"], 4, "{}", all.text);
    assert_eq!(by_status("active").await, [active.as_str()], "active");
    assert_eq!(by_status("completed").await, [completed], "completed");
    assert_eq!(by_status("released").await, [released], "released");
    assert_eq!(
        by_status("expired").await,
        [expired.as_str()],
        "expired, though not yet swept"
    );
    assert_eq!(inventory::expiry::sweep(&app.app).await.expired, 1, "swept");
    assert_eq!(by_status("expired").await, [expired], "expired, once swept");
    assert_eq!(
        by_status("active").await,
        [active],
        "active, after the sweep"
    );
}

#[tokio::test]
async fn listing_pages_with_limit_and_next_token_cover_every_reservation_exactly_once() {
    let app = TestApp::with_manual_clock().await;
    app.given_stock("s1", "p1", 100).await;
    let mut created = Vec::new();
    for i in 0..7 {
        let id = app.reserved(&order(&format!("o{i}"), &[("p1", 1)])).await;
        if i % 2 == 0 {
            assert_eq!(app.complete(&id).await.status, 200, "completed");
        }
        created.push(id);
        app.app.clock.advance(Duration::seconds(1));
    }
    created.reverse();
    let completed: Vec<String> = created
        .iter()
        .enumerate()
        .filter(|(i, _)| i % 2 == 0)
        .map(|(_, id)| id.clone())
        .collect();

    for (filter, expected) in [("", &created), ("&status=completed", &completed)] {
        let mut seen = Vec::new();
        let mut uri = format!("{RESERVATIONS}?store_id=s1&limit=2{filter}");
        for page in 0.. {
            assert!(page < 10, "{filter}: the pages end");
            let response = app.get(&uri).await;
            assert_eq!(response.status, 200, "{filter}: {}", response.text);
            let got = reservation_ids(&response);
            assert!(got.len() <= 2, "{filter}: a page holds at most the limit");
            seen.extend(got);
            match response.json["next_token"].as_str() {
                Some(token) => {
                    uri = format!("{RESERVATIONS}?store_id=s1&limit=2{filter}&next_token={token}");
                }
                None => break,
            }
        }
        assert_eq!(
            &seen, expected,
            "{filter}: every reservation once, newest first"
        );
    }
}

#[tokio::test]
async fn a_next_token_from_another_store_or_an_unknown_status_answers_400() {
    let app = TestApp::with_manual_clock().await;
    app.given_stock("s1", "p1", 100).await;
    app.given_stock("s2", "p1", 100).await;
    for i in 0..3 {
        app.reserved(&order_in("s2", &format!("o{i}"), &[("p1", 1)]))
            .await;
        app.reserved(&order_in("s1", &format!("o{i}"), &[("p1", 1)]))
            .await;
        app.app.clock.advance(Duration::seconds(1));
    }
    let s2_page = app
        .get(&format!("{RESERVATIONS}?store_id=s2&limit=1"))
        .await;
    let token = s2_page.json["next_token"]
        .as_str()
        .unwrap_or_else(|| panic!("a next_token: {}", s2_page.text))
        .to_owned();

    let foreign = app
        .get(&format!(
            "{RESERVATIONS}?store_id=s1&limit=1&next_token={token}"
        ))
        .await;
    let unknown_status = app
        .get(&format!("{RESERVATIONS}?store_id=s1&status=pending"))
        .await;
    let own = app
        .get(&format!(
            "{RESERVATIONS}?store_id=s2&limit=1&next_token={token}"
        ))
        .await;

    foreign.assert_problem(400, "invalid_parameter");
    assert_eq!(foreign.json["field"], "next_token", "{}", foreign.text);
    unknown_status.assert_problem(400, "invalid_parameter");
    assert_eq!(
        unknown_status.json["field"], "status",
        "{}",
        unknown_status.text
    );
    assert_eq!(
        own.status, 200,
        "the token works for its own store: {}",
        own.text
    );
}
