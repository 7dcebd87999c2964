//! Lambda for GET /api/v1/reservations; the logic lives in `inventory::api`.

use inventory::endpoints::Endpoint;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    Endpoint::ListReservations.run_lambda().await
}
