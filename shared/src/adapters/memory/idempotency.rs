//! The idempotency store in memory, with the same rules as the DynamoDB one.

use std::collections::BTreeMap;
use std::sync::Mutex;

use async_trait::async_trait;

use crate::ports::idempotency::{
    Claim, ClaimOutcome, HeldRecord, IdempotencyError, IdempotencyStore, Status,
};

/// An in-memory store with the same rules, for unit tests and benchmarks.
#[derive(Default)]
pub struct MemoryIdempotencyStore {
    pub records: Mutex<BTreeMap<String, MemoryRecord>>,
    pub conflicts: Mutex<Vec<Claim>>,
}

#[derive(Debug, Clone)]
pub struct MemoryRecord {
    pub existing: HeldRecord,
    pub owner: String,
    pub last_error: Option<String>,
}

#[async_trait]
impl IdempotencyStore for MemoryIdempotencyStore {
    async fn claim(&self, claim: &Claim) -> Result<ClaimOutcome, IdempotencyError> {
        let mut records = self.records.lock().unwrap_or_else(|p| p.into_inner());
        let attempts = match records.get(&claim.event_id) {
            Some(r) if !r.existing.claimable_by(claim) => {
                return Ok(ClaimOutcome::Held(r.existing.clone()));
            }
            Some(r) => r.existing.attempts + 1,
            None => 1,
        };
        records.insert(
            claim.event_id.clone(),
            MemoryRecord {
                existing: HeldRecord {
                    status: Status::InProgress,
                    payload_hash: claim.payload_hash.clone(),
                    lease_until_ms: Some(claim.lease_until_ms),
                    attempts,
                    replay_id: claim.replay_id.clone(),
                    expires_at_s: Some(claim.expires_at_s),
                },
                owner: claim.owner.clone(),
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
