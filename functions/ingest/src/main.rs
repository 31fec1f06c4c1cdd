//! Ingest Lambda: API Gateway (HTTP API v2 or REST v1) -> verify -> SQS FIFO -> 200.

use std::sync::Arc;

use fanfare_shared::adapters::aws_config;
use fanfare_shared::adapters::dynamodb::DynamoIdempotencyStore;
use fanfare_shared::adapters::secrets::refreshing_verifier;
use fanfare_shared::adapters::sqs::{SqsEventQueue, SqsQuarantine};
use fanfare_shared::config::IngestConfig;
use fanfare_shared::ingest::{Base64Guard, IngestService};
use fanfare_shared::ports::RuntimeClock;
use lambda_http::{service_fn, Adapter, Error, Request};

#[tokio::main]
async fn main() -> Result<(), Error> {
    fanfare_shared::telemetry::init();
    let metrics = fanfare_shared::metrics::install("ingest")?;
    let config = IngestConfig::from_env()?;
    let aws = aws_config().await;
    let verifier = refreshing_verifier(
        &config.secret_source,
        config.verifier,
        &aws,
        config.secret_max_age,
    )
    .await?;
    let service = IngestService::new(
        verifier,
        SqsEventQueue::from_sdk_config(&aws, &config.events_queue_url),
        SqsQuarantine::from_sdk_config(&aws, &config.quarantine_queue_url),
        RuntimeClock::from_env(),
        config.max_body_bytes,
    )
    .with_retention(config.retention)
    .with_acknowledge_only(config.acknowledge_only.clone());
    let service = match &config.idempotency_table {
        Some(table) => service.with_kept_markers(Arc::new(
            DynamoIdempotencyStore::from_sdk_config(&aws, table),
        )),
        None => service,
    };
    let (service, metrics) = (&service, &metrics);
    let handler = service_fn(move |request: Request| async move {
        let response = service.handle(request).await;
        metrics.flush();
        Ok::<_, Error>(response)
    });
    lambda_runtime::run(Base64Guard(Adapter::from(handler))).await
}
