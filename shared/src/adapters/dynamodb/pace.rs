//! Pace tickets in the idempotency table: one small item per downstream and second
//! (`pace#<downstream>#<second>`), counted up with `ADD` and expired by the table's TTL an hour
//! later. One write unit per ticket; a second's item takes that second's calls of one downstream
//! (tens to hundreds), far below a partition's 1,000 writes a second, and the next second is
//! another item.

use async_trait::async_trait;
use aws_sdk_dynamodb::types::ReturnValue;

use super::expr::Expr;
use super::{n, number, record, s, DynamoIdempotencyStore};
use crate::ports::pace::{PaceError, PaceStore};

/// The `kind` of a pace item: never an event's, so listings of events leave it out.
pub const PACE_KIND: &str = "pace_tickets";

#[async_trait]
impl PaceStore for DynamoIdempotencyStore {
    async fn take(&self, downstream: &str, second: i64) -> Result<u64, PaceError> {
        let mut e = Expr::default();
        e.add(record::PACE_TICKETS, n(1));
        e.set(record::KIND, s(PACE_KIND));
        e.set(record::EXPIRES_AT, n(second + 3600));
        let out = e
            .apply(
                self.client
                    .update_item()
                    .table_name(&self.table)
                    .key(record::EVENT_ID, s(format!("pace#{downstream}#{second}"))),
                None,
            )
            .return_values(ReturnValue::UpdatedNew)
            .send()
            .await
            .map_err(|e| PaceError::Unavailable(Box::new(e)))?;
        Ok(out
            .attributes()
            .and_then(|a| number(a, record::PACE_TICKETS))
            .and_then(|t| u64::try_from(t).ok())
            .unwrap_or(u64::MAX))
    }
}
