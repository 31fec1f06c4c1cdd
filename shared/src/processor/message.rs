//! A queued message as the processor reads it.

/// A message as the processor receives it from the queue, independent of the SQS event types (see
/// `sqs_batch`); what ingest sends is `contract::message::OutgoingEvent`.
/// `Debug` prints the body's size, never the body (the signed bytes carry tokens).
#[derive(Clone, Copy)]
pub struct IncomingMessage<'a> {
    /// The signed bytes, raw or encoded as `body_encoding` says.
    pub body: &'a str,
    /// The `body-encoding` attribute (`base64` for bodies SQS could not carry raw).
    pub body_encoding: Option<&'a str>,
    /// The `replay-id` attribute `fanfare-webhooks replay` sets.
    pub replay_id: Option<&'a str>,
    /// With `replay_id` only: the original payload hash of a redacted archive copy.
    pub replay_payload_hash: Option<&'a str>,
    /// With `replay_id` only: the operator's `replay --force`, which may re-run a finished record.
    pub replay_force: bool,
    /// With `replay_force` only: the handler's completed steps run again (`--rerun-steps`).
    pub replay_rerun_steps: bool,
    /// The `fanfare-event-id` attribute. Read only for an operator's replay of an id-less event
    /// (see [`IncomingMessage::event`]).
    pub event_id: Option<&'a str>,
    /// The queue's message id, for logs.
    pub message_id: Option<&'a str>,
    /// The queue's receipt handle: where a failure's backoff or a deferral is applied, as soon as
    /// its group is done.
    pub receipt_handle: Option<&'a str>,
    /// The `AWSTraceHeader` system attribute: the ingest invocation's X-Ray trace, for logs.
    pub trace_header: Option<&'a str>,
}

impl std::fmt::Debug for IncomingMessage<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IncomingMessage")
            .field("body", &crate::telemetry::Withheld(self.body.len()))
            .field("body_encoding", &self.body_encoding)
            .field("replay_id", &self.replay_id)
            .field("replay_force", &self.replay_force)
            .field("replay_rerun_steps", &self.replay_rerun_steps)
            .field("message_id", &self.message_id)
            .finish()
    }
}

impl<'a> IncomingMessage<'a> {
    /// The event the signed bytes are. An id-less event is named by the digest of its bytes; its
    /// archived copy was redacted, so it digests differently: an operator's replay names the
    /// original (the `fanfare-event-id` attribute), which is taken when it is a digest id, so the
    /// replay claims the original's record instead of running the handler under a new key. A body
    /// with an id of its own is never renamed.
    pub fn event(
        &self,
        bytes: &[u8],
    ) -> Result<crate::Event, crate::contract::envelope::EnvelopeError> {
        use crate::contract::envelope::{parse_event, DIGEST_ID_PREFIX};
        let mut event = parse_event(bytes)?;
        let original = self
            .event_id
            .filter(|_| self.replay_id.is_some() && event.id_from_digest)
            .filter(|id| {
                id.strip_prefix(DIGEST_ID_PREFIX)
                    .is_some_and(crate::model::is_payload_hash)
            });
        if let Some(original) = original {
            event.id = original.to_string();
        }
        Ok(event)
    }

    /// A message as ingest sends it: the signed body, nothing else that matters.
    pub fn raw(body: &'a str) -> Self {
        Self {
            body,
            body_encoding: None,
            replay_id: None,
            replay_payload_hash: None,
            replay_force: false,
            replay_rerun_steps: false,
            event_id: None,
            message_id: None,
            receipt_handle: None,
            trace_header: None,
        }
    }
}
