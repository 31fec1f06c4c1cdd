//! Adapters behind the ports: AWS (SQS, DynamoDB, Secrets Manager) and in-memory ones for tests.

#[cfg(feature = "aws")]
pub mod dynamodb;
pub mod memory;
#[cfg(feature = "aws")]
pub mod secrets;
#[cfg(feature = "aws")]
pub mod sqs;

/// Loads the shared AWS SDK configuration (region, credentials, and `AWS_ENDPOINT_URL` for moto).
#[cfg(feature = "aws")]
pub async fn aws_config() -> aws_config::SdkConfig {
    aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await
}
