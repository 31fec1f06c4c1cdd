//! The processor: for each queued event, claim it (idempotency), apply its state with the ordering
//! gate, run the user's handler, and record the outcome. Returns a partial batch response.
//!
//! Guarantees:
//! - **exactly once** for materialised state and for the `completed` record: state writes are
//!   conditional and idempotent, and a completed record short-circuits every later delivery;
//! - **at least once** for user handler side effects (a crash after the handler but before the record
//!   is finished runs it again on retry), with the event id as idempotency key;
//! - **every handler runs**: an ordered event older than the version its entity already carries
//!   merges its set-once facts (not its moving fields) and still reaches the handler, told it was
//!   superseded; the record says `superseded`. Only duplicates, conflicts and ignored (unknown)
//!   events skip the handler.

pub mod batch;
mod claim;
mod group;
pub mod handler;
mod invoke;
mod merge;
mod message;
mod outcome;
pub mod pace;
pub mod plan;
mod report;
pub mod retry;
mod run_writes;
pub mod sqs_batch;
mod steps;

pub use batch::{GroupedMessage, Unacknowledged, MAX_CONCURRENT_GROUPS};
pub use group::NOT_REACHED;
pub use message::IncomingMessage;
pub use outcome::{Failure, Outcome};
pub use pace::Downstream;
pub use retry::RetryPolicy;
pub use sqs_batch::ProcessorError;
pub use steps::{FanOut, StepLog, StepRun};

use std::sync::Arc;
use std::time::Instant;

use futures_util::stream::{self, StreamExt};
use tracing::Instrument;

use crate::contract::message::decode_body;
use crate::ports::idempotency::{
    Claim, Claimed, IdempotencyError, IdempotencyStore, Release, Status,
};
use crate::ports::pace::{InProcessTickets, PaceStore};
use crate::ports::state::{Applied, StateStore};
use crate::ports::steps::{InProcessSteps, StepStore};
use crate::ports::{Clock, DeadLetterSink, MessageVisibility};
use crate::telemetry::Causes;
use handler::{EventHandler, Relation, Replay};
pub use invoke::HANDLER_PANICKED;
use pace::Pacer;
use plan::{plan, PlanOptions};

/// Default record lifetime: 7 days (Fanfare retries for about 44 h).
pub const DEFAULT_RECORD_TTL_SECS: i64 = 7 * 24 * 3600;
/// The shortest record lifetime allowed: Fanfare retries for about 44 h, and a shorter memory
/// would let a late retry run twice.
pub const MIN_RECORD_TTL_SECS: i64 = 72 * 3600;
/// Lease used when the invocation has no deadline (local runs).
pub const DEFAULT_LEASE_MS: i64 = 60_000;
/// Independent state writes of one event (one per draw winner) sent at the same time.
pub const MAX_CONCURRENT_WRITES: usize = 8;

#[derive(Debug, Clone, Copy)]
pub struct ProcessorOptions {
    pub record_ttl_secs: i64,
    pub plan: PlanOptions,
    pub retry: RetryPolicy,
    /// How many instances may run at once (the event source's maximum concurrency): each takes
    /// this share of a downstream's in-flight limit.
    pub instances: u32,
}

impl Default for ProcessorOptions {
    fn default() -> Self {
        Self {
            record_ttl_secs: DEFAULT_RECORD_TTL_SECS,
            plan: PlanOptions::default(),
            retry: RetryPolicy::default(),
            instances: 1,
        }
    }
}

pub struct Processor<I, S, H, C> {
    idempotency: I,
    state: S,
    handler: H,
    clock: C,
    options: ProcessorOptions,
    /// Where a failure's backoff and a deferral are applied (the events queue); without it, the
    /// queue's visibility timeout decides.
    visibility: Option<Arc<dyn MessageVisibility>>,
    /// Where an event goes when a failure spends its retry budget; without it, the queue's
    /// `maxReceiveCount` dead-letters it.
    dead_letters: Option<Arc<dyn DeadLetterSink>>,
    pacer: Pacer,
    /// Where `ctx.step` records completed steps: this process's own until
    /// [`Processor::with_step_store`].
    steps: Arc<dyn StepStore>,
    step_log: Option<StepLog>,
}

impl<I: IdempotencyStore, S: StateStore, H: EventHandler, C: Clock> Processor<I, S, H, C> {
    /// Downstream tickets are this process's own until [`Processor::with_pace_store`].
    pub fn new(idempotency: I, state: S, handler: H, clock: C, options: ProcessorOptions) -> Self {
        let pacer = Pacer::new(
            &handler.downstreams(),
            options.instances,
            Arc::new(InProcessTickets::default()),
        );
        Self {
            idempotency,
            state,
            handler,
            clock,
            options,
            visibility: None,
            dead_letters: None,
            pacer,
            steps: Arc::new(InProcessSteps::default()),
            step_log: None,
        }
    }

    /// Lets backoff, `retry_after` and deferrals change when messages come back.
    pub fn with_visibility(mut self, visibility: Arc<dyn MessageVisibility>) -> Self {
        self.visibility = Some(visibility);
        self
    }

    /// Where events whose retry budget is spent go (the dead-letter queue).
    pub fn with_dead_letters(mut self, sink: Arc<dyn DeadLetterSink>) -> Self {
        self.dead_letters = Some(sink);
        self
    }

    /// Draws downstream tickets from `store`, shared by every instance (the idempotency table).
    pub fn with_pace_store(mut self, store: Arc<dyn PaceStore>) -> Self {
        let log = self.pacer.log.take();
        self.pacer = Pacer::new(&self.handler.downstreams(), self.options.instances, store);
        self.pacer.log = log;
        self
    }

    /// Records handlers' steps in `store`, where every instance finds them (the idempotency table).
    pub fn with_step_store(mut self, store: Arc<dyn StepStore>) -> Self {
        self.steps = store;
        self
    }

    /// Writes down each step run or skipped (tests, the simulation).
    pub fn with_step_log(mut self, log: StepLog) -> Self {
        self.step_log = Some(log);
        self
    }

    /// Writes down each downstream call let through, with its time (tests, the simulation).
    pub fn with_call_log(mut self, log: pace::DownstreamCallLog) -> Self {
        self.pacer.log = Some(log);
        self
    }

    pub fn handler(&self) -> &H {
        &self.handler
    }

    /// The handler and options back (to rebuild the processor around other ports).
    pub fn into_parts(self) -> (H, ProcessorOptions) {
        (self.handler, self.options)
    }

    /// Processes one message and logs one line about it.
    pub async fn process(&self, message: IncomingMessage<'_>, deadline_ms: i64) -> Outcome {
        let started = Instant::now();
        let bytes = match decode_body(message.body, message.body_encoding) {
            Ok(bytes) => bytes,
            Err(e) => {
                tracing::error!(outcome = "failed", error = %Causes(&e), "queued body cannot be decoded");
                return Outcome::Failed(Failure::InvalidBodyEncoding);
            }
        };
        let event = match message.event(&bytes) {
            Ok(e) => e,
            Err(e) => {
                // Ingest validated it; a body that fails here can only be retried and dead-lettered.
                tracing::error!(
                    outcome = "failed",
                    error = e.code(),
                    "queued body is not a valid event"
                );
                return Outcome::Failed(Failure::InvalidEvent);
            }
        };
        let span = event_span(&event, message);
        let (outcome, attempt) = self
            .process_event(&event, &bytes, message, deadline_ms)
            .instrument(span.clone())
            .await;
        let latency_ms = started.elapsed().as_secs_f64() * 1000.0;
        span.in_scope(|| report::log(&event, outcome, attempt, latency_ms));
        report::count(&event, outcome, latency_ms);
        outcome
    }

    async fn process_event(
        &self,
        event: &crate::Event,
        signed: &[u8],
        message: IncomingMessage<'_>,
        deadline_ms: i64,
    ) -> (Outcome, u32) {
        let claim = self.claim_for(event, signed, message, deadline_ms);
        let claimed = match self.claim(event, &claim).await {
            Ok(claimed) => claimed,
            Err(settled) => return settled,
        };
        let replay = replay_of(event, &claim, message);
        let attempt = claimed.attempt;
        let outcome = self
            .apply_and_handle(event, &claim, claimed, replay, deadline_ms)
            .await;
        (outcome, attempt)
    }

    /// With the claim held: the state writes (the first is the ordering gate), the handler, the
    /// record's final status.
    async fn apply_and_handle(
        &self,
        event: &crate::Event,
        claim: &Claim,
        claimed: Claimed,
        replay: Option<Replay>,
        deadline_ms: i64,
    ) -> Outcome {
        let owner = claim.owner.as_str();
        tracing::Span::current().record("attempt", claimed.attempt);
        let plan = plan(event, self.options.plan);
        if is_ignored(event, &plan) {
            return self
                .finish(event, owner, Status::Ignored, Outcome::Ignored)
                .await;
        }
        // The first write is the ordering gate; the others touch items of their own (one per draw
        // winner), so all go out together. `buffered` keeps the results in plan order.
        // The futures are made before the stream runs, so no closure is held across an await
        // (which would keep the batch's future from being `Send`).
        let writes: Vec<_> = plan
            .writes
            .iter()
            .map(|write| self.state.apply(write, &event.id))
            .collect();
        let applied: Vec<_> = stream::iter(writes)
            .buffered(MAX_CONCURRENT_WRITES)
            .collect()
            .await;
        let applied = match applied.into_iter().collect::<Result<Vec<_>, _>>() {
            Ok(applied) => applied,
            Err(e) => {
                tracing::warn!(error = %Causes(&e), "state write failed");
                return self.state_failed(event, owner).await;
            }
        };
        // An earlier attempt that wrote the state kept the relation it was told.
        let relation = claimed
            .relation
            .clone()
            .unwrap_or_else(|| relation(&plan, primary(&applied)));
        let call = invoke::Call {
            event,
            owner,
            claimed: &claimed,
            relation,
            order: invoke::Order::of(&plan, &applied),
            replay,
            deadline_ms,
            expires_at_s: claim.expires_at_s,
            keep_relation: false,
        };
        match self.handle(call).await {
            Ok((status, done)) => self.finish(event, owner, status, done).await,
            Err(failed) => failed,
        }
    }

    /// Releases the claim after a state write failed (its cause is logged where it failed).
    async fn state_failed(&self, event: &crate::Event, owner: &str) -> Outcome {
        let release = Release::failed(Failure::StateUnavailable.code());
        self.release(event, owner, &release).await;
        Outcome::Failed(Failure::StateUnavailable)
    }

    pub(super) async fn finish(
        &self,
        event: &crate::Event,
        owner: &str,
        status: Status,
        outcome: Outcome,
    ) -> Outcome {
        let now_ms = self.clock.now().timestamp_millis();
        match self
            .idempotency
            .finish(&event.id, owner, status, now_ms)
            .await
        {
            Ok(()) => outcome,
            Err(IdempotencyError::NotOwner) => Outcome::Failed(Failure::ClaimLost),
            Err(e) => unavailable(event, &e),
        }
    }

    /// Gives the claim back as `release` says. If that fails too, the lease lapses at the
    /// invocation's deadline and a retry reclaims.
    pub(super) async fn release(&self, event: &crate::Event, owner: &str, release: &Release) {
        let now_ms = self.clock.now().timestamp_millis();
        if let Err(e) = self
            .idempotency
            .release(&event.id, owner, release, now_ms)
            .await
        {
            tracing::warn!(event_id = %event.id, error = %Causes(&e), "claim not released; it lapses with its lease");
        }
    }
}

/// Every line logged while the event is processed, the handler's own included, carries these.
fn event_span(event: &crate::Event, message: IncomingMessage<'_>) -> tracing::Span {
    tracing::info_span!(
        "event",
        event_id = %event.id,
        kind = event.kind.as_str(),
        entity = %event.entity().key(),
        message_id = message.message_id.unwrap_or_default(),
        trace_id = %message.trace_header.and_then(trace_id).unwrap_or_default(),
        attempt = tracing::field::Empty,
    )
}

/// An event of an unknown kind with nothing to write: recorded as ignored, no handler.
fn is_ignored(event: &crate::Event, plan: &plan::Plan) -> bool {
    plan.writes.is_empty() && event.kind == crate::EventKind::Unknown
}

/// What the first write (the ordering gate) found.
fn primary(applied: &[Applied]) -> Applied {
    applied.first().cloned().unwrap_or(Applied::Fresh)
}

/// How the event relates to its entity, from what its first write (the ordering gate) found.
fn relation(plan: &plan::Plan, primary: Applied) -> Relation {
    match primary {
        Applied::Stale { newer_event_id } if plan.ordered => Relation::Superseded {
            by_event_id: newer_event_id,
        },
        _ => Relation::Current,
    }
}

/// The operator's replay the message carries, and whether its body is the archive's redacted copy.
fn replay_of(event: &crate::Event, claim: &Claim, message: IncomingMessage<'_>) -> Option<Replay> {
    message.replay_id.map(|id| Replay {
        id: id.to_string(),
        redacted: claim.payload_hash != event.payload_hash(),
        rerun_steps: message.replay_force && message.replay_rerun_steps,
    })
}

/// The `Root=` trace id of an X-Ray trace header (`Root=1-…;Parent=…;Sampled=1`).
fn trace_id(header: &str) -> Option<&str> {
    header
        .split(';')
        .find_map(|part| part.trim().strip_prefix("Root="))
}

/// The idempotency table failed: its cause is logged here, once.
fn unavailable(event: &crate::Event, error: &IdempotencyError) -> Outcome {
    tracing::warn!(event_id = %event.id, error = %Causes(error), "idempotency table unavailable");
    Outcome::Failed(Failure::IdempotencyUnavailable)
}
