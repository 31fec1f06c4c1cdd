//! DynamoDB adapters: the idempotency table (`idempotency`) and the state table (`state`). All
//! decisions are conditional writes; a failed condition returns the old item (`ALL_OLD`) instead of
//! costing a second read. What only the CLI reads (`inspect`) is compiled with the `inspect`
//! feature, so the Lambda binaries do not link it.

mod expr;
mod idempotency;
#[cfg(feature = "inspect")]
mod inspect;
mod pace;
mod state;
mod steps;

pub use idempotency::{archived_body, DynamoIdempotencyStore};
#[cfg(feature = "inspect")]
pub use inspect::{item_to_json, ArchivedEvent, FailedRecord};
pub use pace::PACE_KIND;
pub use state::DynamoStateStore;
pub use steps::STEP_KIND;

use std::collections::HashMap;

use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::operation::update_item::UpdateItemError;
use aws_sdk_dynamodb::types::AttributeValue;

/// Record attribute names in the idempotency table.
pub mod record {
    pub const EVENT_ID: &str = "eventId";
    pub const STATUS: &str = "status";
    pub const OWNER: &str = "ownerToken";
    pub const LEASE_UNTIL_MS: &str = "leaseUntilMs";
    pub const EXPIRES_AT: &str = "expiresAt";
    pub const PAYLOAD_HASH: &str = "payloadHash";
    pub const ATTEMPTS: &str = "attempts";
    pub const KIND: &str = "kind";
    pub const EVENT_TYPE: &str = "eventType";
    pub const ORDERING_KEY: &str = "orderingKey";
    pub const OCCURRED_AT_MS: &str = "occurredAtMs";
    pub const RAW_EVENT: &str = "rawEvent";
    /// The archived body, DEFLATE-compressed (binary), when that is smaller than `rawEvent` would be.
    pub const RAW_EVENT_DEFLATE: &str = "rawEventDeflate";
    pub const FIRST_SEEN_AT_MS: &str = "firstSeenAtMs";
    pub const UPDATED_AT_MS: &str = "updatedAtMs";
    pub const FINISHED_AT_MS: &str = "finishedAtMs";
    pub const LAST_ERROR: &str = "lastError";
    pub const CONFLICT_COUNT: &str = "conflictCount";
    pub const CONFLICT_OF: &str = "conflictOf";
    pub const REPLAY_ID: &str = "replayId";
    /// Handler failures that spent the retry budget (since the last dead-lettering).
    pub const FAILURES: &str = "failures";
    /// How often the processor sent the event to the dead-letter queue itself.
    pub const DEAD_LETTERS: &str = "deadLetters";
    /// The relation kept by an attempt that wrote the event's state but did not finish.
    pub const RELATION: &str = "relation";
    /// A deferred event's downstream slot for its next attempt (`<downstream>@<ms>`).
    pub const RESERVATION: &str = "reservation";
    /// Tickets drawn in one second of a pace item (`pace#<downstream>#<second>`).
    pub const PACE_TICKETS: &str = "tickets";
    /// A step item's key within its event (a digest of the step's name).
    pub const STEP_KEY: &str = "stepKey";
    /// A step's name, where it is made of code characters only.
    pub const STEP_NAME: &str = "stepName";
    /// A step's kept result (redacted JSON).
    pub const STEP_RESULT: &str = "stepResult";
    /// `failed#<shard>` while the record's last attempt failed, absent otherwise: the partition
    /// key of the sparse index [`FAILED_INDEX`](super::FAILED_INDEX), which only failed records
    /// enter (`fanfare-webhooks events`).
    pub const FAILED_FLAG: &str = "failedFlag";
    /// What records failed before the index was sharded carry (still read).
    pub const FAILED: &str = "failed";

    /// Key values the failed index is spread over. One value would put every failing record of a
    /// mass failure on one index partition (1,000 write units a second), and a throttled index
    /// throttles the table's own writes: claims and releases of every event.
    pub const FAILED_SHARDS: u32 = 16;

    /// The failed index's key value for an event: a stable hash of its id picks the shard.
    pub fn failed_flag(event_id: &str) -> String {
        // FNV-1a: stable across builds and platforms (std's hasher is not).
        let hash = event_id.bytes().fold(0x811c_9dc5_u32, |h, b| {
            (h ^ u32::from(b)).wrapping_mul(0x0100_0193)
        });
        format!("{FAILED}#{:02}", hash % FAILED_SHARDS)
    }

    /// Every key value the failed index holds: the shards, and the one value of records failed
    /// before it was sharded.
    pub fn failed_flags() -> impl Iterator<Item = String> {
        (0..FAILED_SHARDS)
            .map(|shard| format!("{FAILED}#{shard:02}"))
            .chain(std::iter::once(FAILED.to_string()))
    }
}

/// The idempotency table's sparse index of failed records, newest attempt last (`updatedAtMs`).
pub const FAILED_INDEX: &str = "FailedRecords";

pub(super) fn s(v: impl Into<String>) -> AttributeValue {
    AttributeValue::S(v.into())
}

pub(super) fn n(v: impl ToString) -> AttributeValue {
    AttributeValue::N(v.to_string())
}

/// The old item when a write failed only because its condition did not hold.
pub(super) fn condition_failed(
    err: &SdkError<UpdateItemError>,
) -> Option<Option<&HashMap<String, AttributeValue>>> {
    match err.as_service_error() {
        Some(UpdateItemError::ConditionalCheckFailedException(e)) => Some(e.item()),
        _ => None,
    }
}

pub(super) fn number(item: &HashMap<String, AttributeValue>, name: &str) -> Option<i64> {
    item.get(name)?.as_n().ok()?.parse().ok()
}

pub(super) fn string<'a>(item: &'a HashMap<String, AttributeValue>, name: &str) -> Option<&'a str> {
    item.get(name)?.as_s().ok().map(String::as_str)
}
