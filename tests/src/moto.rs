//! AWS clients pointed at moto (`MOTO_ENDPOINT`, set by `make test`), and unique resource names so
//! tests can share one moto.

use aws_config::{Region, SdkConfig};

/// The moto endpoint, or a clear message saying how to get one.
pub fn moto_endpoint() -> String {
    std::env::var("MOTO_ENDPOINT").unwrap_or_else(|_| {
        panic!(
            "MOTO_ENDPOINT is not set: run these tests with `make test`, which starts moto_server"
        )
    })
}

/// SDK configuration for an endpoint (moto, or a closed port to simulate an outage).
pub async fn aws_config_for(endpoint: &str) -> SdkConfig {
    fanfare_shared::adapters::sdk_defaults()
        .region(Region::new("us-east-1"))
        .credentials_provider(aws_sdk_sqs::config::Credentials::new(
            "test", "test", None, None, "moto",
        ))
        .endpoint_url(endpoint)
        .load()
        .await
}

pub async fn moto_config() -> SdkConfig {
    aws_config_for(&moto_endpoint()).await
}

/// A unique name for a test's resources, so tests can share one moto.
pub fn unique(prefix: &str) -> String {
    format!(
        "{prefix}-{}",
        &uuid::Uuid::new_v4().simple().to_string()[..12]
    )
}
