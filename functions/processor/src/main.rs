//! Processor Lambda: SQS FIFO batch -> claim, order, materialise, handle -> partial batch response.
//! The handler is the brand's (`handler/`, built once here from the template's Handler* parameters).

#[tokio::main]
async fn main() -> Result<(), fanfare_shared::functions::Error> {
    fanfare_shared::functions::processor::run(brand_handler::build).await
}
