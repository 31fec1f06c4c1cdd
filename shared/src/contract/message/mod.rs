//! The SQS message that carries a verified event from ingest to the processor.
//!
//! The body is the raw request body exactly as Fanfare signed it, unless it holds characters SQS
//! refuses (JSON allows U+FFFE, U+FFFF and other non-characters SQS does not): then it travels as
//! base64, marked by the `body-encoding` attribute, and the processor decodes it back to the signed
//! bytes. Delivery details travel as message attributes. Redriven messages get new SQS message ids,
//! so nothing downstream keys on those.
//!
//! `body`: how the signed bytes are carried; `event`: the message ingest sends; `quarantine`: what
//! the quarantine queue keeps; `dedup`: every deduplication id, in one place.

mod body;
mod dedup;
mod event;
mod quarantine;

pub use body::*;
pub use dedup::*;
pub use event::*;
pub use quarantine::*;

/// Message attribute names.
/// The `replay-force` value of a forced replay that also runs the handler's completed steps again
/// (`true`: they are skipped).
pub const REPLAY_RERUN_STEPS: &str = "rerun-steps";

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

    /// What a redrive carries from a dead letter back to the events queue (it sets
    /// `REDRIVE_COUNT` itself): the attributes ingest and replays send, never `REPLAY_FORCE` (a
    /// dead-lettered event's record is failed, which any claim takes; a force arriving through the
    /// DLQ would let a completed event's handler run again) and never a name we do not know.
    pub const REDRIVEN: [&str; 11] = [
        EVENT_ID,
        EVENT_TYPE,
        KIND,
        SIGNATURE_SCHEME,
        RECEIVED_AT_MS,
        BODY_ENCODING,
        EVENT_ID_HEADER,
        DELIVERY_ID,
        RETRY_COUNT,
        REPLAY_ID,
        REPLAY_PAYLOAD_HASH,
    ];

    /// Whether a redrive carries the attribute `name` back (see [`REDRIVEN`]).
    pub fn redriven(name: &str) -> bool {
        REDRIVEN.contains(&name)
    }
}

/// SQS's largest message, body and attributes together. Every queue in `template.yaml` sets
/// `MaximumMessageSize` to this, and ingest checks each message against it before sending.
pub const MAX_QUEUE_MESSAGE_BYTES: usize = 1_048_576;

/// Largest body whose archive record stays within DynamoDB's 400 KB item limit (ingest refuses a
/// larger `MAX_BODY_BYTES`).
pub const MAX_ARCHIVABLE_BODY_BYTES: usize = 384 * 1024;

#[cfg(test)]
mod tests {
    use super::*;
    use std::borrow::Cow;

    use base64::Engine;

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
        let original = OutgoingEvent::new(
            &event,
            body.to_string(),
            Provenance::Signed(crate::contract::signature::Scheme::A),
            0,
        );
        let first =
            OutgoingEvent::replay(body, "rpl_1", Some("hash_of_original"), false, 0).unwrap();
        let again =
            OutgoingEvent::replay(body, "rpl_1", Some("hash_of_original"), false, 5).unwrap();
        let second = OutgoingEvent::replay(body, "rpl_2", None, false, 0).unwrap();
        assert_ne!(first.deduplication_id, original.deduplication_id);
        assert_eq!(first.deduplication_id, again.deduplication_id);
        assert_ne!(first.deduplication_id, second.deduplication_id);
        assert_eq!(first.replay_id.as_deref(), Some("rpl_1"));
        assert_eq!(
            first.replay_payload_hash.as_deref(),
            Some("hash_of_original")
        );
        assert_eq!(second.replay_payload_hash, None);
        assert!(OutgoingEvent::replay("not an event", "rpl_1", None, false, 0).is_none());
    }
}
