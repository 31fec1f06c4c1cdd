//! Metrics. The domain counts through the `metrics` facade, its port: where no recorder is installed
//! (unit tests, the CLI, the soak) a count goes nowhere at no cost. The Lambda mains install the
//! Embedded Metric Format exporter ([`install`]) and flush it once per invocation: one JSON line per
//! label set on stdout, which CloudWatch turns into metrics without an API call. Tests that assert on
//! metrics install metrics-util's debugging recorder.
//!
//! Every metric name and dimension is here, once: `scripts/check_template.py` reads this file and
//! fails when an alarm or a dashboard widget names a metric that is not in [`name::ALL`], or when one
//! of these is missing from the README.

/// The CloudWatch namespace of every metric.
pub const NAMESPACE: &str = "FanfareWebhooks";
/// The dimension every metric carries: the function that emitted it (`ingest`, `processor`).
pub const SERVICE: &str = "Service";
/// The dimension of per-kind counts (emitted beside the same count without it).
pub const KIND: &str = "Kind";
/// The dimension of ingest's rejections and quarantines: the stable error code.
pub const REASON: &str = "Reason";
/// The dimension of deferrals: the downstream whose pace had no slot.
pub const DOWNSTREAM: &str = "Downstream";

/// Metric names.
pub mod name {
    /// Processor: the handler ran and the event was current.
    pub const PROCESSED: &str = "Processed";
    /// Processor: the handler ran; a newer event of the entity had been applied first.
    pub const SUPERSEDED: &str = "Superseded";
    pub const DUPLICATE: &str = "Duplicate";
    pub const IGNORED: &str = "Ignored";
    /// Processor: same id, different payload (acknowledged, never processed).
    pub const CONFLICT: &str = "Conflict";
    /// Processor: not acknowledged (retried, then dead-lettered).
    pub const FAILED: &str = "Failed";
    /// Processor: the handler said the event can never be processed (`rejected`, not retried).
    pub const HANDLER_REJECTED: &str = "HandlerRejected";
    /// Processor: back later for a downstream's pace, by `Downstream` (not a failure).
    pub const DEFERRED: &str = "Deferred";
    /// Processor: a handler's steps reached the deadline and go on in the next attempt.
    pub const CONTINUED: &str = "Continued";
    /// Processor: a failure spent the event's retry budget; sent to the dead-letter queue.
    pub const DEAD_LETTERED: &str = "DeadLettered";
    /// Processor: the handler panicked (counted as a failure of its event only).
    pub const HANDLER_PANICKED: &str = "HandlerPanicked";
    /// Processor: Fanfare reported that it gave up delivering an event.
    pub const DELIVERY_FAILED: &str = "DeliveryFailed";
    /// Processor: milliseconds from a record's decoding to its outcome.
    pub const HANDLER_LATENCY: &str = "HandlerLatency";
    /// Ingest: on the events queue (200).
    pub const ACCEPTED: &str = "Accepted";
    /// Ingest: `fanfare-webhooks doctor`'s probe, on the events queue (not counted as `Accepted`).
    pub const PROBE_ACCEPTED: &str = "ProbeAccepted";
    /// Ingest: refused with a 4xx, by `Reason` (`signature_mismatch`, `timestamp_too_old`, ...).
    pub const REJECTED: &str = "Rejected";
    /// Ingest: signed but not an event, kept in quarantine (202), by `Reason`.
    pub const QUARANTINED: &str = "Quarantined";
    /// Ingest: of a kind the stack acknowledges without queueing (`ACK_ONLY_KINDS`), by `Kind`.
    pub const ACKNOWLEDGED_ONLY: &str = "AcknowledgedOnly";
    /// Ingest: a queue did not take it (503); Fanfare retries.
    pub const UNAVAILABLE: &str = "Unavailable";
    /// Ingest: `X-Fanfare-Event-Id` disagreed with the signed body.
    pub const EVENT_ID_HEADER_MISMATCH: &str = "EventIdHeaderMismatch";

    /// Every metric the code emits.
    pub const ALL: &[&str] = &[
        PROCESSED,
        SUPERSEDED,
        DUPLICATE,
        IGNORED,
        CONFLICT,
        FAILED,
        HANDLER_REJECTED,
        DEFERRED,
        CONTINUED,
        DEAD_LETTERED,
        HANDLER_PANICKED,
        DELIVERY_FAILED,
        HANDLER_LATENCY,
        ACCEPTED,
        PROBE_ACCEPTED,
        ACKNOWLEDGED_ONLY,
        REJECTED,
        QUARANTINED,
        UNAVAILABLE,
        EVENT_ID_HEADER_MISMATCH,
    ];
}

/// Counts one of `metric`, for the service and, where given, for one value of a dimension.
pub fn count(metric: &'static str, dimension: Option<(&'static str, &'static str)>) {
    metrics::counter!(metric).increment(1);
    if let Some((label, value)) = dimension {
        metrics::counter!(metric, label => value).increment(1);
    }
}

/// The installed exporter: flush it at the end of every invocation.
pub struct Exporter(&'static metrics_cloudwatch_embedded::Collector);

/// Installs the EMF exporter for `service` (call once, in `main`).
pub fn install(service: &'static str) -> Result<Exporter, metrics_cloudwatch_embedded::Error> {
    metrics_cloudwatch_embedded::Builder::new()
        .cloudwatch_namespace(NAMESPACE)
        .with_dimension(SERVICE, service)
        .init()
        .map(Exporter)
}

impl Exporter {
    /// Writes what was counted since the last flush: one EMF line per dimension set.
    pub fn flush(&self) {
        if let Err(e) = self.0.flush(std::io::stdout().lock()) {
            tracing::warn!(error = %e, "metrics not written");
        }
    }
}
