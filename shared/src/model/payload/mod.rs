//! Typed data for every kind: one struct per row of the alias table, reached through
//! [`Payload::of`] (an enum with a variant per kind) or [`KindData::from_event`] for one kind.
//!
//! - Every field is an `Option`: Fanfare's pages disagree on which fields an event carries and the
//!   receiver processes thin events, so the handler decides what it needs. A field that is present
//!   with the wrong type is an error ([`PayloadError`] names its path, never its value).
//! - Every documented spelling lands in the same field: snake_case keys are read as camelCase, and
//!   the older names a page uses are aliases (`entryNumber`, `amount`, `winningBid`, ...).
//! - Ids arrive as strings or numbers and are strings here; times are `DateTime<Utc>`; money is the
//!   exact [`Money`]; credentials are [`Token`]s and contact details [`Personal`], whose `Debug` and
//!   `Display` never print the value.
//! - Fields no page documents are kept in each struct's `other` (keys in camelCase).

mod admission;
mod commerce;
mod de;
mod draw_auction;
mod lifecycle;
mod sensitive;

pub use admission::*;
pub use commerce::*;
pub use draw_auction::*;
pub use lifecycle::*;
pub use sensitive::{Extra, Personal, Token};

use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use super::{Event, EventKind};

/// The typed data of one kind.
pub trait KindData: DeserializeOwned {
    const KIND: EventKind;

    /// This kind's data from an event of this kind (an event of another kind is an error).
    fn from_event(event: &Event) -> Result<Self, PayloadError> {
        if event.kind != Self::KIND {
            return Err(PayloadError::WrongKind {
                expected: Self::KIND,
                actual: event.kind,
            });
        }
        parse(event)
    }
}

/// Why an event's data does not fit its kind's type. Names a path, never a value (a value may be a
/// token or contact data).
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum PayloadError {
    #[error("the data of {kind} does not fit its type at `{path}`")]
    Invalid { kind: EventKind, path: String },
    #[error("asked for the data of {expected}, but the event is {actual}")]
    WrongKind {
        expected: EventKind,
        actual: EventKind,
    },
}

/// The data with every key in camelCase (a snake_case key yields to a camelCase one sent beside it)
/// and the envelope's `experienceId` where the data has none.
fn normalised(event: &Event) -> Value {
    let mut data = camel_keys(Map::clone(&event.data));
    if let Some(experience) = &event.experience_id {
        data.entry("experienceId")
            .or_insert_with(|| Value::String(experience.clone()));
    }
    Value::Object(data)
}

fn camel_keys(map: Map<String, Value>) -> Map<String, Value> {
    let mut out = Map::new();
    for (key, value) in map {
        let value = match value {
            Value::Object(inner) => Value::Object(camel_keys(inner)),
            Value::Array(items) => Value::Array(
                items
                    .into_iter()
                    .map(|v| match v {
                        Value::Object(inner) => Value::Object(camel_keys(inner)),
                        other => other,
                    })
                    .collect(),
            ),
            other => other,
        };
        let camel = to_camel_case(&key);
        if camel == key {
            out.insert(key, value);
        } else {
            out.entry(camel).or_insert(value);
        }
    }
    out
}

fn to_camel_case(key: &str) -> String {
    if key.starts_with('_') || !key.contains('_') {
        return key.to_string();
    }
    let mut out = String::with_capacity(key.len());
    let mut upper = false;
    for c in key.chars() {
        match c {
            '_' => upper = true,
            c if upper => {
                out.push(c.to_ascii_uppercase());
                upper = false;
            }
            c => out.push(c),
        }
    }
    out
}

fn parse<T: DeserializeOwned>(event: &Event) -> Result<T, PayloadError> {
    serde_path_to_error::deserialize(normalised(event)).map_err(|e| PayloadError::Invalid {
        kind: event.kind,
        path: e.path().to_string(),
    })
}

macro_rules! payloads {
    ($( $kind:ident => $name:literal, $method:ident, $family:ident: [$($alias:literal),+] );+ $(;)?) => {
        /// An event's typed data: one variant per kind, `Unknown` for a type outside the contract.
        #[derive(Debug, Clone, PartialEq)]
        pub enum Payload {
            $( $kind($kind), )+
            /// Its data as sent; `Debug` prints the field names only.
            Unknown(Extra),
        }

        impl Payload {
            pub fn of(event: &Event) -> Result<Payload, PayloadError> {
                Ok(match event.kind {
                    $( EventKind::$kind => Payload::$kind(parse(event)?), )+
                    EventKind::Unknown => Payload::Unknown(Extra(event.data.clone())),
                })
            }

            /// The fields no documented name matched.
            pub fn other(&self) -> &Map<String, Value> {
                match self {
                    $( Payload::$kind(data) => &data.other, )+
                    Payload::Unknown(data) => &data.0,
                }
            }
        }

        $( impl KindData for $kind { const KIND: EventKind = EventKind::$kind; } )+
    };
}

crate::for_each_kind!(payloads);
