//! Header names Fanfare may send (lower-case: HTTP header names are case-insensitive and API
//! Gateway HTTP APIs lower-case them).

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
