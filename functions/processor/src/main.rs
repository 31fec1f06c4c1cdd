//! Processor Lambda: SQS FIFO batch -> claim, order, materialise, handle -> partial batch response.
//! The handler is the brand's (`handler/`, built once here from the template's Handler* parameters).

use std::sync::Arc;

use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent};
use fanfare_shared::adapters::aws_config;
use fanfare_shared::adapters::dynamodb::{DynamoIdempotencyStore, DynamoStateStore};
use fanfare_shared::adapters::sqs::{SqsDeadLetters, SqsVisibility};
use fanfare_shared::config::ProcessorConfig;
use fanfare_shared::ports::SystemClock;
use fanfare_shared::processor::Processor;
use lambda_runtime::{service_fn, Error, LambdaEvent};

#[tokio::main]
async fn main() -> Result<(), Error> {
    fanfare_shared::telemetry::init();
    fanfare_shared::telemetry::log_panics();
    let metrics = fanfare_shared::metrics::install("processor")?;
    let config = ProcessorConfig::from_env()?;
    let aws = aws_config().await;
    let handler = brand_handler::build(&config.handler, &aws).await?;
    let records = DynamoIdempotencyStore::from_sdk_config(&aws, &config.idempotency_table);
    // Downstream tickets and handlers' steps live beside the records, shared by every instance.
    let mut processor = Processor::new(
        records.clone(),
        DynamoStateStore::from_sdk_config(&aws, &config.state_table),
        handler,
        SystemClock,
        config.options,
    )
    .with_pace_store(Arc::new(records.clone()))
    .with_step_store(Arc::new(records));
    if let Some(queue_url) = &config.events_queue_url {
        processor =
            processor.with_visibility(Arc::new(SqsVisibility::from_sdk_config(&aws, queue_url)));
    }
    if let Some(queue_url) = &config.dead_letter_queue_url {
        let sink = SqsDeadLetters::from_sdk_config(&aws, queue_url);
        processor = processor.with_dead_letters(Arc::new(sink));
    }
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
