//! Lambda for GET /api/v1/reservations/{reservation_id}; the logic lives in `inventory::api`.

use inventory::endpoints::Endpoint;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    Endpoint::GetReservation.run_lambda().await
}
