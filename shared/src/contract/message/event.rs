//! The message ingest sends (and replays and quarantine replays send again).

use super::attributes;
use super::body::{encode_body, sqs_text, BodyEncoding};
use super::dedup::{deduplication_id, replay_deduplication_id};
use crate::contract::signature::Scheme;
use crate::model::{Event, EventKind};

/// Where a queued event comes from: a delivery verified under a scheme, an operator's replay, or a
/// kept delivery put back from quarantine. Sent as the `signature-scheme` attribute.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Provenance {
    Signed(Scheme),
    Replay,
    Quarantine,
}

impl Provenance {
    pub fn as_str(self) -> &'static str {
        match self {
            Provenance::Signed(scheme) => scheme.as_str(),
            Provenance::Replay => "replay",
            Provenance::Quarantine => "quarantine",
        }
    }
}

/// An event on its way to the FIFO queue, as ingest (or a replay) sends it; the processor receives
/// it as `processor::IncomingMessage`. `Debug` prints the body's size, never the body.
#[derive(Clone, PartialEq, Eq)]
pub struct OutgoingEvent {
    pub event_id: String,
    pub event_type: String,
    pub kind: EventKind,
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
    /// Verified under a scheme, replayed, or put back from quarantine.
    pub provenance: Provenance,
    pub received_at_ms: i64,
    /// Set by operators' replays only, never by ingest.
    pub replay_id: Option<String>,
    pub replay_payload_hash: Option<String>,
    /// The operator asked to re-run the event even if its record is finished.
    pub replay_force: bool,
    /// With `replay_force`: the handler's steps run again too (sent as `replay-force:
    /// rerun-steps`; a processor that does not know the value treats the replay as unforced).
    pub replay_rerun_steps: bool,
    /// The ingest invocation's X-Ray trace header, sent as the message's `AWSTraceHeader` system
    /// attribute (not one of the 10 message attributes) so the processor's invocation links to it.
    pub trace_header: Option<String>,
}

impl std::fmt::Debug for OutgoingEvent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OutgoingEvent")
            .field("event_id", &self.event_id)
            .field("kind", &self.kind)
            .field("ordering_key", &self.ordering_key)
            .field("body", &crate::telemetry::Withheld(self.body.len()))
            .field("provenance", &self.provenance)
            .field("replay_id", &self.replay_id)
            .field("replay_force", &self.replay_force)
            .finish_non_exhaustive()
    }
}

impl OutgoingEvent {
    /// `body` is the signed bytes as text; it is encoded for SQS when needed.
    pub fn new(event: &Event, body: String, provenance: Provenance, received_at_ms: i64) -> Self {
        let (body, body_encoding) = encode_body(body);
        Self {
            event_id: event.id.clone(),
            event_type: event.event_type.clone(),
            kind: event.kind,
            ordering_key: event.ordering_key(),
            deduplication_id: deduplication_id(&event.id, &event.payload_hash()),
            body,
            body_encoding,
            event_id_header: None,
            delivery_id: None,
            retry_count: None,
            provenance,
            received_at_ms,
            replay_id: None,
            replay_payload_hash: None,
            replay_force: false,
            replay_rerun_steps: false,
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
        let mut message = Self::new(&event, body.to_string(), Provenance::Replay, now_ms);
        message.deduplication_id = replay_deduplication_id(&event.id, replay_id);
        message.replay_id = Some(replay_id.to_string());
        message.replay_force = force;
        message.replay_payload_hash = original_payload_hash
            .filter(|h| !h.is_empty())
            .map(str::to_string);
        Some(message)
    }

    /// Names the event by `original_id`, the id of the record a redacted copy was archived under,
    /// when the copy has no id of its own (its digest changed with redaction). The processor takes
    /// it for replays of id-less events only.
    pub fn named(mut self, original_id: &str) -> Self {
        if self
            .event_id
            .starts_with(crate::contract::envelope::DIGEST_ID_PREFIX)
        {
            self.event_id = original_id.to_string();
        }
        self
    }

    /// A forced replay whose handler runs its completed steps again (`replay --force
    /// --rerun-steps`): they are recorded afresh under this replay.
    pub fn rerunning_steps(mut self) -> Self {
        self.replay_rerun_steps = self.replay_force;
        self
    }

    /// Every message attribute as (name, SQS data type, value), values already SQS-safe.
    pub fn attributes(&self) -> Vec<(&'static str, &'static str, String)> {
        use attributes as a;
        let text = |v: &str| sqs_text(v).into_owned();
        let mut out = vec![
            (a::EVENT_ID, "String", text(&self.event_id)),
            (a::EVENT_TYPE, "String", text(&self.event_type)),
            (a::KIND, "String", self.kind.as_str().to_string()),
            (
                a::SIGNATURE_SCHEME,
                "String",
                self.provenance.as_str().to_string(),
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
            let value = if self.replay_rerun_steps {
                super::REPLAY_RERUN_STEPS
            } else {
                "true"
            };
            out.push((a::REPLAY_FORCE, "String", value.to_string()));
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
