//! The event catalog: what each kind's `data` holds, as JSON Schema derived from the payload types
//! (so it cannot drift from what the receiver reads), with the kind's spellings, family and ordering
//! key. `make docs` writes it to `docs/catalog/`; `trigger` builds its events from it ([`sample`]).

mod sample;

pub use sample::{sample, Ids};

use schemars::generate::SchemaSettings;
use schemars::JsonSchema;
use serde_json::{json, Value};

use crate::model::payload;
use crate::model::EventKind;

fn derived<T: JsonSchema>() -> Value {
    let mut schema = SchemaSettings::draft2020_12()
        .into_generator()
        .into_root_schema_for::<T>()
        .to_value();
    without_null_defaults(&mut schema);
    schema
}

/// Drops `"default": null` (every field is optional; the key says nothing).
fn without_null_defaults(schema: &mut Value) {
    match schema {
        Value::Object(map) => {
            if map.get("default") == Some(&Value::Null) {
                map.remove("default");
            }
            map.values_mut().for_each(without_null_defaults);
        }
        Value::Array(items) => items.iter_mut().for_each(without_null_defaults),
        _ => {}
    }
}

macro_rules! data_schemas {
    ($( $kind:ident => $name:literal, $method:ident, $family:ident: [$($alias:literal),+] );+ $(;)?) => {
        /// The schema of a kind's `data`, as its payload type reads it (`None` for `Unknown`).
        fn data_schema(kind: EventKind) -> Option<Value> {
            match kind {
                $( EventKind::$kind => Some(derived::<payload::$kind>()), )+
                EventKind::Unknown => None,
            }
        }
    };
}

crate::for_each_kind!(data_schemas);

/// A kind's catalog entry: the JSON Schema of its `data`, with `x-fanfare-*` keys for its canonical
/// name, the spellings Fanfare's docs use, its family and its ordering key.
pub fn schema(kind: EventKind) -> Option<Value> {
    let mut schema = data_schema(kind)?;
    let object = schema.as_object_mut()?;
    object.insert(
        "$id".into(),
        json!(format!("{}.schema.json", kind.as_str())),
    );
    object.insert("title".into(), json!(kind.as_str()));
    object.insert("x-fanfare-kind".into(), json!(kind.as_str()));
    object.insert("x-fanfare-spellings".into(), json!(kind.aliases()));
    object.insert(
        "x-fanfare-family".into(),
        json!(format!("{:?}", kind.family())),
    );
    object.insert(
        "x-fanfare-ordering-key".into(),
        json!(ordering_key_of(kind)),
    );
    Some(schema)
}

/// The ordering key (SQS message group) of a kind's events, with each id shown as `{fieldName}`:
/// computed by the receiver's own `ordering_key` on an event whose ids are their field names.
fn ordering_key_of(kind: EventKind) -> String {
    let mut ids = Ids::named();
    let data = sample(kind, &mut ids, chrono::DateTime::UNIX_EPOCH);
    let body = json!({"id": "evt", "type": kind.as_str(), "created": 1, "organizationId": "organizationId", "data": data});
    let Ok(event) = crate::contract::envelope::parse_event(body.to_string().as_bytes()) else {
        return String::new();
    };
    let mut key = event.ordering_key();
    for name in ids.names() {
        key = key.replace(&format!("/{name}"), &format!("/{{{name}}}"));
    }
    key
}

/// The catalog's page: one row per kind, with its fields and what each accepts.
pub fn page() -> String {
    let mut page = String::from(
        "# Event catalog\n\nGenerated from the payload types by `make docs`; a test fails when it differs from \
         them. Each kind's `data` is described by `<kind>.schema.json` (JSON Schema 2020-12). Every field \
         may be absent (Fanfare's pages disagree on which fields an event carries); fields no page \
         documents are kept in the payload's `other`. The ordering key is the SQS message group: events \
         with the same key reach the handler in order.\n\n\
         | Kind | Spellings | Family | Ordering key | Fields |\n| --- | --- | --- | --- | --- |\n",
    );
    for &kind in EventKind::ALL {
        let Some(schema) = schema(kind) else { continue };
        let fields: Vec<String> = schema["properties"]
            .as_object()
            .map(|p| {
                p.iter()
                    .map(|(name, field)| format!("`{name}` {}", field_form(&schema, field)))
                    .collect()
            })
            .unwrap_or_default();
        let spellings: Vec<String> = kind.aliases().iter().map(|a| format!("`{a}`")).collect();
        page.push_str(&format!(
            "| [`{name}`]({name}.schema.json) | {} | {:?} | `{}` | {} |\n",
            spellings.join(", "),
            kind.family(),
            schema["x-fanfare-ordering-key"]
                .as_str()
                .unwrap_or_default(),
            fields.join(", "),
            name = kind.as_str(),
        ));
    }
    page
}

/// A field's form in a word: id, time, int, money, text, flag, list, or the referenced type's name.
fn field_form(root: &Value, field: &Value) -> String {
    if let Some(form) = field["x-fanfare-field"].as_str() {
        return form.to_string();
    }
    let field = sample::resolve(root, field);
    let types = field["type"]
        .as_array()
        .cloned()
        .unwrap_or_else(|| vec![field["type"].clone()]);
    if types.iter().any(|t| t == "array") {
        return "list".into();
    }
    if types.iter().any(|t| t == "boolean") {
        return "flag".into();
    }
    "text".into()
}

/// Every file of `docs/catalog/`: the page (`README.md`) and one schema per kind, as written.
pub fn files() -> Vec<(String, String)> {
    let mut files = vec![("README.md".to_string(), page())];
    for &kind in EventKind::ALL {
        if let Some(schema) = schema(kind) {
            let text = serde_json::to_string_pretty(&schema).unwrap_or_default();
            files.push((format!("{}.schema.json", kind.as_str()), text + "\n"));
        }
    }
    files
}
