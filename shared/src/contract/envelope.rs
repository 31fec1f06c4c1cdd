//! The event envelope in every documented shape, parsed from the raw (already verified) body.
//!
//! Ingest validates only the envelope: id, type and event time. The `data` of each kind is left to the
//! processor, so an event whose `data` lacks a usual field is still accepted and kept.

use chrono::{DateTime, TimeZone, Utc};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use crate::model::{id_string, parse_iso8601, Event, EventKind};

/// Longest event id accepted; anything longer is not an id Fanfare generates.
pub const MAX_ID_LEN: usize = 256;
/// The longest `type` accepted (the longest documented one has 27 characters).
pub const MAX_TYPE_LEN: usize = 128;

/// `created` numbers above this are taken as milliseconds rather than seconds (year 5138 in seconds).
const MILLIS_THRESHOLD: i64 = 100_000_000_000;

/// Why a validly signed body is not a usable event. `code()` is stable and returned to the caller.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum EnvelopeError {
    #[error("the body is not valid JSON")]
    NotJson,
    #[error("the body is not a JSON object")]
    NotAnObject,
    #[error("the event id is empty, too long or contains control characters")]
    InvalidId,
    #[error("the event has no `type` string")]
    MissingType,
    /// Longer than any type Fanfare documents by far, or holding control characters: it would only
    /// bloat every attribute, record and log line that names it.
    #[error(
        "the event `type` is longer than {MAX_TYPE_LEN} characters or contains control characters"
    )]
    InvalidType,
    #[error("the event has no time: expected `created` (Unix seconds or ISO-8601) or `timestamp`")]
    MissingTime,
    #[error("the event time is not a Unix time or an ISO-8601 date-time")]
    InvalidTime,
    #[error("the event `data` is present but not an object")]
    InvalidData,
}

impl EnvelopeError {
    pub fn code(&self) -> &'static str {
        match self {
            EnvelopeError::NotJson => "invalid_json",
            EnvelopeError::NotAnObject => "invalid_envelope",
            EnvelopeError::InvalidId => "invalid_event_id",
            EnvelopeError::MissingType => "missing_event_type",
            EnvelopeError::InvalidType => "invalid_event_type",
            EnvelopeError::MissingTime => "missing_event_time",
            EnvelopeError::InvalidTime => "invalid_event_time",
            EnvelopeError::InvalidData => "invalid_event_data",
        }
    }
}

/// The type of `fanfare-webhooks doctor`'s signed probe: accepted and recorded like any unknown
/// type, but counted as `ProbeAccepted`, never `Accepted` (a probe signed with the stored secret
/// must not clear `SigningSecretWrong` while Fanfare still signs with another).
pub const PROBE_TYPE: &str = "fanfare_webhooks.doctor_probe";

/// Prefix of the event id of a body that has no `id` of its own.
pub const DIGEST_ID_PREFIX: &str = "sha256_";

/// Parses a raw (verified) body into an [`Event`].
///
/// The event's identity comes only from what is signed: the body's `id`, or, for a body without one,
/// a digest of the signed bytes. `X-Fanfare-Event-Id` is not signed, so it never decides which event
/// this is (a captured delivery re-sent with a new header value must stay the same event).
pub fn parse_event(body: &[u8]) -> Result<Event, EnvelopeError> {
    let value: Value = serde_json::from_slice(body).map_err(|_| EnvelopeError::NotJson)?;
    let Value::Object(mut object) = value else {
        return Err(EnvelopeError::NotAnObject);
    };

    let (id, id_from_digest) = match object.get("id") {
        Some(Value::String(id)) => (valid_id(id)?, false),
        Some(_) => return Err(EnvelopeError::InvalidId),
        None => (digest_id(body), true),
    };

    let event_type = match object.get("type") {
        Some(Value::String(t))
            if t.chars().count() > MAX_TYPE_LEN || t.chars().any(char::is_control) =>
        {
            return Err(EnvelopeError::InvalidType)
        }
        Some(Value::String(t)) if !t.trim().is_empty() => t.clone(),
        _ => return Err(EnvelopeError::MissingType),
    };
    let kind = EventKind::from_type(&event_type);
    // A type outside the contract (Fanfare's own `test` body has neither id nor time) is only
    // acknowledged and recorded as ignored: its time decides nothing, so none is required.
    let occurred_at = match event_time(&object) {
        Err(EnvelopeError::MissingTime) if kind == EventKind::Unknown => DateTime::UNIX_EPOCH,
        other => other?,
    };

    let data = match object.remove("data") {
        Some(Value::Object(data)) => data,
        Some(Value::Null) | None => Map::new(),
        Some(_) => return Err(EnvelopeError::InvalidData),
    };
    let organization_id = string_at(&object, "organizationId")
        .or_else(|| {
            object
                .get("organization")
                .and_then(|o| o.get("id"))
                .and_then(id_string)
        })
        .or_else(|| string_at(&object, "organization_id"));
    let experience_id = string_at(&object, "experienceId")
        .or_else(|| string_at(&object, "experience_id"))
        .or_else(|| string_at(&data, "experienceId"))
        .or_else(|| string_at(&data, "experience_id"));

    Ok(Event {
        kind,
        id,
        id_from_digest,
        event_type,
        occurred_at,
        organization_id,
        experience_id,
        data,
    })
}

/// The id of a body without `id`: the same signed bytes always give the same id.
pub fn digest_id(body: &[u8]) -> String {
    format!("{DIGEST_ID_PREFIX}{}", hex::encode(Sha256::digest(body)))
}

fn valid_id(id: &str) -> Result<String, EnvelopeError> {
    let trimmed = id.trim();
    if trimmed.is_empty() || trimmed.len() > MAX_ID_LEN || trimmed.chars().any(char::is_control) {
        return Err(EnvelopeError::InvalidId);
    }
    Ok(trimmed.to_string())
}

fn string_at(object: &Map<String, Value>, key: &str) -> Option<String> {
    object.get(key).and_then(id_string)
}

fn event_time(object: &Map<String, Value>) -> Result<DateTime<Utc>, EnvelopeError> {
    let raw = object
        .get("created")
        .filter(|v| !v.is_null())
        .or_else(|| object.get("timestamp").filter(|v| !v.is_null()))
        .ok_or(EnvelopeError::MissingTime)?;
    match raw {
        Value::Number(n) => {
            let millis = if let Some(i) = n.as_i64() {
                // unsigned_abs: `abs` overflows (and panics in debug builds) on i64::MIN.
                if i.unsigned_abs() >= MILLIS_THRESHOLD.unsigned_abs() {
                    i
                } else {
                    i.checked_mul(1000).ok_or(EnvelopeError::InvalidTime)?
                }
            } else {
                let f = n.as_f64().ok_or(EnvelopeError::InvalidTime)?;
                if !f.is_finite() || f.abs() >= MILLIS_THRESHOLD as f64 {
                    return Err(EnvelopeError::InvalidTime);
                }
                (f * 1000.0).round() as i64
            };
            if millis < 0 {
                return Err(EnvelopeError::InvalidTime);
            }
            Utc.timestamp_millis_opt(millis)
                .single()
                .ok_or(EnvelopeError::InvalidTime)
        }
        Value::String(s) => parse_iso8601(s).ok_or(EnvelopeError::InvalidTime),
        _ => Err(EnvelopeError::InvalidTime),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(body: &str) -> Result<Event, EnvelopeError> {
        parse_event(body.as_bytes())
    }

    /// Fanfare's docs' test body: no id, no time, a type outside the contract. It is an event
    /// (named by its digest) to acknowledge and record as ignored; a contract kind still needs a time.
    #[test]
    fn an_unknown_type_needs_no_time() {
        let test = parse(r#"{"type":"test","data":{}}"#).unwrap();
        assert_eq!(test.kind, EventKind::Unknown);
        assert!(test.id_from_digest);
        assert_eq!(test.occurred_at.timestamp(), 0);
        assert_eq!(
            parse(r#"{"type":"order.paid","data":{}}"#).unwrap_err(),
            EnvelopeError::MissingTime
        );
    }

    #[test]
    fn created_as_unix_seconds_iso_string_or_timestamp_field() {
        let secs = parse(r#"{"id":"evt_1","type":"order.paid","created":1767225600}"#).unwrap();
        let iso = parse(r#"{"id":"evt_1","type":"order.paid","created":"2026-01-01T00:00:00Z"}"#)
            .unwrap();
        let ts =
            parse(r#"{"id":"evt_1","type":"order.paid","timestamp":"2026-01-01T00:00:00.000Z"}"#)
                .unwrap();
        assert_eq!(secs.occurred_at, iso.occurred_at);
        assert_eq!(iso.occurred_at, ts.occurred_at);
        assert_eq!(secs.occurred_at.timestamp(), 1_767_225_600);
        let millis = parse(r#"{"id":"e","type":"x","created":1767225600123}"#).unwrap();
        assert_eq!(millis.occurred_at.timestamp_millis(), 1_767_225_600_123);
    }

    #[test]
    fn organization_in_each_documented_place() {
        for body in [
            r#"{"id":"e","type":"x","created":1,"organizationId":"org_1"}"#,
            r#"{"id":"e","type":"x","created":1,"organization":{"id":"org_1","name":"Brand"}}"#,
            r#"{"id":"e","type":"x","created":1,"organization_id":"org_1"}"#,
        ] {
            assert_eq!(
                parse(body).unwrap().organization_id.as_deref(),
                Some("org_1"),
                "{body}"
            );
        }
    }

    #[test]
    fn experience_top_level_or_nested_in_data() {
        let top = parse(r#"{"id":"e","type":"x","created":1,"experienceId":"exp_1"}"#).unwrap();
        let nested =
            parse(r#"{"id":"e","type":"x","created":1,"data":{"experienceId":"exp_1"}}"#).unwrap();
        let snake =
            parse(r#"{"id":"e","type":"x","created":1,"data":{"experience_id":"exp_1"}}"#).unwrap();
        for e in [top, nested, snake] {
            assert_eq!(e.experience_id.as_deref(), Some("exp_1"));
        }
    }

    #[test]
    fn a_body_without_id_is_identified_by_a_digest_of_its_signed_bytes() {
        let body = br#"{"type":"x","created":1}"#;
        let a = parse_event(body).unwrap();
        let b = parse_event(body).unwrap();
        assert_eq!(a.id, b.id);
        assert!(a.id_from_digest);
        assert!(a.id.starts_with(DIGEST_ID_PREFIX));
        // Other bytes, even the same JSON re-spaced, are another delivery of unknown identity.
        let spaced = parse_event(br#"{"type":"x", "created":1}"#).unwrap();
        assert_ne!(a.id, spaced.id);
        let with_id = parse_event(br#"{"id":"evt_1","type":"x","created":1}"#).unwrap();
        assert_eq!(with_id.id, "evt_1");
        assert!(!with_id.id_from_digest);
    }

    #[test]
    fn extreme_created_numbers_are_errors_not_panics() {
        for created in [
            i64::MIN.to_string(),
            i64::MAX.to_string(),
            "-9223372036854775809".into(),
            "1e308".into(),
            "-1e308".into(),
            (-MILLIS_THRESHOLD).to_string(),
        ] {
            let body = format!(r#"{{"id":"e","type":"x","created":{created}}}"#);
            assert!(parse(&body).is_err(), "{created}");
        }
    }

    #[test]
    fn unknown_type_is_a_valid_event() {
        let e = parse(r#"{"id":"e","type":"test","created":1,"data":{}}"#).unwrap();
        assert_eq!(e.kind, EventKind::Unknown);
        assert_eq!(e.event_type, "test");
    }

    #[test]
    fn data_is_not_validated_by_kind() {
        let e =
            parse(r#"{"id":"e","type":"queue.consumer_admitted","created":1,"data":{}}"#).unwrap();
        assert_eq!(e.kind, EventKind::QueueAdmitted);
        assert!(e.data.is_empty());
    }

    #[test]
    fn each_broken_envelope_has_its_own_error() {
        let cases = [
            ("not json", EnvelopeError::NotJson),
            ("[1]", EnvelopeError::NotAnObject),
            (
                r#"{"id":"","type":"x","created":1}"#,
                EnvelopeError::InvalidId,
            ),
            (
                r#"{"id":7,"type":"x","created":1}"#,
                EnvelopeError::InvalidId,
            ),
            (r#"{"id":"e","created":1}"#, EnvelopeError::MissingType),
            (
                r#"{"id":"e","type":"  ","created":1}"#,
                EnvelopeError::MissingType,
            ),
            (
                r#"{"id":"e","type":"order.paid\u0000","created":1}"#,
                EnvelopeError::InvalidType,
            ),
            (
                r#"{"id":"e","type":"order.paid"}"#,
                EnvelopeError::MissingTime,
            ),
            (
                r#"{"id":"e","type":"x","created":"yesterday"}"#,
                EnvelopeError::InvalidTime,
            ),
            (
                r#"{"id":"e","type":"x","created":-1}"#,
                EnvelopeError::InvalidTime,
            ),
            (
                r#"{"id":"e","type":"x","created":1,"data":[1]}"#,
                EnvelopeError::InvalidData,
            ),
        ];
        for (body, expected) in cases {
            assert_eq!(parse(body).unwrap_err(), expected, "{body}");
        }
        let long = format!(
            r#"{{"id":"e","type":"{}","created":1}}"#,
            "t".repeat(MAX_TYPE_LEN + 1)
        );
        assert_eq!(parse(&long).unwrap_err(), EnvelopeError::InvalidType);
        let longest = format!(
            r#"{{"id":"e","type":"{}","created":1}}"#,
            "t".repeat(MAX_TYPE_LEN)
        );
        assert!(parse(&longest).is_ok());
    }
}
