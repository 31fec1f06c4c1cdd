//! The SQS message that carries a verified event from ingest to the processor.
//!
//! The body is the raw request body exactly as Fanfare signed it, unless it holds characters SQS
//! refuses (JSON allows U+FFFE, U+FFFF and other non-characters SQS does not): then it travels as
//! base64, marked by the `body-encoding` attribute, and the processor decodes it back to the signed
//! bytes. Delivery details travel as message attributes. Redriven messages get new SQS message ids,
//! so nothing downstream keys on those.

use std::borrow::Cow;

use base64::Engine;
use sha2::{Digest, Sha256};

use crate::model::Event;

/// Message attribute names.
pub mod attributes {
    pub const EVENT_ID: &str = "fanfare-event-id";
    /// `X-Fanfare-Event-Id` as sent: unsigned, kept for logs only.
    pub const EVENT_ID_HEADER: &str = "fanfare-event-id-header";
    pub const EVENT_TYPE: &str = "fanfare-event-type";
    pub const KIND: &str = "fanfare-kind";
    pub const DELIVERY_ID: &str = "fanfare-delivery-id";
    pub const RETRY_COUNT: &str = "fanfare-retry-count";
    pub const SIGNATURE_SCHEME: &str = "signature-scheme";
    pub const RECEIVED_AT_MS: &str = "received-at-ms";
    /// `base64` when the body is carried encoded (see the module docs); absent for the raw body.
    pub const BODY_ENCODING: &str = "body-encoding";
    /// How many times the redrive function has moved this message back from the DLQ.
    pub const REDRIVE_COUNT: &str = "redrive-count";
    /// Set by `fanfare-webhooks replay`: a deliberate re-run of an archived event.
    pub const REPLAY_ID: &str = "replay-id";
    /// Set with `replay-id` only: the payload hash of the original event, whose archived copy was
    /// redacted before it was stored (so it no longer hashes the same).
    pub const REPLAY_PAYLOAD_HASH: &str = "replay-payload-hash";
    /// `true` on `fanfare-webhooks replay --force`: the one way a finished record runs again (once
    /// per replay id). A copy of a message never carries it unless the operator asked.
    pub const REPLAY_FORCE: &str = "replay-force";
}

/// SQS's largest message, body and attributes together. Every queue in `template.yaml` sets
/// `MaximumMessageSize` to this, and ingest checks each message against it before sending.
pub const MAX_QUEUE_MESSAGE_BYTES: usize = 1_048_576;

/// Largest body whose archive record stays within DynamoDB's 400 KB item limit (ingest refuses a
/// larger `MAX_BODY_BYTES`).
pub const MAX_ARCHIVABLE_BODY_BYTES: usize = 384 * 1024;

/// The value of the `body-encoding` attribute for a base64 body.
pub const BASE64_ENCODING: &str = "base64";

/// Whether SQS accepts `c` in a message body or attribute: #x9, #xA, #xD, #x20-#xD7FF,
/// #xE000-#xFFFD, #x10000-#x10FFFF.
pub fn sqs_allows(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
}

/// Text SQS accepts as an attribute value: characters it refuses become U+FFFD. Attributes are for
/// people and logs; the processor decides everything from the body.
pub fn sqs_text(value: &str) -> Cow<'_, str> {
    if value.chars().all(sqs_allows) {
        Cow::Borrowed(value)
    } else {
        Cow::Owned(
            value
                .chars()
                .map(|c| if sqs_allows(c) { c } else { '\u{FFFD}' })
                .collect(),
        )
    }
}

/// How a body is carried on the queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyEncoding {
    /// The signed bytes as they are (the usual case).
    Raw,
    /// Base64 of the signed bytes: they hold characters SQS refuses.
    Base64,
}

impl BodyEncoding {
    /// The attribute value, `None` for the raw body.
    pub fn attribute(self) -> Option<&'static str> {
        match self {
            BodyEncoding::Raw => None,
            BodyEncoding::Base64 => Some(BASE64_ENCODING),
        }
    }
}

/// The queue body for signed bytes that are valid UTF-8.
pub fn encode_body(text: String) -> (String, BodyEncoding) {
    if text.chars().all(sqs_allows) {
        (text, BodyEncoding::Raw)
    } else {
        let encoded = base64::engine::general_purpose::STANDARD.encode(text.as_bytes());
        (encoded, BodyEncoding::Base64)
    }
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum BodyDecodeError {
    #[error("the body is marked base64 but is not valid base64")]
    InvalidBase64,
    #[error("unknown body encoding {0:?}")]
    UnknownEncoding(String),
}

/// The signed bytes back from a queue body and its `body-encoding` attribute.
pub fn decode_body<'a>(
    body: &'a str,
    encoding: Option<&str>,
) -> Result<Cow<'a, [u8]>, BodyDecodeError> {
    match encoding {
        None => Ok(Cow::Borrowed(body.as_bytes())),
        Some(BASE64_ENCODING) => base64::engine::general_purpose::STANDARD
            .decode(body.trim())
            .map(Cow::Owned)
            .map_err(|_| BodyDecodeError::InvalidBase64),
        Some(other) => Err(BodyDecodeError::UnknownEncoding(
            other.chars().take(32).collect(),
        )),
    }
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
    /// The signed bytes, raw or encoded as `body_encoding` says.
    pub body: String,
    pub body_encoding: BodyEncoding,
    pub event_id_header: Option<String>,
    pub delivery_id: Option<String>,
    pub retry_count: Option<u32>,
    pub signature_scheme: &'static str,
    pub received_at_ms: i64,
    /// Set by operators' replays only, never by ingest.
    pub replay_id: Option<String>,
    pub replay_payload_hash: Option<String>,
    /// The operator asked to re-run the event even if its record is finished.
    pub replay_force: bool,
    /// The ingest invocation's X-Ray trace header, sent as the message's `AWSTraceHeader` system
    /// attribute (not one of the 10 message attributes) so the processor's invocation links to it.
    pub trace_header: Option<String>,
}

impl QueuedEvent {
    /// `body` is the signed bytes as text; it is encoded for SQS when needed.
    pub fn new(
        event: &Event,
        body: String,
        signature_scheme: &'static str,
        received_at_ms: i64,
    ) -> Self {
        let (body, body_encoding) = encode_body(body);
        Self {
            event_id: event.id.clone(),
            event_type: event.event_type.clone(),
            kind: event.kind.as_str().to_string(),
            ordering_key: event.entity().key(),
            deduplication_id: deduplication_id(&event.id, &event.payload_hash()),
            body,
            body_encoding,
            event_id_header: None,
            delivery_id: None,
            retry_count: None,
            signature_scheme,
            received_at_ms,
            replay_id: None,
            replay_payload_hash: None,
            replay_force: false,
            trace_header: None,
        }
    }

    /// The message of a deliberate replay of an archived `body`: its own dedup id, the replay id,
    /// and the original payload hash (the archived copy was redacted, so it no longer hashes the
    /// same). `None` when the archived copy is not an event.
    pub fn replay(
        body: &str,
        replay_id: &str,
        original_payload_hash: Option<&str>,
        force: bool,
        now_ms: i64,
    ) -> Option<Self> {
        let event = crate::contract::envelope::parse_event(body.as_bytes()).ok()?;
        let mut message = Self::new(&event, body.to_string(), "replay", now_ms);
        message.deduplication_id = replay_deduplication_id(&event.id, replay_id);
        message.replay_id = Some(replay_id.to_string());
        message.replay_force = force;
        message.replay_payload_hash = original_payload_hash
            .filter(|h| !h.is_empty())
            .map(str::to_string);
        Some(message)
    }

    /// Every message attribute as (name, SQS data type, value), values already SQS-safe.
    pub fn attributes(&self) -> Vec<(&'static str, &'static str, String)> {
        use attributes as a;
        let text = |v: &str| sqs_text(v).into_owned();
        let mut out = vec![
            (a::EVENT_ID, "String", text(&self.event_id)),
            (a::EVENT_TYPE, "String", text(&self.event_type)),
            (a::KIND, "String", self.kind.clone()),
            (
                a::SIGNATURE_SCHEME,
                "String",
                self.signature_scheme.to_string(),
            ),
            (a::RECEIVED_AT_MS, "Number", self.received_at_ms.to_string()),
        ];
        let optional = [
            (
                a::BODY_ENCODING,
                self.body_encoding.attribute().map(str::to_string),
            ),
            (
                a::EVENT_ID_HEADER,
                self.event_id_header.as_deref().map(text),
            ),
            (a::DELIVERY_ID, self.delivery_id.as_deref().map(text)),
            (a::REPLAY_ID, self.replay_id.as_deref().map(text)),
            (
                a::REPLAY_PAYLOAD_HASH,
                self.replay_payload_hash.as_deref().map(text),
            ),
        ];
        for (name, value) in optional {
            if let Some(value) = value.filter(|v| !v.is_empty()) {
                out.push((name, "String", value));
            }
        }
        if let Some(retry) = self.retry_count {
            out.push((a::RETRY_COUNT, "Number", retry.to_string()));
        }
        if self.replay_force {
            out.push((a::REPLAY_FORCE, "String", "true".to_string()));
        }
        out
    }

    /// The size SQS counts against its limit: the body plus each attribute's name, type and value.
    pub fn wire_size(&self) -> usize {
        self.body.len()
            + self
                .attributes()
                .iter()
                .map(|(name, data_type, value)| name.len() + data_type.len() + value.len())
                .sum::<usize>()
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

/// The dedup id of a deliberate replay: one per event and replay, so that a replay is never
/// swallowed by the original's 5-minute window, and never queued twice by one replay.
pub fn replay_deduplication_id(event_id: &str, replay_id: &str) -> String {
    let mut h = Sha256::new();
    h.update(b"replay\0");
    h.update(event_id.as_bytes());
    h.update([0u8]);
    h.update(replay_id.as_bytes());
    hex::encode(h.finalize())
}

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
    pub fn requeue(&self, now_ms: i64) -> Result<QueuedEvent, RequeueError> {
        let body = self.body()?;
        let event = crate::contract::envelope::parse_event(&body)?;
        let text = String::from_utf8(body)
            .map_err(|_| crate::contract::envelope::EnvelopeError::NotJson)?;
        let mut message = QueuedEvent::new(&event, text, "quarantine", now_ms);
        // Named by what it carries, not by the copy: copies of one parked event (a crash between
        // park and delete leaves two) collapse into one message, one claim and one handler run.
        let hash = self
            .payload_hash
            .clone()
            .unwrap_or_else(|| event.payload_hash());
        let replay_id = format!("quarantine#{}", &deduplication_id(&event.id, &hash)[..16]);
        message.deduplication_id = deduplication_id(&event.id, &replay_id);
        message.delivery_id = self.delivery_id.clone();
        if self.payload_hash.is_some() {
            message.replay_id = Some(replay_id);
            message.replay_payload_hash = Some(hash);
        }
        Ok(message)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_largest_admitted_body_fits_every_queue_in_every_encoding() {
        // Base64 (for bodies SQS cannot carry raw) plus every attribute at its longest.
        let base64_body = MAX_ARCHIVABLE_BODY_BYTES.div_ceil(3) * 4;
        let attributes = 10 * (32 + 8 + 256);
        assert!(base64_body + attributes <= MAX_QUEUE_MESSAGE_BYTES);
        assert!(
            QuarantinedDelivery::max_wire_size(MAX_ARCHIVABLE_BODY_BYTES)
                <= MAX_QUEUE_MESSAGE_BYTES
        );
    }

    #[test]
    fn characters_sqs_refuses_are_carried_as_base64_and_decode_to_the_signed_bytes() {
        for text in [
            "{\"name\":\"\u{FFFE}\"}",
            "{\"name\":\"\u{FFFF}\"}",
            "{\"a\":\"\u{1}\"}",
        ] {
            let (body, encoding) = encode_body(text.to_string());
            assert_eq!(encoding, BodyEncoding::Base64, "{text:?}");
            assert!(body.chars().all(sqs_allows));
            let back = decode_body(&body, encoding.attribute()).unwrap();
            assert_eq!(&*back, text.as_bytes());
        }
        let (body, encoding) = encode_body("{\"name\":\"Zoë 🎉\"}".into());
        assert_eq!(encoding, BodyEncoding::Raw);
        assert_eq!(&*decode_body(&body, None).unwrap(), body.as_bytes());
        assert_eq!(
            decode_body("x", Some("gzip")),
            Err(BodyDecodeError::UnknownEncoding("gzip".into()))
        );
    }

    #[test]
    fn attribute_values_are_made_sqs_safe() {
        assert_eq!(sqs_text("evt\u{FFFF}1"), "evt\u{FFFD}1");
        assert!(matches!(sqs_text("evt_1"), Cow::Borrowed(_)));
    }

    #[test]
    fn quarantine_bound_covers_base64_growth() {
        let body = vec![0xffu8; 300_000];
        let delivery = QuarantinedDelivery {
            reason: "invalid_json".into(),
            body_base64: base64::engine::general_purpose::STANDARD.encode(&body),
            received_at_ms: i64::MAX,
            signature_scheme: "a".into(),
            event_type_header: Some("x".repeat(256)),
            event_id_header: Some("x".repeat(256)),
            delivery_id: Some("x".repeat(256)),
            event_id: Some("x".repeat(256)),
            payload_hash: Some("f".repeat(64)),
            truncated: false,
        };
        let json = serde_json::to_string(&delivery).unwrap();
        assert!(json.len() <= QuarantinedDelivery::max_wire_size(body.len()));
    }

    #[test]
    fn a_replay_has_its_own_dedup_id_per_replay_and_keeps_the_original_hash() {
        let body = r#"{"id":"evt_1","type":"order.paid","created":1767225600,"data":{}}"#;
        let event = crate::contract::envelope::parse_event(body.as_bytes()).unwrap();
        let original = QueuedEvent::new(&event, body.to_string(), "A", 0);
        let first = QueuedEvent::replay(body, "rpl_1", Some("hash_of_original"), false, 0).unwrap();
        let again = QueuedEvent::replay(body, "rpl_1", Some("hash_of_original"), false, 5).unwrap();
        let second = QueuedEvent::replay(body, "rpl_2", None, false, 0).unwrap();
        assert_ne!(first.deduplication_id, original.deduplication_id);
        assert_eq!(first.deduplication_id, again.deduplication_id);
        assert_ne!(first.deduplication_id, second.deduplication_id);
        assert_eq!(first.replay_id.as_deref(), Some("rpl_1"));
        assert_eq!(
            first.replay_payload_hash.as_deref(),
            Some("hash_of_original")
        );
        assert_eq!(second.replay_payload_hash, None);
        assert!(QueuedEvent::replay("not an event", "rpl_1", None, false, 0).is_none());
    }
}
