//! Support for the integration tests: fixtures, the ingest handler invoked the way the Lambda
//! runtime invokes it, and AWS clients pointed at moto.
//!
//! The moto endpoint comes from `MOTO_ENDPOINT` (set by `make test`, which starts `moto_server`).

pub mod scenarios;
pub mod soak;

use std::path::PathBuf;

use aws_config::{Region, SdkConfig};
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

/// Counts DynamoDB/SQS requests by operation, and can simulate an outage: every request fails
/// while `down` is set, before it reaches the network.
#[derive(Debug, Default)]
pub struct RequestMeter {
    pub counts: std::sync::Mutex<std::collections::BTreeMap<String, usize>>,
    pub down: std::sync::atomic::AtomicBool,
}

impl RequestMeter {
    pub fn total(&self) -> usize {
        self.counts.lock().unwrap().values().sum()
    }

    pub fn writes(&self) -> usize {
        self.counts
            .lock()
            .unwrap()
            .iter()
            .filter(|(op, _)| {
                ["PutItem", "UpdateItem", "DeleteItem", "TransactWriteItems"].contains(&op.as_str())
            })
            .map(|(_, n)| n)
            .sum()
    }

    pub fn reset(&self) {
        self.counts.lock().unwrap().clear();
    }

    pub fn snapshot(&self) -> std::collections::BTreeMap<String, usize> {
        self.counts.lock().unwrap().clone()
    }
}

#[derive(Debug, Clone)]
pub struct MeterInterceptor(pub std::sync::Arc<RequestMeter>);

#[derive(Debug)]
struct SimulatedOutage;

impl std::fmt::Display for SimulatedOutage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("simulated outage")
    }
}

impl std::error::Error for SimulatedOutage {}

impl aws_sdk_dynamodb::config::Intercept for MeterInterceptor {
    fn name(&self) -> &'static str {
        "RequestMeter"
    }

    fn read_before_transmit(
        &self,
        context: &aws_sdk_dynamodb::config::interceptors::BeforeTransmitInterceptorContextRef<'_>,
        _: &aws_sdk_dynamodb::config::RuntimeComponents,
        _: &mut aws_sdk_dynamodb::config::ConfigBag,
    ) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
        if self.0.down.load(std::sync::atomic::Ordering::SeqCst) {
            return Err(Box::new(SimulatedOutage));
        }
        let target = context
            .request()
            .headers()
            .get("x-amz-target")
            .and_then(|t| t.rsplit('.').next())
            .unwrap_or("unknown")
            .to_string();
        *self.0.counts.lock().unwrap().entry(target).or_default() += 1;
        Ok(())
    }
}

/// A DynamoDB client on moto whose requests are metered (and can be cut off).
pub fn metered_dynamodb(
    config: &SdkConfig,
    meter: std::sync::Arc<RequestMeter>,
) -> aws_sdk_dynamodb::Client {
    let conf = aws_sdk_dynamodb::config::Builder::from(config)
        .interceptor(MeterInterceptor(meter))
        .retry_config(aws_sdk_dynamodb::config::retry::RetryConfig::disabled())
        .build();
    aws_sdk_dynamodb::Client::from_conf(conf)
}

/// Creates the idempotency and state tables as template.yaml declares them; returns their names.
pub async fn create_tables(ddb: &aws_sdk_dynamodb::Client) -> (String, String) {
    use aws_sdk_dynamodb::types::{
        AttributeDefinition, BillingMode, GlobalSecondaryIndex, KeySchemaElement, KeyType,
        Projection, ProjectionType, ScalarAttributeType,
    };
    let key = |name: &str, kind: KeyType| {
        KeySchemaElement::builder()
            .attribute_name(name)
            .key_type(kind)
            .build()
            .unwrap()
    };
    let attr = |name: &str| {
        AttributeDefinition::builder()
            .attribute_name(name)
            .attribute_type(ScalarAttributeType::S)
            .build()
            .unwrap()
    };
    let idempotency = unique("idempotency");
    // The sparse index of failed records, as in template.yaml.
    let failed_index = GlobalSecondaryIndex::builder()
        .index_name("FailedRecords")
        .key_schema(key("failedFlag", KeyType::Hash))
        .key_schema(key("updatedAtMs", KeyType::Range))
        .projection(
            Projection::builder()
                .projection_type(ProjectionType::All)
                .build(),
        )
        .build()
        .unwrap();
    ddb.create_table()
        .table_name(&idempotency)
        .billing_mode(BillingMode::PayPerRequest)
        .key_schema(key("eventId", KeyType::Hash))
        .attribute_definitions(attr("eventId"))
        .attribute_definitions(attr("failedFlag"))
        .attribute_definitions(
            AttributeDefinition::builder()
                .attribute_name("updatedAtMs")
                .attribute_type(ScalarAttributeType::N)
                .build()
                .unwrap(),
        )
        .global_secondary_indexes(failed_index)
        .send()
        .await
        .expect("create idempotency table");
    let state = unique("state");
    ddb.create_table()
        .table_name(&state)
        .billing_mode(BillingMode::PayPerRequest)
        .key_schema(key("pk", KeyType::Hash))
        .key_schema(key("sk", KeyType::Range))
        .attribute_definitions(attr("pk"))
        .attribute_definitions(attr("sk"))
        .send()
        .await
        .expect("create state table");
    (idempotency, state)
}

/// A received message as Lambda hands it to the processor (a FIFO events queue).
pub fn lambda_record(
    message: &aws_sdk_sqs::types::Message,
) -> aws_lambda_events::event::sqs::SqsMessage {
    fanfare_shared::adapters::sqs::lambda_record(
        message,
        "arn:aws:sqs:us-east-1:123456789012:events.fifo",
    )
}

/// Every message on a queue now (each stays hidden for 60 s once received).
pub async fn drain(sqs: &aws_sdk_sqs::Client, url: &str) -> Vec<aws_sdk_sqs::types::Message> {
    let mut all = Vec::new();
    loop {
        let out = sqs
            .receive_message()
            .queue_url(url)
            .max_number_of_messages(10)
            .visibility_timeout(60)
            .message_attribute_names("All")
            .send()
            .await
            .expect("receive from moto");
        if out.messages().is_empty() {
            return all;
        }
        all.extend(out.messages().iter().cloned());
    }
}

/// The processor on DynamoDB tables (as `create_tables` makes them), without metrics lines.
pub fn dynamo_processor<H, C>(
    ddb: &aws_sdk_dynamodb::Client,
    (idempotency_table, state_table): &(String, String),
    handler: H,
    clock: C,
) -> fanfare_shared::processor::Processor<
    fanfare_shared::adapters::dynamodb::DynamoIdempotencyStore,
    fanfare_shared::adapters::dynamodb::DynamoStateStore,
    H,
    C,
>
where
    H: fanfare_shared::processor::handler::EventHandler,
    C: Clock,
{
    use fanfare_shared::adapters::dynamodb::{DynamoIdempotencyStore, DynamoStateStore};
    fanfare_shared::processor::Processor::new(
        DynamoIdempotencyStore::new(ddb.clone(), idempotency_table),
        DynamoStateStore::new(ddb.clone(), state_table),
        handler,
        clock,
        fanfare_shared::processor::ProcessorOptions::default(),
    )
}

/// An item's size as DynamoDB bills it: each attribute's name plus its value (strings and binaries
/// by their bytes, numbers at one byte per two significant digits plus one, booleans and nulls one
/// byte, sets their members, lists and maps 3 bytes plus one per element).
pub fn item_size(
    item: &std::collections::HashMap<String, aws_sdk_dynamodb::types::AttributeValue>,
) -> usize {
    item.iter()
        .map(|(name, value)| name.len() + value_size(value))
        .sum()
}

fn number_size(n: &str) -> usize {
    let digits: String = n.chars().filter(char::is_ascii_digit).collect();
    let significant = digits
        .trim_start_matches('0')
        .trim_end_matches('0')
        .len()
        .max(1);
    significant.div_ceil(2) + 1
}

fn value_size(value: &aws_sdk_dynamodb::types::AttributeValue) -> usize {
    use aws_sdk_dynamodb::types::AttributeValue as V;
    match value {
        V::S(s) => s.len(),
        V::N(n) => number_size(n),
        V::B(b) => b.as_ref().len(),
        V::Bool(_) | V::Null(_) => 1,
        V::Ss(items) => items.iter().map(String::len).sum(),
        V::Ns(items) => items.iter().map(|n| number_size(n)).sum(),
        V::Bs(items) => items.iter().map(|b| b.as_ref().len()).sum(),
        V::L(items) => 3 + items.iter().map(|v| 1 + value_size(v)).sum::<usize>(),
        V::M(map) => {
            3 + map
                .iter()
                .map(|(k, v)| 1 + k.len() + value_size(v))
                .sum::<usize>()
        }
        _ => 0,
    }
}

/// Write units for a write of an item of `bytes` (1 per started KB).
pub fn write_units(bytes: usize) -> usize {
    bytes.div_ceil(1024).max(1)
}
