//! Redrive Lambda (EventBridge schedule): moves old enough DLQ messages back, at most 3 times each.

use fanfare_shared::adapters::aws_config;
use fanfare_shared::adapters::sqs::{SqsDeadLetterQueue, SqsQuarantine};
use fanfare_shared::config::RedriveConfig;
use fanfare_shared::redrive::{redrive, RedriveReport};
use lambda_runtime::{service_fn, Error, LambdaEvent};

#[tokio::main]
async fn main() -> Result<(), Error> {
    fanfare_shared::telemetry::init();
    let config = RedriveConfig::from_env()?;
    let aws = aws_config().await;
    let queue = SqsDeadLetterQueue::from_sdk_config(
        &aws,
        &config.dead_letter_queue_url,
        &config.events_queue_url,
    );
    let park = SqsQuarantine::from_sdk_config(&aws, &config.quarantine_queue_url);
    let (queue, park, policy) = (&queue, &park, config.policy);
    let handler = service_fn(move |_: LambdaEvent<serde_json::Value>| async move {
        let report: RedriveReport =
            redrive(queue, park, policy, chrono::Utc::now().timestamp_millis()).await?;
        if report.failed > 0 {
            // After every other message was handled: the invocation fails, so the Errors alarm sees it.
            return Err(Error::from(format!(
                "{} dead letter(s) could not be moved (see the log lines above); moved {}, parked {}",
                report.failed, report.moved, report.parked
            )));
        }
        Ok::<_, Error>(serde_json::json!({
            "moved": report.moved,
            "tooRecent": report.too_recent,
            "parked": report.parked,
        }))
    });
    lambda_runtime::run(handler).await
}
