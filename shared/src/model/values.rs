//! The small value parsers the model reads `data` with.

use chrono::{DateTime, Utc};
use serde_json::Value;

/// Ids may arrive as strings or (in older pages) numbers; both become strings.
pub fn id_string(value: &Value) -> Option<String> {
    match value {
        Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_string()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// ISO-8601 date-times as Fanfare writes them: RFC 3339, with or without fractional seconds.
pub fn parse_iso8601(s: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s.trim())
        .ok()
        .map(|t| t.with_timezone(&Utc))
}
