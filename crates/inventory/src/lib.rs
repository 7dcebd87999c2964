//! The inventory service's core: every Lambda is a thin shell around this crate.
//!
//! A request flows one way: an API Gateway event ([`http`]) is parsed into [`domain`] values,
//! one [`db`] call serves it, and the result or an [`http::ApiError`] becomes the response.

pub mod api;
pub mod auth;
pub mod db;
pub mod domain;
pub mod events;
pub mod expiry;
pub mod http;
pub mod orders;
pub mod telemetry;

use chrono::{DateTime, Utc};
use db::{Db, Tables};
use std::sync::{Arc, Mutex};

/// What a function needs to serve requests, built once at init and lent to every request.
#[derive(Debug, Clone)]
pub struct App {
    pub db: Db,
    pub clock: Clock,
}

impl App {
    pub fn new(db: Db) -> Self {
        Self {
            db,
            clock: Clock::System,
        }
    }

    /// Reads the table names from the environment and builds the DynamoDB client.
    ///
    /// # Errors
    /// When a table name is missing from the environment.
    pub async fn from_env() -> Result<Self, String> {
        let tables = Tables::from_env()?;
        Ok(Self::new(Db::new(db::client_from_env().await, tables)))
    }

    /// The time stamped on writes, RFC 3339 in UTC with milliseconds.
    pub fn now(&self) -> String {
        self.clock
            .now()
            .to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
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
            // Boxed: the handlers' futures nest deep enough to exceed the compiler's layout limit.
            Ok::<_, std::convert::Infallible>(Box::pin(handler(app.clone(), event.payload)).await)
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
