//! The SQS message that carries a verified event from ingest to the processor.
//!
//! The body is the raw request body exactly as Fanfare signed it; delivery details travel as message
//! attributes. Redriven messages get new SQS message ids, so nothing downstream keys on those.

use sha2::{Digest, Sha256};

use crate::model::Event;

/// Message attribute names.
pub mod attributes {
    pub const EVENT_ID: &str = "fanfare-event-id";
    pub const EVENT_TYPE: &str = "fanfare-event-type";
    pub const KIND: &str = "fanfare-kind";
    pub const DELIVERY_ID: &str = "fanfare-delivery-id";
    pub const RETRY_COUNT: &str = "fanfare-retry-count";
    pub const SIGNATURE_SCHEME: &str = "signature-scheme";
    pub const RECEIVED_AT_MS: &str = "received-at-ms";
    /// How many times the redrive function has moved this message back from the DLQ.
    pub const REDRIVE_COUNT: &str = "redrive-count";
    /// Set by `fanfare-webhooks replay`: a deliberate re-run of an archived event.
    pub const REPLAY_ID: &str = "replay-id";
}

/// An event on its way to the FIFO queue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueuedEvent {
    pub event_id: String,
    pub event_type: String,
    pub kind: String,
    /// The SQS message group: the entity the event changes.
    pub ordering_key: String,
    /// SQS deduplication id (see [`deduplication_id`]).
    pub deduplication_id: String,
    pub body: String,
    pub delivery_id: Option<String>,
    pub retry_count: Option<u32>,
    pub signature_scheme: &'static str,
    pub received_at_ms: i64,
}

impl QueuedEvent {
    pub fn new(
        event: &Event,
        body: String,
        signature_scheme: &'static str,
        received_at_ms: i64,
    ) -> Self {
        Self {
            event_id: event.id.clone(),
            event_type: event.event_type.clone(),
            kind: event.kind.as_str().to_string(),
            ordering_key: event.entity().key(),
            deduplication_id: deduplication_id(&event.id, &event.payload_hash()),
            body,
            delivery_id: None,
            retry_count: None,
            signature_scheme,
            received_at_ms,
        }
    }
}

/// Derived from the event id and the payload hash: Fanfare's retries of one event collapse within
/// SQS's 5-minute window, while the same id with a different payload still reaches the processor,
/// which records it as a conflict. Hex of SHA-256 is always a valid (64-character) dedup id.
pub fn deduplication_id(event_id: &str, payload_hash: &str) -> String {
    let mut h = Sha256::new();
    h.update(event_id.as_bytes());
    h.update([0u8]);
    h.update(payload_hash.as_bytes());
    hex::encode(h.finalize())
}

/// A validly signed delivery whose body is not a usable event, kept so that nothing Fanfare signed
/// is lost. Serialised as JSON onto the quarantine queue.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct QuarantinedDelivery {
    pub reason: String,
    /// The raw body, base64 (it may not be valid UTF-8).
    pub body_base64: String,
    pub received_at_ms: i64,
    pub signature_scheme: String,
    pub event_type_header: Option<String>,
    pub event_id_header: Option<String>,
    pub delivery_id: Option<String>,
}
