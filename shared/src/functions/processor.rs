//! The processor wired to AWS: the one composition root the Lambda (`run`) and `listen` (`build`)
//! share, so a laptop runs exactly what the function runs.

use std::sync::Arc;

use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent};
use lambda_runtime::{service_fn, LambdaEvent};

use crate::adapters::dynamodb::{DynamoIdempotencyStore, DynamoStateStore};
use crate::adapters::sqs::{SqsDeadLetters, SqsVisibility};
use crate::config::{HandlerSettings, ProcessorConfig};
use crate::ports::SystemClock;
use crate::processor::handler::EventHandler;
use crate::processor::Processor;

/// The processor on DynamoDB and SQS.
pub type AwsProcessor<H> = Processor<DynamoIdempotencyStore, DynamoStateStore, H, SystemClock>;

/// Builds the processor from its configuration and the brand's handler.
pub fn build<H: EventHandler>(
    config: &ProcessorConfig,
    aws: &aws_config::SdkConfig,
    handler: H,
) -> AwsProcessor<H> {
    let records = DynamoIdempotencyStore::from_sdk_config(aws, &config.idempotency_table);
    // Downstream tickets and handlers' steps live beside the records, shared by every instance.
    let mut processor = Processor::new(
        records.clone(),
        DynamoStateStore::from_sdk_config(aws, &config.state_table),
        handler,
        SystemClock,
        config.options,
    )
    .with_pace_store(Arc::new(records.clone()))
    .with_step_store(Arc::new(records));
    if let Some(queue_url) = &config.events_queue_url {
        processor =
            processor.with_visibility(Arc::new(SqsVisibility::from_sdk_config(aws, queue_url)));
    }
    if let Some(queue_url) = &config.dead_letter_queue_url {
        let sink = SqsDeadLetters::from_sdk_config(aws, queue_url);
        processor = processor.with_dead_letters(Arc::new(sink));
    }
    processor
}

/// The processor function: `build_handler` makes the brand's handler once per cold start.
pub async fn run<H, F, E>(build_handler: F) -> Result<(), super::Error>
where
    H: EventHandler,
    F: AsyncFnOnce(&HandlerSettings, &aws_config::SdkConfig) -> Result<H, E>,
    E: Into<super::Error>,
{
    crate::telemetry::init();
    crate::telemetry::log_panics();
    let metrics = crate::metrics::install("processor")?;
    let config = ProcessorConfig::from_env()?;
    let aws = crate::adapters::aws_config().await;
    let handler = build_handler(&config.handler, &aws)
        .await
        .map_err(Into::into)?;
    let processor = build(&config, &aws, handler);
    let (processor, metrics) = (&processor, &metrics);
    let function = service_fn(move |event: LambdaEvent<SqsEvent>| async move {
        let deadline_ms = i64::try_from(event.context.deadline).unwrap_or(0);
        let response = processor.process_batch(&event.payload, deadline_ms).await;
        metrics.flush();
        let response: SqsBatchResponse = response?;
        Ok::<_, super::Error>(response)
    });
    lambda_runtime::run(function).await
}
