//! A property test: random sequences of reservations, sales, stock changes, counts and expiry
//! sweeps over two products, each step checked against a small model written here from the rules
//! in the README (not from `domain::Stock`), and against the product's own ledger.

use inventory::db::{Movement, MovementContext, ReservationError, RowChange, TxOutcome};
use inventory::domain::{
    Actor, MovementType, OrderId, Outcome, ProductId, Quantity, Refusal, Reservation,
    ReservationId, ReserveRequest, Stock, StockOp, StoreId,
};
use proptest::prelude::*;
use proptest::sample::Index;
use proptest::test_runner::Config as ProptestConfig;
use std::collections::{BTreeMap, HashMap};
use testkit::TestApp;

const STORE: &str = "s1";
const PRODUCTS: [&str; 2] = ["p1", "p2"];

/// One thing a caller may do.
#[derive(Debug, Clone)]
enum Step {
    /// Hold the lines for order `o{order}` for `minutes`.
    Reserve {
        order: u8,
        lines: Vec<(usize, i64)>,
        minutes: i64,
    },
    /// Sell the lines outright for order `o{order}`.
    Deduct {
        order: u8,
        lines: Vec<(usize, i64)>,
        minutes: i64,
    },
    /// Release one of the reservations made so far (if any).
    Release { which: Index },
    /// Complete one of the reservations made so far (if any).
    Complete { which: Index },
    /// A stock update by a delta.
    Adjust { product: usize, delta: i64 },
    /// A count: set to `new_stock` if on hand is still the stock the model holds, plus `off`.
    StockCount {
        product: usize,
        new_stock: i64,
        off: i64,
    },
    /// Time passes, then the expiry sweeper runs.
    AdvanceClockAndSweep { minutes: i64 },
}

fn lines() -> impl Strategy<Value = Vec<(usize, i64)>> {
    prop::collection::vec((0..PRODUCTS.len(), 1..=3i64), 1..=3)
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        4 => (0..5u8, lines(), 1..=5i64)
            .prop_map(|(order, lines, minutes)| Step::Reserve { order, lines, minutes }),
        1 => (0..5u8, lines(), 1..=5i64)
            .prop_map(|(order, lines, minutes)| Step::Deduct { order, lines, minutes }),
        2 => any::<Index>().prop_map(|which| Step::Release { which }),
        2 => any::<Index>().prop_map(|which| Step::Complete { which }),
        2 => (0..PRODUCTS.len(), prop_oneof![-6..=-1i64, 1..=6i64])
            .prop_map(|(product, delta)| Step::Adjust { product, delta }),
        1 => (0..PRODUCTS.len(), 0..=15i64, prop_oneof![3 => Just(0i64), 1 => Just(-1i64), 1 => Just(1i64)])
            .prop_map(|(product, new_stock, off)| Step::StockCount { product, new_stock, off }),
        2 => (0..=4i64).prop_map(|minutes| Step::AdvanceClockAndSweep { minutes }),
    ]
}

/// What a step should answer. Both the model and the service's answers are put in these terms.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Answer {
    Done,
    /// An idempotent repeat: nothing changed, and this reservation was answered.
    Replayed(String),
    /// A reservation or sale refused for these lines: (product, requested, available).
    Short(Vec<(String, i64, i64)>),
    /// The same order id was used before for a different request, which made this reservation.
    OrderTaken(String),
    Insufficient {
        available: i64,
        requested: i64,
    },
    Mismatch {
        current: i64,
        expected: i64,
    },
    BelowReserved {
        reserved: i64,
        new_stock: i64,
    },
    NotActive,
    Swept(usize),
    /// No reservation to release or complete yet.
    Nothing,
}

/// One row's quantities, as the model keeps them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Row {
    current: i64,
    reserved: i64,
    available: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Held {
    /// Holding its units until the minute `expires_at` (minutes since the test began).
    Active {
        expires_at: i64,
    },
    Completed,
    Released,
    Expired,
}

#[derive(Debug, Clone)]
struct Booking {
    /// Filled in from the service's answer: ids are the service's to choose.
    id: String,
    lines: BTreeMap<usize, i64>,
    state: Held,
}

/// What an order id was first used for: compared on reuse.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Request {
    selling: bool,
    minutes: i64,
    lines: BTreeMap<usize, i64>,
}

#[derive(Debug)]
struct Model {
    rows: [Row; 2],
    /// Minutes since the test began.
    minute: i64,
    reservations: Vec<Booking>,
    orders: HashMap<u8, (Request, usize)>,
    /// Per product, the movements each step should have written: (type, delta), in groups of one
    /// step (the order within a sweep is the sweeper's).
    ledger: [Vec<Vec<(MovementType, i64)>>; 2],
}

impl Model {
    fn new(initial: [i64; 2]) -> Self {
        Self {
            rows: initial.map(|current| Row {
                current,
                reserved: 0,
                available: current,
            }),
            minute: 0,
            reservations: Vec::new(),
            orders: HashMap::new(),
            ledger: [Vec::new(), Vec::new()],
        }
    }

    fn record(&mut self, movements: Vec<(usize, MovementType, i64)>) {
        let mut groups: [Vec<(MovementType, i64)>; 2] = [Vec::new(), Vec::new()];
        for (product, kind, delta) in movements {
            groups[product].push((kind, delta));
        }
        for (product, group) in groups.into_iter().enumerate() {
            if !group.is_empty() {
                self.ledger[product].push(group);
            }
        }
    }

    fn pick(&self, which: &Index) -> Option<usize> {
        (!self.reservations.is_empty()).then(|| which.index(self.reservations.len()))
    }

    /// Predicts the answer to `step` and, when it changes anything, changes the model.
    fn apply(&mut self, step: &Step) -> Answer {
        match step {
            Step::Reserve {
                order,
                lines,
                minutes,
            } => self.place(*order, lines, *minutes, false),
            Step::Deduct {
                order,
                lines,
                minutes,
            } => self.place(*order, lines, *minutes, true),
            Step::Release { which } => {
                let Some(r) = self.pick(which) else {
                    return Answer::Nothing;
                };
                match self.reservations[r].state {
                    Held::Active { .. } => {
                        let lines = self.reservations[r].lines.clone();
                        let mut moved = Vec::new();
                        for (&p, &q) in &lines {
                            self.rows[p].reserved -= q;
                            self.rows[p].available += q;
                            moved.push((p, MovementType::Release, q));
                        }
                        self.record(moved);
                        self.reservations[r].state = Held::Released;
                        Answer::Done
                    }
                    Held::Released | Held::Expired => {
                        Answer::Replayed(self.reservations[r].id.clone())
                    }
                    Held::Completed => Answer::NotActive,
                }
            }
            Step::Complete { which } => {
                let Some(r) = self.pick(which) else {
                    return Answer::Nothing;
                };
                match self.reservations[r].state {
                    Held::Active { expires_at } if self.minute < expires_at => {
                        let lines = self.reservations[r].lines.clone();
                        let mut moved = Vec::new();
                        for (&p, &q) in &lines {
                            self.rows[p].reserved -= q;
                            self.rows[p].current -= q;
                            moved.push((p, MovementType::Commit, -q));
                        }
                        self.record(moved);
                        self.reservations[r].state = Held::Completed;
                        Answer::Done
                    }
                    Held::Completed => Answer::Replayed(self.reservations[r].id.clone()),
                    Held::Active { .. } | Held::Released | Held::Expired => Answer::NotActive,
                }
            }
            Step::Adjust { product, delta } => {
                let row = &mut self.rows[*product];
                if *delta < 0 && row.available < -delta {
                    return Answer::Insufficient {
                        available: row.available,
                        requested: -delta,
                    };
                }
                row.current += delta;
                row.available += delta;
                self.record(vec![(*product, MovementType::StockUpdate, *delta)]);
                Answer::Done
            }
            Step::StockCount {
                product,
                new_stock,
                off,
            } => {
                let row = &mut self.rows[*product];
                let expected = (row.current + off).max(0);
                if row.current != expected {
                    return Answer::Mismatch {
                        current: row.current,
                        expected,
                    };
                }
                if *new_stock < row.reserved {
                    return Answer::BelowReserved {
                        reserved: row.reserved,
                        new_stock: *new_stock,
                    };
                }
                row.current = *new_stock;
                row.available = new_stock - row.reserved;
                self.record(vec![(*product, MovementType::Count, new_stock - expected)]);
                Answer::Done
            }
            Step::AdvanceClockAndSweep { minutes } => {
                self.minute += minutes;
                let mut expired = 0;
                let mut moved = Vec::new();
                for r in &mut self.reservations {
                    if let Held::Active { expires_at } = r.state {
                        if self.minute >= expires_at {
                            for (&p, &q) in &r.lines {
                                self.rows[p].reserved -= q;
                                self.rows[p].available += q;
                                moved.push((p, MovementType::Expire, q));
                            }
                            r.state = Held::Expired;
                            expired += 1;
                        }
                    }
                }
                self.record(moved);
                Answer::Swept(expired)
            }
        }
    }

    fn place(&mut self, order: u8, lines: &[(usize, i64)], minutes: i64, selling: bool) -> Answer {
        let mut summed = BTreeMap::new();
        for &(p, q) in lines {
            *summed.entry(p).or_insert(0) += q;
        }
        let request = Request {
            selling,
            minutes,
            lines: summed.clone(),
        };
        if let Some((first, r)) = self.orders.get(&order) {
            let id = self.reservations[*r].id.clone();
            return if *first == request {
                Answer::Replayed(id)
            } else {
                Answer::OrderTaken(id)
            };
        }
        let short: Vec<(String, i64, i64)> = summed
            .iter()
            .filter(|(&p, &q)| self.rows[p].available < q)
            .map(|(&p, &q)| (PRODUCTS[p].to_owned(), q, self.rows[p].available))
            .collect();
        if !short.is_empty() {
            return Answer::Short(short);
        }
        let mut moved = Vec::new();
        for (&p, &q) in &summed {
            let row = &mut self.rows[p];
            row.available -= q;
            if selling {
                row.current -= q;
                moved.push((p, MovementType::Deduct, -q));
            } else {
                row.reserved += q;
                moved.push((p, MovementType::Reserve, q));
            }
        }
        self.record(moved);
        self.reservations.push(Booking {
            id: String::new(),
            lines: summed,
            state: if selling {
                Held::Completed
            } else {
                Held::Active {
                    expires_at: self.minute + minutes,
                }
            },
        });
        self.orders
            .insert(order, (request, self.reservations.len() - 1));
        Answer::Done
    }
}

fn store() -> StoreId {
    StoreId::parse(STORE).expect("store id")
}

fn product(p: usize) -> ProductId {
    ProductId::parse(PRODUCTS[p]).expect("product id")
}

fn staff() -> Actor {
    Actor::parse("staff:model-test").expect("actor")
}

fn reserve_request(order: u8, lines: &[(usize, i64)], minutes: i64) -> ReserveRequest {
    ReserveRequest::new(
        store(),
        OrderId::parse(format!("o{order}")).expect("order id"),
        lines
            .iter()
            .map(|&(p, q)| (product(p), Quantity::new("quantity", q).expect("quantity")))
            .collect(),
        Some(minutes),
    )
    .expect("a valid request")
}

fn placed(result: Result<(Reservation, Outcome), ReservationError>) -> (Answer, Option<String>) {
    match result {
        Ok((r, Outcome::Done)) => (Answer::Done, Some(r.reservation_id.to_string())),
        Ok((r, Outcome::AlreadyDone)) => (Answer::Replayed(r.reservation_id.to_string()), None),
        Err(ReservationError::Short(lines)) => {
            let mut short: Vec<_> = lines
                .into_iter()
                .map(|s| (s.product_id.to_string(), s.requested, s.available))
                .collect();
            short.sort();
            (Answer::Short(short), None)
        }
        Err(ReservationError::IdempotencyMismatch { reservation_id }) => {
            (Answer::OrderTaken(reservation_id.to_string()), None)
        }
        Err(ReservationError::NotActive(_)) => (Answer::NotActive, None),
        Err(other) => panic!("unexpected reservation error: {other:?}"),
    }
}

fn changed(outcome: TxOutcome) -> Answer {
    let TxOutcome::Refused(refused) = outcome else {
        return match outcome {
            TxOutcome::Applied(_) => Answer::Done,
            other => panic!("unexpected outcome of a stock change: {other:?}"),
        };
    };
    match refused.as_slice() {
        [one] => match one.refusal {
            Refusal::Insufficient {
                available,
                requested,
            } => Answer::Insufficient {
                available,
                requested,
            },
            Refusal::Mismatch { current, expected } => Answer::Mismatch { current, expected },
            Refusal::BelowReserved {
                reserved,
                new_stock,
            } => Answer::BelowReserved {
                reserved,
                new_stock,
            },
            other => panic!("unexpected refusal of one row's change: {other:?}"),
        },
        other => panic!("unexpected refusal of one row's change: {other:?}"),
    }
}

/// Runs `step` against the service and puts its answer in the model's terms; a new reservation's
/// id is returned alongside.
async fn perform(app: &TestApp, model: &Model, step: &Step) -> (Answer, Option<String>) {
    let db = &app.app.db;
    let now = app.app.clock.now();
    let change = |p: usize, op: StockOp, kind: MovementType| {
        let change = RowChange {
            store_id: store(),
            product_id: product(p),
            op,
        };
        let context = MovementContext::new(kind, staff(), app.app.now());
        async move {
            db.transact(std::slice::from_ref(&change), &context, &[])
                .await
                .expect("DynamoDB answers")
        }
    };
    let reservation = |which: &Index| {
        model.pick(which).map(|r| {
            ReservationId::parse(model.reservations[r].id.clone()).expect("a reservation id")
        })
    };
    match step {
        Step::Reserve {
            order,
            lines,
            minutes,
        } => placed(
            db.reserve(&reserve_request(*order, lines, *minutes), &staff(), now)
                .await,
        ),
        Step::Deduct {
            order,
            lines,
            minutes,
        } => placed(
            db.deduct(&reserve_request(*order, lines, *minutes), &staff(), now)
                .await,
        ),
        Step::Release { which } => match reservation(which) {
            None => (Answer::Nothing, None),
            Some(id) => (placed(db.release(&id, &staff(), now).await).0, None),
        },
        Step::Complete { which } => match reservation(which) {
            None => (Answer::Nothing, None),
            Some(id) => (placed(db.complete(&id, &staff(), now).await).0, None),
        },
        Step::Adjust { product, delta } => (
            changed(change(*product, StockOp::Add(*delta), MovementType::StockUpdate).await),
            None,
        ),
        Step::StockCount {
            product,
            new_stock,
            off,
        } => {
            let expected = (model.rows[*product].current + off).max(0);
            let op = StockOp::Set {
                new_stock: *new_stock,
                expected,
            };
            (
                changed(change(*product, op, MovementType::Count).await),
                None,
            )
        }
        Step::AdvanceClockAndSweep { minutes } => {
            app.app.clock.advance(chrono::Duration::minutes(*minutes));
            let report = inventory::expiry::sweep(&app.app).await;
            assert_eq!(
                (report.skipped, report.failed, report.more),
                (0, 0, false),
                "the sweep ran cleanly: {report:?}"
            );
            (Answer::Swept(report.expired), None)
        }
    }
}

/// A product's movements, oldest first.
async fn ledger(app: &TestApp, p: usize) -> Vec<Movement> {
    let mut all = Vec::new();
    let mut start = None;
    for _ in 0..20 {
        let (page, next) = app
            .app
            .db
            .movements(&store(), &product(p), 100, start)
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

fn sorted(group: &[(MovementType, i64)]) -> Vec<String> {
    let mut keys: Vec<String> = group.iter().map(|m| format!("{m:?}")).collect();
    keys.sort();
    keys
}

/// The stored rows equal the model, hold the invariant, and each product's ledger replays from
/// its initial stock to its stored row with exactly the movements the model expects.
async fn assert_service_agrees_with(app: &TestApp, model: &Model, initial: [i64; 2], at: &str) {
    for p in 0..PRODUCTS.len() {
        let name = PRODUCTS[p];
        let row = app.stored_row(STORE, name).await.expect("row exists");
        let stored = Stock {
            current: row.current_stock,
            reserved: row.reserved_stock,
            available: row.available_stock,
        };
        let m = model.rows[p];
        let expected = Stock {
            current: m.current,
            reserved: m.reserved,
            available: m.available,
        };
        assert_eq!(
            stored, expected,
            "{at}: stored row of {name} equals the model"
        );
        assert!(
            stored.current == stored.available + stored.reserved
                && stored.available >= 0
                && stored.reserved >= 0,
            "{at}: {name} holds current = available + reserved, none below zero: {stored:?}"
        );

        let movements = ledger(app, p).await;
        let mut previous = Stock::on_hand(initial[p]);
        for (i, movement) in movements.iter().enumerate() {
            assert_eq!(
                movement.seq,
                i64::try_from(i).expect("small") + 1,
                "{at}: {name}'s movements are numbered without gaps"
            );
            assert_eq!(
                movement.before(),
                previous,
                "{at}: {name}'s movement {} starts where the one before ended",
                movement.seq
            );
            previous = movement.after();
        }
        assert_eq!(
            previous, stored,
            "{at}: {name}'s ledger replays to its stored row"
        );

        let expected_groups = &model.ledger[p];
        let expected_count: usize = expected_groups.iter().map(Vec::len).sum();
        assert_eq!(
            movements.len(),
            expected_count,
            "{at}: {name} has one movement per accepted change: {movements:#?}"
        );
        let mut rest = movements.as_slice();
        for group in expected_groups {
            let (now, later) = rest.split_at(group.len());
            let actual: Vec<(MovementType, i64)> =
                now.iter().map(|m| (m.movement_type, m.delta)).collect();
            assert_eq!(
                sorted(&actual),
                sorted(group),
                "{at}: {name}'s movements are the accepted changes, in order"
            );
            rest = later;
        }
    }
}

async fn run(initial: [i64; 2], steps: Vec<Step>) {
    let app = TestApp::with_manual_clock().await;
    for (p, stock) in initial.iter().enumerate() {
        app.given_stock(STORE, PRODUCTS[p], *stock).await;
    }
    let mut model = Model::new(initial);
    assert_service_agrees_with(&app, &model, initial, "at the start").await;

    for (i, step) in steps.iter().enumerate() {
        let (actual, new_id) = perform(&app, &model, step).await;
        let expected = model.apply(step);
        let at = format!("step {i} ({step:?})");
        assert_eq!(
            actual, expected,
            "{at}: the service answers as the model predicts"
        );
        if let Some(id) = new_id {
            model
                .reservations
                .last_mut()
                .expect("the model made the reservation too")
                .id = id;
        }
        assert_service_agrees_with(&app, &model, initial, &at).await;
    }
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 24,
        max_shrink_iters: 50,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn any_sequence_of_stock_operations_answers_as_the_model_predicts_and_the_ledger_replays_it(
        initial in (0..=12i64, 0..=12i64),
        steps in prop::collection::vec(step(), 1..25),
    ) {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a runtime")
            .block_on(run([initial.0, initial.1], steps));
    }
}
