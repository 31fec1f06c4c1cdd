//! Ingest Lambda: API Gateway (HTTP API v2 or REST v1) -> verify -> SQS FIFO -> 200.

#[tokio::main]
async fn main() -> Result<(), fanfare_shared::functions::Error> {
    fanfare_shared::functions::ingest::run().await
}
