//! The one log line and the metrics line for each processed message.

use super::Outcome;
use crate::metrics;
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

/// The outcome's count, with and without its kind, and the record's latency (see `metrics`).
pub(super) fn count(event: &Event, outcome: Outcome, latency_ms: f64) {
    let kind = event.kind.as_str();
    metrics::count(outcome.metric(), Some((metrics::KIND, kind)));
    if event.kind == EventKind::WebhookDeliveryFailed && outcome == Outcome::Completed {
        metrics::count(metrics::name::DELIVERY_FAILED, None);
    }
    ::metrics::histogram!(metrics::name::HANDLER_LATENCY).record(latency_ms);
    ::metrics::histogram!(metrics::name::HANDLER_LATENCY, metrics::KIND => kind).record(latency_ms);
}
