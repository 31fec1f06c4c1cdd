//! The ingest handler through the real AWS SDK: messages land on a FIFO queue in moto with their
//! attributes; an unreachable SQS is a 503.

use aws_sdk_sqs::types::MessageSystemAttributeName;
use chrono::{TimeZone, Utc};
use std::sync::Arc;

use aws_lambda_events::event::sqs::SqsEvent;
use fanfare_integration_tests::{
    aws_config_for, create_tables, drain, dynamo_processor, invoke_ingest, lambda_record,
    moto_config, read_fixture, template_resources, MeterInterceptor, RequestMeter, FIXTURE_TIME,
    TEST_SECRET,
};
use fanfare_shared::adapters::sqs::{SqsEventQueue, SqsQuarantine};
use fanfare_shared::contract::message::{attributes, QuarantinedDelivery};
use fanfare_shared::contract::signature::{SigningSecret, Verifier, VerifierOptions};
use fanfare_shared::ingest::{IngestService, DEFAULT_MAX_BODY_BYTES};
use fanfare_shared::ports::FixedClock;
use fanfare_shared::processor::handler::{EventHandler, HandlerContext, HandlerError};

fn verifier() -> Verifier {
    Verifier::new(
        vec![SigningSecret::new(TEST_SECRET).unwrap()],
        VerifierOptions::default(),
    )
    .unwrap()
}

fn clock() -> FixedClock {
    FixedClock(Utc.timestamp_opt(FIXTURE_TIME + 10, 0).unwrap())
}

type SqsIngest = IngestService<SqsEventQueue, SqsQuarantine, FixedClock>;

/// Fresh queues in moto and an ingest handler on them.
async fn on_moto() -> (aws_sdk_sqs::Client, String, String, SqsIngest) {
    let aws = moto_config().await;
    let sqs = aws_sdk_sqs::Client::new(&aws);
    let made = template_resources(&[]);
    let (events_url, quarantine_url) = (made.events_queue, made.quarantine_queue);
    let service = IngestService::new(
        verifier(),
        SqsEventQueue::new(sqs.clone(), &events_url),
        SqsQuarantine::new(sqs.clone(), &quarantine_url),
        clock(),
        DEFAULT_MAX_BODY_BYTES,
    );
    (sqs, events_url, quarantine_url, service)
}

#[tokio::test]
async fn accepted_event_is_on_the_fifo_queue_with_its_attributes() {
    let (sqs, events_url, _, service) = on_moto().await;

    let fixture = read_fixture("http/queue_admitted_scheme_b_200.json");
    let answer = invoke_ingest(&service, &fixture).await;
    assert_eq!(answer.status, 200, "{}", answer.body);

    let received = sqs
        .receive_message()
        .queue_url(&events_url)
        .message_attribute_names("All")
        .message_system_attribute_names(MessageSystemAttributeName::All)
        .max_number_of_messages(10)
        .send()
        .await
        .unwrap();
    let messages = received.messages();
    assert_eq!(messages.len(), 1);
    let m = &messages[0];
    let fixture_json: serde_json::Value = serde_json::from_str(&fixture).unwrap();
    assert_eq!(
        m.body(),
        fixture_json["body"].as_str(),
        "body exactly as signed"
    );
    let attr = |name: &str| {
        m.message_attributes()
            .and_then(|a| a.get(name))
            .and_then(|v| v.string_value())
            .map(str::to_string)
    };
    assert_eq!(
        attr(attributes::EVENT_ID).as_deref(),
        Some("evt_queue_admitted")
    );
    assert_eq!(
        attr(attributes::EVENT_TYPE).as_deref(),
        Some("queue.consumer.admitted")
    );
    assert_eq!(attr(attributes::KIND).as_deref(), Some("queue.admitted"));
    assert_eq!(
        attr(attributes::DELIVERY_ID).as_deref(),
        Some("dlv_queue_admitted")
    );
    assert_eq!(attr(attributes::RETRY_COUNT).as_deref(), Some("0"));
    let system = m.attributes().unwrap();
    assert_eq!(
        system
            .get(&MessageSystemAttributeName::MessageGroupId)
            .map(String::as_str),
        Some("admission/exp_spring_drop/con_001")
    );
    assert_eq!(
        system
            .get(&MessageSystemAttributeName::MessageDeduplicationId)
            .map(String::len),
        Some(64)
    );
}

#[tokio::test]
async fn fanfare_retry_of_the_same_event_is_deduplicated_by_the_fifo_queue() {
    let aws = moto_config().await;
    let sqs = aws_sdk_sqs::Client::new(&aws);
    let meter = Arc::new(RequestMeter::default());
    let metered = aws_sdk_sqs::Client::from_conf(
        aws_sdk_sqs::config::Builder::from(&aws)
            .interceptor(MeterInterceptor(meter.clone()))
            .build(),
    );
    let made = template_resources(&[]);
    let (events_url, quarantine_url) = (made.events_queue, made.quarantine_queue);
    let service = IngestService::new(
        verifier(),
        SqsEventQueue::new(metered.clone(), &events_url),
        SqsQuarantine::new(metered, &quarantine_url),
        clock(),
        DEFAULT_MAX_BODY_BYTES,
    );
    let fixture = read_fixture("http/order_paid_scheme_a_200.json");
    for _ in 0..3 {
        assert_eq!(invoke_ingest(&service, &fixture).await.status, 200);
    }
    println!(
        "SQS requests for 3 deliveries of one event: {:?}",
        meter.snapshot()
    );
    assert_eq!(
        meter.snapshot().get("SendMessage"),
        Some(&3),
        "one SendMessage per delivery"
    );
    let received = sqs
        .receive_message()
        .queue_url(&events_url)
        .max_number_of_messages(10)
        .send()
        .await
        .unwrap();
    assert_eq!(
        received.messages().len(),
        1,
        "the FIFO queue keeps one copy"
    );
}

#[tokio::test]
async fn signed_but_invalid_body_is_kept_on_the_quarantine_queue() {
    let (sqs, _, quarantine_url, service) = on_moto().await;
    let answer = invoke_ingest(&service, &read_fixture("http/signed_not_json_202.json")).await;
    assert_eq!(answer.status, 202);
    let received = sqs
        .receive_message()
        .queue_url(&quarantine_url)
        .send()
        .await
        .unwrap();
    let kept: QuarantinedDelivery =
        serde_json::from_str(received.messages()[0].body().unwrap()).unwrap();
    assert_eq!(kept.reason, "invalid_json");
    use base64::Engine;
    let raw = base64::engine::general_purpose::STANDARD
        .decode(kept.body_base64)
        .unwrap();
    assert_eq!(raw, b"this is not json");
}

#[tokio::test]
async fn unreachable_sqs_is_a_503() {
    // Nothing listens on port 9 (discard) on loopback: every SendMessage fails to connect.
    let aws = aws_config_for("http://127.0.0.1:9").await;
    let sqs = aws_sdk_sqs::Client::new(&aws);
    let service = IngestService::new(
        verifier(),
        SqsEventQueue::new(sqs.clone(), "http://127.0.0.1:9/000000000000/events.fifo"),
        SqsQuarantine::new(sqs, "http://127.0.0.1:9/000000000000/quarantine"),
        clock(),
        DEFAULT_MAX_BODY_BYTES,
    );
    let answer = invoke_ingest(&service, &read_fixture("http/order_paid_scheme_a_200.json")).await;
    assert_eq!(answer.status, 503);
    assert_eq!(answer.body["error"], "temporarily_unavailable");
    assert!(
        !answer.body.to_string().contains("127.0.0.1"),
        "no internal detail leaks"
    );
}

/// Counts handler runs of `order.paid`.
#[derive(Default)]
struct PaidRuns(std::sync::atomic::AtomicUsize);

#[async_trait::async_trait]
impl EventHandler for PaidRuns {
    async fn order_paid(&self, _: &HandlerContext<'_>) -> Result<(), HandlerError> {
        self.0.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        Ok(())
    }
}

#[tokio::test]
async fn a_captured_delivery_resent_with_new_event_id_headers_is_still_one_event() {
    let (sqs, events_url, _, service) = on_moto().await;
    let fixture: serde_json::Value =
        serde_json::from_str(&read_fixture("http/order_paid_scheme_a_200.json")).unwrap();
    // The attacker re-sends the signed body within the tolerance, each time with a new header.
    for forged in [
        None,
        Some("evt_forged_1"),
        Some("evt_forged_2"),
        Some("dlv_x"),
    ] {
        let mut request = fixture.clone();
        if let Some(id) = forged {
            request["headers"]["x-fanfare-event-id"] = id.into();
        }
        let answer = invoke_ingest(&service, &request.to_string()).await;
        assert_eq!(answer.status, 200, "{}", answer.body);
        assert_eq!(answer.body["id"], "evt_order_paid", "{forged:?}");
    }

    let aws = moto_config().await;
    let ddb = aws_sdk_dynamodb::Client::new(&aws);
    let tables = create_tables();
    let processor = dynamo_processor(&ddb, &tables, PaidRuns::default(), clock());
    let mut records: Vec<_> = drain(&sqs, &events_url)
        .await
        .iter()
        .map(lambda_record)
        .collect();
    assert!(!records.is_empty());
    // Past SQS's 5-minute deduplication window the same copy can arrive again, with any attributes.
    let mut late = records[0].clone();
    late.message_id = Some("late-copy".into());
    if let Some(a) = late.message_attributes.get_mut(attributes::EVENT_ID) {
        a.string_value = Some("evt_forged_3".into());
    }
    records.push(late);
    let mut batch = SqsEvent::default();
    batch.records = records;
    let response = processor.process_batch(&batch, 0).await.unwrap();
    assert!(response.batch_item_failures.is_empty());

    assert_eq!(
        processor
            .handler()
            .0
            .load(std::sync::atomic::Ordering::SeqCst),
        1
    );
    let records = ddb.scan().table_name(&tables.0).send().await.unwrap();
    let ids: Vec<_> = records
        .items()
        .iter()
        .filter_map(|i| i.get("eventId")?.as_s().ok().cloned())
        .collect();
    assert_eq!(ids, ["evt_order_paid"]);
    let state = ddb.scan().table_name(&tables.1).send().await.unwrap();
    assert_eq!(
        state.items().len(),
        1,
        "one state change: {:?}",
        state.items()
    );
    assert_eq!(
        state.items()[0]["lastEventId"].as_s().unwrap(),
        "evt_order_paid"
    );
}

/// A captured signed-but-unusable delivery re-sent within the tolerance is kept
/// once (a marker named by the digest of the signed bytes, in the idempotency table on moto).
#[tokio::test]
async fn a_resent_unusable_delivery_is_kept_once() {
    let (sqs, _, quarantine_url, service) = on_moto().await;
    let ddb = aws_sdk_dynamodb::Client::new(&moto_config().await);
    let (idempotency_table, _) = fanfare_integration_tests::create_tables();
    let markers =
        fanfare_shared::adapters::dynamodb::DynamoIdempotencyStore::new(ddb, &idempotency_table);
    let service = service.with_kept_markers(std::sync::Arc::new(markers));
    let fixture = read_fixture("http/signed_not_json_202.json");
    for _ in 0..3 {
        assert_eq!(invoke_ingest(&service, &fixture).await.status, 202);
    }
    let kept = fanfare_integration_tests::drain(&sqs, &quarantine_url).await;
    assert_eq!(kept.len(), 1, "kept {} times", kept.len());
}

/// The message ingest sends carries the invocation's trace (the Runtime API's
/// `Lambda-Runtime-Trace-Id`) as its `AWSTraceHeader` system attribute, so the processor links to it.
#[tokio::test]
async fn the_queued_event_carries_the_invocations_trace() {
    use aws_sdk_sqs::types::MessageSystemAttributeName;
    let (sqs, events_url, _, service) = on_moto().await;
    let trace = "Root=1-67891233-abcdef012345678912345678;Parent=53995c3f42cd8ad8;Sampled=1";
    let mut context = lambda_runtime::Context::default();
    context.xray_trace_id = Some(trace.to_string());
    let fixture = read_fixture("http/queue_admitted_scheme_b_200.json");
    let answer = fanfare_integration_tests::invoke_ingest_in(&service, &fixture, context).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    let received = sqs
        .receive_message()
        .queue_url(&events_url)
        .message_system_attribute_names(MessageSystemAttributeName::AwsTraceHeader)
        .send()
        .await
        .unwrap();
    let message = &received.messages()[0];
    let sent = message
        .attributes()
        .and_then(|a| a.get(&aws_sdk_sqs::types::MessageSystemAttributeName::AwsTraceHeader));
    assert_eq!(sent.map(String::as_str), Some(trace));
}
