//! The processor: for each queued event, claim it (idempotency), apply its state with the ordering
//! gate, run the user's handler, and record the outcome. Returns a partial batch response.
//!
//! Guarantees:
//! - **exactly once** for materialised state and for the `completed` record: state writes are
//!   conditional and idempotent, and a completed record short-circuits every later delivery;
//! - **at least once** for user handler side effects (a crash after the handler but before the record
//!   is finished runs it again on retry), with the event id as idempotency key;
//! - **stale**: an ordered event older than the version its entity already carries is recorded as
//!   `skipped_stale` and acknowledged; its set-once facts are still merged, its moving fields and the
//!   user handler are skipped.

pub mod handler;
pub mod idempotency;
pub mod plan;
pub mod state;

use std::time::Instant;

use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent, SqsMessage};
use futures_util::stream::{self, StreamExt};

use crate::contract::envelope::parse_event;
use crate::contract::message::{attributes, decode_body};
use crate::ports::Clock;
use crate::privacy::Retention;
use handler::{dispatch, EventHandler, HandlerContext};
use idempotency::{Claim, ClaimOutcome, IdempotencyError, IdempotencyStore, Status};
use plan::{plan, PlanOptions};
use state::{Applied, StateStore};

/// Default record lifetime: 7 days (Fanfare retries for about 44 h).
pub const DEFAULT_RECORD_TTL_SECS: i64 = 7 * 24 * 3600;
/// The shortest record lifetime allowed: Fanfare retries for about 44 h, and a shorter memory
/// would let a late retry run twice.
pub const MIN_RECORD_TTL_SECS: i64 = 72 * 3600;
/// Lease used when the invocation has no deadline (local runs).
pub const DEFAULT_LEASE_MS: i64 = 60_000;
/// Message groups of one batch processed at the same time.
pub const MAX_CONCURRENT_GROUPS: usize = 10;
/// Independent state writes of one event (one per draw winner) sent at the same time.
pub const MAX_CONCURRENT_WRITES: usize = 8;

#[derive(Debug, Clone, Copy)]
pub struct ProcessorOptions {
    pub record_ttl_secs: i64,
    pub plan: PlanOptions,
    /// Print one EMF metrics line per record.
    pub emit_metrics: bool,
}

impl Default for ProcessorOptions {
    fn default() -> Self {
        Self {
            record_ttl_secs: DEFAULT_RECORD_TTL_SECS,
            plan: PlanOptions::default(),
            emit_metrics: true,
        }
    }
}

/// What happened to one message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Completed,
    /// Already processed: acknowledged without running anything.
    Duplicate,
    SkippedStale,
    Ignored,
    /// Same id, different payload: kept for inspection, acknowledged, not processed.
    Conflict,
    /// Another invocation holds a live claim: retried later.
    Busy,
    /// Retried later (then dead-lettered); the code says why.
    Failed(&'static str),
}

impl Outcome {
    pub fn acknowledged(&self) -> bool {
        !matches!(self, Outcome::Busy | Outcome::Failed(_))
    }

    pub fn as_str(&self) -> &'static str {
        match self {
            Outcome::Completed => "completed",
            Outcome::Duplicate => "duplicate",
            Outcome::SkippedStale => "skipped_stale",
            Outcome::Ignored => "ignored",
            Outcome::Conflict => "conflict",
            Outcome::Busy => "busy",
            Outcome::Failed(_) => "failed",
        }
    }

    fn metric(&self) -> &'static str {
        match self {
            Outcome::Completed => "Processed",
            Outcome::Duplicate => "Duplicate",
            Outcome::SkippedStale => "Stale",
            Outcome::Ignored => "Ignored",
            Outcome::Conflict => "Conflict",
            Outcome::Busy | Outcome::Failed(_) => "Failed",
        }
    }
}

/// One queued message, independent of the SQS event types.
#[derive(Debug, Clone, Copy)]
pub struct QueuedMessage<'a> {
    /// The signed bytes, raw or encoded as `body_encoding` says.
    pub body: &'a str,
    /// The `body-encoding` attribute (`base64` for bodies SQS could not carry raw).
    pub body_encoding: Option<&'a str>,
    /// The `replay-id` attribute `fanfare-webhooks replay` sets.
    pub replay_id: Option<&'a str>,
    /// With `replay_id` only: the original payload hash of a redacted archive copy.
    pub replay_payload_hash: Option<&'a str>,
}

impl<'a> QueuedMessage<'a> {
    /// A message as ingest sends it: the signed body, nothing else that matters.
    pub fn raw(body: &'a str) -> Self {
        Self {
            body,
            body_encoding: None,
            replay_id: None,
            replay_payload_hash: None,
        }
    }

    pub fn from_sqs(message: &'a SqsMessage) -> Self {
        let attribute = |name: &str| {
            message
                .message_attributes
                .get(name)
                .and_then(|a| a.string_value.as_deref())
        };
        Self {
            body: message.body.as_deref().unwrap_or_default(),
            body_encoding: attribute(attributes::BODY_ENCODING),
            replay_id: attribute(attributes::REPLAY_ID),
            replay_payload_hash: attribute(attributes::REPLAY_PAYLOAD_HASH),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ProcessorError {
    /// Without a message id no single record can be reported, so the whole batch is retried.
    #[error("an SQS record has no messageId")]
    MissingMessageId,
}

pub struct Processor<I, S, H, C> {
    idempotency: I,
    state: S,
    handler: H,
    clock: C,
    options: ProcessorOptions,
}

impl<I: IdempotencyStore, S: StateStore, H: EventHandler, C: Clock> Processor<I, S, H, C> {
    pub fn new(idempotency: I, state: S, handler: H, clock: C, options: ProcessorOptions) -> Self {
        Self {
            idempotency,
            state,
            handler,
            clock,
            options,
        }
    }

    pub fn handler(&self) -> &H {
        &self.handler
    }

    /// Processes a batch. Records of one message group run strictly in order, and the first failure
    /// in a group fails the rest of **that group** only (Powertools' `skipGroupOnError`), so a later
    /// event of a group never overtakes an earlier one while other entities go on. Groups run at the
    /// same time, at most [`MAX_CONCURRENT_GROUPS`]; each record of a standard queue is its own group.
    pub async fn process_batch(
        &self,
        event: &SqsEvent,
        deadline_ms: i64,
    ) -> Result<SqsBatchResponse, ProcessorError> {
        // Every record must be reportable before any is processed: an empty or missing id in a
        // batch response would fail the whole batch anyway, after side effects had run.
        let ids = event
            .records
            .iter()
            .map(|r| r.message_id.as_deref().filter(|id| !id.is_empty()))
            .collect::<Option<Vec<_>>>()
            .ok_or(ProcessorError::MissingMessageId)?;
        let groups = message_groups(&event.records);
        let mut failed: Vec<usize> = stream::iter(groups)
            .map(|members| async move {
                let mut failed = Vec::new();
                for (n, &i) in members.iter().enumerate() {
                    let outcome = self
                        .process(QueuedMessage::from_sqs(&event.records[i]), deadline_ms)
                        .await;
                    if !outcome.acknowledged() {
                        failed.extend_from_slice(&members[n..]);
                        break;
                    }
                }
                failed
            })
            .buffer_unordered(MAX_CONCURRENT_GROUPS)
            .concat()
            .await;
        failed.sort_unstable();
        let mut response = SqsBatchResponse::default();
        for i in failed {
            response.add_failure(ids[i]);
        }
        Ok(response)
    }

    /// Processes one message and logs one line about it.
    pub async fn process(&self, message: QueuedMessage<'_>, deadline_ms: i64) -> Outcome {
        let started = Instant::now();
        let bytes = match decode_body(message.body, message.body_encoding) {
            Ok(bytes) => bytes,
            Err(e) => {
                tracing::error!(outcome = "failed", error = %e, "queued body cannot be decoded");
                return Outcome::Failed("invalid_body_encoding");
            }
        };
        let event = match parse_event(&bytes) {
            Ok(e) => e,
            Err(e) => {
                // Ingest validated it; a body that fails here can only be retried and dead-lettered.
                tracing::error!(
                    outcome = "failed",
                    error = e.code(),
                    "queued body is not a valid event"
                );
                return Outcome::Failed("invalid_event");
            }
        };
        let (outcome, attempt) = self
            .process_event(&event, &bytes, message, deadline_ms)
            .await;
        let latency_ms = started.elapsed().as_secs_f64() * 1000.0;
        let kind = event.kind.as_str();
        match &outcome {
            Outcome::Failed(code) => {
                tracing::warn!(event_id = %event.id, kind, outcome = "failed", error = code, attempt, latency_ms, "event not processed")
            }
            Outcome::Conflict => {
                tracing::error!(event_id = %event.id, kind, outcome = "conflict", "same event id with a different payload; kept for inspection")
            }
            other => {
                tracing::info!(event_id = %event.id, kind, outcome = other.as_str(), attempt, latency_ms, "event processed")
            }
        }
        if self.options.emit_metrics {
            let alert = (event.kind == crate::EventKind::WebhookDeliveryFailed
                && outcome == Outcome::Completed)
                .then_some("DeliveryFailed");
            let doc = crate::metrics::record_document(
                kind,
                outcome.metric(),
                alert,
                latency_ms,
                self.clock.now().timestamp_millis(),
            );
            println!("{doc}");
        }
        outcome
    }

    async fn process_event(
        &self,
        event: &crate::Event,
        signed: &[u8],
        message: QueuedMessage<'_>,
        deadline_ms: i64,
    ) -> (Outcome, u32) {
        let replay_id = message.replay_id;
        // A replayed archive copy was redacted, so it no longer hashes like the original: the
        // replay carries the original's hash (operators' replays only; ingest never sets it).
        let payload_hash = match (replay_id, message.replay_payload_hash) {
            (Some(_), Some(hash)) => hash.to_string(),
            _ => event.payload_hash(),
        };
        let retention = Retention {
            store_personal_data: self.options.plan.store_personal_data,
        };
        let now = self.clock.now();
        let now_ms = now.timestamp_millis();
        let owner = uuid::Uuid::new_v4().to_string();
        let claim = Claim {
            event_id: event.id.clone(),
            owner: owner.clone(),
            payload_hash,
            now_ms,
            lease_until_ms: if deadline_ms > now_ms {
                deadline_ms
            } else {
                now_ms + DEFAULT_LEASE_MS
            },
            expires_at_s: now.timestamp() + self.options.record_ttl_secs,
            kind: event.kind.as_str().to_string(),
            event_type: event.event_type.clone(),
            ordering_key: event.entity().key(),
            occurred_at_ms: event.occurred_at.timestamp_millis(),
            raw_event: retention.redact_body(signed),
            replay_id: replay_id.map(str::to_string),
        };

        let attempt = match self.idempotency.claim(&claim).await {
            Ok(ClaimOutcome::Claimed { attempt }) => attempt,
            Ok(ClaimOutcome::Held(existing)) => {
                if existing.payload_hash != claim.payload_hash {
                    return match self.idempotency.record_conflict(&claim).await {
                        Ok(()) => (Outcome::Conflict, existing.attempts),
                        Err(_) => (
                            Outcome::Failed("idempotency_unavailable"),
                            existing.attempts,
                        ),
                    };
                }
                let outcome = if existing.status.is_final() {
                    Outcome::Duplicate
                } else {
                    Outcome::Busy
                };
                return (outcome, existing.attempts);
            }
            Err(_) => return (Outcome::Failed("idempotency_unavailable"), 0),
        };

        let plan = plan(event, self.options.plan);
        if plan.writes.is_empty() && event.kind == crate::EventKind::Unknown {
            return (
                self.finish(event, &owner, Status::Ignored, Outcome::Ignored)
                    .await,
                attempt,
            );
        }
        // The first write is the ordering gate; the others touch items of their own (one per draw
        // winner), so all go out together. `buffered` keeps the results in plan order.
        let applied: Vec<_> = stream::iter(&plan.writes)
            .map(|write| self.state.apply(write, &event.id))
            .buffered(MAX_CONCURRENT_WRITES)
            .collect()
            .await;
        let primary = match applied.into_iter().collect::<Result<Vec<_>, _>>() {
            Ok(applied) => applied.first().copied().unwrap_or(Applied::Fresh),
            Err(_) => {
                return (
                    self.release(event, &owner, "state_unavailable").await,
                    attempt,
                )
            }
        };
        if plan.ordered && primary == Applied::Stale {
            return (
                self.finish(event, &owner, Status::SkippedStale, Outcome::SkippedStale)
                    .await,
                attempt,
            );
        }
        let ctx = HandlerContext {
            event,
            idempotency_key: &event.id,
            attempt,
        };
        if let Err(e) = dispatch(&self.handler, &ctx).await {
            tracing::warn!(event_id = %event.id, handler_error = %e.code, "handler failed");
            return (self.release(event, &owner, "handler_failed").await, attempt);
        }
        (
            self.finish(event, &owner, Status::Completed, Outcome::Completed)
                .await,
            attempt,
        )
    }

    async fn finish(
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
            Err(IdempotencyError::NotOwner) => Outcome::Failed("claim_lost"),
            Err(IdempotencyError::Unavailable(_)) => Outcome::Failed("idempotency_unavailable"),
        }
    }

    async fn release(&self, event: &crate::Event, owner: &str, code: &'static str) -> Outcome {
        let now_ms = self.clock.now().timestamp_millis();
        // If releasing fails too, the lease lapses at the invocation's deadline and a retry reclaims.
        let _ = self
            .idempotency
            .release(&event.id, owner, code, now_ms)
            .await;
        Outcome::Failed(code)
    }
}

/// The batch's records by message group, each group in arrival order (indices into `records`). A
/// FIFO record without a group id (never sent by Lambda) joins one shared group, to stay in order.
fn message_groups(records: &[SqsMessage]) -> Vec<Vec<usize>> {
    let mut groups: Vec<(Option<&str>, Vec<usize>)> = Vec::new();
    for (i, record) in records.iter().enumerate() {
        let key = match record.attributes.get("MessageGroupId") {
            Some(group) => Some(group.as_str()),
            None if is_fifo(record) => Some(""),
            None => None,
        };
        match groups.iter_mut().find(|(k, _)| key.is_some() && *k == key) {
            Some((_, members)) => members.push(i),
            None => groups.push((key, vec![i])),
        }
    }
    groups.into_iter().map(|(_, members)| members).collect()
}

fn is_fifo(record: &SqsMessage) -> bool {
    record.attributes.contains_key("MessageGroupId")
        || record
            .event_source_arn
            .as_deref()
            .is_some_and(|arn| arn.ends_with(".fifo"))
}
