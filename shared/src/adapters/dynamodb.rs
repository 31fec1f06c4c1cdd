//! DynamoDB adapters: the idempotency table and the state table. All decisions are conditional
//! writes; a failed condition returns the old item (`ALL_OLD`) instead of costing a second read.

use std::collections::HashMap;

use async_trait::async_trait;
use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::operation::update_item::builders::UpdateItemFluentBuilder;
use aws_sdk_dynamodb::operation::update_item::UpdateItemError;
use aws_sdk_dynamodb::types::{AttributeValue, ReturnValue, ReturnValuesOnConditionCheckFailure};
use aws_sdk_dynamodb::Client;

use crate::ports::idempotency::{
    Claim, ClaimOutcome, Existing, IdempotencyError, IdempotencyStore, Status,
};
use crate::ports::state::{fields, Applied, Attr, Gate, ItemWrite, StateError, StateStore};

/// Builds update expressions with a placeholder for every name and value.
#[derive(Default)]
struct Expr {
    names: HashMap<String, String>,
    values: HashMap<String, AttributeValue>,
    set: Vec<String>,
    remove: Vec<String>,
    add: Vec<String>,
}

impl Expr {
    fn name(&mut self, name: &str) -> String {
        if let Some((placeholder, _)) = self.names.iter().find(|(_, n)| n.as_str() == name) {
            return placeholder.clone();
        }
        let placeholder = format!("#n{}", self.names.len());
        self.names.insert(placeholder.clone(), name.to_string());
        placeholder
    }

    fn value(&mut self, value: AttributeValue) -> String {
        let placeholder = format!(":v{}", self.values.len());
        self.values.insert(placeholder.clone(), value);
        placeholder
    }

    fn set(&mut self, name: &str, value: AttributeValue) {
        let (n, v) = (self.name(name), self.value(value));
        self.set.push(format!("{n} = {v}"));
    }

    fn set_if_absent(&mut self, name: &str, value: AttributeValue) {
        let (n, v) = (self.name(name), self.value(value));
        self.set.push(format!("{n} = if_not_exists({n}, {v})"));
    }

    fn remove(&mut self, name: &str) {
        let n = self.name(name);
        self.remove.push(n);
    }

    fn add(&mut self, name: &str, value: AttributeValue) {
        let (n, v) = (self.name(name), self.value(value));
        self.add.push(format!("{n} {v}"));
    }

    fn is_empty(&self) -> bool {
        self.set.is_empty() && self.remove.is_empty() && self.add.is_empty()
    }

    fn update_expression(&self) -> String {
        let mut parts = Vec::new();
        if !self.set.is_empty() {
            parts.push(format!("SET {}", self.set.join(", ")));
        }
        if !self.remove.is_empty() {
            parts.push(format!("REMOVE {}", self.remove.join(", ")));
        }
        if !self.add.is_empty() {
            parts.push(format!("ADD {}", self.add.join(", ")));
        }
        parts.join(" ")
    }

    fn apply(
        self,
        request: UpdateItemFluentBuilder,
        condition: Option<String>,
    ) -> UpdateItemFluentBuilder {
        let mut request = request.update_expression(self.update_expression());
        if let Some(c) = condition {
            request = request.condition_expression(c);
        }
        request
            .set_expression_attribute_names(Some(self.names))
            .set_expression_attribute_values(Some(self.values))
    }
}

fn s(v: impl Into<String>) -> AttributeValue {
    AttributeValue::S(v.into())
}

fn n(v: impl ToString) -> AttributeValue {
    AttributeValue::N(v.to_string())
}

fn attr(value: &Attr) -> AttributeValue {
    match value {
        Attr::S(v) => AttributeValue::S(v.clone()),
        Attr::N(v) => AttributeValue::N(v.clone()),
        Attr::Bool(b) => AttributeValue::Bool(*b),
    }
}

/// The archived body as stored: DEFLATE-compressed when that saves space (JSON usually halves),
/// since DynamoDB bills each write by the item's size in KB.
fn archive_value(raw: &str) -> (&'static str, AttributeValue) {
    use std::io::Write;
    let mut encoder =
        flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::default());
    let compressed = encoder
        .write_all(raw.as_bytes())
        .and_then(|()| encoder.finish())
        .ok()
        .filter(|c| {
            c.len() + record::RAW_EVENT_DEFLATE.len() < raw.len() + record::RAW_EVENT.len()
        });
    match compressed {
        Some(bytes) => (
            record::RAW_EVENT_DEFLATE,
            AttributeValue::B(aws_sdk_dynamodb::primitives::Blob::new(bytes)),
        ),
        None => (record::RAW_EVENT, s(raw)),
    }
}

/// The archived body of a record, whichever way it was stored.
pub fn archived_body(item: &HashMap<String, AttributeValue>) -> Option<String> {
    use std::io::Read;
    if let Some(text) = string(item, record::RAW_EVENT) {
        return Some(text.to_string());
    }
    let blob = item.get(record::RAW_EVENT_DEFLATE)?.as_b().ok()?;
    let mut text = String::new();
    flate2::read::DeflateDecoder::new(blob.as_ref())
        .read_to_string(&mut text)
        .ok()?;
    Some(text)
}

/// The old item when a write failed only because its condition did not hold.
fn condition_failed(
    err: &SdkError<UpdateItemError>,
) -> Option<Option<&HashMap<String, AttributeValue>>> {
    match err.as_service_error() {
        Some(UpdateItemError::ConditionalCheckFailedException(e)) => Some(e.item()),
        _ => None,
    }
}

fn number(item: &HashMap<String, AttributeValue>, name: &str) -> Option<i64> {
    item.get(name)?.as_n().ok()?.parse().ok()
}

fn string<'a>(item: &'a HashMap<String, AttributeValue>, name: &str) -> Option<&'a str> {
    item.get(name)?.as_s().ok().map(String::as_str)
}

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
}

#[derive(Clone)]
pub struct DynamoIdempotencyStore {
    client: Client,
    table: String,
}

impl DynamoIdempotencyStore {
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        Self {
            client,
            table: table.into(),
        }
    }

    pub fn from_sdk_config(config: &aws_config::SdkConfig, table: impl Into<String>) -> Self {
        Self::new(Client::new(config), table)
    }

    fn update(&self, event_id: &str) -> UpdateItemFluentBuilder {
        self.client
            .update_item()
            .table_name(&self.table)
            .key(record::EVENT_ID, s(event_id))
    }

    /// Owner-conditional transition out of `in_progress`.
    async fn close(
        &self,
        event_id: &str,
        owner: &str,
        mut expr: Expr,
    ) -> Result<(), IdempotencyError> {
        let owner_name = expr.name(record::OWNER);
        let status_name = expr.name(record::STATUS);
        let owner_value = expr.value(s(owner));
        let in_progress = expr.value(s(Status::InProgress.as_str()));
        let condition = format!("{owner_name} = {owner_value} AND {status_name} = {in_progress}");
        match expr
            .apply(self.update(event_id), Some(condition))
            .send()
            .await
        {
            Ok(_) => Ok(()),
            Err(e) if condition_failed(&e).is_some() => Err(IdempotencyError::NotOwner),
            Err(e) => Err(IdempotencyError::Unavailable(Box::new(e))),
        }
    }
}

fn existing_from(item: &HashMap<String, AttributeValue>) -> Existing {
    Existing {
        // An unreadable status is treated as in progress: retried, never skipped.
        status: string(item, record::STATUS)
            .and_then(Status::parse)
            .unwrap_or(Status::InProgress),
        payload_hash: string(item, record::PAYLOAD_HASH)
            .unwrap_or_default()
            .to_string(),
        lease_until_ms: number(item, record::LEASE_UNTIL_MS),
        attempts: number(item, record::ATTEMPTS)
            .unwrap_or(0)
            .try_into()
            .unwrap_or(0),
        replay_id: string(item, record::REPLAY_ID).map(str::to_string),
    }
}

#[async_trait]
impl IdempotencyStore for DynamoIdempotencyStore {
    async fn claim(&self, claim: &Claim) -> Result<ClaimOutcome, IdempotencyError> {
        let mut e = Expr::default();
        e.set(record::STATUS, s(Status::InProgress.as_str()));
        e.set(record::OWNER, s(&claim.owner));
        e.set(record::LEASE_UNTIL_MS, n(claim.lease_until_ms));
        e.set(record::EXPIRES_AT, n(claim.expires_at_s));
        e.set(record::PAYLOAD_HASH, s(&claim.payload_hash));
        e.set(record::KIND, s(&claim.kind));
        e.set(record::EVENT_TYPE, s(&claim.event_type));
        e.set(record::ORDERING_KEY, s(&claim.ordering_key));
        e.set(record::OCCURRED_AT_MS, n(claim.occurred_at_ms));
        let (archive_name, archive) = archive_value(&claim.raw_event);
        e.set(archive_name, archive);
        e.set(record::UPDATED_AT_MS, n(claim.now_ms));
        e.set_if_absent(record::FIRST_SEEN_AT_MS, n(claim.now_ms));
        e.remove(record::LAST_ERROR);
        e.add(record::ATTEMPTS, n(1));

        let id = e.name(record::EVENT_ID);
        let expires = e.name(record::EXPIRES_AT);
        let hash = e.name(record::PAYLOAD_HASH);
        let status = e.name(record::STATUS);
        let lease = e.name(record::LEASE_UNTIL_MS);
        let now_s = e.value(n(claim.now_ms / 1000));
        let now_ms = e.value(n(claim.now_ms));
        let our_hash = e.value(s(&claim.payload_hash));
        let failed = e.value(s(Status::Failed.as_str()));
        let in_progress = e.value(s(Status::InProgress.as_str()));
        // The same rule as `processor::idempotency::claimable` (which the in-memory store uses),
        // written as a condition: a claim succeeds on a new or expired record, or on the same
        // payload that failed or whose lease lapsed (or, below, a finished one being replayed).
        let absent = format!("attribute_not_exists({id})");
        let expired = format!("{expires} < {now_s}");
        let same_payload = format!("{hash} = {our_hash}");
        let failed_before = format!("{status} = {failed}");
        let lease_lapsed = format!("({status} = {in_progress} AND {lease} < {now_ms})");
        let mut condition = format!(
            "{absent} OR {expired} OR ({same_payload} AND ({failed_before} OR {lease_lapsed}))"
        );
        if let Some(replay) = &claim.replay_id {
            // A deliberate replay may re-run a finished record, once per replay id.
            e.set(record::REPLAY_ID, s(replay));
            let replay_name = e.name(record::REPLAY_ID);
            let ours = e.value(s(replay));
            let finished: Vec<String> = [Status::Completed, Status::SkippedStale, Status::Ignored]
                .iter()
                .map(|st| e.value(s(st.as_str())))
                .collect();
            condition.push_str(&format!(
                " OR ({hash} = {our_hash} AND {status} IN ({}) AND \
                 (attribute_not_exists({replay_name}) OR {replay_name} <> {ours}))",
                finished.join(", ")
            ));
        }
        let request = e
            .apply(self.update(&claim.event_id), Some(condition))
            .return_values(ReturnValue::UpdatedNew)
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld);
        match request.send().await {
            Ok(out) => {
                let attempt = out
                    .attributes()
                    .and_then(|a| number(a, record::ATTEMPTS))
                    .unwrap_or(1);
                Ok(ClaimOutcome::Claimed {
                    attempt: attempt.try_into().unwrap_or(u32::MAX),
                })
            }
            Err(err) => match condition_failed(&err) {
                Some(Some(old)) => Ok(ClaimOutcome::Held(existing_from(old))),
                // The condition failed but no old item came back: treat as busy, retry later.
                Some(None) => Ok(ClaimOutcome::Held(Existing {
                    status: Status::InProgress,
                    payload_hash: claim.payload_hash.clone(),
                    lease_until_ms: None,
                    attempts: 0,
                    replay_id: None,
                })),
                None => Err(IdempotencyError::Unavailable(Box::new(err))),
            },
        }
    }

    async fn finish(
        &self,
        event_id: &str,
        owner: &str,
        status: Status,
        now_ms: i64,
    ) -> Result<(), IdempotencyError> {
        let mut e = Expr::default();
        e.set(record::STATUS, s(status.as_str()));
        e.set(record::UPDATED_AT_MS, n(now_ms));
        e.set(record::FINISHED_AT_MS, n(now_ms));
        e.remove(record::LEASE_UNTIL_MS);
        self.close(event_id, owner, e).await
    }

    async fn release(
        &self,
        event_id: &str,
        owner: &str,
        error_code: &str,
        now_ms: i64,
    ) -> Result<(), IdempotencyError> {
        let mut e = Expr::default();
        e.set(record::STATUS, s(Status::Failed.as_str()));
        e.set(record::LAST_ERROR, s(error_code));
        e.set(record::UPDATED_AT_MS, n(now_ms));
        e.remove(record::LEASE_UNTIL_MS);
        self.close(event_id, owner, e).await
    }

    async fn record_conflict(&self, claim: &Claim) -> Result<(), IdempotencyError> {
        let unavailable =
            |e: Box<dyn std::error::Error + Send + Sync>| IdempotencyError::Unavailable(e);
        let key = format!(
            "{}#conflict#{}",
            claim.event_id,
            &claim.payload_hash[..claim.payload_hash.len().min(16)]
        );
        // An update rather than a put: the processor's role needs only UpdateItem.
        let mut copy = Expr::default();
        copy.set(record::STATUS, s("conflict"));
        copy.set(record::CONFLICT_OF, s(&claim.event_id));
        copy.set(record::PAYLOAD_HASH, s(&claim.payload_hash));
        let (archive_name, archive) = archive_value(&claim.raw_event);
        copy.set(archive_name, archive);
        copy.set(record::KIND, s(&claim.kind));
        copy.set(record::EVENT_TYPE, s(&claim.event_type));
        copy.set_if_absent(record::FIRST_SEEN_AT_MS, n(claim.now_ms));
        copy.set(record::EXPIRES_AT, n(claim.expires_at_s));
        copy.apply(self.update(&key), None)
            .send()
            .await
            .map_err(|e| unavailable(Box::new(e)))?;
        let mut e = Expr::default();
        e.add(record::CONFLICT_COUNT, n(1));
        e.apply(self.update(&claim.event_id), None)
            .send()
            .await
            .map_err(|e| unavailable(Box::new(e)))?;
        Ok(())
    }
}

#[derive(Clone)]
pub struct DynamoStateStore {
    client: Client,
    table: String,
}

impl DynamoStateStore {
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        Self {
            client,
            table: table.into(),
        }
    }

    pub fn from_sdk_config(config: &aws_config::SdkConfig, table: impl Into<String>) -> Self {
        Self::new(Client::new(config), table)
    }

    fn update(&self, write: &ItemWrite) -> UpdateItemFluentBuilder {
        self.client
            .update_item()
            .table_name(&self.table)
            .key(fields::PK, s(&write.pk))
            .key(fields::SK, s(&write.sk))
    }

    async fn send(&self, request: UpdateItemFluentBuilder) -> Result<bool, StateError> {
        match request.send().await {
            Ok(_) => Ok(true),
            Err(e) if condition_failed(&e).is_some() => Ok(false),
            Err(e) => Err(StateError::Unavailable(Box::new(e))),
        }
    }
}

fn add_facts_and_sets(e: &mut Expr, write: &ItemWrite) {
    for (name, value) in &write.facts {
        e.set_if_absent(name, attr(value));
    }
    for (name, value) in &write.add_to_set {
        e.add(name, AttributeValue::Ss(vec![value.clone()]));
    }
}

#[async_trait]
impl StateStore for DynamoStateStore {
    async fn apply(&self, write: &ItemWrite, event_id: &str) -> Result<Applied, StateError> {
        let version = match &write.gate {
            Gate::Unversioned => {
                let mut e = Expr::default();
                for (name, value) in &write.moving {
                    e.set(name, attr(value));
                }
                for name in &write.remove {
                    e.remove(name);
                }
                add_facts_and_sets(&mut e, write);
                if !e.is_empty() {
                    self.send(e.apply(self.update(write), None)).await?;
                }
                return Ok(Applied::Fresh);
            }
            Gate::Versioned(v) => v.as_str(),
        };

        // Fresh: one conditional write moves the item and merges facts.
        let mut e = Expr::default();
        e.set(fields::VERSION, s(version));
        e.set(fields::LAST_EVENT_ID, s(event_id));
        for (name, value) in &write.moving {
            e.set(name, attr(value));
            e.set(&fields::field_version(name), s(version));
        }
        for name in &write.remove {
            e.remove(name);
            e.set(&fields::field_version(name), s(version));
        }
        add_facts_and_sets(&mut e, write);
        let version_name = e.name(fields::VERSION);
        let ours = e.value(s(version));
        let condition = format!("attribute_not_exists({version_name}) OR {version_name} <= {ours}");
        if self
            .send(e.apply(self.update(write), Some(condition)))
            .await?
        {
            return Ok(Applied::Fresh);
        }

        // Stale: each moving field it is the newest writer of, then its facts.
        let changes = write
            .moving
            .iter()
            .map(|(name, value)| (*name, Some(value)))
            .chain(write.remove.iter().map(|name| (*name, None)));
        for (name, value) in changes {
            let mut e = Expr::default();
            match value {
                Some(value) => e.set(name, attr(value)),
                None => e.remove(name),
            }
            let field_version = fields::field_version(name);
            e.set(&field_version, s(version));
            let fv = e.name(&field_version);
            let ours = e.value(s(version));
            let condition = format!("attribute_not_exists({fv}) OR {fv} < {ours}");
            self.send(e.apply(self.update(write), Some(condition)))
                .await?;
        }
        let mut e = Expr::default();
        add_facts_and_sets(&mut e, write);
        if !e.is_empty() {
            self.send(e.apply(self.update(write), None)).await?;
        }
        Ok(Applied::Stale)
    }
}

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
            for item in out.items() {
                if item.contains_key(record::CONFLICT_OF) {
                    continue;
                }
                events.push(ArchivedEvent {
                    event_id: string(item, record::EVENT_ID)
                        .unwrap_or_default()
                        .to_string(),
                    kind: string(item, record::KIND).unwrap_or_default().to_string(),
                    ordering_key: string(item, record::ORDERING_KEY)
                        .unwrap_or("unattributed")
                        .to_string(),
                    occurred_at_ms: number(item, record::OCCURRED_AT_MS).unwrap_or(0),
                    raw_event: archived_body(item).unwrap_or_default(),
                    payload_hash: string(item, record::PAYLOAD_HASH)
                        .unwrap_or_default()
                        .to_string(),
                });
            }
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

impl DynamoStateStore {
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
