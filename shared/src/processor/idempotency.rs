//! The claim rule: when an existing idempotency record may be claimed again (the record itself and
//! the store's port are in `ports::idempotency`).

use crate::ports::idempotency::{Existing, Status};

/// Decides whether an unexpired record may be claimed by a delivery with `payload_hash`. The
/// DynamoDB adapter states the same rule as its claim's condition expression
/// (`DynamoIdempotencyStore::claim` in `adapters/dynamodb/idempotency.rs`): change both together.
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
