//! The processor with its real DynamoDB adapters, through the AWS SDK, against moto.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use async_trait::async_trait;
use aws_lambda_events::event::sqs::{SqsEvent, SqsMessage};
use aws_sdk_dynamodb::types::AttributeValue;
use chrono::{TimeZone, Utc};
use fanfare_integration_tests::{
    create_tables, item_size, metered_dynamodb, moto_config, write_units, RequestMeter,
};
use fanfare_shared::adapters::dynamodb::{archived_body, DynamoIdempotencyStore, DynamoStateStore};
use fanfare_shared::ports::FixedClock;
use fanfare_shared::processor::handler::{EventHandler, HandlerContext, HandlerError};
use fanfare_shared::processor::plan::{plan, PlanOptions};
use fanfare_shared::processor::{IncomingMessage, Outcome, Processor, ProcessorOptions};

mod archive;
mod bid_units;
mod hot_group;
mod pace;
mod steps;

use fanfare_shared::testing::{body_at as body, T0_MS as T0};

#[derive(Default)]
struct Runs {
    count: AtomicUsize,
    /// Cut DynamoDB off while handling this event id.
    cut_off_on: Option<(&'static str, Arc<RequestMeter>)>,
}

#[async_trait]
impl EventHandler for Runs {
    async fn queue_entered(&self, ctx: &HandlerContext<'_>) -> Result<(), HandlerError> {
        self.run(ctx)
    }
    async fn queue_admitted(&self, ctx: &HandlerContext<'_>) -> Result<(), HandlerError> {
        self.run(ctx)
    }
    async fn queue_completed(&self, ctx: &HandlerContext<'_>) -> Result<(), HandlerError> {
        self.run(ctx)
    }
    async fn queue_left(&self, ctx: &HandlerContext<'_>) -> Result<(), HandlerError> {
        self.run(ctx)
    }
    async fn order_paid(&self, ctx: &HandlerContext<'_>) -> Result<(), HandlerError> {
        self.run(ctx)
    }
}

impl Runs {
    fn run(&self, ctx: &HandlerContext<'_>) -> Result<(), HandlerError> {
        if let Some((id, meter)) = &self.cut_off_on {
            if ctx.event.id == *id {
                meter.down.store(true, Ordering::SeqCst);
            }
        }
        self.count.fetch_add(1, Ordering::SeqCst);
        Ok(())
    }
}

struct Env {
    ddb: aws_sdk_dynamodb::Client,
    meter: Arc<RequestMeter>,
    idempotency_table: String,
    state_table: String,
}

async fn env() -> Env {
    let config = moto_config().await;
    let meter = Arc::new(RequestMeter::default());
    let ddb = metered_dynamodb(&config, meter.clone());
    let (idempotency_table, state_table) = create_tables();
    meter.reset();
    Env {
        ddb,
        meter,
        idempotency_table,
        state_table,
    }
}

type DynamoProcessor<H> = Processor<DynamoIdempotencyStore, DynamoStateStore, H, FixedClock>;

impl Env {
    fn processor<H: EventHandler>(&self, handler: H, now_ms: i64) -> DynamoProcessor<H> {
        Processor::new(
            DynamoIdempotencyStore::new(self.ddb.clone(), &self.idempotency_table),
            DynamoStateStore::new(self.ddb.clone(), &self.state_table),
            handler,
            FixedClock(Utc.timestamp_millis_opt(now_ms).unwrap()),
            ProcessorOptions::default(),
        )
    }

    async fn record(&self, event_id: &str) -> Option<HashMap<String, AttributeValue>> {
        self.ddb
            .get_item()
            .table_name(&self.idempotency_table)
            .key("eventId", AttributeValue::S(event_id.into()))
            .consistent_read(true)
            .send()
            .await
            .unwrap()
            .item
    }

    async fn state(&self, pk: &str, sk: &str) -> HashMap<String, AttributeValue> {
        self.ddb
            .get_item()
            .table_name(&self.state_table)
            .key("pk", AttributeValue::S(pk.into()))
            .key("sk", AttributeValue::S(sk.into()))
            .consistent_read(true)
            .send()
            .await
            .unwrap()
            .item
            .unwrap_or_default()
    }
}

fn s<'a>(item: &'a HashMap<String, AttributeValue>, name: &str) -> &'a str {
    item.get(name)
        .and_then(|v| v.as_s().ok())
        .map(String::as_str)
        .unwrap_or("<missing>")
}

fn msg(body: &str) -> IncomingMessage<'_> {
    IncomingMessage::raw(body)
}

const DATA: &str = r#"{"experienceId":"x","consumerId":"c","orderId":"o1","waitTimeSeconds":12}"#;

#[tokio::test]
async fn the_same_event_delivered_five_times_runs_once_and_costs_three_writes_then_one() {
    let env = env().await;
    let p = env.processor(Runs::default(), T0);
    let b = body("evt_5x", "queue.consumer_admitted", T0, DATA);

    assert_eq!(p.process(msg(&b), T0 + 30_000).await, Outcome::Completed);
    let first = env.meter.snapshot();
    let first_writes = env.meter.writes();
    env.meter.reset();
    for _ in 0..4 {
        assert_eq!(p.process(msg(&b), T0 + 30_000).await, Outcome::Duplicate);
    }
    let per_duplicate = env.meter.total() as f64 / 4.0;
    println!("DynamoDB requests for a new event: {first:?} ({first_writes} writes); per duplicate: {per_duplicate}");
    assert_eq!(p.handler().count.load(Ordering::SeqCst), 1);
    assert!(first_writes <= 3, "{first:?}");
    assert_eq!(env.meter.total(), 4, "one conditional write per duplicate");

    let record = env.record("evt_5x").await.unwrap();
    assert_eq!(s(&record, "status"), "completed");
    assert_eq!(
        archived_body(&record).unwrap(),
        b,
        "the verified raw event is archived"
    );
    let admission = env.state("admission/x/c", "STATE").await;
    assert_eq!(s(&admission, "status"), "admitted");
    assert_eq!(admission["waitTimeSeconds"].as_n().unwrap(), "12");
}

#[tokio::test]
async fn a_conflicting_payload_is_kept_under_a_record_of_its_own() {
    let env = env().await;
    let p = env.processor(Runs::default(), T0);
    let original = body("evt_conf", "order.paid", T0, DATA);
    let changed = body("evt_conf", "order.paid", T0, r#"{"orderId":"o2"}"#);
    assert_eq!(p.process(msg(&original), 0).await, Outcome::Completed);
    assert_eq!(p.process(msg(&changed), 0).await, Outcome::Conflict);
    assert_eq!(p.handler().count.load(Ordering::SeqCst), 1);
    let record = env.record("evt_conf").await.unwrap();
    assert_eq!(record["conflictCount"].as_n().unwrap(), "1");
    let changed_event =
        fanfare_shared::contract::envelope::parse_event(changed.as_bytes()).unwrap();
    let kept = env
        .record(&format!(
            "evt_conf#conflict#{}",
            &changed_event.payload_hash()[..16]
        ))
        .await
        .expect("conflicting payload kept");
    assert_eq!(archived_body(&kept).unwrap(), changed);
}

/// A FIFO record without a group id: Lambda never sends one; the processor keeps them in one group.
fn sqs_record(id: &str, body: String) -> SqsMessage {
    fanfare_shared::testing::sqs_record(id, &body, Some(""))
}

#[tokio::test]
async fn dynamodb_unreachable_mid_batch_reports_those_records_and_marks_nothing_completed() {
    let env = env().await;
    let handler = Runs {
        cut_off_on: Some(("m_b", env.meter.clone())),
        ..Default::default()
    };
    let p = env.processor(handler, T0);
    let mut event = SqsEvent::default();
    event.records = vec![
        sqs_record("1", body("m_a", "queue.consumer_entered", T0, DATA)),
        sqs_record("2", body("m_b", "order.paid", T0, DATA)),
        sqs_record("3", body("m_c", "queue.consumer_left", T0 + 1, DATA)),
    ];
    let response = p.process_batch(&event, 0).await.unwrap();
    let failed: Vec<_> = response
        .batch_item_failures
        .iter()
        .map(|f| f.item_identifier.as_str())
        .collect();
    // m_a's record is finished while m_b's handler runs (the group's finishes overlap its next
    // handler): it made it before the outage, or it is reported and runs again.
    let a_reported = failed.first() == Some(&"1");
    assert_eq!(failed[usize::from(a_reported)..], ["2", "3"]);

    env.meter.down.store(false, Ordering::SeqCst);
    let a_status = s(&env.record("m_a").await.unwrap(), "status").to_string();
    assert_eq!(a_status == "completed", !a_reported, "m_a: {a_status}");
    for id in ["m_b", "m_c"] {
        let record = env.record(id).await.expect("claimed with its group's run");
        assert_eq!(s(&record, "status"), "in_progress", "{id} never completed");
    }
}

/// Write units one new event costs: the claim and the finish each write the record (billed by the
/// larger of the old and new item, so by the finished record), and each write of its plan is billed
/// by its item's size after the write. (A stale event's extra per-field writes are not counted.)
async fn units_of(env: &Env, p: &DynamoProcessor<Runs>, body: &str) -> (usize, usize, usize) {
    let outcome = p.process(msg(body), 0).await;
    // Fixtures of one entity run in name order, so some are stale: they still write.
    assert!(
        matches!(outcome, Outcome::Completed | Outcome::Superseded),
        "{outcome:?} {body}"
    );
    let event = fanfare_shared::contract::envelope::parse_event(body.as_bytes()).unwrap();
    let record = item_size(&env.record(&event.id).await.unwrap());
    let mut state = 0;
    for write in plan(&event, PlanOptions::default()).writes {
        state += write_units(item_size(&env.state(&write.pk, &write.sk).await));
    }
    (record, 2 * write_units(record), state)
}

#[tokio::test]
async fn write_units_per_event_kind() {
    let env = env().await;
    let p = env.processor(Runs::default(), T0);
    let mut bodies: Vec<(String, String)> = Vec::new();
    for entry in std::fs::read_dir(fanfare_integration_tests::events_dir().join("http")).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_stem().unwrap().to_string_lossy().into_owned();
        if !name.ends_with("_200") || name.contains("unknown") || name.contains("missing_id") {
            continue;
        }
        let fixture: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        let raw = fixture["body"].as_str().unwrap_or_default();
        let text = if fixture["isBase64Encoded"] == true {
            use base64::Engine;
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(raw)
                .unwrap();
            String::from_utf8(bytes).unwrap()
        } else {
            raw.to_string()
        };
        bodies.push((name, text));
    }
    bodies.sort();
    let mut seen = std::collections::HashSet::new();
    // Events of a contract kind only (a type outside it is recorded as ignored, with no state).
    bodies.retain(|(_, text)| {
        let event = fanfare_shared::contract::envelope::parse_event(text.as_bytes());
        let known = event
            .as_ref()
            .is_ok_and(|e| e.kind != fanfare_shared::EventKind::Unknown);
        known && seen.insert(event.map(|e| e.id).unwrap_or_default())
    });
    // A typical 1 KiB event: an admission with the client details Fanfare adds, archived but not
    // materialised.
    let kib = body(
        "evt_admitted_1kib",
        "queue.consumer_admitted",
        T0,
        &format!(
            r#"{{"experienceId":"exp_spring_drop","sequenceId":"seq_1","queueId":"que_1","consumerId":"con_1kib","distributionId":"dst_1","enteredAt":"2026-01-01T00:00:00Z","admittedAt":"2026-01-01T00:05:00Z","admissionToken":"adm_tok_{}","expiresAt":"2026-01-01T00:15:00Z","waitTimeSeconds":300,"position":1,"client":{{"userAgent":"Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1","locale":"en-GB","timezone":"Europe/London","referrer":"https://brand.example/drops/spring","campaign":{{"source":"instagram","medium":"story","name":"spring_drop_2026"}}}},"checkoutUrl":"https://checkout.brand.example/spring/con_1kib?session=sess_{}"}}"#,
            "x".repeat(64),
            "y".repeat(180)
        ),
    );
    assert!((1000..1100).contains(&kib.len()), "{}", kib.len());
    bodies.push(("queue_admitted_1kib".into(), kib));

    let (mut total, mut count, mut kib_units) = (0, 0, None);
    println!("write units per new event (body bytes, record bytes: claim + finish, state):");
    for (name, text) in &bodies {
        let (record, idempotency, state) = units_of(&env, &p, text).await;
        println!(
            "  {name:<45} body {:>5} B  record {record:>5} B  units {} = {idempotency} + {state}",
            text.len(),
            idempotency + state
        );
        total += idempotency + state;
        count += 1;
        if name == "queue_admitted_1kib" {
            kib_units = Some((record, idempotency, state));
        }
    }
    println!(
        "mean {:.2} write units per event over {count} events",
        total as f64 / count as f64
    );
    let (_, idempotency, state) = kib_units.expect("the 1 KiB event was measured");
    assert!(
        idempotency + state <= 3,
        "a 1 KiB event costs {idempotency} + {state} units"
    );
}
