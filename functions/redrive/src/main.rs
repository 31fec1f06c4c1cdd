//! Redrive Lambda (EventBridge schedule): moves old enough DLQ messages back, at most 3 times each.

#[tokio::main]
async fn main() -> Result<(), fanfare_shared::functions::Error> {
    fanfare_shared::functions::redrive::run().await
}
