//! Processor Lambda: SQS FIFO batch -> claim, order, materialise, handle -> partial batch response.
//! The handler is the brand's (`handler/`, built once here from the template's Handler* parameters).

use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent};
use fanfare_shared::adapters::aws_config;
use fanfare_shared::config::ProcessorConfig;
use lambda_runtime::{service_fn, Error, LambdaEvent};

#[tokio::main]
async fn main() -> Result<(), Error> {
    fanfare_shared::telemetry::init();
    fanfare_shared::telemetry::log_panics();
    let metrics = fanfare_shared::metrics::install("processor")?;
    let config = ProcessorConfig::from_env()?;
    let aws = aws_config().await;
    let handler = brand_handler::build(&config.handler, &aws).await?;
    let processor = fanfare_shared::adapters::processor::build(&config, &aws, handler);
    let (processor, metrics) = (&processor, &metrics);
    let handler = service_fn(move |event: LambdaEvent<SqsEvent>| async move {
        let deadline_ms = i64::try_from(event.context.deadline).unwrap_or(0);
        let response = processor.process_batch(&event.payload, deadline_ms).await;
        metrics.flush();
        let response: SqsBatchResponse = response?;
        Ok::<_, Error>(response)
    });
    lambda_runtime::run(handler).await
}
