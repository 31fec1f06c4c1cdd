//! Where the operator commands point: the `make dev` stack by default, real AWS with flags or env.

use aws_config::{Region, SdkConfig};
use clap::Args;

/// The make-dev stack's moto endpoint and resource names (scripts/dev_resources.py).
pub const DEV_ENDPOINT: &str = "http://127.0.0.1:5055";
pub const DEV_WEBHOOK_URL: &str = "http://127.0.0.1:9000/lambda-url/ingest/webhooks/fanfare";
pub const DEV_SECRET: &str = "whsec_dev";
/// The `make dev` names of the template's resources, shared with `scripts/dev_resources.py`.
const DEV_RESOURCES: &str = include_str!("../../scripts/dev-resources.json");

/// The `make dev` name of a template resource (its logical id in `template.yaml`).
pub fn dev_name(logical_id: &str) -> String {
    serde_json::from_str::<serde_json::Value>(DEV_RESOURCES)
        .ok()
        .and_then(|names| names.get(logical_id)?.as_str().map(str::to_string))
        .unwrap_or_default()
}

#[derive(Args, Clone, Debug)]
pub struct Target {
    /// AWS endpoint (moto locally). Without it and without AWS_PROFILE, the make-dev stack.
    #[arg(long, env = "AWS_ENDPOINT_URL", global = true)]
    endpoint_url: Option<String>,
    /// A deployed stack: its outputs name the tables and queues (flags still win).
    #[arg(long, env = "FANFARE_STACK", global = true)]
    stack: Option<String>,
    /// Idempotency table (default: the make-dev name, or the stack's IdempotencyTableName).
    #[arg(long, env = "IDEMPOTENCY_TABLE", global = true)]
    idempotency_table: Option<String>,
    /// State table (default: the make-dev name, or the stack's StateTableName).
    #[arg(long, env = "STATE_TABLE", global = true)]
    state_table: Option<String>,
    /// Events queue URL (stack output EventsQueueUrl); default: looked up by the make-dev name.
    #[arg(long, env = "EVENTS_QUEUE_URL", global = true)]
    events_queue_url: Option<String>,
    /// Dead-letter queue URL (stack output EventsDeadLetterQueueUrl).
    #[arg(long, env = "DEAD_LETTER_QUEUE_URL", global = true)]
    dead_letter_queue_url: Option<String>,
    /// Quarantine queue URL (stack output QuarantineQueueUrl).
    #[arg(long, env = "QUARANTINE_QUEUE_URL", global = true)]
    quarantine_queue_url: Option<String>,
    /// The stack's WebhookUrl output (`send --stack`).
    #[arg(skip)]
    webhook_url: Option<String>,
    /// The stack's SigningSecretArn output (`send --stack`).
    #[arg(skip)]
    signing_secret_arn: Option<String>,
    /// The stack's parameters as deployed (`doctor --drop`).
    #[arg(skip)]
    stack_parameters: Vec<(String, String)>,
}

#[derive(Debug, thiserror::Error)]
pub enum TargetError {
    #[error("stack {0} could not be described")]
    Stack(String, #[source] Box<dyn std::error::Error + Send + Sync>),
    #[error("queue {0} not found (is `make dev` running, or pass --events-queue-url/--dead-letter-queue-url)")]
    QueueNotFound(String),
}

impl Target {
    pub fn idempotency_table(&self) -> String {
        self.idempotency_table
            .clone()
            .unwrap_or_else(|| dev_name("IdempotencyTable"))
    }

    pub fn state_table(&self) -> String {
        self.state_table
            .clone()
            .unwrap_or_else(|| dev_name("StateTable"))
    }

    /// The deployed stack's name (`--stack`).
    pub fn stack(&self) -> Option<&str> {
        self.stack.as_deref()
    }

    /// The deployed stack's webhook URL (with `--stack`).
    pub fn webhook_url(&self) -> Option<&str> {
        self.webhook_url.as_deref()
    }

    /// The deployed stack's signing secret (with `--stack`).
    pub fn signing_secret_arn(&self) -> Option<&str> {
        self.signing_secret_arn.as_deref()
    }

    /// The names of the deployed stack's parameters (with `--stack`).
    pub fn stack_parameter_names(&self) -> impl Iterator<Item = &str> {
        self.stack_parameters.iter().map(|(name, _)| name.as_str())
    }

    /// The deployed stack's parameter `name` (with `--stack`).
    pub fn stack_parameter(&self, name: &str) -> Option<&str> {
        self.stack_parameters
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    }

    /// Fills what flags left open from the stack's outputs, and keeps its parameters, when
    /// `--stack` is given.
    pub async fn resolve(mut self) -> Result<Target, TargetError> {
        let Some(stack) = self.stack.clone() else {
            return Ok(self);
        };
        let config = self.sdk_config().await;
        let described = aws_sdk_cloudformation::Client::new(&config)
            .describe_stacks()
            .stack_name(&stack)
            .send()
            .await
            .map_err(|e| TargetError::Stack(stack.clone(), Box::new(e)))?;
        let stack_description = described.stacks().first();
        self.stack_parameters = stack_description
            .map(|s| s.parameters())
            .unwrap_or_default()
            .iter()
            .filter_map(|p| Some((p.parameter_key()?.into(), p.parameter_value()?.into())))
            .collect();
        let outputs = stack_description.map(|s| s.outputs()).unwrap_or_default();
        for output in outputs {
            let (Some(key), Some(value)) = (output.output_key(), output.output_value()) else {
                continue;
            };
            let slot = match key {
                "IdempotencyTableName" => &mut self.idempotency_table,
                "StateTableName" => &mut self.state_table,
                "EventsQueueUrl" => &mut self.events_queue_url,
                "EventsDeadLetterQueueUrl" => &mut self.dead_letter_queue_url,
                "QuarantineQueueUrl" => &mut self.quarantine_queue_url,
                "WebhookUrl" => &mut self.webhook_url,
                "SigningSecretArn" => &mut self.signing_secret_arn,
                _ => continue,
            };
            slot.get_or_insert_with(|| value.to_string());
        }
        Ok(self)
    }

    pub async fn sdk_config(&self) -> SdkConfig {
        let endpoint = self.endpoint_url.clone().or_else(|| {
            std::env::var("AWS_PROFILE")
                .is_err()
                .then(|| DEV_ENDPOINT.to_string())
        });
        let mut loader = fanfare_shared::adapters::sdk_defaults();
        if let Some(endpoint) = endpoint {
            let local = endpoint.contains("127.0.0.1") || endpoint.contains("localhost");
            loader = loader.endpoint_url(&endpoint);
            if local && std::env::var("AWS_ACCESS_KEY_ID").is_err() {
                loader = loader
                    .region(Region::new("us-east-1"))
                    .credentials_provider(aws_sdk_sqs::config::Credentials::new(
                        "test", "test", None, None, "moto",
                    ));
            }
        }
        let config = loader.load().await;
        if config.region().is_none() {
            return config
                .into_builder()
                .region(Region::new("us-east-1"))
                .build();
        }
        config
    }

    async fn queue_url(
        &self,
        sqs: &aws_sdk_sqs::Client,
        given: &Option<String>,
        dev_name: &str,
    ) -> Result<String, TargetError> {
        if let Some(url) = given {
            return Ok(url.clone());
        }
        sqs.get_queue_url()
            .queue_name(dev_name)
            .send()
            .await
            .ok()
            .and_then(|o| o.queue_url)
            .ok_or_else(|| TargetError::QueueNotFound(dev_name.to_string()))
    }

    pub async fn events_queue_url(&self, sqs: &aws_sdk_sqs::Client) -> Result<String, TargetError> {
        self.queue_url(sqs, &self.events_queue_url, &dev_name("EventsQueue"))
            .await
    }

    /// The events queue, to send to (replays).
    pub async fn events_queue(
        &self,
        sqs: &aws_sdk_sqs::Client,
    ) -> Result<fanfare_shared::adapters::sqs::SqsEventQueue, TargetError> {
        let url = self.events_queue_url(sqs).await?;
        Ok(fanfare_shared::adapters::sqs::SqsEventQueue::new(
            sqs.clone(),
            url,
        ))
    }

    pub async fn dead_letter_queue_url(
        &self,
        sqs: &aws_sdk_sqs::Client,
    ) -> Result<String, TargetError> {
        self.queue_url(
            sqs,
            &self.dead_letter_queue_url,
            &dev_name("EventsDeadLetterQueue"),
        )
        .await
    }

    pub async fn quarantine_queue_url(
        &self,
        sqs: &aws_sdk_sqs::Client,
    ) -> Result<String, TargetError> {
        self.queue_url(
            sqs,
            &self.quarantine_queue_url,
            &dev_name("QuarantineQueue"),
        )
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_dev_resource_has_a_name() {
        for id in [
            "EventsQueue",
            "EventsDeadLetterQueue",
            "QuarantineQueue",
            "IdempotencyTable",
            "StateTable",
            "SigningSecret",
        ] {
            assert!(dev_name(id).starts_with("fanfare-webhooks-"), "{id}");
        }
    }
}
