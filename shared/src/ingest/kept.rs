//! Kept-delivery markers: a signed body that is not an event is kept on the quarantine queue once,
//! however often a captured copy is re-sent within the signature tolerance. The marker is a claim in
//! the idempotency table named by a digest of the signed bytes, so the claim rule (a lease, owner
//! tokens, expiry) is the processor's own.

use std::sync::Arc;

use sha2::{Digest, Sha256};

use super::IngestError;
use crate::ports::idempotency::{
    Claim, ClaimOutcome, IdempotencyStore, Release, Status, KEPT_MARKER_KIND,
};
use crate::telemetry::Causes;

/// How long a kept delivery is remembered: far past any signature tolerance, after which a re-send
/// is refused as too old anyway.
const KEPT_MARKER_TTL_SECS: i64 = 24 * 3600;
// A re-send within the tolerance must find its marker.
const _: () =
    assert!(KEPT_MARKER_TTL_SECS > 2 * crate::contract::signature::MAX_TOLERANCE_SECS as i64);
/// How long a keeper holds its marker before another may take over.
const KEPT_MARKER_LEASE_MS: i64 = 15_000;

pub(super) struct KeptMarkers(pub(super) Arc<dyn IdempotencyStore>);

/// What the marker said.
pub(super) enum Marked {
    /// The marker store failed: keep the delivery anyway (twice rather than never).
    Unmarked,
    /// This invocation keeps it and closes the marker.
    Ours(Box<Claim>),
    /// Kept before: nothing to do.
    AlreadyKept,
}

impl KeptMarkers {
    pub(super) async fn begin(&self, body: &[u8], now_ms: i64) -> Result<Marked, IngestError> {
        let digest = hex::encode(Sha256::digest(body));
        let claim = Claim {
            event_id: format!("kept#{digest}"),
            owner: uuid::Uuid::new_v4().to_string(),
            payload_hash: digest,
            now_ms,
            lease_until_ms: now_ms + KEPT_MARKER_LEASE_MS,
            expires_at_s: now_ms / 1000 + KEPT_MARKER_TTL_SECS,
            kind: KEPT_MARKER_KIND.to_string(),
            event_type: String::new(),
            ordering_key: String::new(),
            occurred_at_ms: now_ms,
            raw_event: String::new(),
            replay_id: None,
        };
        match self.0.claim(&claim).await {
            Ok(ClaimOutcome::Claimed { .. }) => Ok(Marked::Ours(Box::new(claim))),
            Ok(ClaimOutcome::Held(existing)) if existing.status.is_final() => {
                Ok(Marked::AlreadyKept)
            }
            // Another invocation is keeping the same bytes right now: Fanfare retries.
            Ok(ClaimOutcome::Held(_)) => Err(IngestError::KeptElsewhere),
            Err(e) => {
                tracing::warn!(error = %Causes(&e), "kept-delivery marker unavailable; keeping without it");
                Ok(Marked::Unmarked)
            }
        }
    }

    /// Finishes the marker when the copy was kept, releases it when it was not (a retry keeps it).
    pub(super) async fn close(&self, claim: &Claim, kept: bool, now_ms: i64) {
        let closed = if kept {
            self.0
                .finish(&claim.event_id, &claim.owner, Status::Completed, now_ms)
                .await
        } else {
            self.0
                .release(
                    &claim.event_id,
                    &claim.owner,
                    &Release::failed("quarantine_unavailable"),
                    now_ms,
                )
                .await
        };
        if let Err(e) = closed {
            tracing::warn!(error = %Causes(&e), "kept-delivery marker not closed; it lapses with its lease");
        }
    }
}
