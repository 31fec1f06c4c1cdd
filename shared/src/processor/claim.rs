//! Claiming an event: what the claim writes (its identity, lease and redacted archive copy), and
//! what the record's answer means (claimed, a duplicate, a conflict, another invocation's claim).

use super::handler::EventHandler;
use super::message::IncomingMessage;
use super::{unavailable, Outcome, Processor, DEFAULT_LEASE_MS};
use crate::ports::idempotency::{Claim, ClaimOutcome, Claimed, IdempotencyStore};
use crate::ports::state::StateStore;
use crate::ports::Clock;

impl<I: IdempotencyStore, S: StateStore, H: EventHandler, C: Clock> Processor<I, S, H, C> {
    /// What the claim writes: the event's identity, its lease and its redacted archive copy.
    pub(super) fn claim_for(
        &self,
        event: &crate::Event,
        signed: &[u8],
        message: IncomingMessage<'_>,
        deadline_ms: i64,
    ) -> Claim {
        // A replayed archive copy was redacted, so it no longer hashes like the original: the
        // replay carries the original's hash (operators' replays only; ingest never sets it), used
        // only when it has a hash's shape.
        let payload_hash = match (message.replay_id, message.replay_payload_hash) {
            (Some(_), Some(hash)) if crate::model::is_payload_hash(hash) => hash.to_string(),
            _ => event.payload_hash(),
        };
        let retention = self.options.plan.retention;
        let now = self.clock.now();
        let now_ms = now.timestamp_millis();
        Claim {
            event_id: event.id.clone(),
            owner: uuid::Uuid::new_v4().to_string(),
            payload_hash,
            now_ms,
            lease_until_ms: if deadline_ms > now_ms {
                deadline_ms
            } else {
                now_ms + DEFAULT_LEASE_MS
            },
            expires_at_s: now.timestamp() + self.options.record_ttl_secs,
            kind: event.kind.as_str().to_string(),
            event_type: event.event_type.clone(),
            ordering_key: event.ordering_key(),
            occurred_at_ms: event.occurred_at.timestamp_millis(),
            raw_event: retention.redact_body(signed),
            // Only a forced replay may claim a finished record (once per replay id); any other
            // replay, and every copy of one, claims like a redelivery.
            replay_id: message
                .replay_id
                .filter(|_| message.replay_force)
                .map(str::to_string),
        }
    }

    /// Claims the event: what its record says of earlier attempts, or what happened instead (a
    /// duplicate, a conflict, another invocation's live claim, an unavailable table) and the
    /// record's attempts.
    pub(super) async fn claim(
        &self,
        event: &crate::Event,
        claim: &Claim,
    ) -> Result<Claimed, (Outcome, u32)> {
        let existing = match self.idempotency.claim(claim).await {
            Ok(ClaimOutcome::Claimed(claimed)) => return Ok(claimed),
            Ok(ClaimOutcome::Held(existing)) => existing,
            Err(e) => return Err((unavailable(event, &e), 0)),
        };
        if existing.payload_hash != claim.payload_hash {
            return match self.idempotency.record_conflict(claim).await {
                Ok(()) => Err((Outcome::Conflict, existing.attempts)),
                Err(e) => Err((unavailable(event, &e), existing.attempts)),
            };
        }
        let outcome = if existing.status.is_final() {
            Outcome::Duplicate
        } else {
            Outcome::Busy
        };
        Err((outcome, existing.attempts))
    }
}
