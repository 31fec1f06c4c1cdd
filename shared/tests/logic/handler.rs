//! What the brand's handler sees and can ask for: the harness, replays, typed payloads of every
//! fixture, the event's span around its log lines, and `retry_after`.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use aws_lambda_events::event::sqs::{SqsEvent, SqsMessage};
use fanfare_shared::contract::envelope::parse_event;
use fanfare_shared::ports::{MessageVisibility, QueueError};
use fanfare_shared::prelude::*;
use fanfare_shared::privacy::Retention;
use fanfare_shared::processor::{IncomingMessage, Outcome};
use fanfare_shared::testing::Harness;

/// Fails `order.paid` with a 30 s `retry_after`; logs one line for each admission.
struct Downstream;

#[async_trait]
impl EventHandler for Downstream {
    async fn queue_admitted(&self, ctx: &HandlerContext<'_>) -> Result<(), HandlerError> {
        let admitted: QueueAdmitted = ctx.data()?;
        tracing::info!(
            has_token = admitted.admission_token.is_some(),
            "sending the admission email"
        );
        Ok(())
    }
    async fn order_paid(&self, _: &HandlerContext<'_>) -> Result<(), HandlerError> {
        let cause = std::io::Error::other("erp answered 429");
        Err(HandlerError::new("erp_rate_limited")
            .with_source(cause)
            .retry_after(Duration::from_secs(30)))
    }
}

#[tokio::test]
async fn the_harness_delivers_a_fixture_and_reports_the_call_and_the_state() {
    let harness = Harness::new(Downstream);
    let delivery = harness
        .deliver_fixture("events/http/queue_admitted_scheme_b_200.json")
        .await;
    assert_eq!(delivery.outcome, Outcome::Completed);
    assert_eq!(delivery.calls.len(), 1);
    assert_eq!(delivery.calls[0].relation, Relation::Current);
    assert_eq!(delivery.calls[0].kind, EventKind::QueueAdmitted);
    assert!(harness
        .state_items()
        .keys()
        .any(|(pk, _)| pk == "admission/exp_spring_drop/con_001"));
    let again = harness
        .deliver_fixture("events/http/queue_admitted_scheme_b_200.json")
        .await;
    assert_eq!(again.outcome, Outcome::Duplicate);
    assert!(again.calls.is_empty());
}

#[tokio::test]
async fn a_failed_handler_stores_its_code_and_asks_for_its_delay() {
    let harness = Harness::new(Downstream);
    let delivery = harness
        .deliver_fixture("events/http/order_paid_scheme_a_200.json")
        .await;
    assert_eq!(
        delivery.outcome.retry_after(),
        Some(Duration::from_secs(30))
    );
    assert_eq!(
        delivery.calls[0].result,
        Err("erp_rate_limited".to_string())
    );
    let record = harness.record("evt_order_paid").expect("a record");
    assert_eq!(record.last_error.as_deref(), Some("erp_rate_limited"));
}

#[test]
fn a_code_that_is_not_a_safe_code_is_stored_as_handler_failed() {
    assert_eq!(HandlerError::new("erp_429").stored_code(), "erp_429");
    assert_eq!(
        HandlerError::new("ada@example.com failed").stored_code(),
        "handler_failed"
    );
    assert_eq!(
        HandlerError::new("x".repeat(65)).stored_code(),
        "handler_failed"
    );
}

#[tokio::test]
async fn a_replay_of_a_redacted_copy_says_so() {
    let harness = Harness::new(Downstream);
    let original = r#"{"id":"evt_r","type":"queue.consumer_admitted","created":1767225600,"data":{"experienceId":"x","consumerId":"c","admissionToken":"adm_tok_1"}}"#;
    assert_eq!(harness.deliver(original).await.outcome, Outcome::Completed);
    let hash = parse_event(original.as_bytes()).unwrap().payload_hash();
    let redacted = Retention::default().redact_body(original.as_bytes());
    let replay = harness
        .deliver_message(IncomingMessage {
            replay_id: Some("rpl_1"),
            replay_payload_hash: Some(&hash),
            replay_force: true,
            ..IncomingMessage::raw(&redacted)
        })
        .await;
    assert_eq!(replay.outcome, Outcome::Completed);
    let seen = replay.calls[0].replay.clone().expect("a replay");
    assert_eq!((seen.id.as_str(), seen.redacted), ("rpl_1", true));
}

use fanfare_shared::testing::CapturedLog as Captured;

/// The whole binary's log, captured: a thread-local subscriber misses spans whose interest another
/// test thread cached first.
fn captured_log() -> Captured {
    static CAPTURED: std::sync::OnceLock<Captured> = std::sync::OnceLock::new();
    CAPTURED
        .get_or_init(|| {
            let captured = Captured::default();
            let writer = captured.clone();
            let subscriber = tracing_subscriber::fmt()
                .with_writer(move || writer.clone())
                .with_ansi(false)
                .finish();
            let _ = tracing::subscriber::set_global_default(subscriber);
            tracing::callsite::rebuild_interest_cache();
            captured
        })
        .clone()
}

#[tokio::test]
async fn a_log_line_inside_the_handler_carries_the_events_fields() {
    let captured = captured_log();
    let harness = Harness::new(Downstream);
    harness
        .deliver_fixture("events/http/queue_admitted_scheme_b_200.json")
        .await;
    let text = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    // Other tests of this binary log the same line for their own events: each carries its span.
    let lines: Vec<&str> = text
        .lines()
        .filter(|l| l.contains("sending the admission email"))
        .collect();
    assert!(
        lines.iter().all(|l| l.contains("event{event_id=")),
        "{lines:?}"
    );
    let fields = [
        "event_id=evt_queue_admitted",
        "kind=\"queue.admitted\"",
        "entity=admission/exp_spring_drop/con_001",
        "attempt=1",
    ];
    assert!(
        lines.iter().any(|l| fields.iter().all(|f| l.contains(f))),
        "no line carries {fields:?}: {lines:?}"
    );
    assert!(!text.contains("adm_tok_secret"), "a token reached the log");
}

/// Records what the processor asked the queue to delay.
#[derive(Default)]
struct Delays(Mutex<Vec<(String, Duration)>>);

#[async_trait]
impl MessageVisibility for Delays {
    async fn delay(&self, receipt: &str, delay: Duration) -> Result<(), QueueError> {
        self.0.lock().unwrap().push((receipt.to_string(), delay));
        Ok(())
    }
}

fn record(id: &str, group: &str, body: &str) -> SqsMessage {
    fanfare_shared::testing::sqs_record(id, body, Some(group))
}

#[tokio::test]
async fn retry_after_delays_the_rest_of_the_group_and_only_that_group() {
    let event = |id: &str, ty: &str| {
        format!(
            r#"{{"id":"{id}","type":"{ty}","created":1767225600,"data":{{"orderId":"o1","experienceId":"x","consumerId":"c"}}}}"#
        )
    };
    let delays = Arc::new(Delays::default());
    let processor = fanfare_shared::processor::Processor::new(
        Arc::new(fanfare_shared::adapters::memory::MemoryIdempotencyStore::default()),
        Arc::new(fanfare_shared::adapters::memory::MemoryStateStore::default()),
        Downstream,
        fanfare_shared::ports::SystemClock,
        fanfare_shared::processor::ProcessorOptions::default(),
    )
    .with_visibility(delays.clone());
    let mut batch = SqsEvent::default();
    batch.records = vec![
        record("m1", "order/o1", &event("e1", "order.created")),
        record("m2", "order/o1", &event("e2", "order.paid")),
        record("m3", "order/o1", &event("e3", "order.fulfilled")),
        record(
            "m4",
            "admission/x/c",
            &event("e4", "queue.consumer_admitted"),
        ),
    ];
    let response = processor.process_batch(&batch, 0).await.unwrap();
    let failed: Vec<_> = response
        .batch_item_failures
        .iter()
        .map(|f| f.item_identifier.as_str())
        .collect();
    assert_eq!(failed, ["m2", "m3"]);
    assert_eq!(
        *delays.0.lock().unwrap(),
        [
            ("rh-m2".to_string(), Duration::from_secs(30)),
            ("rh-m3".to_string(), Duration::from_secs(30))
        ]
    );
}

/// Every fixture that is an event fits its kind's type, and no field of it lands nowhere.
#[test]
fn every_fixture_deserialises_into_its_kinds_type_with_nothing_left_over() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../events");
    let mut checked = 0;
    for dir in ["http", "sqs"] {
        for entry in std::fs::read_dir(root.join(dir)).unwrap() {
            let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
            for body in fixture_bodies(&text) {
                let Ok(event) = parse_event(body.as_bytes()) else {
                    continue;
                };
                if event.kind == EventKind::Unknown {
                    continue;
                }
                let payload = Payload::of(&event).unwrap_or_else(|e| panic!("{}: {e}", event.id));
                // `pad` is the oversized fixture's filler, not a Fanfare field.
                let left: Vec<_> = payload.other().keys().filter(|k| *k != "pad").collect();
                assert!(
                    left.is_empty(),
                    "{} ({}): {left:?} land nowhere",
                    event.id,
                    event.kind
                );
                checked += 1;
            }
        }
    }
    assert!(checked >= 40, "only {checked} fixtures checked");
}

fn fixture_bodies(text: &str) -> Vec<String> {
    use base64::Engine;
    let json: serde_json::Value = serde_json::from_str(text).unwrap();
    let bodies: Vec<(String, bool)> = match json.get("Records").and_then(|r| r.as_array()) {
        Some(records) => records
            .iter()
            .filter_map(|r| Some((r.get("body")?.as_str()?.to_string(), false)))
            .collect(),
        None => json
            .get("body")
            .and_then(|b| b.as_str())
            .map(|b| (b.to_string(), json["isBase64Encoded"] == true))
            .into_iter()
            .collect(),
    };
    bodies
        .into_iter()
        .filter_map(|(body, b64)| match b64 {
            true => base64::engine::general_purpose::STANDARD
                .decode(body)
                .ok()
                .and_then(|b| String::from_utf8(b).ok()),
            false => Some(body),
        })
        .collect()
}

/// The processor's lines for a record carry the trace id of the ingest invocation
/// that queued it (the record's `AWSTraceHeader`).
#[tokio::test]
async fn a_records_log_lines_carry_its_trace_id() {
    let captured = captured_log();
    let processor = fanfare_shared::processor::Processor::new(
        Arc::new(fanfare_shared::adapters::memory::MemoryIdempotencyStore::default()),
        Arc::new(fanfare_shared::adapters::memory::MemoryStateStore::default()),
        Downstream,
        fanfare_shared::ports::SystemClock,
        fanfare_shared::processor::ProcessorOptions::default(),
    );
    let body = r#"{"id":"evt_traced","type":"queue.consumer_admitted","created":1767225600,"data":{"experienceId":"x","consumerId":"c"}}"#;
    let mut traced = record("m1", "admission/x/c", body);
    traced.attributes.insert(
        "AWSTraceHeader".into(),
        "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1".into(),
    );
    let mut batch = SqsEvent::default();
    batch.records = vec![traced];
    processor.process_batch(&batch, 0).await.unwrap();
    let text = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    let line = text
        .lines()
        .find(|l| l.contains("evt_traced") && l.contains("event processed"))
        .expect("the record's line");
    assert!(
        line.contains("trace_id=1-5759e988-bd862e3fe1be46a994272793"),
        "{line}"
    );
}
