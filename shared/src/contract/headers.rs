//! Header names Fanfare may send (lower-case: HTTP header names are case-insensitive and API
//! Gateway HTTP APIs lower-case them), and a delivery's headers read once.

use super::signature::SignatureHeaders;

pub const SIGNATURE: &str = "x-fanfare-signature";
pub const TIMESTAMP: &str = "x-fanfare-timestamp";
pub const EVENT_TYPE: &str = "x-fanfare-event-type";
pub const DELIVERY_ID: &str = "x-fanfare-delivery-id";
pub const EVENT_ID: &str = "x-fanfare-event-id";
pub const RETRY_COUNT: &str = "x-fanfare-retry-count";

/// A header value that is safe to copy into a queue attribute or a record: printable, bounded.
pub fn sanitized(value: &str) -> Option<String> {
    let v = value.trim();
    let ok = !v.is_empty() && v.len() <= 256 && v.chars().all(|c| !c.is_control());
    ok.then(|| v.to_string())
}

/// A delivery's headers, read once: the two the signature needs as sent, the others (unsigned, for
/// logs and records only) sanitized.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DeliveryHeaders {
    pub signature: Option<String>,
    pub timestamp: Option<String>,
    pub event_type: Option<String>,
    pub delivery_id: Option<String>,
    /// `X-Fanfare-Event-Id` as sent: never the event's identity.
    pub event_id: Option<String>,
    pub retry_count: Option<u32>,
}

impl DeliveryHeaders {
    /// Reads them through `get`, a case-insensitive lookup by lower-case name.
    pub fn read<'a>(get: impl Fn(&str) -> Option<&'a str>) -> Self {
        Self {
            signature: get(SIGNATURE).map(str::to_string),
            timestamp: get(TIMESTAMP).map(str::to_string),
            event_type: get(EVENT_TYPE).and_then(sanitized),
            delivery_id: get(DELIVERY_ID).and_then(sanitized),
            event_id: get(EVENT_ID).and_then(sanitized),
            retry_count: get(RETRY_COUNT).and_then(|v| v.trim().parse().ok()),
        }
    }

    /// What the verifier reads.
    pub fn signature_headers(&self) -> SignatureHeaders<'_> {
        SignatureHeaders {
            signature: self.signature.as_deref(),
            timestamp: self.timestamp.as_deref(),
        }
    }
}
