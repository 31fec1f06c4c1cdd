//! The event model: one verified, normalised Fanfare event, whatever shape it arrived in.

mod entity;
pub mod kind;
mod money;
pub mod payload;
mod relation;
mod values;

pub use entity::{key_segment, Entity, StateKey};
pub use kind::{EventKind, Family};
pub use money::{Money, MoneyError};
pub use relation::Relation;
pub use values::{id_string, parse_iso8601};

use chrono::{DateTime, Utc};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

/// A verified event with its envelope normalised. `data` is kept as sent; `Debug` prints its
/// field names only (a token, a contact detail or an undocumented credential never reaches a log
/// through `?event` or `?ctx`).
#[derive(Clone, PartialEq)]
pub struct Event {
    /// The event id and idempotency key: the body's `id`, or for a body without one a digest of the
    /// signed bytes (never an unsigned header).
    pub id: String,
    /// The body had no `id`: `id` is the digest of the signed bytes.
    pub id_from_digest: bool,
    /// `type` exactly as sent.
    pub event_type: String,
    pub kind: EventKind,
    pub occurred_at: DateTime<Utc>,
    pub organization_id: Option<String>,
    pub experience_id: Option<String>,
    pub data: Map<String, Value>,
}

impl std::fmt::Debug for Event {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Event")
            .field("id", &self.id)
            .field("id_from_digest", &self.id_from_digest)
            .field("event_type", &self.event_type)
            .field("kind", &self.kind)
            .field("occurred_at", &self.occurred_at)
            .field("organization_id", &self.organization_id)
            .field("experience_id", &self.experience_id)
            .field("data", &DataNames(&self.data))
            .finish()
    }
}

/// The names of an event's data fields, for `Debug`.
struct DataNames<'a>(&'a Map<String, Value>);

impl std::fmt::Debug for DataNames<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_set().entries(self.0.keys()).finish()
    }
}

impl Event {
    /// A `data` field by its camelCase name, falling back to the snake_case spelling one page uses.
    pub fn field(&self, camel: &str) -> Option<&Value> {
        self.data
            .get(camel)
            .or_else(|| self.data.get(&to_snake_case(camel)))
            .filter(|v| !v.is_null())
    }

    /// A `data` field holding an id (string, or number in older pages).
    pub fn id_field(&self, camel: &str) -> Option<String> {
        self.field(camel).and_then(id_string)
    }

    pub fn str_field(&self, camel: &str) -> Option<&str> {
        self.field(camel).and_then(Value::as_str)
    }

    pub fn time_field(&self, camel: &str) -> Option<DateTime<Utc>> {
        self.str_field(camel).and_then(parse_iso8601)
    }

    pub fn i64_field(&self, camel: &str) -> Option<i64> {
        self.field(camel).and_then(|v| {
            v.as_i64()
                .or_else(|| v.as_str().and_then(|s| s.trim().parse().ok()))
        })
    }

    pub fn bool_field(&self, camel: &str) -> Option<bool> {
        self.field(camel).and_then(Value::as_bool)
    }

    /// A money field: the first of `names` present, as an exact decimal.
    pub fn money_field(&self, names: &[&str]) -> Option<Result<Money, MoneyError>> {
        names
            .iter()
            .find_map(|n| self.field(n))
            .map(Money::from_json)
    }

    pub fn consumer_id(&self) -> Option<String> {
        self.id_field("consumerId")
    }

    /// The entity this event changes.
    pub fn entity(&self) -> Entity {
        Entity::of(self)
    }

    /// The SQS message group: the entity, or a draw's or auction's member (see `entity`).
    pub fn ordering_key(&self) -> String {
        entity::ordering_key(self)
    }

    /// SHA-256 over what the event says (id, type, time, organisation, experience, data), in a
    /// canonical form. Delivery details (signature, delivery id, retry count, key order, whitespace)
    /// are left out, so a redelivery hashes the same and a changed payload does not.
    pub fn payload_hash(&self) -> String {
        #[derive(serde::Serialize)]
        #[serde(rename_all = "camelCase")]
        struct Canonical<'a> {
            data: &'a Map<String, Value>,
            experience_id: &'a Option<String>,
            id: &'a str,
            occurred_at_ms: i64,
            organization_id: &'a Option<String>,
            #[serde(rename = "type")]
            event_type: &'a str,
        }
        let canonical = Canonical {
            data: &self.data,
            experience_id: &self.experience_id,
            id: &self.id,
            occurred_at_ms: self.occurred_at.timestamp_millis(),
            organization_id: &self.organization_id,
            event_type: &self.event_type,
        };
        // Streamed into the hasher: no copy of `data`. serde_json's map is ordered by key, so the
        // serialisation is canonical.
        let mut hasher = HashWriter(Sha256::new());
        if serde_json::to_writer(&mut hasher, &canonical).is_err() {
            unreachable!("serialising to a hasher cannot fail");
        }
        hex::encode(hasher.0.finalize())
    }
}

/// Text shaped like [`Event::payload_hash`]: 64 lowercase hex characters. A hash from a message
/// attribute is used only when it is.
pub fn is_payload_hash(text: &str) -> bool {
    text.len() == 64 && text.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

struct HashWriter(Sha256);

impl std::io::Write for HashWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.update(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn to_snake_case(camel: &str) -> String {
    let mut out = String::with_capacity(camel.len() + 4);
    for c in camel.chars() {
        if c.is_ascii_uppercase() {
            out.push('_');
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}
