//! Lambda for POST /api/v1/reservations/{reservation_id}/release; the logic lives in `inventory::api`.

use inventory::endpoints::Endpoint;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    Endpoint::ReleaseReservation.run_lambda().await
}
