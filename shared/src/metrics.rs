//! CloudWatch metrics in Embedded Metric Format: one JSON line per record on stdout, which Lambda
//! turns into metrics without any API call.

use serde_json::{json, Value};

pub const NAMESPACE: &str = "FanfareWebhooks";

/// A single count for `service` (e.g. ingest's `EventIdHeaderMismatch`), dimension `Service`.
pub fn count_document(service: &str, metric: &str, timestamp_ms: i64) -> Value {
    let mut doc = json!({
        "_aws": {
            "Timestamp": timestamp_ms,
            "CloudWatchMetrics": [{
                "Namespace": NAMESPACE,
                "Dimensions": [["Service"]],
                "Metrics": [{"Name": metric, "Unit": "Count"}],
            }],
        },
        "Service": service,
    });
    doc[metric] = json!(1);
    doc
}

/// The EMF document for one processed record: a count for its outcome (Processed, Duplicate, Stale,
/// Failed, Conflict, Ignored, DeliveryFailed), with and without the `Kind` dimension, and the handler
/// latency.
pub fn record_document(
    kind: &str,
    outcome_metric: &str,
    extra: Option<&str>,
    latency_ms: f64,
    timestamp_ms: i64,
) -> Value {
    let mut metrics = vec![
        json!({"Name": outcome_metric, "Unit": "Count"}),
        json!({"Name": "HandlerLatency", "Unit": "Milliseconds"}),
    ];
    let mut doc = json!({
        "_aws": {
            "Timestamp": timestamp_ms,
            "CloudWatchMetrics": [{
                "Namespace": NAMESPACE,
                "Dimensions": [["Service"], ["Service", "Kind"]],
                "Metrics": [],
            }],
        },
        "Service": "processor",
        "Kind": kind,
        "HandlerLatency": latency_ms,
    });
    doc[outcome_metric] = json!(1);
    if let Some(extra) = extra {
        metrics.push(json!({"Name": extra, "Unit": "Count"}));
        doc[extra] = json!(1);
    }
    doc["_aws"]["CloudWatchMetrics"][0]["Metrics"] = Value::Array(metrics);
    doc
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn document_declares_each_metric_it_carries() {
        let doc = record_document("order.paid", "Processed", None, 1.5, 1_000);
        let declared = doc["_aws"]["CloudWatchMetrics"][0]["Metrics"]
            .as_array()
            .unwrap();
        for m in declared {
            let name = m["Name"].as_str().unwrap();
            assert!(doc.get(name).is_some(), "{name} declared but missing");
        }
        assert_eq!(doc["Processed"], 1);
        let alert = record_document(
            "webhook.delivery_failed",
            "Processed",
            Some("DeliveryFailed"),
            1.0,
            1,
        );
        assert_eq!(alert["DeliveryFailed"], 1);
    }
}
