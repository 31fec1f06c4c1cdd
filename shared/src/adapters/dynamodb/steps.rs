//! Handlers' completed steps in the idempotency table: one small item per event and step
//! (`step#<event id>#<step key>`), written once when the step completes (one write unit) and
//! expired by the table's TTL with the event's record. A later attempt reads the steps it needs
//! with consistent reads, 100 keys a call.

use std::collections::HashMap;
use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_dynamodb::types::{AttributeValue, KeysAndAttributes};

use super::expr::Expr;
use super::{n, number, record, s, string, DynamoIdempotencyStore};
use crate::ports::steps::{StepDone, StepError, StepStore};

/// The `kind` of a step item: never an event's, so listings of events leave it out.
pub const STEP_KIND: &str = "step";

/// Rounds of `UnprocessedKeys` (a throttled read) tried again before the read fails.
const READ_ROUNDS: u32 = 5;

fn step_item_key(scope: &str, key: &str) -> String {
    format!("step#{scope}#{key}")
}

#[async_trait]
impl StepStore for DynamoIdempotencyStore {
    async fn completed(
        &self,
        scope: &str,
        keys: &[String],
        now_ms: i64,
    ) -> Result<HashMap<String, Option<String>>, StepError> {
        let mut found = HashMap::new();
        for chunk in keys.chunks(100) {
            let mut wanted: Vec<HashMap<String, AttributeValue>> = chunk
                .iter()
                .map(|k| {
                    HashMap::from([(record::EVENT_ID.to_string(), s(step_item_key(scope, k)))])
                })
                .collect();
            let mut round = 0;
            while !wanted.is_empty() {
                let (items, unprocessed) = self.read_steps(wanted).await?;
                for item in items {
                    let live = number(&item, record::EXPIRES_AT).is_none_or(|e| e >= now_ms / 1000);
                    let key = string(&item, record::STEP_KEY).map(str::to_string);
                    if let (true, Some(key)) = (live, key) {
                        let result = string(&item, record::STEP_RESULT).map(str::to_string);
                        found.insert(key, result);
                    }
                }
                wanted = unprocessed;
                round += 1;
                if !wanted.is_empty() && round >= READ_ROUNDS {
                    return Err(StepError::Unavailable("step reads throttled".into()));
                }
                if !wanted.is_empty() {
                    tokio::time::sleep(Duration::from_millis(50 << round)).await;
                }
            }
        }
        Ok(found)
    }

    /// An update, not a put: the processor's role writes only with `UpdateItem`.
    async fn record(&self, scope: &str, done: &StepDone) -> Result<(), StepError> {
        let mut e = Expr::default();
        e.set(record::KIND, s(STEP_KIND));
        e.set(record::STEP_KEY, s(&done.key));
        e.set(record::FINISHED_AT_MS, n(done.at_ms));
        e.set(record::EXPIRES_AT, n(done.expires_at_s));
        if let Some(name) = &done.name {
            e.set(record::STEP_NAME, s(name));
        }
        if let Some(result) = &done.result {
            e.set(record::STEP_RESULT, s(result));
        }
        let update = self
            .client
            .update_item()
            .table_name(&self.table)
            .key(record::EVENT_ID, s(step_item_key(scope, &done.key)));
        e.apply(update, None)
            .send()
            .await
            .map_err(|e| StepError::Unavailable(Box::new(e)))?;
        Ok(())
    }
}

type Items = Vec<HashMap<String, AttributeValue>>;

impl DynamoIdempotencyStore {
    /// One `BatchGetItem` of step items: those found, and the keys to ask again.
    async fn read_steps(&self, keys: Items) -> Result<(Items, Items), StepError> {
        let request = KeysAndAttributes::builder()
            .set_keys(Some(keys))
            .consistent_read(true)
            .build()
            .map_err(|e| StepError::Unavailable(Box::new(e)))?;
        let out = self
            .client
            .batch_get_item()
            .request_items(&self.table, request)
            .send()
            .await
            .map_err(|e| StepError::Unavailable(Box::new(e)))?;
        let items = out
            .responses()
            .and_then(|r| r.get(&self.table))
            .cloned()
            .unwrap_or_default();
        let unprocessed = out
            .unprocessed_keys()
            .and_then(|u| u.get(&self.table))
            .map(|k| k.keys().to_vec())
            .unwrap_or_default();
        Ok((items, unprocessed))
    }
}
