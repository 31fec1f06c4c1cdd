//! The event envelope in every documented shape, parsed from the raw (already verified) body.
//!
//! Ingest validates only the envelope: id, type and event time. The `data` of each kind is left to the
//! processor, so an event whose `data` lacks a usual field is still accepted and kept.

use chrono::{DateTime, TimeZone, Utc};
use serde_json::{Map, Value};

use crate::contract::kind::EventKind;
use crate::model::Event;

/// Longest event id accepted; anything longer is not an id Fanfare generates.
pub const MAX_ID_LEN: usize = 256;

/// `created` numbers above this are taken as milliseconds rather than seconds (year 5138 in seconds).
const MILLIS_THRESHOLD: i64 = 100_000_000_000;

/// Why a validly signed body is not a usable event. `code()` is stable and returned to the caller.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum EnvelopeError {
    #[error("the body is not valid JSON")]
    NotJson,
    #[error("the body is not a JSON object")]
    NotAnObject,
    #[error("the event has no `id` string (nor an X-Fanfare-Event-Id header)")]
    MissingId,
    #[error("the event id is empty, too long or contains control characters")]
    InvalidId,
    #[error("the event has no `type` string")]
    MissingType,
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
            EnvelopeError::MissingId => "missing_event_id",
            EnvelopeError::InvalidId => "invalid_event_id",
            EnvelopeError::MissingType => "missing_event_type",
            EnvelopeError::MissingTime => "missing_event_time",
            EnvelopeError::InvalidTime => "invalid_event_time",
            EnvelopeError::InvalidData => "invalid_event_data",
        }
    }
}

/// Parses a raw body into an [`Event`]. `header_event_id` is `X-Fanfare-Event-Id` when it was sent:
/// one of Fanfare's pages says the body `id` is a delivery id, so the header wins as the event id.
pub fn parse_event(body: &[u8], header_event_id: Option<&str>) -> Result<Event, EnvelopeError> {
    let value: Value = serde_json::from_slice(body).map_err(|_| EnvelopeError::NotJson)?;
    let Value::Object(mut object) = value else {
        return Err(EnvelopeError::NotAnObject);
    };

    let body_id = match object.get("id") {
        Some(Value::String(id)) => Some(valid_id(id)?),
        Some(_) => return Err(EnvelopeError::InvalidId),
        None => None,
    };
    let header_id = header_event_id
        .map(str::trim)
        .filter(|h| !h.is_empty())
        .map(valid_id)
        .transpose()?;
    let id = header_id
        .clone()
        .or_else(|| body_id.clone())
        .ok_or(EnvelopeError::MissingId)?;

    let event_type = match object.get("type") {
        Some(Value::String(t)) if !t.trim().is_empty() => t.clone(),
        _ => return Err(EnvelopeError::MissingType),
    };
    let occurred_at = event_time(&object)?;

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
        kind: EventKind::from_type(&event_type),
        id,
        body_id,
        event_type,
        occurred_at,
        organization_id,
        experience_id,
        data,
    })
}

fn valid_id(id: &str) -> Result<String, EnvelopeError> {
    let trimmed = id.trim();
    if trimmed.is_empty() || trimmed.len() > MAX_ID_LEN || trimmed.chars().any(char::is_control) {
        return Err(EnvelopeError::InvalidId);
    }
    Ok(trimmed.to_string())
}

/// Ids may arrive as strings or (in older pages) numbers; both become strings.
pub(crate) fn id_string(value: &Value) -> Option<String> {
    match value {
        Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_string()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
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
                if i.abs() >= MILLIS_THRESHOLD {
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

/// ISO-8601 date-times as Fanfare writes them: RFC 3339, with or without fractional seconds.
pub fn parse_iso8601(s: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s.trim())
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(body: &str) -> Result<Event, EnvelopeError> {
        parse_event(body.as_bytes(), None)
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
    fn header_event_id_wins_over_body_id() {
        let e = parse_event(br#"{"id":"dlv_1","type":"x","created":1}"#, Some("evt_9")).unwrap();
        assert_eq!(e.id, "evt_9");
        assert_eq!(e.body_id.as_deref(), Some("dlv_1"));
        let e = parse_event(br#"{"type":"x","created":1}"#, Some("evt_9")).unwrap();
        assert_eq!(e.id, "evt_9");
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
            (r#"{"type":"x","created":1}"#, EnvelopeError::MissingId),
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
            (r#"{"id":"e","type":"x"}"#, EnvelopeError::MissingTime),
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
    }
}
