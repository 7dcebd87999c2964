//! Lambda for POST /api/v1/reservations/{reservation_id}/complete; the logic lives in `inventory::api`.

use inventory::endpoints::Endpoint;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    Endpoint::CompleteReservation.run_lambda().await
}
