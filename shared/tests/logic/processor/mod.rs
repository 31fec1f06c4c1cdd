//! The processor's rules with in-memory ports (the DynamoDB adapters are tested against moto in
//! tests/). Races are tested here at the logic level too, since moto serialises requests.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use async_trait::async_trait;
use aws_lambda_events::event::sqs::{SqsEvent, SqsMessage};
use fanfare_shared::adapters::memory::MemoryIdempotencyStore;
use fanfare_shared::adapters::memory::MemoryStateStore;
use fanfare_shared::ports::idempotency::Status;
use fanfare_shared::ports::state::Attr;
use fanfare_shared::ports::FixedClock;
use fanfare_shared::processor::handler::{EventHandler, HandlerContext, HandlerError};
use fanfare_shared::processor::{Failure, IncomingMessage, Outcome, Processor, RetryPolicy};

mod batches;
mod failures;
mod state_keys;

use fanfare_shared::testing::{body_at as body, T0_MS as T0};

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
    fanfare_shared::testing::processor_at(ids.clone(), state.clone(), handler, now_ms)
}

fn msg(body: &str) -> IncomingMessage<'_> {
    IncomingMessage::raw(body)
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
    let backoff = RetryPolicy::default().backoff("evt_f", 1);
    assert_eq!(
        failing.process(msg(&b), 0).await,
        Outcome::Failed(Failure::HandlerFailed {
            retry_after: Some(backoff),
            dead_letter: false
        })
    );
    let record = ids.records.lock().unwrap()["evt_f"].clone();
    assert_eq!(record.existing.status, Status::Failed);
    assert_eq!(record.failures, 1, "a handler failure spends the budget");
    // The handler's own code, not a generic one.
    assert_eq!(record.last_error.as_deref(), Some("test_failure"));
    let healthy = processor_at(&ids, &state, Counting::default(), T0 + 1);
    assert_eq!(healthy.process(msg(&b), 0).await, Outcome::Completed);
    assert_eq!(ids.records.lock().unwrap()["evt_f"].existing.attempts, 2);
}
