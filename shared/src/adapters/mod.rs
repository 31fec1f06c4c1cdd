//! Adapters behind the ports: AWS (SQS, DynamoDB, Secrets Manager) and in-memory ones for tests.

pub mod dynamodb;
pub mod memory;
pub mod secrets;
pub mod sqs;

/// Loads the shared AWS SDK configuration (region, credentials, and `AWS_ENDPOINT_URL` for moto).
pub async fn aws_config() -> aws_config::SdkConfig {
    aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await
}
