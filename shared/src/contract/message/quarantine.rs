//! What the quarantine queue keeps, and how a kept event goes back to the events queue.

use base64::Engine;

use super::body::sqs_text;
use super::dedup::quarantine_deduplication_id;
use super::event::{OutgoingEvent, Provenance};
use super::MAX_QUEUE_MESSAGE_BYTES;

/// A delivery kept on the quarantine queue so that nothing Fanfare signed is lost: a validly signed
/// body that is not a usable event (from ingest), or an event that used up its redrives (parked by
/// the redrive function so it no longer blocks its FIFO group in the DLQ). Serialised as JSON.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct QuarantinedDelivery {
    pub reason: String,
    /// The body, redacted (see `privacy`), then base64 (it may not be valid UTF-8).
    pub body_base64: String,
    pub received_at_ms: i64,
    pub signature_scheme: String,
    /// `X-Fanfare-Event-Type` as sent (ingest's copies; a parked event's type is in its body).
    pub event_type_header: Option<String>,
    pub event_id_header: Option<String>,
    pub delivery_id: Option<String>,
    /// The event id, for parked events.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event_id: Option<String>,
    /// The original event's payload hash, for parked events (their record carries it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payload_hash: Option<String>,
    /// The redacted body was cut so that the kept copy fits the queue (redaction can grow a body:
    /// invalid UTF-8 becomes U+FFFD, numbers are written out in full).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub truncated: bool,
}

/// Why a kept delivery cannot go back to the event queue.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum RequeueError {
    #[error("the kept body is not valid base64")]
    InvalidBase64,
    #[error("still not a usable event: {0}")]
    StillUnusable(#[from] crate::contract::envelope::EnvelopeError),
}

/// Room kept on a quarantine message for its one attribute (`reason`: name, type and a code).
const QUARANTINE_ATTRIBUTE_ROOM: usize = 256;

impl QuarantinedDelivery {
    /// JSON bytes of a delivery whose body is `body_len` bytes: base64 grows it by a third.
    pub fn max_wire_size(body_len: usize) -> usize {
        body_len.div_ceil(3) * 4 + 4096
    }

    /// Makes the copy one the quarantine queue always takes: every text field in SQS's character
    /// set, and the redacted body cut (and marked `truncated`) where the whole message would exceed
    /// the queue's limit. Ingest and redrive both keep copies through here, so no signed body is
    /// refused by the queue for ever.
    pub fn sealed(mut self, redacted_body: &[u8]) -> Self {
        let safe = |v: &mut String| *v = sqs_text(v).into_owned();
        safe(&mut self.reason);
        safe(&mut self.signature_scheme);
        for field in [
            &mut self.event_type_header,
            &mut self.event_id_header,
            &mut self.delivery_id,
            &mut self.event_id,
            &mut self.payload_hash,
        ] {
            if let Some(v) = field.as_mut() {
                safe(v);
            }
        }
        self.body_base64.clear();
        self.truncated = false;
        let envelope = serde_json::to_string(&Self {
            truncated: true,
            ..self.clone()
        })
        .map(|json| json.len())
        .unwrap_or(MAX_QUEUE_MESSAGE_BYTES);
        let room = MAX_QUEUE_MESSAGE_BYTES.saturating_sub(envelope + QUARANTINE_ATTRIBUTE_ROOM);
        let keep = (room / 4 * 3).min(redacted_body.len());
        self.truncated = keep < redacted_body.len();
        self.body_base64 = base64::engine::general_purpose::STANDARD.encode(&redacted_body[..keep]);
        self
    }

    /// The kept body (as stored: redacted).
    pub fn body(&self) -> Result<Vec<u8>, RequeueError> {
        base64::engine::general_purpose::STANDARD
            .decode(&self.body_base64)
            .map_err(|_| RequeueError::InvalidBase64)
    }

    /// The event-queue message that re-injects this delivery (`fanfare-webhooks quarantine
    /// replay`, e.g. after an upgrade taught the receiver a new shape). Its replay and dedup ids
    /// come from the event and its payload hash, so copies of one kept event collapse. A parked
    /// event carries its original payload hash and is sent as a replay, so that it can claim its
    /// record although its stored copy was redacted.
    pub fn requeue(&self, now_ms: i64) -> Result<OutgoingEvent, RequeueError> {
        let body = self.body()?;
        let event = crate::contract::envelope::parse_event(&body)?;
        let text = String::from_utf8(body)
            .map_err(|_| crate::contract::envelope::EnvelopeError::NotJson)?;
        let mut message = OutgoingEvent::new(&event, text, Provenance::Quarantine, now_ms);
        // Named by what it carries, not by the copy: copies of one parked event (a crash between
        // park and delete leaves two) collapse into one message, one claim and one handler run.
        let hash = self
            .payload_hash
            .clone()
            .unwrap_or_else(|| event.payload_hash());
        let dedup = quarantine_deduplication_id(&event.id, &hash);
        let replay_id = format!("quarantine#{}", &dedup[..16]);
        message.deduplication_id = dedup;
        message.delivery_id = self.delivery_id.clone();
        if self.payload_hash.is_some() {
            message.replay_id = Some(replay_id);
            message.replay_payload_hash = Some(hash);
        }
        Ok(match &self.event_id {
            Some(original) => message.named(original),
            None => message,
        })
    }
}
