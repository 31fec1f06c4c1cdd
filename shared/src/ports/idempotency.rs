//! Idempotency records: one per Fanfare event id, claimed with a conditional write before any handler
//! logic runs.
//!
//! A claim succeeds when no record exists, or the record has expired (checked in the condition:
//! DynamoDB's TTL deletion lags), or it failed before, or it is `in_progress` with a lapsed lease. Each
//! claim carries an owner token; finishing or releasing is conditional on still being the owner, so an
//! invocation whose lease lapsed can never overwrite the one that took over.

use async_trait::async_trait;
use serde::Serialize;

use crate::model::Relation;
use crate::ports::pace::Reservation;

/// The record's status as stored and shown by `fanfare-webhooks status`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    InProgress,
    /// The handler ran and the event was the entity's latest.
    Completed,
    /// The handler ran, but a newer event of the entity had been applied first.
    Superseded,
    Failed,
    /// Waiting for a downstream's pace (`lastError` names it): claimable again, not a failure.
    Deferred,
    /// The handler said the event can never be processed (`HandlerError::permanent`): final, only
    /// a forced replay runs it again.
    Rejected,
    /// Written by receivers before handlers ran for superseded events: final, handler not run.
    SkippedStale,
    Ignored,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::InProgress => "in_progress",
            Status::Completed => "completed",
            Status::Superseded => "superseded",
            Status::Failed => "failed",
            Status::Deferred => "deferred",
            Status::Rejected => "rejected",
            Status::SkippedStale => "skipped_stale",
            Status::Ignored => "ignored",
        }
    }

    pub fn parse(s: &str) -> Option<Status> {
        Some(match s {
            "in_progress" => Status::InProgress,
            "completed" => Status::Completed,
            "superseded" => Status::Superseded,
            "failed" => Status::Failed,
            "deferred" => Status::Deferred,
            "rejected" => Status::Rejected,
            "skipped_stale" => Status::SkippedStale,
            "ignored" => Status::Ignored,
            _ => return None,
        })
    }

    /// The statuses of a finished record.
    pub const FINAL: [Status; 5] = [
        Status::Completed,
        Status::Superseded,
        Status::SkippedStale,
        Status::Ignored,
        Status::Rejected,
    ];

    /// A finished record short-circuits later deliveries.
    pub fn is_final(self) -> bool {
        Self::FINAL.contains(&self)
    }

    /// The statuses a claim may take again (for the same payload).
    pub const RETRYABLE: [Status; 2] = [Status::Failed, Status::Deferred];
}

/// The `kind` of a record that marks a kept delivery (ingest's quarantine, by a digest of the signed
/// bytes), never an event's: listings of events and failures leave these out.
pub const KEPT_MARKER_KIND: &str = "kept_delivery";

/// What a claim writes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claim {
    pub event_id: String,
    pub owner: String,
    pub payload_hash: String,
    pub now_ms: i64,
    /// When the claim lapses if its owner never finishes (the invocation's deadline).
    pub lease_until_ms: i64,
    /// When the record expires (seconds, the TTL attribute).
    pub expires_at_s: i64,
    pub kind: String,
    pub event_type: String,
    pub ordering_key: String,
    pub occurred_at_ms: i64,
    /// The verified raw event: the archive that `fanfare-webhooks replay` reads.
    pub raw_event: String,
    /// Set on forced replays (`replay --force`) only: lets a finished record be processed again, once
    /// per replay id.
    pub replay_id: Option<String>,
}

/// A record that is already there, with what a claim decision needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeldRecord {
    pub status: Status,
    pub payload_hash: String,
    pub lease_until_ms: Option<i64>,
    pub attempts: u32,
    /// The last forced replay that processed this record.
    pub replay_id: Option<String>,
    /// When the record expires (seconds, the TTL attribute), where known.
    pub expires_at_s: Option<i64>,
}

impl HeldRecord {
    /// The claim rule: whether `claim` may take this record. It may when the record has expired
    /// (TTL deletion lags, so expiry is part of the rule), or, for the same payload, when it failed,
    /// when its lease lapsed, or when it is finished and `claim` is a forced replay it has not seen.
    /// The DynamoDB adapter states the same rule as its claim's condition expression
    /// (`adapters/dynamodb/idempotency.rs`): change both together.
    pub fn claimable_by(&self, claim: &Claim) -> bool {
        let expired = self.expires_at_s.is_some_and(|e| e < claim.now_ms / 1000);
        let same_payload = self.payload_hash == claim.payload_hash;
        expired
            || same_payload
                && match self.status {
                    Status::Failed | Status::Deferred => true,
                    Status::InProgress => self.lease_until_ms.is_none_or(|l| l < claim.now_ms),
                    finished => {
                        finished.is_final()
                            && claim
                                .replay_id
                                .as_deref()
                                .is_some_and(|r| self.replay_id.as_deref() != Some(r))
                    }
                }
    }
}

/// A claim that was taken: what the record says about the event's earlier attempts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claimed {
    /// 1 on the first claim, more on each later one (deferrals and redeliveries included).
    pub attempt: u32,
    /// Handler failures so far that spent the retry budget (since the last dead-lettering).
    pub failures: u32,
    /// The relation kept by an earlier attempt that wrote the event's state but did not finish.
    pub relation: Option<Relation>,
    /// The downstream slot an earlier, deferred attempt drew for this one.
    pub reservation: Option<Reservation>,
}

impl Claimed {
    /// A first claim.
    pub fn first() -> Self {
        Self {
            attempt: 1,
            failures: 0,
            relation: None,
            reservation: None,
        }
    }
}

/// What releasing a claim records: the record becomes `status` with `code` as its `lastError`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Release {
    /// `Failed` (retried), `Deferred` (waits for a downstream) or `Rejected` (final).
    pub status: Status,
    /// A stable code, never free text.
    pub code: String,
    pub budget: Budget,
    /// The relation this attempt was told or would have been told, kept for the next claim.
    pub relation: Option<Relation>,
    /// A deferral's slot for the next attempt (any earlier one is dropped).
    pub reservation: Option<Reservation>,
}

impl Release {
    /// A failure that is not the handler's (a store, a queue): retried, the budget kept.
    pub fn failed(code: &str) -> Self {
        Self {
            status: Status::Failed,
            code: code.to_string(),
            budget: Budget::Keep,
            relation: None,
            reservation: None,
        }
    }
}

/// What a release does to the record's retry budget.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Budget {
    /// Not a failure of the event's own (a deferral, a `retry_after`, an earlier event failed).
    Keep,
    /// A handler failure: one more.
    Spend,
    /// The failure that spent the budget: the event goes to the dead-letter queue, and its count
    /// starts again for a redrive or a replay (`deadLetters` counts how often).
    Exhausted,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClaimOutcome {
    Claimed(Claimed),
    /// The condition failed: the record as it is (returned by the failed write itself).
    Held(HeldRecord),
}

#[derive(Debug, thiserror::Error)]
pub enum IdempotencyError {
    #[error("the idempotency store is unavailable")]
    Unavailable(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// Finishing was refused: another invocation took the claim over after this one's lease lapsed.
    #[error("the claim is no longer held by this invocation")]
    NotOwner,
}

#[async_trait]
pub trait IdempotencyStore: Send + Sync {
    async fn claim(&self, claim: &Claim) -> Result<ClaimOutcome, IdempotencyError>;
    /// Marks a claimed record final (see [`Status::FINAL`]); owner-conditional.
    async fn finish(
        &self,
        event_id: &str,
        owner: &str,
        status: Status,
        now_ms: i64,
    ) -> Result<(), IdempotencyError>;
    /// Gives a claimed record back as [`Release`] says; owner-conditional. A failed or deferred
    /// record can be claimed again; a rejected one is final.
    async fn release(
        &self,
        event_id: &str,
        owner: &str,
        release: &Release,
        now_ms: i64,
    ) -> Result<(), IdempotencyError>;
    /// Keeps a payload that arrived under an existing id with a different content.
    async fn record_conflict(&self, claim: &Claim) -> Result<(), IdempotencyError>;
}

#[async_trait]
impl<T: IdempotencyStore + ?Sized> IdempotencyStore for std::sync::Arc<T> {
    async fn claim(&self, claim: &Claim) -> Result<ClaimOutcome, IdempotencyError> {
        (**self).claim(claim).await
    }
    async fn finish(
        &self,
        event_id: &str,
        owner: &str,
        status: Status,
        now_ms: i64,
    ) -> Result<(), IdempotencyError> {
        (**self).finish(event_id, owner, status, now_ms).await
    }
    async fn release(
        &self,
        event_id: &str,
        owner: &str,
        release: &Release,
        now_ms: i64,
    ) -> Result<(), IdempotencyError> {
        (**self).release(event_id, owner, release, now_ms).await
    }
    async fn record_conflict(&self, claim: &Claim) -> Result<(), IdempotencyError> {
        (**self).record_conflict(claim).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW_MS: i64 = 1_767_225_600_000;

    fn claim(hash: &str, replay: Option<&str>) -> Claim {
        Claim {
            event_id: "e".into(),
            owner: "o".into(),
            payload_hash: hash.into(),
            now_ms: NOW_MS,
            lease_until_ms: NOW_MS + 1_000,
            expires_at_s: NOW_MS / 1000 + 3_600,
            kind: "order.paid".into(),
            event_type: "order.paid".into(),
            ordering_key: "order/o".into(),
            occurred_at_ms: NOW_MS,
            raw_event: String::new(),
            replay_id: replay.map(str::to_string),
        }
    }

    fn held(status: Status) -> HeldRecord {
        HeldRecord {
            status,
            payload_hash: "h".into(),
            lease_until_ms: Some(NOW_MS + 5_000),
            attempts: 1,
            replay_id: Some("r1".into()),
            expires_at_s: Some(NOW_MS / 1000 + 60),
        }
    }

    #[test]
    fn the_claim_rule_with_expiry() {
        assert!(held(Status::Failed).claimable_by(&claim("h", None)));
        assert!(held(Status::Deferred).claimable_by(&claim("h", None)));
        assert!(
            !held(Status::Rejected).claimable_by(&claim("h", None)),
            "rejected is final"
        );
        assert!(
            held(Status::Rejected).claimable_by(&claim("h", Some("r2"))),
            "until a forced replay"
        );
        assert!(
            !held(Status::InProgress).claimable_by(&claim("h", None)),
            "live lease"
        );
        let lapsed = HeldRecord {
            lease_until_ms: Some(NOW_MS - 1),
            ..held(Status::InProgress)
        };
        assert!(lapsed.claimable_by(&claim("h", None)));
        assert!(
            !held(Status::Completed).claimable_by(&claim("h", None)),
            "a duplicate"
        );
        assert!(
            !held(Status::Completed).claimable_by(&claim("h", Some("r1"))),
            "same replay"
        );
        assert!(
            held(Status::Superseded).claimable_by(&claim("h", Some("r2"))),
            "forced replay"
        );
        assert!(
            !held(Status::Failed).claimable_by(&claim("other", None)),
            "a conflict"
        );
        // An expired record is new again, whatever it held (TTL deletion lags).
        let expired = HeldRecord {
            expires_at_s: Some(NOW_MS / 1000 - 1),
            ..held(Status::Completed)
        };
        assert!(expired.claimable_by(&claim("other", None)));
    }
}
