//! Calling the handler, and what its result means for the record and the message.
//!
//! - `Ok`: the record finishes `completed` or `superseded`.
//! - A failure or a panic spends one of the event's retry budget and waits its backoff; the one that
//!   spends the last sends the message to the dead-letter queue (`retry`).
//! - `retry_after(d)`: waits max(backoff, d), spends nothing.
//! - A deferral (a downstream's pace): the record says `deferred:<downstream>`, spends nothing.
//! - `permanent`: the record ends `rejected`, the message is acknowledged.
//!
//! A release in a run keeps the event's relation, so its next attempt is told what this one was.

use std::panic::AssertUnwindSafe;

use futures_util::FutureExt;

use super::handler::{dispatch, EventHandler, FailureKind, HandlerContext, HandlerError};
use super::handler::{PaceContext, Relation, Replay};
use super::steps::StepContext;
use super::{Failure, Outcome, Processor};
use crate::metrics;
use crate::ports::idempotency::{Budget, Claimed, IdempotencyStore, Release, Status};
use crate::ports::pace::Reservation;
use crate::ports::state::{StateStore, Version};
use crate::ports::Clock;
use crate::telemetry::Causes;

/// The `lastError` of a handler that panicked.
pub const HANDLER_PANICKED: &str = "handler_panicked";

/// One handler call: the event, its claim and what the handler is told.
pub(super) struct Call<'a> {
    pub event: &'a crate::Event,
    pub owner: &'a str,
    pub claimed: &'a Claimed,
    pub relation: Relation,
    /// The event's version, and the members whose items held a newer event (from its writes).
    pub order: Order,
    pub replay: Option<Replay>,
    pub deadline_ms: i64,
    /// When the event's record expires (seconds): its steps expire with it.
    pub expires_at_s: i64,
    /// Keep `relation` on the record if the handler does not finish: in a run, the later events'
    /// state is written before this handler runs, so a retry would otherwise find them newer.
    /// (Alone, nothing newer was written by this attempt: a retry decides again, and a newer event
    /// handled meanwhile supersedes it.)
    pub keep_relation: bool,
}

/// What the event's writes found, for the handler to see.
#[derive(Debug, Clone, Default)]
pub(super) struct Order {
    pub version: Option<Version>,
    pub superseded_members: Vec<String>,
}

impl Order {
    pub fn of(plan: &super::plan::Plan, applied: &[crate::ports::state::Applied]) -> Self {
        Self {
            version: plan.version(),
            superseded_members: plan.superseded_members(applied),
        }
    }
}

/// How a handler call ended, when not with `Ok`.
enum Ended {
    Failed(HandlerError),
    Panicked,
}

impl<I: IdempotencyStore, S: StateStore, H: EventHandler, C: Clock> Processor<I, S, H, C> {
    /// Runs the handler: the status and outcome to finish with, or the outcome of its failure (the
    /// claim released).
    pub(super) async fn handle(&self, call: Call<'_>) -> Result<(Status, Outcome), Outcome> {
        let done = match call.relation {
            Relation::Current => (Status::Completed, Outcome::Completed),
            Relation::Superseded { .. } => (Status::Superseded, Outcome::Superseded),
        };
        let reservation = std::sync::Mutex::new(call.claimed.reservation.clone());
        let known_steps = std::sync::Mutex::default();
        let patient = std::sync::atomic::AtomicBool::new(false);
        // Steps rerun by a replay are recorded under it, so its own retries still skip them.
        let step_scope = match &call.replay {
            Some(replay) if replay.rerun_steps => format!("{}#replay#{}", call.event.id, replay.id),
            _ => call.event.id.clone(),
        };
        let ctx = HandlerContext {
            event: call.event,
            idempotency_key: &call.event.id,
            attempt: call.claimed.attempt,
            relation: call.relation.clone(),
            version: call.order.version.as_ref(),
            superseded_members: &call.order.superseded_members,
            replay: call.replay.clone(),
            pace: PaceContext {
                pacer: Some(&self.pacer),
                clock: Some(&self.clock),
                deadline_ms: call.deadline_ms,
                reservation: Some(&reservation),
                patient: Some(&patient),
            },
            steps: StepContext {
                store: Some(self.steps.as_ref()),
                scope: &step_scope,
                earlier: call.claimed.attempt > 1 || call.replay.is_some(),
                expires_at_s: call.expires_at_s,
                retention: self.options.plan.retention,
                started_ms: self.clock.now().timestamp_millis(),
                known: Some(&known_steps),
                log: self.step_log.as_ref(),
            },
        };
        // A panic is this event's failure, not its batch's: the other groups go on.
        let ended = match AssertUnwindSafe(dispatch(&self.handler, &ctx))
            .catch_unwind()
            .await
        {
            Ok(Ok(())) => return Ok(done),
            Ok(Err(e)) => Ended::Failed(e),
            Err(_) => Ended::Panicked,
        };
        Err(self.handler_failed(&call, ended).await)
    }

    /// Releases the claim as the failure says; its cause is logged here, once, in the event's span.
    async fn handler_failed(&self, call: &Call<'_>, ended: Ended) -> Outcome {
        let (event, failures) = (call.event, call.claimed.failures);
        let retry = self.options.retry;
        let (code, kind, asked) = match &ended {
            // A deferral or a continuation is the pace working, not a failure: not a warning at
            // 3 a.m. for every paced call or long fan-out.
            Ended::Failed(e)
                if matches!(e.kind, FailureKind::Deferred { .. } | FailureKind::Continue) =>
            {
                tracing::info!(
                    handler_error = e.stored_code(),
                    retry_after_s = e.retry_after.map(|d| d.as_secs()),
                    "handler comes back later"
                );
                (e.stored_code().to_string(), e.kind.clone(), e.retry_after)
            }
            Ended::Failed(e) => {
                tracing::warn!(handler_error = e.stored_code(), retry_after_s = e.retry_after.map(|d| d.as_secs()), cause = %Causes(e), "handler failed");
                (e.stored_code().to_string(), e.kind.clone(), e.retry_after)
            }
            Ended::Panicked => {
                // Its message was logged where it happened (`telemetry::log_panics`; where no hook
                // is installed, as in tests, the standard hook printed it).
                tracing::error!("handler panicked: a failure of this event only");
                metrics::count(metrics::name::HANDLER_PANICKED, None);
                (HANDLER_PANICKED.to_string(), FailureKind::Retry, None)
            }
        };
        let mut reservation = None;
        let (status, budget, outcome) = match kind {
            FailureKind::Permanent => (Status::Rejected, Budget::Keep, Outcome::Rejected),
            FailureKind::Deferred {
                downstream,
                slot_at_ms,
            } => {
                reservation = slot_at_ms.map(|at_ms| Reservation {
                    downstream: downstream.clone(),
                    at_ms,
                });
                ::metrics::counter!(metrics::name::DEFERRED, metrics::DOWNSTREAM => downstream)
                    .increment(1);
                let wait = super::retry::clamp(asked.unwrap_or_default());
                let back_at_ms =
                    slot_at_ms.map(|at| at - super::handler::RESERVATION_LEAD.as_millis() as i64);
                let outcome = Outcome::Deferred {
                    retry_after: wait,
                    back_at_ms,
                };
                (Status::Deferred, Budget::Keep, outcome)
            }
            FailureKind::Continue => {
                metrics::count(metrics::name::CONTINUED, None);
                let outcome = Outcome::Deferred {
                    retry_after: super::retry::MIN_WAIT,
                    back_at_ms: None,
                };
                (Status::Deferred, Budget::Keep, outcome)
            }
            FailureKind::Retry => match asked {
                Some(asked) => {
                    let wait = retry.retry_after(&event.id, failures, asked);
                    (Status::Failed, Budget::Keep, failed(wait, false))
                }
                None if failures + 1 >= retry.budget => {
                    let wait = retry.backoff(&event.id, failures + 1);
                    (Status::Failed, Budget::Exhausted, failed(wait, true))
                }
                None => {
                    let wait = retry.backoff(&event.id, failures + 1);
                    (Status::Failed, Budget::Spend, failed(wait, false))
                }
            },
        };
        let release = Release {
            status,
            code,
            budget,
            relation: call.keep_relation.then(|| call.relation.clone()),
            reservation,
        };
        self.release(event, call.owner, &release).await;
        outcome
    }
}

fn failed(wait: std::time::Duration, dead_letter: bool) -> Outcome {
    Outcome::Failed(Failure::HandlerFailed {
        retry_after: Some(wait),
        dead_letter,
    })
}
