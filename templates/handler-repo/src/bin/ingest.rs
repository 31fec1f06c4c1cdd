//! The receiver's ingest function, as released (nothing of yours runs here).

#[tokio::main]
async fn main() -> Result<(), fanfare_shared::functions::Error> {
    fanfare_shared::functions::ingest::run().await
}
