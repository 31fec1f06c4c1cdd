//! The processor wired to AWS: the one composition root the Lambda's `main` and `listen` share, so a
//! laptop runs exactly what the function runs.

use std::sync::Arc;

use crate::adapters::dynamodb::{DynamoIdempotencyStore, DynamoStateStore};
use crate::adapters::sqs::{SqsDeadLetters, SqsVisibility};
use crate::config::ProcessorConfig;
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
