//! The redrive function (EventBridge schedule): moves old enough DLQ messages back, at most 3 times
//! each.

use lambda_runtime::{service_fn, LambdaEvent};

use crate::adapters::sqs::{SqsDeadLetterQueue, SqsQuarantine};
use crate::config::RedriveConfig;
use crate::redrive::{redrive, RedriveReport};

/// The redrive function.
pub async fn run() -> Result<(), super::Error> {
    crate::telemetry::init();
    let config = RedriveConfig::from_env()?;
    let aws = crate::adapters::aws_config().await;
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
            return Err(super::Error::from(format!(
                "{} dead letter(s) could not be moved (see the log lines above); moved {}, parked {}",
                report.failed, report.moved, report.parked
            )));
        }
        Ok::<_, super::Error>(serde_json::json!({
            "moved": report.moved,
            "tooRecent": report.too_recent,
            "parked": report.parked,
        }))
    });
    lambda_runtime::run(handler).await
}
