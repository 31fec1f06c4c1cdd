//! A hot entity's batch: one message group's ten events claimed, written and finished
//! together must do exactly what the same events one by one do: the handler sees them in order with
//! the same relations, the state ends the same, a duplicate inside the batch runs nothing, and a
//! failure fails only the rest of its own group.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use fanfare_shared::ports::state::{
    Applied, ItemWrite, MergedApplied, MergedWrite, StateError, StateStore,
};
use fanfare_shared::processor::handler::{EventHandler, HandlerContext, HandlerError, Relation};
use fanfare_shared::processor::{GroupedMessage, IncomingMessage, Outcome, Unacknowledged};

use super::{body, processor, Backend, T0};

/// Every handler call in order with the relation it was told; fails a chosen event while asked to.
#[derive(Default, Clone)]
pub struct Calls {
    seen: Arc<Mutex<Vec<(String, Relation)>>>,
    fail_event: Arc<Mutex<Option<String>>>,
    failing: Arc<AtomicBool>,
}

impl Calls {
    fn note(&self, ctx: &HandlerContext<'_>) -> Result<(), HandlerError> {
        let fail_event = self.fail_event.lock().unwrap().clone();
        if self.failing.load(Ordering::SeqCst) && fail_event.as_deref() == Some(&ctx.event.id) {
            return Err(HandlerError::new("downstream_down"));
        }
        let call = (ctx.event.id.clone(), ctx.relation.clone());
        self.seen.lock().unwrap().push(call);
        Ok(())
    }

    pub fn seen(&self) -> Vec<(String, Relation)> {
        self.seen.lock().unwrap().clone()
    }

    fn fail(&self, event_id: &str) {
        *self.fail_event.lock().unwrap() = Some(event_id.to_string());
        self.failing.store(true, Ordering::SeqCst);
    }
}

#[async_trait]
impl EventHandler for Calls {
    async fn queue_entered(&self, ctx: &HandlerContext<'_>) -> Result<(), HandlerError> {
        self.note(ctx)
    }
    async fn queue_position_updated(&self, ctx: &HandlerContext<'_>) -> Result<(), HandlerError> {
        self.note(ctx)
    }
    async fn queue_admitted(&self, ctx: &HandlerContext<'_>) -> Result<(), HandlerError> {
        self.note(ctx)
    }
    async fn queue_completed(&self, ctx: &HandlerContext<'_>) -> Result<(), HandlerError> {
        self.note(ctx)
    }
    async fn auction_bid_placed(&self, ctx: &HandlerContext<'_>) -> Result<(), HandlerError> {
        self.note(ctx)
    }
}

const CONSUMER: &str = r#"{"experienceId":"x","consumerId":"c"}"#;

fn position(id: &str, at: i64, position: u32) -> String {
    let data = format!(r#"{{"experienceId":"x","consumerId":"c","position":{position}}}"#);
    body(id, "queue.position_updated", at, &data)
}

fn bid(n: i64, amount: u32) -> String {
    let data = format!(
        r#"{{"experienceId":"x","auctionId":"auc_1","consumerId":"con_{n}","bidId":"bid_{n}","bidAmount":"{amount}.50","currencyCode":"USD"}}"#
    );
    body(&format!("evt_bid_{n}"), "auction.bid_placed", T0 + n, &data)
}

/// One consumer's queue in one batch: entered, positions out of order, a copy of `entered`, then
/// admitted and completed.
fn consumer_batch() -> Vec<String> {
    vec![
        body("evt_in", "queue.consumer_entered", T0, CONSUMER),
        position("evt_p3", T0 + 3, 30),
        position("evt_p2", T0 + 2, 40),
        body("evt_in", "queue.consumer_entered", T0, CONSUMER),
        position("evt_p4", T0 + 4, 20),
        body("evt_adm", "queue.consumer_admitted", T0 + 5, CONSUMER),
        body("evt_done", "queue.admission_completed", T0 + 6, CONSUMER),
    ]
}

/// The bodies as one batch of one message group (or `group` none: every message its own).
async fn as_batch<B: Backend>(
    backend: &B,
    handler: &Calls,
    bodies: &[String],
    group: Option<&str>,
) -> Vec<Unacknowledged> {
    let p = processor(backend, handler, T0 + 10_000);
    let messages: Vec<GroupedMessage<'_>> = bodies
        .iter()
        .map(|b| GroupedMessage {
            group,
            message: IncomingMessage::raw(b),
        })
        .collect();
    p.process_messages(&messages, 0).await
}

/// The bodies one at a time, in order, as before batches ran together: the reference.
async fn one_by_one<B: Backend>(backend: &B, handler: &Calls, bodies: &[String]) -> Vec<Outcome> {
    let p = processor(backend, handler, T0 + 10_000);
    let mut outcomes = Vec::new();
    for b in bodies {
        outcomes.push(p.process(IncomingMessage::raw(b), 0).await);
    }
    outcomes
}

/// Duplicates and disorder inside one consumer's batch: the same calls and state as one by one.
pub async fn a_hot_batch_with_duplicates_and_disorder_matches_one_by_one<B: Backend>() {
    let bodies = consumer_batch();
    let (batched, reference) = (B::fresh().await, B::fresh().await);
    let (calls, reference_calls) = (Calls::default(), Calls::default());
    let failed = as_batch(&batched, &calls, &bodies, Some("admission/x/c")).await;
    assert!(failed.is_empty(), "{failed:?}");
    let outcomes = one_by_one(&reference, &reference_calls, &bodies).await;
    assert_eq!(outcomes[3], Outcome::Duplicate);
    assert_eq!(calls.seen(), reference_calls.seen());
    assert_eq!(calls.seen().len(), 6, "the copy of entered ran nothing");
    assert_eq!(
        calls.seen()[2],
        (
            "evt_p2".to_string(),
            Relation::Superseded {
                by_event_id: Some("evt_p3".into())
            }
        )
    );
    let state = batched.item("admission/x/c", "STATE").await;
    assert_eq!(state, reference.item("admission/x/c", "STATE").await);
    assert_eq!(state.get("status").map(String::as_str), Some("completed"));
}

/// Ten bids of one auction, amounts out of order: the same high bid, bid set and relations.
pub async fn a_hot_auction_batch_matches_one_by_one<B: Backend>() {
    let amounts = [100, 120, 110, 150, 130, 170, 160, 175, 140, 180];
    let bodies: Vec<String> = (0i64..).zip(amounts).map(|(n, a)| bid(n, a)).collect();
    let (batched, reference) = (B::fresh().await, B::fresh().await);
    let (calls, reference_calls) = (Calls::default(), Calls::default());
    let failed = as_batch(&batched, &calls, &bodies, Some("auction/auc_1")).await;
    assert!(failed.is_empty(), "{failed:?}");
    one_by_one(&reference, &reference_calls, &bodies).await;
    assert_eq!(calls.seen(), reference_calls.seen());
    let state = batched.item("auction/auc_1", "STATE").await;
    assert_eq!(state, reference.item("auction/auc_1", "STATE").await);
    assert_eq!(state.get("highBid").map(String::as_str), Some("180.5"));
}

/// A handler failing in the middle of a hot batch: the rest of its group comes back, other groups
/// finish; after the fix the retry runs each remaining handler once and the state is the in-order
/// state.
async fn failure_in_the_middle<B: Backend>(retry_whole: bool) {
    let bodies = consumer_batch();
    let (batched, reference) = (B::fresh().await, B::fresh().await);
    let calls = Calls::default();
    calls.fail("evt_p4");
    // Another consumer's event rides in the same batch, between this group's messages.
    let other = body(
        "evt_other",
        "queue.consumer_admitted",
        T0,
        r#"{"experienceId":"x","consumerId":"d"}"#,
    );
    let mut messages: Vec<(&str, &str)> = bodies
        .iter()
        .map(|b| (b.as_str(), "admission/x/c"))
        .collect();
    messages.insert(2, (&other, "admission/x/d"));
    let p = processor(&batched, &calls, T0 + 10_000);
    let grouped: Vec<GroupedMessage<'_>> = messages
        .iter()
        .map(|&(b, group)| GroupedMessage {
            group: Some(group),
            message: IncomingMessage::raw(b),
        })
        .collect();
    let failed = p.process_messages(&grouped, 0).await;
    let indices: Vec<usize> = failed.iter().map(|u| u.index).collect();
    assert_eq!(indices, [5, 6, 7], "evt_p4 and the rest of its group");
    let ids = |calls: &Calls| {
        calls
            .seen()
            .into_iter()
            .map(|(id, _)| id)
            .collect::<Vec<_>>()
    };
    let seen = ids(&calls);
    assert!(
        seen.contains(&"evt_other".to_string()),
        "the other group finished: {seen:?}"
    );
    let this_group: Vec<_> = seen.iter().filter(|id| *id != "evt_other").collect();
    assert_eq!(this_group, ["evt_in", "evt_p3", "evt_p2"]);

    calls.failing.store(false, Ordering::SeqCst);
    retry_the_rest(&batched, &calls, &bodies[4..], retry_whole).await;
    assert_eq!(
        ids(&calls)
            .into_iter()
            .filter(|id| id != "evt_other")
            .collect::<Vec<_>>(),
        ["evt_in", "evt_p3", "evt_p2", "evt_p4", "evt_adm", "evt_done"],
        "each handler ran once, in order"
    );
    let reference_calls = Calls::default();
    one_by_one(&reference, &reference_calls, &bodies).await;
    let this_group: Vec<_> = calls
        .seen()
        .into_iter()
        .filter(|(id, _)| id != "evt_other")
        .collect();
    assert_eq!(
        this_group,
        reference_calls.seen(),
        "each handler was told what in-order processing tells it"
    );
    assert_eq!(
        batched.item("admission/x/c", "STATE").await,
        reference.item("admission/x/c", "STATE").await
    );
}

/// The failed event and the rest of its group come back: as one batch (`whole`), or one message at a
/// time (each alone finds the item newer than itself).
async fn retry_the_rest<B: Backend>(backend: &B, calls: &Calls, rest: &[String], whole: bool) {
    let batches: Vec<&[String]> = match whole {
        true => vec![rest],
        false => rest.iter().map(std::slice::from_ref).collect(),
    };
    for batch in batches {
        let failed = as_batch(backend, calls, batch, Some("admission/x/c")).await;
        assert!(failed.is_empty(), "{failed:?}");
    }
}

/// The same failure; the rest of the group retried whole.
pub async fn a_failure_in_the_middle_of_a_hot_batch_fails_only_the_rest_of_its_group<B: Backend>() {
    failure_in_the_middle::<B>(true).await;
}

/// The same failure; the rest of the group retried one message at a time.
pub async fn after_a_failure_in_a_hot_batch_each_retried_event_keeps_its_in_order_relation<
    B: Backend,
>() {
    failure_in_the_middle::<B>(false).await;
}

/// The state store's reply to a merged write is lost and the SDK sends it again: the second write
/// finds the item newer than its floor, as its own first copy left it.
#[derive(Clone)]
pub struct RepliesLost<S>(pub S);

#[async_trait::async_trait]
impl<S: StateStore> StateStore for RepliesLost<S> {
    async fn apply(&self, write: &ItemWrite, event_id: &str) -> Result<Applied, StateError> {
        self.0.apply(write, event_id).await
    }
    async fn apply_merged(&self, write: &MergedWrite) -> Result<MergedApplied, StateError> {
        let _lost = self.0.apply_merged(write).await?;
        self.0.apply_merged(write).await
    }
}

/// A hot batch whose merged writes are each sent twice: the same calls, relations and state as one
/// by one.
pub async fn a_retried_merged_write_tells_each_event_its_in_order_relation<B: Backend>() {
    let bodies = consumer_batch();
    let (batched, reference) = (B::fresh().await, B::fresh().await);
    let (calls, reference_calls) = (Calls::default(), Calls::default());
    let p = fanfare_shared::testing::processor_at(
        batched.ids(),
        RepliesLost(batched.state()),
        calls.clone(),
        T0 + 10_000,
    );
    let messages: Vec<GroupedMessage<'_>> = bodies
        .iter()
        .map(|b| GroupedMessage {
            group: Some("admission/x/c"),
            message: IncomingMessage::raw(b),
        })
        .collect();
    assert!(p.process_messages(&messages, 0).await.is_empty());
    one_by_one(&reference, &reference_calls, &bodies).await;
    assert_eq!(calls.seen(), reference_calls.seen());
    assert_eq!(
        batched.item("admission/x/c", "STATE").await,
        reference.item("admission/x/c", "STATE").await
    );
}

/// A clock the handler moves: each call takes a second.
#[derive(Clone)]
pub struct Stepping {
    calls: Calls,
    now_ms: Arc<std::sync::atomic::AtomicI64>,
}

impl fanfare_shared::ports::Clock for Stepping {
    fn now(&self) -> chrono::DateTime<chrono::Utc> {
        let ms = self.now_ms.load(Ordering::SeqCst);
        chrono::TimeZone::timestamp_millis_opt(&chrono::Utc, ms).unwrap()
    }
}

impl Stepping {
    fn step(&self, ctx: &HandlerContext<'_>) -> Result<(), HandlerError> {
        self.now_ms.fetch_add(1_000, Ordering::SeqCst);
        self.calls.note(ctx)
    }
}

#[async_trait]
impl EventHandler for Stepping {
    async fn queue_entered(&self, ctx: &HandlerContext<'_>) -> Result<(), HandlerError> {
        self.step(ctx)
    }
    async fn queue_position_updated(&self, ctx: &HandlerContext<'_>) -> Result<(), HandlerError> {
        self.step(ctx)
    }
    async fn queue_admitted(&self, ctx: &HandlerContext<'_>) -> Result<(), HandlerError> {
        self.step(ctx)
    }
    async fn queue_completed(&self, ctx: &HandlerContext<'_>) -> Result<(), HandlerError> {
        self.step(ctx)
    }
}

/// Handlers slow enough that the run reaches the invocation's deadline margin before its last
/// events: they are given back unhandled (no failure) with the relations in-order processing gives
/// them, and retried one at a time each is told exactly that.
pub async fn a_run_stopped_at_the_deadline_keeps_in_order_relations<B: Backend>() {
    let bodies = consumer_batch();
    let (batched, reference) = (B::fresh().await, B::fresh().await);
    let start = T0 + 10_000;
    let slow = Stepping {
        calls: Calls::default(),
        now_ms: Arc::new(start.into()),
    };
    let p = fanfare_shared::processor::Processor::new(
        batched.ids(),
        batched.state(),
        slow.clone(),
        slow.clone(),
        fanfare_shared::processor::ProcessorOptions::default(),
    );
    let grouped: Vec<GroupedMessage<'_>> = bodies
        .iter()
        .map(|b| GroupedMessage {
            group: Some("admission/x/c"),
            message: IncomingMessage::raw(b),
        })
        .collect();
    // Each handler takes a second. The first run (entered, p3, p2) ends 3 s in; the second (the copy
    // of `entered`, p4, admitted, completed) has 1.2 s left, keeps a quarter as its margin, and so
    // stops after p4, with its state all written.
    let back = p.process_messages(&grouped, start + 4_200).await;
    let indices: Vec<usize> = back.iter().map(|u| u.index).collect();
    assert_eq!(indices, [5, 6], "admitted and completed come back");
    assert!(back.iter().all(|u| !u.dead_letter));
    let first_back = back[0].index;
    retry_the_rest(&batched, &slow.calls, &bodies[first_back..], false).await;
    let reference_calls = Calls::default();
    one_by_one(&reference, &reference_calls, &bodies).await;
    assert_eq!(slow.calls.seen(), reference_calls.seen());
}
