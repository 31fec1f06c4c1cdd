//! The receiver's redrive function, as released (nothing of yours runs here).

#[tokio::main]
async fn main() -> Result<(), fanfare_shared::functions::Error> {
    fanfare_shared::functions::redrive::run().await
}
