//! The inventory service's core: every Lambda is a thin shell around this crate.
//!
//! A request flows one way: an API Gateway event ([`http`]) is parsed into [`domain`] values,
//! one [`db`] call serves it, and the result or an [`http::ApiError`] becomes the response.

pub mod api;
pub mod db;
pub mod domain;
pub mod http;
pub mod telemetry;

use db::{Db, Tables};

/// What a function needs to serve requests, built once at init and lent to every request.
#[derive(Debug, Clone)]
pub struct App {
    pub db: Db,
}

impl App {
    pub fn new(db: Db) -> Self {
        Self { db }
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
        chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
    }
}
