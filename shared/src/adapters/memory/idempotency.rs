//! The idempotency store in memory, with the same rules as the DynamoDB one.

use std::collections::BTreeMap;
use std::sync::Mutex;

use async_trait::async_trait;

use crate::model::Relation;
use crate::ports::idempotency::{
    Budget, Claim, ClaimOutcome, Claimed, HeldRecord, IdempotencyError, IdempotencyStore, Release,
    Status,
};
use crate::ports::pace::Reservation;

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
    /// Handler failures that spent the retry budget (since the last dead-lettering).
    pub failures: u32,
    /// How often the processor sent the event to the dead-letter queue.
    pub dead_letters: u32,
    /// Kept by a release for the next claim; cleared when the record finishes.
    pub relation: Option<Relation>,
    /// A deferral's slot, for the next claim.
    pub reservation: Option<Reservation>,
}

#[async_trait]
impl IdempotencyStore for MemoryIdempotencyStore {
    async fn claim(&self, claim: &Claim) -> Result<ClaimOutcome, IdempotencyError> {
        let mut records = self.records.lock().unwrap_or_else(|p| p.into_inner());
        let (attempts, kept) = match records.get(&claim.event_id) {
            Some(r) if !r.existing.claimable_by(claim) => {
                return Ok(ClaimOutcome::Held(r.existing.clone()));
            }
            // An expired record is a new one (TTL deletion lags).
            Some(r)
                if r.existing
                    .expires_at_s
                    .is_some_and(|e| e < claim.now_ms / 1000) =>
            {
                (1, None)
            }
            Some(r) => (r.existing.attempts + 1, Some(r.clone())),
            None => (1, None),
        };
        let failures = kept.as_ref().map_or(0, |r| r.failures);
        let dead_letters = kept.as_ref().map_or(0, |r| r.dead_letters);
        let reservation = kept.as_ref().and_then(|r| r.reservation.clone());
        // A forced replay of a finished record decides its relation again.
        let relation = kept
            .and_then(|r| r.relation)
            .filter(|_| claim.replay_id.is_none());
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
                failures,
                dead_letters,
                relation: relation.clone(),
                reservation: reservation.clone(),
            },
        );
        Ok(ClaimOutcome::Claimed(Claimed {
            attempt: attempts,
            failures,
            relation,
            reservation,
        }))
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
                r.relation = None;
                r.reservation = None;
                Ok(())
            }
            _ => Err(IdempotencyError::NotOwner),
        }
    }

    async fn release(
        &self,
        event_id: &str,
        owner: &str,
        release: &Release,
        _: i64,
    ) -> Result<(), IdempotencyError> {
        let mut records = self.records.lock().unwrap_or_else(|p| p.into_inner());
        match records.get_mut(event_id) {
            Some(r) if r.owner == owner && r.existing.status == Status::InProgress => {
                r.existing.status = release.status;
                r.existing.lease_until_ms = None;
                r.last_error = Some(release.code.clone());
                match release.budget {
                    Budget::Keep => {}
                    Budget::Spend => r.failures += 1,
                    Budget::Exhausted => {
                        r.failures = 0;
                        r.dead_letters += 1;
                    }
                }
                if release.relation.is_some() {
                    r.relation = release.relation.clone();
                }
                r.reservation = release.reservation.clone();
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
