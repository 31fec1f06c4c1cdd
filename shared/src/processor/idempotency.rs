//! Idempotency records: one per Fanfare event id, claimed with a conditional write before any handler
//! logic runs.
//!
//! A claim succeeds when no record exists, or the record has expired (checked in the condition:
//! DynamoDB's TTL deletion lags), or it failed before, or it is `in_progress` with a lapsed lease. Each
//! claim carries an owner token; finishing or releasing is conditional on still being the owner, so an
//! invocation whose lease lapsed can never overwrite the one that took over.

use std::collections::BTreeMap;
use std::sync::Mutex;

use async_trait::async_trait;
use serde::Serialize;

/// The record's status as stored and shown by `fanfare-webhooks status`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    InProgress,
    Completed,
    Failed,
    SkippedStale,
    Ignored,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::InProgress => "in_progress",
            Status::Completed => "completed",
            Status::Failed => "failed",
            Status::SkippedStale => "skipped_stale",
            Status::Ignored => "ignored",
        }
    }

    pub fn parse(s: &str) -> Option<Status> {
        Some(match s {
            "in_progress" => Status::InProgress,
            "completed" => Status::Completed,
            "failed" => Status::Failed,
            "skipped_stale" => Status::SkippedStale,
            "ignored" => Status::Ignored,
            _ => return None,
        })
    }

    /// A finished record short-circuits later deliveries.
    pub fn is_final(self) -> bool {
        matches!(
            self,
            Status::Completed | Status::SkippedStale | Status::Ignored
        )
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
    /// Set on deliberate replays: lets a finished record be processed again, once per replay id.
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
    /// Marks a claimed record final (completed, skipped_stale, ignored); owner-conditional.
    async fn finish(
        &self,
        event_id: &str,
        owner: &str,
        status: Status,
        now_ms: i64,
    ) -> Result<(), IdempotencyError>;
    /// Marks a claimed record failed so a retry can claim it again; owner-conditional.
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

/// Decides whether an unexpired record may be claimed by a delivery with `payload_hash`. The
/// DynamoDB adapter states the same rule as its claim's condition expression
/// (`DynamoIdempotencyStore::claim` in `adapters/dynamodb.rs`): change both together.
pub fn claimable(
    existing: &Existing,
    payload_hash: &str,
    now_ms: i64,
    replay_id: Option<&str>,
) -> bool {
    existing.payload_hash == payload_hash
        && match existing.status {
            Status::Failed => true,
            Status::InProgress => existing.lease_until_ms.is_none_or(|l| l < now_ms),
            finished => {
                finished.is_final()
                    && replay_id.is_some_and(|r| existing.replay_id.as_deref() != Some(r))
            }
        }
}

/// An in-memory store with the same rules, for unit tests and benchmarks.
#[derive(Default)]
pub struct MemoryIdempotencyStore {
    pub records: Mutex<BTreeMap<String, MemoryRecord>>,
    pub conflicts: Mutex<Vec<Claim>>,
}

#[derive(Debug, Clone)]
pub struct MemoryRecord {
    pub existing: Existing,
    pub owner: String,
    pub expires_at_s: i64,
    pub last_error: Option<String>,
}

#[async_trait]
impl IdempotencyStore for MemoryIdempotencyStore {
    async fn claim(&self, claim: &Claim) -> Result<ClaimOutcome, IdempotencyError> {
        let mut records = self.records.lock().unwrap_or_else(|p| p.into_inner());
        let attempts = match records.get(&claim.event_id) {
            Some(r)
                if r.expires_at_s >= claim.now_ms / 1000
                    && !claimable(
                        &r.existing,
                        &claim.payload_hash,
                        claim.now_ms,
                        claim.replay_id.as_deref(),
                    ) =>
            {
                return Ok(ClaimOutcome::Held(r.existing.clone()));
            }
            Some(r) => r.existing.attempts + 1,
            None => 1,
        };
        records.insert(
            claim.event_id.clone(),
            MemoryRecord {
                existing: Existing {
                    status: Status::InProgress,
                    payload_hash: claim.payload_hash.clone(),
                    lease_until_ms: Some(claim.lease_until_ms),
                    attempts,
                    replay_id: claim.replay_id.clone(),
                },
                owner: claim.owner.clone(),
                expires_at_s: claim.expires_at_s,
                last_error: None,
            },
        );
        Ok(ClaimOutcome::Claimed { attempt: attempts })
    }

    async fn finish(
        &self,
        event_id: &str,
        owner: &str,
        status: Status,
        _: i64,
    ) -> Result<(), IdempotencyError> {
        let mut records = self.records.lock().unwrap_or_else(|p| p.into_inner());
        match records.get_mut(event_id) {
            Some(r) if r.owner == owner && r.existing.status == Status::InProgress => {
                r.existing.status = status;
                r.existing.lease_until_ms = None;
                Ok(())
            }
            _ => Err(IdempotencyError::NotOwner),
        }
    }

    async fn release(
        &self,
        event_id: &str,
        owner: &str,
        error_code: &str,
        _: i64,
    ) -> Result<(), IdempotencyError> {
        let mut records = self.records.lock().unwrap_or_else(|p| p.into_inner());
        match records.get_mut(event_id) {
            Some(r) if r.owner == owner && r.existing.status == Status::InProgress => {
                r.existing.status = Status::Failed;
                r.existing.lease_until_ms = None;
                r.last_error = Some(error_code.to_string());
                Ok(())
            }
            _ => Err(IdempotencyError::NotOwner),
        }
    }

    async fn record_conflict(&self, claim: &Claim) -> Result<(), IdempotencyError> {
        self.conflicts
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(claim.clone());
        Ok(())
    }
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
