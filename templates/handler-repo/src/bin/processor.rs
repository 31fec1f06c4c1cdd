//! The receiver's processor function with your handler (src/lib.rs).

#[tokio::main]
async fn main() -> Result<(), fanfare_shared::functions::Error> {
    fanfare_shared::functions::processor::run(brand_handler::build).await
}
