//! Idempotency records: one per Fanfare event id, claimed with a conditional write before any handler
//! logic runs.
//!
//! A claim succeeds when no record exists, or the record has expired (checked in the condition:
//! DynamoDB's TTL deletion lags), or it failed before, or it is `in_progress` with a lapsed lease. Each
//! claim carries an owner token; finishing or releasing is conditional on still being the owner, so an
//! invocation whose lease lapsed can never overwrite the one that took over.

use async_trait::async_trait;
use serde::Serialize;

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
            "skipped_stale" => Status::SkippedStale,
            "ignored" => Status::Ignored,
            _ => return None,
        })
    }

    /// The statuses of a finished record.
    pub const FINAL: [Status; 4] = [
        Status::Completed,
        Status::Superseded,
        Status::SkippedStale,
        Status::Ignored,
    ];

    /// A finished record short-circuits later deliveries.
    pub fn is_final(self) -> bool {
        Self::FINAL.contains(&self)
    }
}

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

/// The parts of an existing record a claim decision needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Existing {
    pub status: Status,
    pub payload_hash: String,
    pub lease_until_ms: Option<i64>,
    pub attempts: u32,
    /// The last replay that processed this record.
    pub replay_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClaimOutcome {
    Claimed {
        attempt: u32,
    },
    /// The condition failed: the record as it is (returned by the failed write itself).
    Held(Existing),
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
    /// Marks a claimed record failed so a retry can claim it again; owner-conditional. `error_code`
    /// becomes the record's `lastError` (a stable code, never free text).
    async fn release(
        &self,
        event_id: &str,
        owner: &str,
        error_code: &str,
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
        error_code: &str,
        now_ms: i64,
    ) -> Result<(), IdempotencyError> {
        (**self).release(event_id, owner, error_code, now_ms).await
    }
    async fn record_conflict(&self, claim: &Claim) -> Result<(), IdempotencyError> {
        (**self).record_conflict(claim).await
    }
}
