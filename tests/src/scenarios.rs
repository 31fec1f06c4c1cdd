//! The processor's guarantees as scenarios, generic over the store ports: each runs against the
//! in-memory stores and against the DynamoDB adapters on moto (`tests/integration/scenarios.rs`),
//! so the two implementations are held to the same rules by the same code.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use async_trait::async_trait;
use fanfare_shared::contract::envelope::parse_event;
use fanfare_shared::ports::idempotency::{
    Claim, ClaimOutcome, Claimed, IdempotencyError, IdempotencyStore, Release, Status,
};
use fanfare_shared::ports::state::StateStore;
use fanfare_shared::ports::FixedClock;
use fanfare_shared::processor::handler::{EventHandler, HandlerContext, HandlerError, Relation};
use fanfare_shared::processor::{IncomingMessage, Outcome, Processor};

mod hot_group;
mod item_size;

pub use fanfare_shared::testing::{body_at as body, T0_MS as T0};
pub use hot_group::*;
pub use item_size::*;
const DATA: &str = r#"{"experienceId":"x","consumerId":"c","orderId":"o1"}"#;

/// A pair of fresh, empty stores, and a way to read a state item back.
#[async_trait]
pub trait Backend: Send + Sync + Sized {
    type Ids: IdempotencyStore + Clone + 'static;
    type State: StateStore + Clone + 'static;
    async fn fresh() -> Self;
    fn ids(&self) -> Self::Ids;
    fn state(&self) -> Self::State;
    /// One state item's attributes as text (numbers as their decimal text), without bookkeeping
    /// that names the last writer.
    async fn item(&self, pk: &str, sk: &str) -> BTreeMap<String, String>;
    /// The largest state item, its key and its size in bytes as DynamoDB bills it.
    async fn largest_item(&self) -> (String, String, usize);
}

/// Counts handler runs (shared between processors racing for one event).
#[derive(Default, Clone)]
pub struct Runs(Arc<AtomicUsize>);

impl Runs {
    pub fn count(&self) -> usize {
        self.0.load(Ordering::SeqCst)
    }

    fn run(&self) -> Result<(), HandlerError> {
        self.0.fetch_add(1, Ordering::SeqCst);
        Ok(())
    }
}

#[async_trait]
impl EventHandler for Runs {
    async fn queue_entered(&self, _: &HandlerContext<'_>) -> Result<(), HandlerError> {
        self.run()
    }
    async fn queue_admitted(&self, _: &HandlerContext<'_>) -> Result<(), HandlerError> {
        self.run()
    }
    async fn queue_completed(&self, _: &HandlerContext<'_>) -> Result<(), HandlerError> {
        self.run()
    }
    async fn order_paid(&self, _: &HandlerContext<'_>) -> Result<(), HandlerError> {
        // Yield so that a racing processor runs while this one holds the claim.
        tokio::task::yield_now().await;
        self.run()
    }
}

type ProcessorOf<B, H> = Processor<<B as Backend>::Ids, <B as Backend>::State, H, FixedClock>;

/// A processor on the backend's stores with a clone of `handler` (handlers share their counts).
fn processor<B: Backend, H: EventHandler + Clone>(
    backend: &B,
    handler: &H,
    now_ms: i64,
) -> ProcessorOf<B, H> {
    fanfare_shared::testing::processor_at(backend.ids(), backend.state(), handler.clone(), now_ms)
}

fn msg(body: &str) -> IncomingMessage<'_> {
    IncomingMessage::raw(body)
}

pub async fn the_same_event_delivered_five_times_runs_its_handler_once<B: Backend>() {
    let backend = B::fresh().await;
    let runs = Runs::default();
    let p = processor(&backend, &runs, T0);
    let b = body("evt_1", "queue.consumer_admitted", T0, DATA);
    let mut outcomes = Vec::new();
    for _ in 0..5 {
        outcomes.push(p.process(msg(&b), T0 + 30_000).await);
    }
    assert_eq!(outcomes[0], Outcome::Completed);
    assert!(
        outcomes[1..].iter().all(|o| *o == Outcome::Duplicate),
        "{outcomes:?}"
    );
    assert_eq!(runs.count(), 1);
}

pub async fn two_processors_racing_for_one_event_run_it_once<B: Backend>() {
    let backend = B::fresh().await;
    let runs = Runs::default();
    let (a, b) = (
        processor(&backend, &runs, T0),
        processor(&backend, &runs, T0),
    );
    let text = body("evt_race", "order.paid", T0, DATA);
    let (x, y) = tokio::join!(
        a.process(msg(&text), T0 + 30_000),
        b.process(msg(&text), T0 + 30_000)
    );
    assert_eq!(runs.count(), 1, "{x:?} {y:?}");
    let completed = [x, y].iter().filter(|o| **o == Outcome::Completed).count();
    assert_eq!(completed, 1, "{x:?} {y:?}");
}

/// A first invocation claims with a 1 s lease and crashes; within the lease another backs off,
/// after it a second takes over and finishes, and the crashed one's late finish is refused.
pub async fn a_crashed_owners_lease_lapses_and_its_late_completion_is_rejected<B: Backend>() {
    let backend = B::fresh().await;
    let ids = backend.ids();
    let text = body("evt_crash", "order.paid", T0, DATA);
    let event = parse_event(text.as_bytes()).expect("a valid event");
    let crashed = Claim {
        event_id: event.id.clone(),
        owner: "crashed-owner".into(),
        payload_hash: event.payload_hash(),
        now_ms: T0,
        lease_until_ms: T0 + 1_000,
        expires_at_s: T0 / 1000 + 3600,
        kind: event.kind.as_str().into(),
        event_type: event.event_type.clone(),
        ordering_key: event.ordering_key(),
        occurred_at_ms: T0,
        raw_event: text.clone(),
        replay_id: None,
    };
    assert_eq!(
        ids.claim(&crashed).await.expect("store up"),
        ClaimOutcome::Claimed(Claimed::first())
    );
    let runs = Runs::default();
    let early = processor(&backend, &runs, T0 + 500);
    assert_eq!(early.process(msg(&text), 0).await, Outcome::Busy);
    let second = processor(&backend, &runs, T0 + 1_001);
    assert_eq!(second.process(msg(&text), 0).await, Outcome::Completed);
    assert_eq!(runs.count(), 1);
    assert!(matches!(
        ids.finish(&event.id, "crashed-owner", Status::Completed, T0 + 2_000)
            .await,
        Err(IdempotencyError::NotOwner)
    ));
    assert!(matches!(
        ids.release(
            &event.id,
            "crashed-owner",
            &Release::failed("x"),
            T0 + 2_000
        )
        .await,
        Err(IdempotencyError::NotOwner)
    ));
    // The record stays the second owner's: a later delivery is a duplicate.
    let later = processor(&backend, &runs, T0 + 3_000);
    assert_eq!(later.process(msg(&text), 0).await, Outcome::Duplicate);
}

pub async fn same_id_with_a_different_payload_is_a_conflict_and_does_not_run<B: Backend>() {
    let backend = B::fresh().await;
    let runs = Runs::default();
    let p = processor(&backend, &runs, T0);
    let original = body("evt_conf", "order.paid", T0, DATA);
    let changed = body("evt_conf", "order.paid", T0, r#"{"orderId":"o2"}"#);
    assert_eq!(p.process(msg(&original), 0).await, Outcome::Completed);
    assert_eq!(p.process(msg(&changed), 0).await, Outcome::Conflict);
    assert_eq!(p.process(msg(&original), 0).await, Outcome::Duplicate);
    assert_eq!(runs.count(), 1);
}

/// A consumer's queue lifecycle, delivered in several orders (with duplicates), converges to the
/// same item, and that item is the in-order one.
pub async fn a_consumers_lifecycle_in_any_order_converges<B: Backend>() {
    let d = |extra: &str| format!(r#"{{"experienceId":"x","consumerId":"c"{extra}}}"#);
    let events = [
        body(
            "s1",
            "queue.consumer_entered",
            T0,
            &d(r#","position":9,"enteredAt":"2026-01-01T00:00:00Z""#),
        ),
        body(
            "s2",
            "queue.position_updated",
            T0 + 1_000,
            &d(r#","position":2"#),
        ),
        body(
            "s3",
            "queue.consumer_admitted",
            T0 + 1_000,
            &d(r#","waitTimeSeconds":1"#),
        ),
        body(
            "s4",
            "queue.admission_completed",
            T0 + 3_000,
            &d(r#","orderId":"o9""#),
        ),
    ];
    let mut finals = Vec::new();
    for order in [vec![0, 1, 2, 3], vec![3, 2, 1, 0], vec![2, 0, 3, 1, 2, 0]] {
        let backend = B::fresh().await;
        let p = processor(&backend, &Runs::default(), T0 + 10_000);
        for i in order {
            let outcome = p.process(msg(&events[i]), 0).await;
            assert!(outcome.acknowledged(), "{outcome:?}");
        }
        finals.push(backend.item("admission/x/c", "STATE").await);
    }
    assert_eq!(
        finals[0].get("status").map(String::as_str),
        Some("completed")
    );
    assert_eq!(finals[0].get("position").map(String::as_str), Some("2"));
    assert_eq!(finals[0], finals[1]);
    assert_eq!(finals[0], finals[2]);
}

/// Writes down each admission-family call's relation, and fails while `failing` holds.
#[derive(Default, Clone)]
pub struct Noting {
    pub seen: Arc<std::sync::Mutex<Vec<(String, Relation)>>>,
    pub failing: Arc<std::sync::atomic::AtomicBool>,
}

impl Noting {
    fn note(&self, ctx: &HandlerContext<'_>) -> Result<(), HandlerError> {
        if self.failing.load(Ordering::SeqCst) {
            return Err(HandlerError::new("downstream_down"));
        }
        let mut seen = self.seen.lock().unwrap_or_else(|p| p.into_inner());
        seen.push((ctx.event.id.clone(), ctx.relation.clone()));
        Ok(())
    }

    pub fn seen(&self) -> Vec<(String, Relation)> {
        self.seen.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }
}

#[async_trait]
impl EventHandler for Noting {
    async fn queue_admitted(&self, ctx: &HandlerContext<'_>) -> Result<(), HandlerError> {
        self.note(ctx)
    }
    async fn queue_completed(&self, ctx: &HandlerContext<'_>) -> Result<(), HandlerError> {
        self.note(ctx)
    }
}

fn admitted_and_completed() -> (String, String) {
    (
        body("evt_adm", "queue.consumer_admitted", T0 + 1_000, DATA),
        body("evt_done", "queue.admission_completed", T0 + 2_000, DATA),
    )
}

fn superseded_by(id: &str) -> Relation {
    Relation::Superseded {
        by_event_id: Some(id.to_string()),
    }
}

/// An event arriving after a newer one of its entity still reaches the handler, flagged, once.
pub async fn a_superseded_first_delivery_reaches_the_handler_flagged<B: Backend>() {
    let backend = B::fresh().await;
    let handler = Noting::default();
    let p = processor(&backend, &handler, T0 + 10_000);
    let (admitted, completed) = admitted_and_completed();
    assert_eq!(p.process(msg(&completed), 0).await, Outcome::Completed);
    assert_eq!(p.process(msg(&admitted), 0).await, Outcome::Superseded);
    assert_eq!(p.process(msg(&admitted), 0).await, Outcome::Duplicate);
    assert_eq!(
        handler.seen(),
        vec![
            ("evt_done".to_string(), Relation::Current),
            ("evt_adm".to_string(), superseded_by("evt_done")),
        ]
    );
    let state = backend.item("admission/x/c", "STATE").await;
    assert_eq!(state.get("status").map(String::as_str), Some("completed"));
}

/// A handler that failed runs again on its retry although a newer event completed meanwhile (the
/// effect of a fixed outage is never lost to ordering).
pub async fn a_failed_handler_runs_on_retry_after_a_newer_event_completed<B: Backend>() {
    let backend = B::fresh().await;
    let handler = Noting::default();
    let p = processor(&backend, &handler, T0 + 10_000);
    let (admitted, completed) = admitted_and_completed();
    handler.failing.store(true, Ordering::SeqCst);
    assert!(matches!(
        p.process(msg(&admitted), 0).await,
        Outcome::Failed(_)
    ));
    handler.failing.store(false, Ordering::SeqCst);
    assert_eq!(p.process(msg(&completed), 0).await, Outcome::Completed);
    assert_eq!(p.process(msg(&admitted), 0).await, Outcome::Superseded);
    assert_eq!(
        handler.seen(),
        vec![
            ("evt_done".to_string(), Relation::Current),
            ("evt_adm".to_string(), superseded_by("evt_done")),
        ]
    );
}

/// A draw's results with 1,000 winners in one event: one write per winner, each
/// winner's entry marked won, no claim token stored, and a redelivery writes nothing again.
pub async fn a_draw_with_a_thousand_winners_marks_every_entry_once<B: Backend>() {
    let backend = B::fresh().await;
    let runs = Runs::default();
    let p = processor(&backend, &runs, T0 + 10_000);
    let winners: Vec<String> = (0..1_000)
        .map(|i| {
            format!(r#"{{"consumerId":"con_{i}","position":{},"claimToken":"tok_claim_{i}","claimDeadline":"2026-01-02T00:00:00Z"}}"#, i + 1)
        })
        .collect();
    let data = format!(
        r#"{{"experienceId":"x","drawId":"drw_big","totalEntries":50000,"selectionMethod":"random","winners":[{}]}}"#,
        winners.join(",")
    );
    let results = body("evt_results", "draw.winners_selected", T0, &data);
    assert_eq!(p.process(msg(&results), 0).await, Outcome::Completed);
    for i in [0, 499, 999] {
        let entry = backend
            .item("draw/drw_big", &format!("ENTRY#con_{i}"))
            .await;
        assert_eq!(
            entry.get("status").map(String::as_str),
            Some("won"),
            "con_{i}"
        );
        assert_eq!(entry.get("winnerPosition"), Some(&(i + 1).to_string()));
        assert!(
            entry.values().all(|v| !v.contains("tok_claim")),
            "{entry:?}"
        );
    }
    assert_eq!(p.process(msg(&results), 0).await, Outcome::Duplicate);
}
