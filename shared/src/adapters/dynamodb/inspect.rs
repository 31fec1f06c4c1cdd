//! Reading the tables for people: the CLI's `status`, `entity` and `replay`. Not linked into the
//! Lambda binaries (the `inspect` feature).

use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue;

use super::expr::Expr;
use super::idempotency::archived_body;
use super::{n, number, record, s, string, DynamoIdempotencyStore, DynamoStateStore};
use crate::ports::idempotency::IdempotencyError;
use crate::ports::state::{fields, StateError};

/// An item as JSON for people: whole numbers as numbers, other numbers (money) as exact text,
/// bookkeeping (`_v_*` field versions) left out.
pub fn item_to_json(item: &HashMap<String, AttributeValue>) -> serde_json::Value {
    let mut out = serde_json::Map::new();
    for (name, value) in item {
        if name.starts_with("_v_") {
            continue;
        }
        out.insert(name.clone(), value_to_json(value));
    }
    serde_json::Value::Object(out)
}

fn value_to_json(value: &AttributeValue) -> serde_json::Value {
    use serde_json::Value;
    match value {
        AttributeValue::S(s) => Value::String(s.clone()),
        AttributeValue::N(n) => n
            .parse::<i64>()
            .map(Value::from)
            .unwrap_or_else(|_| Value::String(n.clone())),
        AttributeValue::Bool(b) => Value::Bool(*b),
        AttributeValue::Ss(items) => {
            let mut items = items.clone();
            items.sort();
            Value::from(items)
        }
        AttributeValue::L(items) => Value::Array(items.iter().map(value_to_json).collect()),
        AttributeValue::M(map) => item_to_json(map),
        _ => Value::Null,
    }
}

/// A record whose last attempt failed, or that the handler rejected, as `fanfare-webhooks events
/// --status failed|rejected` lists it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FailedRecord {
    pub event_id: String,
    /// `failed` (retried) or `rejected` (final until a forced replay).
    pub status: String,
    pub kind: String,
    pub entity: String,
    pub attempts: i64,
    /// The stable code of the last failure (a handler's own code when the handler failed).
    pub last_error: String,
    pub last_attempt_ms: i64,
}

/// An archived event, as `fanfare-webhooks replay` reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArchivedEvent {
    pub event_id: String,
    pub kind: String,
    pub ordering_key: String,
    pub occurred_at_ms: i64,
    /// Redacted before it was stored, so a replay passes `payload_hash` along.
    pub raw_event: String,
    pub payload_hash: String,
}

impl DynamoIdempotencyStore {
    /// Records whose last attempt failed (or was rejected) at or after `since_ms`, newest first, at
    /// most `limit`:
    /// a query of each of the sparse failed index's key values (never a scan of the table), the
    /// newest `limit` of each merged.
    pub async fn failed_since(
        &self,
        since_ms: i64,
        limit: usize,
    ) -> Result<Vec<FailedRecord>, IdempotencyError> {
        let mut found = Vec::new();
        for flag in record::failed_flags() {
            found.extend(self.failed_in(&flag, since_ms, limit).await?);
        }
        found.sort_by(|a, b| {
            (b.last_attempt_ms, &b.event_id).cmp(&(a.last_attempt_ms, &a.event_id))
        });
        found.truncate(limit);
        Ok(found)
    }

    /// The newest `limit` failed records under one of the index's key values.
    async fn failed_in(
        &self,
        flag_value: &str,
        since_ms: i64,
        limit: usize,
    ) -> Result<Vec<FailedRecord>, IdempotencyError> {
        let mut found = Vec::new();
        let mut start: Option<HashMap<String, AttributeValue>> = None;
        while found.len() < limit {
            let mut e = Expr::default();
            let flag = e.name(record::FAILED_FLAG);
            let updated = e.name(record::UPDATED_AT_MS);
            let failed = e.value(s(flag_value));
            let since = e.value(n(since_ms));
            let out = self
                .client
                .query()
                .table_name(&self.table)
                .index_name(super::FAILED_INDEX)
                .key_condition_expression(format!("{flag} = {failed} AND {updated} >= {since}"))
                .scan_index_forward(false)
                .set_expression_attribute_names(Some(e.names))
                .set_expression_attribute_values(Some(e.values))
                .set_exclusive_start_key(start.take())
                .send()
                .await
                .map_err(|e| IdempotencyError::Unavailable(Box::new(e)))?;
            let text = |item: &HashMap<String, AttributeValue>, name| {
                string(item, name).unwrap_or_default().to_string()
            };
            for item in out.items() {
                if string(item, record::KIND) == Some(crate::ports::idempotency::KEPT_MARKER_KIND) {
                    continue;
                }
                found.push(FailedRecord {
                    event_id: text(item, record::EVENT_ID),
                    status: text(item, record::STATUS),
                    kind: text(item, record::KIND),
                    entity: text(item, record::ORDERING_KEY),
                    attempts: number(item, record::ATTEMPTS).unwrap_or(0),
                    last_error: text(item, record::LAST_ERROR),
                    last_attempt_ms: number(item, record::UPDATED_AT_MS).unwrap_or(0),
                });
            }
            start = out.last_evaluated_key().cloned();
            if start.is_none() {
                break;
            }
        }
        found.truncate(limit);
        Ok(found)
    }

    /// One record as JSON (None when absent).
    pub async fn record_json(
        &self,
        event_id: &str,
    ) -> Result<Option<serde_json::Value>, IdempotencyError> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .key(record::EVENT_ID, s(event_id))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| IdempotencyError::Unavailable(Box::new(e)))?;
        Ok(out.item().map(|item| {
            let mut json = item_to_json(item);
            if let Some(o) = json.as_object_mut() {
                o.remove(record::RAW_EVENT);
                o.remove(record::RAW_EVENT_DEFLATE);
                o.remove(record::OWNER);
            }
            json
        }))
    }

    /// Every archived event whose time is in `[since_ms, until_ms)` (conflict copies excluded).
    pub async fn archived(
        &self,
        since_ms: i64,
        until_ms: i64,
    ) -> Result<Vec<ArchivedEvent>, IdempotencyError> {
        let mut events = Vec::new();
        let mut start: Option<HashMap<String, AttributeValue>> = None;
        loop {
            let mut e = Expr::default();
            let occurred = e.name(record::OCCURRED_AT_MS);
            let raw = e.name(record::RAW_EVENT);
            let deflated = e.name(record::RAW_EVENT_DEFLATE);
            let since = e.value(n(since_ms));
            let until = e.value(n(until_ms));
            let filter = format!(
                "{occurred} >= {since} AND {occurred} < {until} AND \
                 (attribute_exists({raw}) OR attribute_exists({deflated}))"
            );
            let out = self
                .client
                .scan()
                .table_name(&self.table)
                .filter_expression(filter)
                .set_expression_attribute_names(Some(e.names))
                .set_expression_attribute_values(Some(e.values))
                .set_exclusive_start_key(start.take())
                .send()
                .await
                .map_err(|e| IdempotencyError::Unavailable(Box::new(e)))?;
            events.extend(out.items().iter().filter_map(archived_event));
            match out.last_evaluated_key() {
                Some(key) if !key.is_empty() => start = Some(key.clone()),
                _ => break,
            }
        }
        events
            .sort_by(|a, b| (a.occurred_at_ms, &a.event_id).cmp(&(b.occurred_at_ms, &b.event_id)));
        Ok(events)
    }
}

impl DynamoIdempotencyStore {
    /// The archived events of `ids`, each read by its key (`replay --event-id`: no table scan);
    /// ids without an archived event are left out.
    pub async fn archived_by_id(
        &self,
        ids: &[String],
    ) -> Result<Vec<ArchivedEvent>, IdempotencyError> {
        let mut events = Vec::new();
        for id in ids {
            let out = self
                .client
                .get_item()
                .table_name(&self.table)
                .key(record::EVENT_ID, s(id))
                .consistent_read(true)
                .send()
                .await
                .map_err(|e| IdempotencyError::Unavailable(Box::new(e)))?;
            events.extend(out.item().and_then(archived_event));
        }
        Ok(events)
    }
}

/// A record as an archived event: not a conflict copy or a kept marker, and with an archive.
fn archived_event(item: &HashMap<String, AttributeValue>) -> Option<ArchivedEvent> {
    let kept_marker =
        string(item, record::KIND) == Some(crate::ports::idempotency::KEPT_MARKER_KIND);
    if item.contains_key(record::CONFLICT_OF) || kept_marker {
        return None;
    }
    Some(ArchivedEvent {
        event_id: string(item, record::EVENT_ID)?.to_string(),
        kind: string(item, record::KIND).unwrap_or_default().to_string(),
        ordering_key: string(item, record::ORDERING_KEY)
            .unwrap_or("unattributed")
            .to_string(),
        occurred_at_ms: number(item, record::OCCURRED_AT_MS)?,
        raw_event: archived_body(item)?,
        payload_hash: string(item, record::PAYLOAD_HASH)
            .unwrap_or_default()
            .to_string(),
    })
}

impl DynamoStateStore {
    /// The alerts Fanfare raised when it gave up delivering an event to us (`webhook.delivery
    /// .failed`), at most `max`, as JSON. A scan of the state table (alert items have no index of
    /// their own): for the on-call engineer after a `DeliveryFailed` alarm, not for a loop.
    pub async fn delivery_failed_alerts(
        &self,
        max: usize,
    ) -> Result<Vec<serde_json::Value>, StateError> {
        let mut alerts = Vec::new();
        let mut start: Option<HashMap<String, AttributeValue>> = None;
        while alerts.len() < max {
            let out = self
                .client
                .scan()
                .table_name(&self.table)
                .filter_expression("begins_with(#sk, :alert)")
                .expression_attribute_names("#sk", fields::SK)
                .expression_attribute_values(":alert", s(fields::DELIVERY_FAILED_PREFIX))
                .set_exclusive_start_key(start.take())
                .send()
                .await
                .map_err(|e| StateError::Unavailable(Box::new(e)))?;
            alerts.extend(out.items().iter().map(item_to_json));
            match out.last_evaluated_key() {
                Some(key) if !key.is_empty() => start = Some(key.clone()),
                _ => break,
            }
        }
        alerts.truncate(max);
        Ok(alerts)
    }

    /// Every item of one entity, as `{ "<sk>": { attributes… } }`.
    pub async fn entity_json(&self, pk: &str) -> Result<serde_json::Value, StateError> {
        let mut result = serde_json::Map::new();
        let mut start: Option<HashMap<String, AttributeValue>> = None;
        loop {
            let out = self
                .client
                .query()
                .table_name(&self.table)
                .key_condition_expression("#pk = :pk")
                .expression_attribute_names("#pk", fields::PK)
                .expression_attribute_values(":pk", s(pk))
                .consistent_read(true)
                .set_exclusive_start_key(start.take())
                .send()
                .await
                .map_err(|e| StateError::Unavailable(Box::new(e)))?;
            for item in out.items() {
                let sk = string(item, fields::SK).unwrap_or_default().to_string();
                let mut json = item_to_json(item);
                if let Some(o) = json.as_object_mut() {
                    o.remove(fields::PK);
                    o.remove(fields::SK);
                }
                result.insert(sk, json);
            }
            match out.last_evaluated_key() {
                Some(key) if !key.is_empty() => start = Some(key.clone()),
                _ => break,
            }
        }
        Ok(serde_json::Value::Object(result))
    }
}
