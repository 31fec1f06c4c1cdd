//! Redrive Lambda (EventBridge schedule): moves old enough DLQ messages back, at most 3 times each.

use fanfare_shared::adapters::aws_config;
use fanfare_shared::adapters::sqs::SqsDeadLetterQueue;
use fanfare_shared::config::RedriveConfig;
use fanfare_shared::redrive::{redrive, RedriveReport};
use lambda_runtime::{service_fn, Error, LambdaEvent};

#[tokio::main]
async fn main() -> Result<(), Error> {
    lambda_runtime::tracing::init_default_subscriber();
    let config = RedriveConfig::from_env()?;
    let aws = aws_config().await;
    let queue = SqsDeadLetterQueue::from_sdk_config(
        &aws,
        &config.dead_letter_queue_url,
        &config.events_queue_url,
    );
    let (queue, policy) = (&queue, config.policy);
    let handler = service_fn(move |_: LambdaEvent<serde_json::Value>| async move {
        let report: RedriveReport =
            redrive(queue, policy, chrono::Utc::now().timestamp_millis()).await?;
        Ok::<_, Error>(serde_json::json!({
            "moved": report.moved,
            "tooRecent": report.too_recent,
            "exhausted": report.exhausted,
        }))
    });
    lambda_runtime::run(handler).await
}
