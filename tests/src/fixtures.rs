//! The fixtures under events/, and the ingest handler invoked with them the way the Lambda runtime
//! invokes it.

use std::path::PathBuf;

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
    invoke_ingest_in(service, event_json, Context::default()).await
}

/// [`invoke_ingest`] with the invocation's context as the Runtime API gives it (its X-Ray trace id).
pub async fn invoke_ingest_in<Q, R, C>(
    service: &IngestService<Q, R, C>,
    event_json: &str,
    context: Context,
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
        .call(LambdaEvent::new(payload, context))
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
