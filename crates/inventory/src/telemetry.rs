//! Logging: structured JSON in Lambda, readable text on a terminal.

/// Installs the tracing subscriber once. In Lambda it follows the function's log level and format
/// settings (`AWS_LAMBDA_LOG_LEVEL`, `AWS_LAMBDA_LOG_FORMAT`); `RUST_LOG` overrides the level.
pub fn init() {
    lambda_http::tracing::init_default_subscriber();
}
