//! Field readers that accept every form Fanfare's pages use, and say what was wrong without echoing
//! the value.

use chrono::{DateTime, Utc};
use serde::de::Error;
use serde::{Deserialize, Deserializer};
use serde_json::Value;

use crate::model::{id_string, parse_iso8601};

fn present<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Value>, D::Error> {
    Ok(Option::<Value>::deserialize(d)?.filter(|v| !v.is_null()))
}

/// An id: a non-empty string, or a number (older pages).
pub fn id<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    present(d)?
        .map(|v| id_string(&v).ok_or_else(|| D::Error::custom("expected an id")))
        .transpose()
}

/// An ISO-8601 (RFC 3339) time.
pub fn time<'de, D: Deserializer<'de>>(d: D) -> Result<Option<DateTime<Utc>>, D::Error> {
    present(d)?
        .map(|v| {
            v.as_str()
                .and_then(parse_iso8601)
                .ok_or_else(|| D::Error::custom("expected an ISO-8601 time"))
        })
        .transpose()
}

/// A whole number, as a JSON number or a numeric string.
pub fn int<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    present(d)?
        .map(|v| {
            v.as_i64()
                .or_else(|| v.as_f64().filter(|f| f.fract() == 0.0).map(|f| f as i64))
                .or_else(|| v.as_str().and_then(|s| s.trim().parse().ok()))
                .ok_or_else(|| D::Error::custom("expected a whole number"))
        })
        .transpose()
}
