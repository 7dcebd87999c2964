//! The inventory service's core: every Lambda is a thin shell around this crate.
//!
//! Layers, each importing only those below it:
//! - [`domain`]: values valid by construction, and the rules on them; no I/O;
//! - [`db`]: DynamoDB repositories; [`auth`]: who is calling and what they may do;
//!   [`http`]: reading requests and writing replies and problem documents (a leaf);
//! - [`api`]: one handler per endpoint: typed command in, one repository call, reply out;
//! - [`endpoints`]: the registry that ties function names and permissions to handlers;
//!   [`orders`] and [`expiry`]: the direct-invoke and scheduled functions.

pub mod api;
pub mod auth;
pub mod aws;
pub mod backoff;
pub mod db;
pub mod domain;
pub mod drain;
pub mod endpoints;
pub mod events;
pub mod expiry;
pub mod http;
pub mod orders;
pub mod telemetry;

use auth::jwt::JwtVerifier;
use chrono::{DateTime, Utc};
use db::{Db, Tables};
use std::sync::{Arc, Mutex};

/// What a function needs to serve requests, built once at init and lent to every request.
#[derive(Debug, Clone)]
pub struct App {
    pub db: Db,
    pub clock: Clock,
    /// Checks bearer tokens on public routes, which have no authorizer; `None` accepts none.
    pub verifier: Option<Arc<JwtVerifier>>,
    /// Where the embedded metrics go: stdout in Lambda, a buffer in tests.
    pub metrics: telemetry::metrics::Metrics,
}

impl App {
    pub fn new(db: Db) -> Self {
        Self {
            db,
            clock: Clock::System,
            verifier: None,
            metrics: telemetry::metrics::Metrics::from_env(),
        }
    }

    /// Reads the table names and the token issuer from the environment and builds the
    /// DynamoDB client.
    ///
    /// # Errors
    /// When a table name is missing from the environment.
    pub async fn from_env() -> Result<Self, String> {
        let tables = Tables::from_env()?;
        let mut app = Self::new(Db::new(db::client_from_env().await, tables));
        app.verifier = JwtVerifier::from_env().map(Arc::new);
        Ok(app)
    }

    /// The time stamped on writes, to the millisecond (what its RFC 3339 text keeps).
    pub fn now(&self) -> DateTime<Utc> {
        domain::time::to_the_millisecond(self.clock.now())
    }
}

/// Runs a function invoked with JSON events (directly, or by a schedule): init once, then
/// `handler` for every event. The handler answers every event itself; only init may fail.
///
/// # Errors
/// When init fails (missing configuration) or the runtime itself fails.
pub async fn run_event_lambda<F, Fut, R>(handler: F) -> Result<(), lambda_runtime::Error>
where
    F: Fn(App, serde_json::Value) -> Fut,
    Fut: std::future::Future<Output = R>,
    R: serde::Serialize,
{
    telemetry::init();
    let app = App::from_env().await?;
    let handler = &handler;
    let app = &app;
    lambda_runtime::run(lambda_runtime::service_fn(
        move |event: lambda_runtime::LambdaEvent<serde_json::Value>| async move {
            use tracing::Instrument;
            let span = telemetry::invocation_span(&event.context);
            // Boxed: the handlers' futures nest deep enough to exceed the compiler's layout limit.
            let answer = Box::pin(handler(app.clone(), event.payload))
                .instrument(span)
                .await;
            Ok::<_, std::convert::Infallible>(answer)
        },
    ))
    .await
}

/// Where "now" comes from. Expiry is decided by time, so tests move time instead of waiting.
#[derive(Debug, Clone)]
pub enum Clock {
    System,
    /// A clock that stands still until advanced; shared by every clone.
    Manual(Arc<Mutex<DateTime<Utc>>>),
}

impl Clock {
    pub fn manual(start: DateTime<Utc>) -> Self {
        Self::Manual(Arc::new(Mutex::new(start)))
    }

    pub fn now(&self) -> DateTime<Utc> {
        match self {
            Self::System => Utc::now(),
            Self::Manual(t) => *t.lock().unwrap_or_else(std::sync::PoisonError::into_inner),
        }
    }

    /// Moves a manual clock forward; the system clock cannot be moved.
    pub fn advance(&self, by: chrono::Duration) {
        if let Self::Manual(t) = self {
            let mut t = t.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            *t += by;
        }
    }
}
