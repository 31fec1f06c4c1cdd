//! Support for the integration tests: fixtures, the ingest handler invoked the way the Lambda
//! runtime invokes it, and AWS clients pointed at moto.
//!
//! The moto endpoint comes from `MOTO_ENDPOINT` (set by `make test`, which starts `moto_server`).

use std::path::PathBuf;

use aws_config::{BehaviorVersion, Region, SdkConfig};
use fanfare_shared::ingest::{Base64Guard, IngestService};
use fanfare_shared::ports::{Clock, EventQueue, Quarantine};
use lambda_http::request::LambdaRequest;
use lambda_http::{service_fn, Adapter, Request, Service};
use lambda_runtime::{Context, LambdaEvent};
use serde_json::Value;

/// The documented test secret the fixtures are signed with.
pub const TEST_SECRET: &str = "whsec_test";
/// 2026-01-01T00:00:00Z: the time the fixtures were signed at.
pub const FIXTURE_TIME: i64 = 1_767_225_600;

pub fn events_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join("events")
}

pub fn read_fixture(relative: &str) -> String {
    let path = events_dir().join(relative);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("fixture {}: {e}", path.display()))
}

/// The HTTP answer of one invocation.
#[derive(Debug)]
pub struct HttpAnswer {
    pub status: u16,
    pub headers: Value,
    pub body: Value,
}

/// Runs one API Gateway event (JSON text) through the same layers as the deployed binary:
/// the base64 guard, `lambda_http`'s adapter, and the ingest handler.
pub async fn invoke_ingest<Q, R, C>(
    service: &IngestService<Q, R, C>,
    event_json: &str,
) -> HttpAnswer
where
    Q: EventQueue,
    R: Quarantine,
    C: Clock,
{
    let payload: LambdaRequest =
        serde_json::from_str(event_json).expect("fixture is an API Gateway event");
    let handler = service_fn(|request: Request| async move {
        Ok::<_, lambda_http::Error>(service.handle(request).await)
    });
    let mut layered = Base64Guard(Adapter::from(handler));
    let response = layered
        .call(LambdaEvent::new(payload, Context::default()))
        .await
        .expect("the handler never fails");
    let json = serde_json::to_value(&response).expect("response serialises");
    let body_text = json["body"].as_str().unwrap_or_default();
    HttpAnswer {
        status: json["statusCode"].as_u64().expect("statusCode") as u16,
        headers: json["headers"].clone(),
        body: serde_json::from_str(body_text).unwrap_or(Value::Null),
    }
}

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
    aws_config::defaults(BehaviorVersion::latest())
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

/// Creates a FIFO queue in high-throughput mode (as in template.yaml) and returns its URL.
pub async fn create_fifo_queue(sqs: &aws_sdk_sqs::Client, name: &str) -> String {
    use aws_sdk_sqs::types::QueueAttributeName as A;
    sqs.create_queue()
        .queue_name(format!("{name}.fifo"))
        .attributes(A::FifoQueue, "true")
        .attributes(A::DeduplicationScope, "messageGroup")
        .attributes(A::FifoThroughputLimit, "perMessageGroupId")
        .send()
        .await
        .expect("create FIFO queue in moto")
        .queue_url
        .expect("queue url")
}

pub async fn create_standard_queue(sqs: &aws_sdk_sqs::Client, name: &str) -> String {
    sqs.create_queue()
        .queue_name(name)
        .send()
        .await
        .expect("create queue in moto")
        .queue_url
        .expect("queue url")
}
