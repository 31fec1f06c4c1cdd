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
pub struct Id;

impl Id {
    /// The canonical form (the catalog derives a field's default from it).
    #[cfg(feature = "catalog")]
    pub fn serialize<S: serde::Serializer>(
        value: &Option<String>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        serde::Serialize::serialize(value, s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
        present(d)?
            .map(|v| id_string(&v).ok_or_else(|| D::Error::custom("expected an id")))
            .transpose()
    }
}

/// An ISO-8601 (RFC 3339) time.
pub struct Time;

impl Time {
    /// The canonical form (the catalog derives a field's default from it).
    #[cfg(feature = "catalog")]
    pub fn serialize<S: serde::Serializer>(
        value: &Option<DateTime<Utc>>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        serde::Serialize::serialize(value, s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<DateTime<Utc>>, D::Error> {
        present(d)?
            .map(|v| {
                v.as_str()
                    .and_then(parse_iso8601)
                    .ok_or_else(|| D::Error::custom("expected an ISO-8601 time"))
            })
            .transpose()
    }
}

/// A whole number, as a JSON number or a numeric string.
pub struct Int;

impl Int {
    /// The canonical form (the catalog derives a field's default from it).
    #[cfg(feature = "catalog")]
    pub fn serialize<S: serde::Serializer>(value: &Option<i64>, s: S) -> Result<S::Ok, S::Error> {
        serde::Serialize::serialize(value, s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
        present(d)?
            .map(|v| {
                v.as_i64()
                    .or_else(|| v.as_f64().filter(|f| f.fract() == 0.0).map(|f| f as i64))
                    .or_else(|| v.as_str().and_then(|s| s.trim().parse().ok()))
                    .ok_or_else(|| D::Error::custom("expected a whole number"))
            })
            .transpose()
    }
}

/// The catalog's view of these readers: what each accepts on the wire, as JSON Schema.
#[cfg(feature = "catalog")]
mod schema {
    use schemars::{json_schema, JsonSchema, Schema, SchemaGenerator};
    use std::borrow::Cow;

    macro_rules! wire_schema {
        ($type:ty, $name:literal, $schema:tt) => {
            impl JsonSchema for $type {
                fn inline_schema() -> bool {
                    true
                }
                fn schema_name() -> Cow<'static, str> {
                    Cow::Borrowed($name)
                }
                fn json_schema(_: &mut SchemaGenerator) -> Schema {
                    json_schema!($schema)
                }
            }
        };
    }

    wire_schema!(super::Id, "Id", {
        "type": ["string", "integer", "null"],
        "minLength": 1,
        "x-fanfare-field": "id"
    });
    wire_schema!(super::Time, "Time", {
        "type": ["string", "null"],
        "format": "date-time",
        "x-fanfare-field": "time"
    });
    wire_schema!(super::Int, "Int", {
        "type": ["integer", "string", "null"],
        "pattern": "^\\s*[+-]?[0-9]+\\s*$",
        "x-fanfare-field": "int"
    });
}
