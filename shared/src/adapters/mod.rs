//! Adapters behind the ports: AWS (SQS, DynamoDB, Secrets Manager) and in-memory ones for tests.

/// Declares an adapter that is an SDK client bound to one resource (a table name, a queue URL),
/// with `new(client, resource)` and `from_sdk_config(config, resource)`.
#[cfg(feature = "aws")]
macro_rules! bound_client {
    ($(#[$meta:meta])* $name:ident($client:ty, $resource:ident)) => {
        $(#[$meta])*
        #[derive(Clone)]
        pub struct $name {
            pub(crate) client: $client,
            pub(crate) $resource: String,
        }

        impl $name {
            pub fn new(client: $client, $resource: impl Into<String>) -> Self {
                Self {
                    client,
                    $resource: $resource.into(),
                }
            }

            pub fn from_sdk_config(
                config: &aws_config::SdkConfig,
                $resource: impl Into<String>,
            ) -> Self {
                Self::new(<$client>::new(config), $resource)
            }
        }
    };
}

#[cfg(feature = "aws")]
pub mod dynamodb;
#[cfg(any(test, feature = "test-util"))]
pub mod memory;
#[cfg(feature = "aws")]
pub mod secrets;
#[cfg(feature = "aws")]
pub mod sqs;

/// Loads the functions' AWS SDK configuration (region, credentials, and `AWS_ENDPOINT_URL` for moto),
/// with [`sdk_timeouts`].
#[cfg(feature = "aws")]
pub async fn aws_config() -> aws_config::SdkConfig {
    sdk_defaults().timeout_config(sdk_timeouts()).load().await
}

/// The SDK's defaults with its one HTTPS client: rustls with ring (the SDK crates are built without
/// their default clients, see the workspace `Cargo.toml`). Every SDK configuration starts here.
#[cfg(feature = "aws")]
pub fn sdk_defaults() -> aws_config::ConfigLoader {
    use aws_smithy_http_client::tls::{rustls_provider::CryptoMode, Provider};
    let https = aws_smithy_http_client::Builder::new()
        .tls_provider(Provider::Rustls(CryptoMode::Ring))
        .build_https();
    aws_config::defaults(aws_config::BehaviorVersion::latest()).http_client(https)
}

/// The SDK sets no read timeout by default: an answer that never comes would hold an invocation
/// until the function's own timeout (ingest would answer nothing, the processor would lose its
/// lease). DynamoDB, SQS and Secrets Manager answer in milliseconds, so an attempt that takes 2 s is
/// abandoned and retried, and a whole call (with the SDK's 3 attempts) gives up after 6 s, inside
/// ingest's 10 s timeout.
#[cfg(feature = "aws")]
pub fn sdk_timeouts() -> aws_config::timeout::TimeoutConfig {
    aws_config::timeout::TimeoutConfig::builder()
        .connect_timeout(std::time::Duration::from_secs(1))
        .operation_attempt_timeout(std::time::Duration::from_secs(2))
        .operation_timeout(std::time::Duration::from_secs(6))
        .build()
}
