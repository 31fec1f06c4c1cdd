//! The one log line and the metrics line for each processed message.

use chrono::{DateTime, Utc};

use super::Outcome;
use crate::model::{Event, EventKind};

pub(super) fn log(event: &Event, outcome: Outcome, attempt: u32, latency_ms: f64) {
    let kind = event.kind.as_str();
    match outcome {
        Outcome::Failed(failure) => {
            tracing::warn!(event_id = %event.id, kind, outcome = "failed", error = failure.code(), attempt, latency_ms, "event not processed")
        }
        Outcome::Conflict => {
            tracing::error!(event_id = %event.id, kind, outcome = "conflict", "same event id with a different payload; kept for inspection")
        }
        other => {
            tracing::info!(event_id = %event.id, kind, outcome = other.as_str(), attempt, latency_ms, "event processed")
        }
    }
}

/// One EMF line on stdout (Lambda turns it into metrics without an API call).
pub(super) fn emit_metrics(event: &Event, outcome: Outcome, latency_ms: f64, now: DateTime<Utc>) {
    let alert = (event.kind == EventKind::WebhookDeliveryFailed && outcome == Outcome::Completed)
        .then_some("DeliveryFailed");
    let doc = crate::metrics::record_document(
        event.kind.as_str(),
        outcome.metric(),
        alert,
        latency_ms,
        now.timestamp_millis(),
    );
    println!("{doc}");
}
