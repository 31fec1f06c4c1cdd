//! The idempotency table: one record per event id, claimed, finished or released with conditional
//! writes. The claim's condition states the rule of `ports::idempotency::HeldRecord::claimable_by`.

use std::collections::HashMap;

use async_trait::async_trait;
use aws_sdk_dynamodb::operation::update_item::builders::UpdateItemFluentBuilder;
use aws_sdk_dynamodb::types::{AttributeValue, ReturnValue, ReturnValuesOnConditionCheckFailure};
use aws_sdk_dynamodb::Client;

use super::expr::Expr;
use super::{condition_failed, n, number, record, s, string};
use crate::model::Relation;
use crate::ports::idempotency::{
    Budget, Claim, ClaimOutcome, Claimed, HeldRecord, IdempotencyError, IdempotencyStore, Release,
    Status,
};
use crate::ports::pace::Reservation;

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

bound_client!(
    /// The idempotency table.
    DynamoIdempotencyStore(Client, table)
);

impl DynamoIdempotencyStore {
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

/// What a taken claim's record says of earlier attempts.
fn claimed_from(item: &HashMap<String, AttributeValue>, claim: &Claim) -> Claimed {
    let count = |name| number(item, name).map(|v| u32::try_from(v).unwrap_or(u32::MAX));
    Claimed {
        attempt: count(record::ATTEMPTS).unwrap_or(1),
        failures: count(record::FAILURES).unwrap_or(0),
        // A forced replay decides the relation again.
        relation: string(item, record::RELATION)
            .filter(|_| claim.replay_id.is_none())
            .and_then(Relation::from_stored),
        reservation: string(item, record::RESERVATION).and_then(Reservation::from_stored),
    }
}

fn held_from(item: &HashMap<String, AttributeValue>) -> HeldRecord {
    HeldRecord {
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
        expires_at_s: number(item, record::EXPIRES_AT),
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
        // Out of the failed index while it is tried again (removing an absent attribute costs no
        // index write, so records that never fail never touch the index).
        e.remove(record::FAILED_FLAG);
        e.add(record::ATTEMPTS, n(1));

        let id = e.name(record::EVENT_ID);
        let expires = e.name(record::EXPIRES_AT);
        let hash = e.name(record::PAYLOAD_HASH);
        let status = e.name(record::STATUS);
        let lease = e.name(record::LEASE_UNTIL_MS);
        let now_s = e.value(n(claim.now_ms / 1000));
        let now_ms = e.value(n(claim.now_ms));
        let our_hash = e.value(s(&claim.payload_hash));
        let retryable: Vec<String> = Status::RETRYABLE
            .iter()
            .map(|st| e.value(s(st.as_str())))
            .collect();
        let in_progress = e.value(s(Status::InProgress.as_str()));
        // The same rule as `HeldRecord::claimable_by` (which the in-memory store uses),
        // written as a condition: a claim succeeds on a new or expired record, or on the same
        // payload that failed or whose lease lapsed (or, below, a finished one being replayed).
        let absent = format!("attribute_not_exists({id})");
        let expired = format!("{expires} < {now_s}");
        let same_payload = format!("{hash} = {our_hash}");
        let failed_before = format!("{status} IN ({})", retryable.join(", "));
        let lease_lapsed = format!("({status} = {in_progress} AND {lease} < {now_ms})");
        let mut condition = format!(
            "{absent} OR {expired} OR ({same_payload} AND ({failed_before} OR {lease_lapsed}))"
        );
        if let Some(replay) = &claim.replay_id {
            // A deliberate replay may re-run a finished record, once per replay id.
            e.set(record::REPLAY_ID, s(replay));
            let replay_name = e.name(record::REPLAY_ID);
            let ours = e.value(s(replay));
            let finished: Vec<String> = Status::FINAL
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
            // The whole record comes back: what earlier attempts spent and the relation one kept
            // are not part of this update. Returned values cost no capacity.
            .return_values(ReturnValue::AllNew)
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld);
        match request.send().await {
            Ok(out) => Ok(ClaimOutcome::Claimed(claimed_from(
                out.attributes().unwrap_or(&HashMap::new()),
                claim,
            ))),
            Err(err) => match condition_failed(&err) {
                Some(Some(old)) => Ok(ClaimOutcome::Held(held_from(old))),
                // The condition failed but no old item came back: treat as busy, retry later.
                Some(None) => Ok(ClaimOutcome::Held(HeldRecord {
                    status: Status::InProgress,
                    payload_hash: claim.payload_hash.clone(),
                    lease_until_ms: None,
                    attempts: 0,
                    replay_id: None,
                    expires_at_s: None,
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
        e.remove(record::RELATION);
        e.remove(record::RESERVATION);
        self.close(event_id, owner, e).await
    }

    async fn release(
        &self,
        event_id: &str,
        owner: &str,
        release: &Release,
        now_ms: i64,
    ) -> Result<(), IdempotencyError> {
        let mut e = Expr::default();
        e.set(record::STATUS, s(release.status.as_str()));
        e.set(record::LAST_ERROR, s(&release.code));
        // Failed and rejected records are listed by the failed index; a deferral is not a failure.
        if release.status == Status::Deferred {
            e.remove(record::FAILED_FLAG);
        } else {
            e.set(record::FAILED_FLAG, s(record::failed_flag(event_id)));
        }
        match release.budget {
            Budget::Keep => {}
            Budget::Spend => e.add(record::FAILURES, n(1)),
            Budget::Exhausted => {
                e.set(record::FAILURES, n(0));
                e.add(record::DEAD_LETTERS, n(1));
            }
        }
        if let Some(relation) = &release.relation {
            e.set(record::RELATION, s(relation.stored()));
        }
        match &release.reservation {
            Some(slot) => e.set(record::RESERVATION, s(slot.stored())),
            None => e.remove(record::RESERVATION),
        }
        e.set(record::UPDATED_AT_MS, n(now_ms));
        e.remove(record::LEASE_UNTIL_MS);
        self.close(event_id, owner, e).await
    }

    async fn record_conflict(&self, claim: &Claim) -> Result<(), IdempotencyError> {
        let unavailable =
            |e: Box<dyn std::error::Error + Send + Sync>| IdempotencyError::Unavailable(e);
        // By characters, not bytes: a hash is hex, but nothing here may panic on what a record holds.
        let short_hash: String = claim.payload_hash.chars().take(16).collect();
        let key = format!("{}#conflict#{short_hash}", claim.event_id);
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
