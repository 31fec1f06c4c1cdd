//! The processor's rules with in-memory ports (the DynamoDB adapters are tested against moto in
//! tests/). Races are tested here at the logic level too, since moto serialises requests.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use async_trait::async_trait;
use aws_lambda_events::event::sqs::{SqsEvent, SqsMessage};
use chrono::{TimeZone, Utc};
use fanfare_shared::adapters::memory::MemoryIdempotencyStore;
use fanfare_shared::adapters::memory::MemoryStateStore;
use fanfare_shared::ports::idempotency::Status;
use fanfare_shared::ports::state::Attr;
use fanfare_shared::ports::FixedClock;
use fanfare_shared::processor::handler::{EventHandler, HandlerContext, HandlerError};
use fanfare_shared::processor::{Failure, Outcome, Processor, ProcessorOptions, QueuedMessage};
use proptest::prelude::*;

const T0: i64 = 1_767_225_600_000;

#[derive(Default)]
struct Counting {
    runs: AtomicUsize,
    fail_kind: Option<&'static str>,
}

#[async_trait]
impl EventHandler for Counting {
    async fn queue_entered(&self, _: &HandlerContext<'_>) -> Result<(), HandlerError> {
        self.run("queue.entered")
    }
    async fn queue_admitted(&self, _: &HandlerContext<'_>) -> Result<(), HandlerError> {
        self.run("queue.admitted")
    }
    async fn queue_completed(&self, _: &HandlerContext<'_>) -> Result<(), HandlerError> {
        self.run("queue.completed")
    }
    async fn order_paid(&self, _: &HandlerContext<'_>) -> Result<(), HandlerError> {
        self.run("order.paid")
    }
}

impl Counting {
    fn failing(kind: &'static str) -> Self {
        Self {
            fail_kind: Some(kind),
            ..Default::default()
        }
    }

    fn run(&self, kind: &'static str) -> Result<(), HandlerError> {
        if self.fail_kind == Some(kind) {
            return Err(HandlerError::new("test_failure"));
        }
        self.runs.fetch_add(1, Ordering::SeqCst);
        Ok(())
    }

    fn count(&self) -> usize {
        self.runs.load(Ordering::SeqCst)
    }
}

type Ids = Arc<MemoryIdempotencyStore>;
type State = Arc<MemoryStateStore>;

fn stores() -> (Ids, State) {
    Default::default()
}

fn processor_at<H: EventHandler>(
    ids: &Ids,
    state: &State,
    handler: H,
    now_ms: i64,
) -> Processor<Ids, State, H, FixedClock> {
    let options = ProcessorOptions::default();
    Processor::new(
        ids.clone(),
        state.clone(),
        handler,
        FixedClock(Utc.timestamp_millis_opt(now_ms).unwrap()),
        options,
    )
}

fn body(id: &str, ty: &str, at_ms: i64, data: &str) -> String {
    let iso = Utc.timestamp_millis_opt(at_ms).unwrap().to_rfc3339();
    format!(r#"{{"id":"{id}","type":"{ty}","created":"{iso}","data":{data}}}"#)
}

fn msg(body: &str) -> QueuedMessage<'_> {
    QueuedMessage::raw(body)
}

const DATA: &str = r#"{"experienceId":"x","consumerId":"c","orderId":"o1"}"#;

#[tokio::test]
async fn an_older_event_is_superseded_and_its_handler_still_runs() {
    let (ids, state) = stores();
    let p = processor_at(&ids, &state, Counting::default(), T0);
    let completed = body("evt_done", "queue.admission_completed", T0 + 2_000, DATA);
    let admitted = body(
        "evt_adm",
        "queue.consumer_admitted",
        T0 + 1_000,
        r#"{"experienceId":"x","consumerId":"c","waitTimeSeconds":30}"#,
    );
    assert_eq!(p.process(msg(&completed), 0).await, Outcome::Completed);
    assert_eq!(p.process(msg(&admitted), 0).await, Outcome::Superseded);
    assert_eq!(p.handler().count(), 2);
    assert_eq!(
        ids.records.lock().unwrap()["evt_adm"].existing.status,
        Status::Superseded
    );
    let items = state.items.lock().unwrap();
    let admission = &items[&("admission/x/c".to_string(), "STATE".to_string())];
    assert_eq!(admission["status"], Attr::s("completed"));
    // What the stale event reported is still kept.
    assert_eq!(admission["waitTimeSeconds"], Attr::n(30));
}

#[tokio::test]
async fn unknown_kinds_are_ignored_and_acknowledged() {
    let (ids, state) = stores();
    let p = processor_at(&ids, &state, Counting::default(), T0);
    let b = body("evt_u", "brand.new.thing", T0, "{}");
    assert_eq!(p.process(msg(&b), 0).await, Outcome::Ignored);
    assert_eq!(p.process(msg(&b), 0).await, Outcome::Duplicate);
}

#[tokio::test]
async fn a_failed_handler_releases_the_claim_and_a_retry_runs_it() {
    let (ids, state) = stores();
    let failing = processor_at(&ids, &state, Counting::failing("order.paid"), T0);
    let b = body("evt_f", "order.paid", T0, DATA);
    assert_eq!(
        failing.process(msg(&b), 0).await,
        Outcome::Failed(Failure::HandlerFailed { retry_after: None })
    );
    let record = ids.records.lock().unwrap()["evt_f"].clone();
    assert_eq!(record.existing.status, Status::Failed);
    // The handler's own code, not a generic one.
    assert_eq!(record.last_error.as_deref(), Some("test_failure"));
    let healthy = processor_at(&ids, &state, Counting::default(), T0 + 1);
    assert_eq!(healthy.process(msg(&b), 0).await, Outcome::Completed);
    assert_eq!(ids.records.lock().unwrap()["evt_f"].existing.attempts, 2);
}

fn sqs_record(id: &str, body: String, fifo: bool) -> SqsMessage {
    let mut m = SqsMessage::default();
    m.message_id = Some(id.to_string());
    m.body = Some(body);
    if fifo {
        m.attributes.insert("MessageGroupId".into(), "g".into());
    }
    m
}

/// Runs `records` as one batch with a handler that fails `order.paid`: the message ids reported failed.
async fn failed_in_batch(ids: &Ids, state: &State, records: Vec<SqsMessage>) -> Vec<String> {
    let p = processor_at(ids, state, Counting::failing("order.paid"), T0);
    let mut event = SqsEvent::default();
    event.records = records;
    let response = p.process_batch(&event, 0).await.unwrap();
    response
        .batch_item_failures
        .iter()
        .map(|f| f.item_identifier.clone())
        .collect()
}

#[tokio::test]
async fn fifo_batch_stops_at_the_first_failure_and_reports_every_later_record() {
    let (ids, state) = stores();
    let records = vec![
        sqs_record("m1", body("e1", "queue.consumer_entered", T0, DATA), true),
        sqs_record("m2", body("e2", "order.paid", T0, DATA), true),
        sqs_record(
            "m3",
            body("e3", "queue.consumer_admitted", T0 + 1, DATA),
            true,
        ),
    ];
    assert_eq!(failed_in_batch(&ids, &state, records).await, ["m2", "m3"]);
    assert!(
        !ids.records.lock().unwrap().contains_key("e3"),
        "m3 was not processed"
    );
}

#[tokio::test]
async fn standard_queue_batch_reports_only_the_failed_record() {
    let (ids, state) = stores();
    let records = vec![
        sqs_record("m1", body("e1", "order.paid", T0, DATA), false),
        sqs_record("m2", body("e2", "queue.consumer_entered", T0, DATA), false),
    ];
    assert_eq!(failed_in_batch(&ids, &state, records).await, ["m1"]);
}

#[tokio::test]
async fn a_record_without_message_id_fails_the_batch_instead_of_reporting_an_empty_id() {
    let (ids, state) = stores();
    let p = processor_at(&ids, &state, Counting::default(), T0);
    let mut record = sqs_record("x", body("e2", "order.paid", T0, DATA), true);
    record.message_id = None;
    let mut event = SqsEvent::default();
    event.records = vec![
        sqs_record("ok", body("e1", "order.paid", T0, DATA), true),
        record,
    ];
    assert!(p.process_batch(&event, 0).await.is_err());
    assert!(
        ids.records.lock().unwrap().is_empty(),
        "nothing runs before every record is reportable"
    );
}

/// A consumer's queue lifecycle.
fn lifecycle() -> Vec<String> {
    let d =
        |extra: &str| format!(r#"{{"experienceId":"x","consumerId":"c","queueId":"q"{extra}}}"#);
    vec![
        body(
            "l1",
            "queue.consumer_entered",
            T0,
            &d(r#","position":40,"enteredAt":"2026-01-01T00:00:00Z""#),
        ),
        body(
            "l2",
            "queue.position_updated",
            T0 + 1_000,
            &d(r#","position":12"#),
        ),
        body(
            "l3",
            "queue.position_updated",
            T0 + 2_000,
            &d(r#","position":3"#),
        ),
        // The same instant as the last position update: the lifecycle rank orders them.
        body(
            "l4",
            "queue.consumer_admitted",
            T0 + 2_000,
            &d(
                r#","admittedAt":"2026-01-01T00:00:02Z","waitTimeSeconds":2,"expiresAt":"2026-01-01T00:15:00Z""#,
            ),
        ),
        // A position update after admission: the admitted status must still win over "waiting".
        body(
            "l6",
            "queue.position_updated",
            T0 + 3_000,
            &d(r#","position":1"#),
        ),
        body(
            "l5",
            "queue.admission_completed",
            T0 + 5_000,
            &d(r#","completedAt":"2026-01-01T00:00:05Z","orderId":"o1""#),
        ),
    ]
}

async fn final_state(order: &[usize]) -> BTreeMap<String, Attr> {
    let events = lifecycle();
    let (ids, state) = stores();
    let p = processor_at(&ids, &state, Counting::default(), T0);
    for &i in order {
        let outcome = p.process(msg(&events[i]), 0).await;
        assert!(outcome.acknowledged(), "{outcome:?}");
    }
    let items = state.items.lock().unwrap();
    items[&("admission/x/c".to_string(), "STATE".to_string())].clone()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]
    #[test]
    fn any_permutation_with_duplicates_converges_to_in_order_state(
        order in Just((0..6usize).collect::<Vec<_>>()).prop_shuffle(),
        duplicates in proptest::collection::vec((0..6usize, 0..12usize), 0..6),
    ) {
        let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
        let mut delivered = order.clone();
        for (event, at) in duplicates {
            delivered.insert(at.min(delivered.len()), event);
        }
        let expected = runtime.block_on(final_state(&[0, 1, 2, 3, 4, 5]));
        let got = runtime.block_on(final_state(&delivered));
        prop_assert_eq!(&got["status"], &Attr::s("completed"));
        prop_assert_eq!(&got["position"], &Attr::n(1));
        prop_assert_eq!(got, expected);
    }
}

/// Every state item, by (pk, sk), after processing `bodies` in the given order.
async fn all_state(bodies: &[String]) -> BTreeMap<(String, String), BTreeMap<String, Attr>> {
    let (ids, state) = stores();
    let p = processor_at(&ids, &state, Counting::default(), T0);
    for b in bodies {
        let outcome = p.process(msg(b), 0).await;
        assert!(outcome.acknowledged(), "{outcome:?}");
    }
    let items = state.items.lock().unwrap().clone();
    items
}

/// The genuine events' items after processing genuine and intruding events in every order listed
/// equal those after processing the genuine events alone, in order.
async fn assert_intruders_change_nothing(genuine: &[String], intruders: &[String]) {
    let reference = all_state(genuine).await;
    let mut mixed: Vec<String> = genuine.to_vec();
    mixed.extend_from_slice(intruders);
    let mut orders = vec![mixed.clone()];
    // Intruders first, interleaved, and last.
    let mut first: Vec<String> = intruders.to_vec();
    first.extend_from_slice(genuine);
    orders.push(first);
    let mut interleaved = genuine.to_vec();
    for (i, intruder) in intruders.iter().enumerate() {
        interleaved.insert((i + 1).min(interleaved.len()), intruder.clone());
    }
    orders.push(interleaved);
    for order in orders {
        let got = all_state(&order).await;
        for (key, item) in &reference {
            assert_eq!(got.get(key), Some(item), "{key:?} changed by an intruder");
        }
        // Whatever the intruders wrote lives in items of their own.
        for key in got.keys().filter(|k| !reference.contains_key(*k)) {
            assert!(key.0.starts_with("unidentified/"), "intruder wrote {key:?}");
        }
    }
}

#[tokio::test]
async fn an_admission_without_consumer_never_moves_its_experiences_status() {
    let genuine = [
        body("x1", "experience.started", T0, r#"{"experienceId":"x"}"#),
        body(
            "x2",
            "experience.paused",
            T0 + 2_000,
            r#"{"experienceId":"x","reason":"m"}"#,
        ),
    ];
    // Later than the pause: today it set experience/x's status and made the pause stale.
    let intruders = [body(
        "a1",
        "queue.consumer_admitted",
        T0 + 5_000,
        r#"{"experienceId":"x"}"#,
    )];
    assert_intruders_change_nothing(&genuine, &intruders).await;
    let state = all_state(&[genuine[0].clone(), intruders[0].clone(), genuine[1].clone()]).await;
    let experience = &state[&("experience/x".to_string(), "STATE".to_string())];
    assert_eq!(experience["status"], Attr::s("paused"));
}

#[tokio::test]
async fn orders_draws_auctions_and_distributions_without_their_id_stay_out_of_other_entities() {
    let genuine = [
        body("c1", "consumer.created", T0, r#"{"consumerId":"c"}"#),
        body(
            "c2",
            "consumer.updated",
            T0 + 1_000,
            r#"{"consumerId":"c"}"#,
        ),
        body("x1", "experience.started", T0, r#"{"experienceId":"x"}"#),
        body(
            "x2",
            "experience.ended",
            T0 + 1_000,
            r#"{"experienceId":"x"}"#,
        ),
    ];
    let intruders = [
        body("o1", "order.cancelled", T0 + 9_000, r#"{"consumerId":"c"}"#),
        body(
            "d1",
            "draw.completed",
            T0 + 9_000,
            r#"{"experienceId":"x"}"#,
        ),
        body(
            "b1",
            "auction.bid_placed",
            T0 + 9_000,
            r#"{"experienceId":"x","consumerId":"c","bidAmount":"5"}"#,
        ),
        body(
            "s1",
            "distribution.closed",
            T0 + 9_000,
            r#"{"experienceId":"x"}"#,
        ),
    ];
    assert_intruders_change_nothing(&genuine, &intruders).await;
}

#[tokio::test]
async fn id_less_events_never_share_an_item() {
    let a = body("u1", "consumer.updated", T0 + 2_000, "{}");
    let b = body("u2", "consumer.updated", T0 + 1_000, "{}");
    let state = all_state(&[a, b]).await;
    let keys: Vec<_> = state.keys().map(|(pk, _)| pk.clone()).collect();
    assert_eq!(
        keys,
        ["unidentified/consumer/u1", "unidentified/consumer/u2"]
    );
    for item in state.values() {
        assert_eq!(item["status"], Attr::s("active"), "neither was stale");
    }
}

#[tokio::test]
async fn sort_keys_built_from_event_data_are_bounded() {
    let long = "c".repeat(5_000);
    let data = format!(r#"{{"drawId":"d","consumerId":"{long}"}}"#);
    let alert = format!(r#"{{"eventId":"{long}","eventType":"order.paid"}}"#);
    let state = all_state(&[
        body("e1", "draw.entry_created", T0, &data),
        body("e2", "webhook.delivery.failed", T0, &alert),
    ])
    .await;
    for (pk, sk) in state.keys() {
        assert!(pk.len() <= 256 && sk.len() <= 256, "{pk} / {sk}");
    }
}

fn grouped(id: &str, body: String, group: &str) -> SqsMessage {
    let mut m = sqs_record(id, body, true);
    m.attributes.insert("MessageGroupId".into(), group.into());
    m
}

#[tokio::test]
async fn a_failure_fails_only_the_rest_of_its_own_group() {
    let (ids, state) = stores();
    let other = r#"{"experienceId":"x","consumerId":"other"}"#;
    let records = vec![
        grouped("m1", body("e1", "order.paid", T0, DATA), "order/o1"),
        grouped(
            "m2",
            body("e2", "queue.consumer_entered", T0, other),
            "admission/x/other",
        ),
        grouped("m3", body("e3", "order.paid", T0 + 1, DATA), "order/o1"),
        grouped(
            "m4",
            body("e4", "queue.consumer_admitted", T0 + 1, other),
            "admission/x/other",
        ),
    ];
    assert_eq!(failed_in_batch(&ids, &state, records).await, ["m1", "m3"]);
    let records = ids.records.lock().unwrap();
    assert!(!records.contains_key("e3"), "m3 waits behind m1");
    for id in ["e2", "e4"] {
        assert_eq!(records[id].existing.status, Status::Completed, "{id}");
    }
}

/// Waits in its handler until `parties` events are in it at once.
struct Rendezvous(tokio::sync::Barrier);

#[async_trait]
impl EventHandler for Rendezvous {
    async fn queue_entered(&self, _: &HandlerContext<'_>) -> Result<(), HandlerError> {
        self.0.wait().await;
        Ok(())
    }
}

#[tokio::test]
async fn message_groups_of_a_batch_run_at_the_same_time() {
    let (ids, state) = stores();
    let p = processor_at(&ids, &state, Rendezvous(tokio::sync::Barrier::new(3)), T0);
    let mut event = SqsEvent::default();
    event.records = (0..3)
        .map(|i| {
            let data = format!(r#"{{"experienceId":"x","consumerId":"c{i}"}}"#);
            let b = body(&format!("e{i}"), "queue.consumer_entered", T0, &data);
            grouped(&format!("m{i}"), b, &format!("admission/x/c{i}"))
        })
        .collect();
    // One at a time, the first handler would wait for the others forever.
    let response = tokio::time::timeout(
        std::time::Duration::from_secs(5),
        p.process_batch(&event, 0),
    )
    .await
    .expect("the groups ran concurrently")
    .unwrap();
    assert!(response.batch_item_failures.is_empty());
}

/// Found by the soak (issue 10): two kinds report the same win with different times; the state must
/// not depend on which arrives first.
#[tokio::test]
async fn a_win_reported_by_two_kinds_gives_the_same_state_in_either_order() {
    let selected = body(
        "w1",
        "draw.winners_selected",
        T0 + 1_000,
        r#"{"experienceId":"x","drawId":"d","winners":[{"consumerId":"c","position":2}]}"#,
    );
    let won = body(
        "w2",
        "draw.consumer.won",
        T0 + 4_000,
        r#"{"experienceId":"x","drawId":"d","consumerId":"c","wonAt":"2026-01-01T00:00:04Z","winnerPosition":2}"#,
    );
    let forward = all_state(&[selected.clone(), won.clone()]).await;
    let backward = all_state(&[won, selected]).await;
    let entry = |state: &BTreeMap<(String, String), BTreeMap<String, Attr>>| {
        state
            .iter()
            .find(|(k, _)| k.1.starts_with("ENTRY#"))
            .map(|(_, v)| v.clone())
    };
    let got = entry(&forward).expect("an entry item");
    assert_eq!(got["wonAt"], Attr::s("2026-01-01T00:00:04Z"));
    assert_eq!(Some(got), entry(&backward));
}
