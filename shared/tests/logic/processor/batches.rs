//! Batches: group rules, partial failures, concurrency between groups.

use super::*;

fn sqs_record(id: &str, body: String, fifo: bool) -> SqsMessage {
    fanfare_shared::testing::sqs_record(id, &body, fifo.then_some("g"))
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
    assert_not_reached(&ids, "e3");
}

/// The event was claimed with its group's run but never reached: released, handler not run, and
/// not listed as failed (the failure was an earlier event's).
fn assert_not_reached(ids: &Ids, event_id: &str) {
    let records = ids.records.lock().unwrap();
    let record = &records[event_id];
    assert_eq!(record.existing.status, Status::Deferred, "{event_id}");
    assert_eq!(
        record.last_error.as_deref(),
        Some(fanfare_shared::processor::NOT_REACHED)
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
fn grouped(id: &str, body: String, group: &str) -> SqsMessage {
    fanfare_shared::testing::sqs_record(id, &body, Some(group))
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
    assert_not_reached(&ids, "e3");
    let records = ids.records.lock().unwrap();
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

/// A batch's future can be spawned on a multi-threaded runtime (a brand's own runner, the soak).
#[test]
fn processing_a_batch_is_send() {
    fn assert_send<T: Send>(_: T) {}
    let (ids, state) = stores();
    let p = processor_at(&ids, &state, Counting::default(), T0);
    let event = SqsEvent::default();
    assert_send(p.process_batch(&event, 0));
}

/// The first event of a run is another invocation's (its claim is live): the run's later events,
/// claimed at the same time, are released at once, not left `in_progress` until their lease lapses.
#[tokio::test]
async fn a_run_behind_a_busy_event_releases_every_claim_it_took() {
    use fanfare_shared::ports::idempotency::{Claim, IdempotencyStore};
    let (ids, state) = stores();
    let first = body("e1", "queue.consumer_entered", T0, DATA);
    let event = fanfare_shared::contract::envelope::parse_event(first.as_bytes()).unwrap();
    let elsewhere = Claim {
        event_id: "e1".into(),
        owner: "another invocation".into(),
        payload_hash: event.payload_hash(),
        now_ms: T0,
        lease_until_ms: T0 + 600_000,
        expires_at_s: T0 / 1000 + 86_400,
        kind: "queue.entered".into(),
        event_type: "queue.consumer_entered".into(),
        ordering_key: event.ordering_key(),
        occurred_at_ms: T0,
        raw_event: String::new(),
        replay_id: None,
    };
    ids.claim(&elsewhere).await.unwrap();
    let records = vec![
        sqs_record("m1", first, true),
        sqs_record(
            "m2",
            body("e2", "queue.consumer_admitted", T0 + 1, DATA),
            true,
        ),
        sqs_record(
            "m3",
            body("e3", "queue.consumer_completed", T0 + 2, DATA),
            true,
        ),
    ];
    assert_eq!(
        failed_in_batch(&ids, &state, records).await,
        ["m1", "m2", "m3"]
    );
    assert_not_reached(&ids, "e2");
    assert_not_reached(&ids, "e3");
}
