//! Lambda for GET /api/v1/reservations/expired; the logic lives in `inventory::api`.

use inventory::endpoints::Endpoint;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    Endpoint::ListExpiredReservations.run_lambda().await
}
