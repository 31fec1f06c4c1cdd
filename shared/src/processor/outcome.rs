//! What happened to one message, and why a message that failed will be retried.

use std::time::Duration;

/// What happened to one message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// The handler ran; the event moved its entity's state (it was the latest).
    Completed,
    /// The handler ran; a newer event of the entity had been applied first, so only this event's
    /// facts were merged (the handler saw [`Relation::Superseded`](super::handler::Relation)).
    Superseded,
    /// Already processed: acknowledged without running anything.
    Duplicate,
    Ignored,
    /// Same id, different payload: kept for inspection, acknowledged, not processed.
    Conflict,
    /// Another invocation holds a live claim: retried later.
    Busy,
    /// The handler said the event can never be processed: recorded `rejected`, acknowledged.
    Rejected,
    /// A downstream's pace had no slot before the deadline: back after `retry_after`, with the rest
    /// of its group; not a failure (the retry budget is not spent).
    Deferred {
        retry_after: Duration,
        /// When it should be back (Unix ms): shortly before the slot its record keeps. The batch
        /// turns it into the visibility delay when it ends, however long its other groups took.
        back_at_ms: Option<i64>,
    },
    /// Retried later (then dead-lettered).
    Failed(Failure),
}

/// Why a message was not processed. The cause itself is logged once, where it is decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failure {
    /// The queued body's encoding attribute does not match its text.
    InvalidBodyEncoding,
    /// The queued body is not an event (ingest validated it, so only a hand-made message can be).
    InvalidEvent,
    /// The idempotency table could not be read or written.
    IdempotencyUnavailable,
    /// A state write failed; the claim was released.
    StateUnavailable,
    /// The user's handler returned an error or panicked; the claim was released. The message (and
    /// the rest of its group) comes back after `retry_after` (the backoff, or the longer delay the
    /// handler asked for). With `dead_letter`, this failure spent the retry budget: the message
    /// goes to the dead-letter queue.
    HandlerFailed {
        retry_after: Option<Duration>,
        dead_letter: bool,
    },
    /// The lease lapsed and another invocation took the claim before this one finished.
    ClaimLost,
}

impl Failure {
    /// The stable code in logs and metrics (a handler's own code goes to the record's `lastError`).
    pub fn code(self) -> &'static str {
        match self {
            Failure::InvalidBodyEncoding => "invalid_body_encoding",
            Failure::InvalidEvent => "invalid_event",
            Failure::IdempotencyUnavailable => "idempotency_unavailable",
            Failure::StateUnavailable => "state_unavailable",
            Failure::HandlerFailed { .. } => "handler_failed",
            Failure::ClaimLost => "claim_lost",
        }
    }
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.code())
    }
}

impl Outcome {
    pub fn acknowledged(&self) -> bool {
        !matches!(
            self,
            Outcome::Busy | Outcome::Failed(_) | Outcome::Deferred { .. }
        )
    }

    /// The handler ran to success for this message.
    pub fn handler_ran(&self) -> bool {
        matches!(self, Outcome::Completed | Outcome::Superseded)
    }

    /// The delay a failed handler asked for before the message is tried again.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Outcome::Failed(Failure::HandlerFailed { retry_after, .. }) => *retry_after,
            Outcome::Deferred { retry_after, .. } => Some(*retry_after),
            _ => None,
        }
    }

    /// When a deferred message should be back (Unix ms), where its slot says.
    pub fn back_at_ms(&self) -> Option<i64> {
        match self {
            Outcome::Deferred { back_at_ms, .. } => *back_at_ms,
            _ => None,
        }
    }

    /// The failure spent the event's retry budget: the message goes to the dead-letter queue.
    pub fn dead_letter(&self) -> bool {
        matches!(
            self,
            Outcome::Failed(Failure::HandlerFailed {
                dead_letter: true,
                ..
            })
        )
    }

    pub fn as_str(&self) -> &'static str {
        match self {
            Outcome::Completed => "completed",
            Outcome::Superseded => "superseded",
            Outcome::Duplicate => "duplicate",
            Outcome::Ignored => "ignored",
            Outcome::Conflict => "conflict",
            Outcome::Busy => "busy",
            Outcome::Rejected => "rejected",
            Outcome::Deferred { .. } => "deferred",
            Outcome::Failed(_) => "failed",
        }
    }

    /// The metric this outcome counts towards.
    pub(super) fn metric(&self) -> &'static str {
        use crate::metrics::name;
        match self {
            Outcome::Completed => name::PROCESSED,
            Outcome::Superseded => name::SUPERSEDED,
            Outcome::Duplicate => name::DUPLICATE,
            Outcome::Ignored => name::IGNORED,
            Outcome::Conflict => name::CONFLICT,
            Outcome::Rejected => name::HANDLER_REJECTED,
            Outcome::Deferred { .. } => name::DEFERRED,
            Outcome::Busy | Outcome::Failed(_) => name::FAILED,
        }
    }
}
