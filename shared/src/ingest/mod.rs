//! The ingest handler: verify, validate the envelope, enqueue durably, and only then answer 2xx.

mod base64_guard;
mod error;
mod kept;

pub use base64_guard::{guard as guard_base64, Base64Guard, INVALID_BASE64_MARKER};
pub use error::IngestError;
use kept::{KeptMarkers, Marked};

use std::sync::Arc;
use std::time::Instant;

use lambda_http::http::{HeaderMap, Method, StatusCode};
use lambda_http::{Body, Request, RequestExt, Response};

use crate::contract::delivery;
use crate::contract::envelope::EnvelopeError;
use crate::contract::headers::DeliveryHeaders;
use crate::contract::message::{
    OutgoingEvent, Provenance, QuarantinedDelivery, MAX_QUEUE_MESSAGE_BYTES,
};
use crate::contract::signature::{Verified, Verifier};
use crate::metrics;
use crate::model::EventKind;
use crate::ports::idempotency::IdempotencyStore;
use crate::ports::{Clock, EventQueue, Quarantine};
use crate::privacy::Retention;
use crate::refresh::Refreshing;

/// Default body limit: 256 KiB, far above any Fanfare event and below SQS's message size.
pub const DEFAULT_MAX_BODY_BYTES: usize = 256 * 1024;

pub struct IngestService<Q, R, C> {
    /// Built again from the signing secret after its maximum age (a rotation needs no cold start).
    verifier: Refreshing<Verifier>,
    queue: Q,
    quarantine: R,
    clock: C,
    max_body_bytes: usize,
    retention: Retention,
    /// Where a kept delivery is remembered (by a digest of its signed bytes), so that a captured
    /// delivery re-sent within the tolerance is kept once, not once per re-send.
    kept: Option<KeptMarkers>,
    /// Kinds answered 200 and dropped (the high-volume `queue.position_updated`, where a brand
    /// neither needs its state nor pays for it).
    acknowledge_only: Vec<EventKind>,
}

/// What became of a request that was not refused.
enum Accepted {
    /// On the event queue.
    Enqueued {
        event_id: String,
        event_type: String,
        kind: &'static str,
    },
    /// A kind the stack acknowledges without queueing (`ACK_ONLY_KINDS`): answered 200, never
    /// claimed, written or handled.
    AcknowledgedOnly {
        event_id: String,
        kind: &'static str,
    },
    /// Validly signed but not a usable event: kept on the quarantine queue. Answered 2xx, since a
    /// 4xx would only make Fanfare retry a body that can never parse (and count towards disabling
    /// the endpoint).
    Quarantined { reason: &'static str },
}

impl<Q: EventQueue, R: Quarantine, C: Clock> IngestService<Q, R, C> {
    pub fn new(
        verifier: impl Into<Refreshing<Verifier>>,
        queue: Q,
        quarantine: R,
        clock: C,
        max_body_bytes: usize,
    ) -> Self {
        Self {
            verifier: verifier.into(),
            queue,
            quarantine,
            clock,
            max_body_bytes,
            retention: Retention::default(),
            kept: None,
            acknowledge_only: Vec::new(),
        }
    }

    /// Answers these kinds 200 without queueing them.
    pub fn with_acknowledge_only(mut self, kinds: Vec<EventKind>) -> Self {
        self.acknowledge_only = kinds;
        self
    }

    /// Keeps each signed-but-unusable body once (markers in the idempotency table).
    pub fn with_kept_markers(mut self, store: Arc<dyn IdempotencyStore>) -> Self {
        self.kept = Some(KeptMarkers(store));
        self
    }

    /// What the quarantine may keep of a body (credentials never; contact details on opt-in).
    pub fn with_retention(mut self, retention: Retention) -> Self {
        self.retention = retention;
        self
    }

    /// Handles one HTTP request. Never fails: every outcome is an HTTP answer.
    pub async fn handle(&self, request: Request) -> Response<Body> {
        let started = Instant::now();
        let outcome = self.accept(request).await;
        let latency_us = started.elapsed().as_micros() as u64;
        count(&outcome);
        match outcome {
            Ok(Accepted::Enqueued {
                event_id,
                event_type,
                kind,
            }) => {
                tracing::info!(
                    event_id = %event_id,
                    event_type = %event_type,
                    kind,
                    outcome = "enqueued",
                    status = 200,
                    latency_us,
                    "webhook accepted"
                );
                let body = serde_json::json!({ "received": true, "id": event_id });
                error::json_response(StatusCode::OK, body.to_string())
            }
            Ok(Accepted::AcknowledgedOnly { event_id, kind }) => {
                tracing::info!(event_id = %event_id, kind, outcome = "acknowledged_only", status = 200, latency_us, "webhook acknowledged, not queued (ACK_ONLY_KINDS)");
                let body = serde_json::json!({ "received": true, "id": event_id, "queued": false });
                error::json_response(StatusCode::OK, body.to_string())
            }
            Ok(Accepted::Quarantined { reason }) => {
                tracing::warn!(
                    outcome = "quarantined",
                    reason,
                    status = 202,
                    latency_us,
                    "signed delivery is not a usable event; kept in quarantine"
                );
                let body =
                    serde_json::json!({ "received": true, "quarantined": true, "reason": reason });
                error::json_response(StatusCode::ACCEPTED, body.to_string())
            }
            Err(err) => {
                let status = err.status().as_u16();
                if status >= 500 {
                    // Full cause in our logs; a generic line to the caller.
                    tracing::error!(outcome = err.code(), status, latency_us, error = ?err, "webhook not stored");
                } else {
                    tracing::warn!(outcome = err.code(), status, latency_us, "webhook rejected");
                }
                err.into_response()
            }
        }
    }

    async fn accept(&self, request: Request) -> Result<Accepted, IngestError> {
        if request.method() != Method::POST {
            return Err(IngestError::MethodNotAllowed);
        }
        // The invocation's X-Ray trace, handed on to the processor through SQS.
        let trace_header = request
            .lambda_context_ref()
            .and_then(|context| context.xray_trace_id.clone());
        let (parts, body) = request.into_parts();
        if parts.headers.contains_key(INVALID_BASE64_MARKER) {
            return Err(IngestError::InvalidBase64);
        }
        if body.len() > self.max_body_bytes {
            return Err(IngestError::TooLarge {
                limit: self.max_body_bytes,
            });
        }
        let now = self.clock.now();
        let sent = DeliveryHeaders::read(|name| header(&parts.headers, name));
        let verifier = self.verifier.get().await;
        let opened = delivery::open(&verifier, sent.signature_headers(), &body, now.timestamp())?;
        let verified = opened.verified;
        let event = match opened.event {
            Ok(event) => event,
            Err(reason) => {
                self.keep_rejected(
                    &sent,
                    &body,
                    &verified,
                    reason.code(),
                    now.timestamp_millis(),
                )
                .await?;
                return Ok(Accepted::Quarantined {
                    reason: reason.code(),
                });
            }
        };
        if self.acknowledge_only.contains(&event.kind) {
            return Ok(Accepted::AcknowledgedOnly {
                event_id: event.id,
                kind: event.kind.as_str(),
            });
        }
        let mut message = queued_event(&event, body, &verified, now.timestamp_millis())?;
        message.event_id_header = event_id_header(&sent, &event);
        message.trace_header = trace_header;
        message.delivery_id = sent.delivery_id;
        message.retry_count = sent.retry_count;
        // Attributes count towards SQS's limit too; refuse here rather than fail every retry.
        if message.wire_size() > MAX_QUEUE_MESSAGE_BYTES {
            return Err(IngestError::TooLarge {
                limit: self.max_body_bytes,
            });
        }

        self.queue
            .enqueue(&message)
            .await
            .map_err(IngestError::QueueUnavailable)?;
        Ok(Accepted::Enqueued {
            event_id: event.id,
            event_type: message.event_type,
            kind: event.kind.as_str(),
        })
    }

    async fn keep_rejected(
        &self,
        sent: &DeliveryHeaders,
        body: &[u8],
        verified: &Verified,
        reason: &str,
        received_at_ms: i64,
    ) -> Result<(), IngestError> {
        let delivery = QuarantinedDelivery {
            reason: reason.to_string(),
            body_base64: String::new(),
            received_at_ms,
            signature_scheme: verified.scheme.as_str().to_string(),
            event_type_header: sent.event_type.clone(),
            event_id_header: sent.event_id.clone(),
            delivery_id: sent.delivery_id.clone(),
            event_id: None,
            payload_hash: None,
            truncated: false,
        }
        .sealed(self.retention.redact_body(body).as_bytes());
        let Some(markers) = &self.kept else {
            return self
                .quarantine
                .quarantine(&delivery)
                .await
                .map_err(IngestError::QuarantineUnavailable);
        };
        let marker = match markers.begin(body, received_at_ms).await? {
            Marked::AlreadyKept => return Ok(()),
            Marked::Ours(claim) => Some(claim),
            Marked::Unmarked => None,
        };
        let kept = self.quarantine.quarantine(&delivery).await;
        if let Some(claim) = marker {
            let now_ms = self.clock.now().timestamp_millis();
            markers.close(&claim, kept.is_ok(), now_ms).await;
        }
        kept.map_err(IngestError::QuarantineUnavailable)
    }
}

/// The message for a verified event: the signed body, taken over without a copy where it can be.
fn queued_event(
    event: &crate::Event,
    body: Body,
    verified: &Verified,
    received_at_ms: i64,
) -> Result<OutgoingEvent, IngestError> {
    // A body that parsed as JSON is valid UTF-8.
    let text = match body {
        Body::Text(text) => text,
        Body::Binary(bytes) => {
            String::from_utf8(bytes).map_err(|_| IngestError::Envelope(EnvelopeError::NotJson))?
        }
        other => String::from_utf8_lossy(&other).into_owned(),
    };
    Ok(OutgoingEvent::new(
        event,
        text,
        Provenance::Signed(verified.scheme),
        received_at_ms,
    ))
}

/// `X-Fanfare-Event-Id` as sent, for logs. Unsigned, so it never names the event; a disagreement
/// with the body is only worth a log line and a metric.
fn event_id_header(headers: &DeliveryHeaders, event: &crate::Event) -> Option<String> {
    let sent = headers.event_id.clone();
    if let Some(sent) = sent.as_deref().filter(|h| *h != event.id) {
        tracing::warn!(
            event_id = %event.id,
            header_event_id = %sent,
            "X-Fanfare-Event-Id disagrees with the signed body; the body's id is used"
        );
        metrics::count(metrics::name::EVENT_ID_HEADER_MISMATCH, None);
    }
    sent
}

/// One count per delivery: accepted (by kind), quarantined or rejected (by reason), unavailable.
fn count(outcome: &Result<Accepted, IngestError>) {
    use metrics::{name, KIND, REASON};
    match outcome {
        Ok(Accepted::Enqueued { event_type, .. })
            if event_type == crate::contract::envelope::PROBE_TYPE =>
        {
            metrics::count(name::PROBE_ACCEPTED, None)
        }
        Ok(Accepted::Enqueued { kind, .. }) => metrics::count(name::ACCEPTED, Some((KIND, kind))),
        Ok(Accepted::AcknowledgedOnly { kind, .. }) => {
            metrics::count(name::ACKNOWLEDGED_ONLY, Some((KIND, kind)))
        }
        Ok(Accepted::Quarantined { reason }) => {
            metrics::count(name::QUARANTINED, Some((REASON, reason)))
        }
        Err(e) if e.status().is_server_error() => metrics::count(name::UNAVAILABLE, None),
        Err(e) => metrics::count(name::REJECTED, Some((REASON, e.code()))),
    }
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}
