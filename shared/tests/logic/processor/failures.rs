//! What a handler's failure costs: panics, permanent failures, the retry budget, backoff, and
//! deferrals at a downstream's pace.

use std::sync::Mutex;
use std::time::Duration;

use fanfare_shared::ports::{DeadLetter, DeadLetterSink, QueueError};
use fanfare_shared::processor::{Downstream, GroupedMessage, RetryPolicy, HANDLER_PANICKED};

use super::*;

/// Behaves as told per kind: `order.paid` panics, fails, fails permanently, asks for time, or calls
/// the ERP at its pace.
#[derive(Clone, Copy)]
enum Behaviour {
    Panics,
    Fails,
    Permanent,
    RetryAfter(Duration),
    CallsErp,
}

struct Told(Behaviour);

#[async_trait]
impl EventHandler for Told {
    fn downstreams(&self) -> Vec<Downstream> {
        vec![Downstream::new("erp", 2)]
    }
    async fn order_paid(&self, ctx: &HandlerContext<'_>) -> Result<(), HandlerError> {
        match self.0 {
            Behaviour::Panics => panic!("the ERP client found an impossible state"),
            Behaviour::Fails => Err(HandlerError::new("erp_down")),
            Behaviour::Permanent => Err(HandlerError::permanent("order_unknown_to_erp")),
            Behaviour::RetryAfter(d) => Err(HandlerError::new("erp_429").retry_after(d)),
            Behaviour::CallsErp => ctx.downstream("erp").call(async {}).await,
        }
    }
}

#[derive(Default)]
struct Dlq(Mutex<Vec<DeadLetter>>);

#[async_trait]
impl DeadLetterSink for Dlq {
    async fn dead_letter(&self, message: &DeadLetter) -> Result<(), QueueError> {
        self.0.lock().unwrap().push(message.clone());
        Ok(())
    }
}

fn paid(id: &str) -> String {
    body(id, "order.paid", T0, DATA)
}

fn batch(records: Vec<SqsMessage>) -> SqsEvent {
    let mut event = SqsEvent::default();
    event.records = records;
    event
}

fn failed_ids(response: &aws_lambda_events::event::sqs::SqsBatchResponse) -> Vec<&str> {
    response
        .batch_item_failures
        .iter()
        .map(|f| f.item_identifier.as_str())
        .collect()
}

#[tokio::test]
async fn a_panicking_handler_fails_its_own_group_only_and_the_record_says_so() {
    let (ids, state) = stores();
    let p = processor_at(&ids, &state, Told(Behaviour::Panics), T0);
    let records = vec![
        fanfare_shared::testing::sqs_record("m1", &paid("evt_p"), Some("order/o1")),
        fanfare_shared::testing::sqs_record(
            "m2",
            &body("evt_q", "queue.consumer_admitted", T0, DATA),
            Some("admission/x/c"),
        ),
    ];
    let response = p.process_batch(&batch(records), 0).await.unwrap();
    assert_eq!(failed_ids(&response), ["m1"], "the other group went on");
    let records = ids.records.lock().unwrap();
    assert_eq!(records["evt_p"].existing.status, Status::Failed);
    assert_eq!(
        records["evt_p"].last_error.as_deref(),
        Some(HANDLER_PANICKED)
    );
    assert_eq!(records["evt_p"].failures, 1, "a panic spends the budget");
    assert_eq!(records["evt_q"].existing.status, Status::Completed);
}

#[tokio::test]
async fn a_permanent_failure_is_rejected_once_and_runs_again_only_when_forced() {
    let (ids, state) = stores();
    let p = processor_at(&ids, &state, Told(Behaviour::Permanent), T0);
    let b = paid("evt_r");
    assert_eq!(p.process(msg(&b), 0).await, Outcome::Rejected);
    assert!(Outcome::Rejected.acknowledged());
    {
        let records = ids.records.lock().unwrap();
        assert_eq!(records["evt_r"].existing.status, Status::Rejected);
        assert_eq!(
            records["evt_r"].last_error.as_deref(),
            Some("order_unknown_to_erp")
        );
    }
    assert_eq!(p.process(msg(&b), 0).await, Outcome::Duplicate, "no retry");
    let fixed = processor_at(&ids, &state, Counting::default(), T0 + 1);
    let forced = IncomingMessage {
        replay_id: Some("rp_1"),
        replay_force: true,
        ..msg(&b)
    };
    assert_eq!(fixed.process(forced, 0).await, Outcome::Completed);
    assert_eq!(fixed.handler().count(), 1);
}

#[tokio::test]
async fn failures_back_off_and_the_one_that_spends_the_budget_dead_letters_the_event() {
    let (ids, state) = stores();
    let dlq = Arc::new(Dlq::default());
    let policy = RetryPolicy::default();
    let p = processor_at(&ids, &state, Told(Behaviour::Fails), T0).with_dead_letters(dlq.clone());
    let mut record = fanfare_shared::testing::sqs_record("m1", &paid("evt_b"), Some("order/o1"));
    let mut redrive = aws_lambda_events::event::sqs::SqsMessageAttribute::default();
    redrive.string_value = Some("1".into());
    redrive.data_type = Some("Number".into());
    record
        .message_attributes
        .insert("redrive-count".into(), redrive);
    for failure in 1..policy.budget {
        let outcome = p.process(msg(&paid("evt_b")), 0).await;
        let wait = policy.backoff("evt_b", failure);
        assert_eq!(outcome.retry_after(), Some(wait), "failure {failure}");
        assert!(!outcome.dead_letter());
        assert_eq!(ids.records.lock().unwrap()["evt_b"].failures, failure);
    }
    let response = p.process_batch(&batch(vec![record]), 0).await.unwrap();
    assert!(
        failed_ids(&response).is_empty(),
        "acknowledged: it is in the DLQ"
    );
    let letters = dlq.0.lock().unwrap();
    assert_eq!(letters.len(), 1);
    assert_eq!(letters[0].group_id.as_deref(), Some("order/o1"));
    assert_eq!(
        letters[0].attribute("redrive-count"),
        Some("1"),
        "attributes kept"
    );
    let records = ids.records.lock().unwrap();
    assert_eq!(records["evt_b"].dead_letters, 1);
    assert_eq!(
        records["evt_b"].failures, 0,
        "a redrive starts a fresh budget"
    );
}

#[tokio::test]
async fn retry_after_never_spends_the_budget_and_waits_at_least_the_backoff() {
    let (ids, state) = stores();
    let asked = Duration::from_secs(2);
    let p = processor_at(&ids, &state, Told(Behaviour::RetryAfter(asked)), T0);
    let policy = RetryPolicy::default();
    for _ in 0..3 * policy.budget {
        let outcome = p.process(msg(&paid("evt_t")), 0).await;
        assert!(!outcome.dead_letter());
        assert_eq!(outcome.retry_after(), Some(policy.backoff("evt_t", 0)));
    }
    assert_eq!(ids.records.lock().unwrap()["evt_t"].failures, 0);
}

#[tokio::test]
async fn a_call_whose_slot_would_pass_the_deadline_defers_without_a_failure() {
    let (ids, state) = stores();
    // The clock stands at T0 + 0.5 s; the deadline's margin leaves until T0 + 0.9 s.
    let p = processor_at(&ids, &state, Told(Behaviour::CallsErp), T0 + 500);
    let deadline = T0 + 5_900;
    // The ERP takes 2 calls a second: the first two go in this second, the next in a later one.
    for id in ["evt_1", "evt_2"] {
        let outcome = p.process(msg(&paid(id)), deadline).await;
        assert_eq!(outcome, Outcome::Completed, "{id}");
    }
    let outcome = p.process(msg(&paid("evt_3")), deadline).await;
    let Outcome::Deferred { retry_after, .. } = outcome else {
        panic!("{outcome:?}");
    };
    assert!(retry_after >= Duration::from_millis(500), "{retry_after:?}");
    let record = ids.records.lock().unwrap()["evt_3"].clone();
    assert_eq!(record.existing.status, Status::Deferred);
    assert_eq!(record.last_error.as_deref(), Some("deferred:erp"));
    assert_eq!(record.failures, 0);
    // Claimable again, as any failure.
    let later = processor_at(&ids, &state, Counting::default(), T0 + 2_000);
    assert_eq!(
        later.process(msg(&paid("evt_3")), 0).await,
        Outcome::Completed
    );
}

/// Three events of one consumer as one batch's run, with `deadline_ms`: how many handlers ran, and
/// what came back.
async fn hot_run_with_deadline(
    deadline_ms: i64,
) -> (usize, Vec<fanfare_shared::processor::Unacknowledged>) {
    let (ids, state) = stores();
    let p = processor_at(&ids, &state, Counting::default(), T0);
    let bodies: Vec<String> = (0..3)
        .map(|n| body(&format!("evt_{n}"), "queue.consumer_entered", T0 + n, DATA))
        .collect();
    let grouped: Vec<GroupedMessage<'_>> = bodies
        .iter()
        .map(|b| GroupedMessage {
            group: Some("admission/x/c"),
            message: msg(b),
        })
        .collect();
    let back = p.process_messages(&grouped, deadline_ms).await;
    (p.handler().count(), back)
}

/// A function with a short timeout (4 s, less than the 5 s margin) still handles its runs: the
/// margin is at most a quarter of the time a run has.
#[tokio::test]
async fn a_short_invocation_still_handles_a_hot_run() {
    let (handled, back) = hot_run_with_deadline(T0 + 4_000).await;
    assert!(back.is_empty(), "{back:?}");
    assert_eq!(handled, 3);
}

/// A deadline already past when the run begins (a local emulator's: `cargo lambda invoke` passes
/// 600,000 ms) is no deadline: the run is handled, as the claim's lease already treats it.
#[tokio::test]
async fn a_deadline_already_past_is_no_deadline() {
    let (handled, back) = hot_run_with_deadline(600_000).await;
    assert!(back.is_empty(), "{back:?}");
    assert_eq!(handled, 3);
}
