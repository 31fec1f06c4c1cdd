//! The ingest function: API Gateway (HTTP API v2 or REST v1) -> verify -> SQS FIFO -> 200.

use std::sync::Arc;

use lambda_http::{service_fn, Adapter, Request};

use crate::adapters::dynamodb::DynamoIdempotencyStore;
use crate::adapters::secrets::refreshing_verifier;
use crate::adapters::sqs::{SqsEventQueue, SqsQuarantine};
use crate::config::IngestConfig;
use crate::ingest::{Base64Guard, IngestService};
use crate::ports::RuntimeClock;

/// Ingest on SQS, with kept markers in DynamoDB when the table is configured.
pub type AwsIngest = IngestService<SqsEventQueue, SqsQuarantine, RuntimeClock>;

/// Builds ingest from its configuration (reads the signing secret once now, then after its age).
pub async fn service(
    config: &IngestConfig,
    aws: &aws_config::SdkConfig,
) -> Result<AwsIngest, super::Error> {
    let verifier = refreshing_verifier(
        &config.secret_source,
        config.verifier,
        aws,
        config.secret_max_age,
    )
    .await?;
    let service = IngestService::new(
        verifier,
        SqsEventQueue::from_sdk_config(aws, &config.events_queue_url),
        SqsQuarantine::from_sdk_config(aws, &config.quarantine_queue_url),
        RuntimeClock::from_env(),
        config.max_body_bytes,
    )
    .with_retention(config.retention)
    .with_acknowledge_only(config.acknowledge_only.clone());
    Ok(match &config.idempotency_table {
        Some(table) => service.with_kept_markers(Arc::new(
            DynamoIdempotencyStore::from_sdk_config(aws, table),
        )),
        None => service,
    })
}

/// The ingest function.
pub async fn run() -> Result<(), super::Error> {
    crate::telemetry::init();
    let metrics = crate::metrics::install("ingest")?;
    let config = IngestConfig::from_env()?;
    let aws = crate::adapters::aws_config().await;
    let service = service(&config, &aws).await?;
    let (service, metrics) = (&service, &metrics);
    let handler = service_fn(move |request: Request| async move {
        let response = service.handle(request).await;
        metrics.flush();
        Ok::<_, super::Error>(response)
    });
    lambda_runtime::run(Base64Guard(Adapter::from(handler))).await
}
