//! The floor for cold-start and warm measurements: a `lambda_runtime` function that does nothing,
//! on the same tokio runtime our functions use.

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    lambda_runtime::run(lambda_runtime::service_fn(
        |_: lambda_runtime::LambdaEvent<serde_json::Value>| async {
            Ok::<_, std::convert::Infallible>(serde_json::json!({ "ok": true }))
        },
    ))
    .await
}
