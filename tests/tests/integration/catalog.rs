//! The event catalog (`docs/catalog`, `make docs`) against the payload types it is derived from:
//! written files current, every field covered, and the schema accepting exactly what the typed
//! payload reads (fixtures and hand-made wrong values).

use std::path::PathBuf;

use fanfare_shared::catalog::{files, sample, schema, Ids};
use fanfare_shared::contract::envelope::parse_event;
use fanfare_shared::model::payload::Payload;
use fanfare_shared::EventKind;
use serde_json::{json, Value};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

#[test]
fn the_written_catalog_is_the_one_the_types_give() {
    let dir = root().join("docs/catalog");
    let expected = files();
    for (name, text) in &expected {
        let written = std::fs::read_to_string(dir.join(name)).unwrap_or_default();
        assert!(
            written == *text,
            "docs/catalog/{name} is stale: run `make docs`"
        );
    }
    let on_disk = std::fs::read_dir(&dir).unwrap().count();
    assert_eq!(
        on_disk,
        expected.len(),
        "docs/catalog holds files the types do not give"
    );
    assert_eq!(expected.len(), EventKind::ALL.len() + 1);
}

/// Its kind's typed data, or why not.
fn typed(kind: EventKind, data: &Value) -> Result<Payload, String> {
    let body = json!({"id": "evt_c", "type": kind.as_str(), "created": 1, "data": data});
    let event = parse_event(body.to_string().as_bytes()).map_err(|e| e.to_string())?;
    Payload::of(&event).map_err(|e| e.to_string())
}

fn valid(kind: EventKind, data: &Value) -> bool {
    let schema = schema(kind).unwrap();
    jsonschema::options()
        .should_validate_formats(true)
        .build(&schema)
        .unwrap()
        .is_valid(data)
}

#[test]
fn a_sample_fills_every_field_its_type_reads_and_fits_its_schema() {
    for &kind in EventKind::ALL {
        let data = sample(kind, &mut Ids::fresh(), chrono::Utc::now());
        let payload = typed(kind, &data).unwrap_or_else(|e| panic!("{kind}: {e}"));
        assert!(payload.other().is_empty(), "{kind}: {:?}", payload.other());
        // Every field is an Option: a field the schema does not describe stays None.
        assert!(
            !format!("{payload:?}").contains("None"),
            "{kind}: {payload:?}"
        );
        assert!(
            valid(kind, &data),
            "{kind}: its own sample does not fit its schema"
        );
    }
}

#[test]
fn the_schema_refuses_what_the_type_refuses_and_accepts_what_it_reads() {
    let kind = EventKind::QueuePositionUpdated;
    let cases = [
        (json!({"position": 3}), true),
        (json!({"position": "12"}), true),
        (json!({"position": 3.0}), true),
        (json!({"consumerId": 42}), true),
        (json!({"updatedAt": "2026-01-01T00:00:00Z"}), true),
        (json!({"position": "ten"}), false),
        (json!({"position": true}), false),
        (json!({"consumerId": ""}), false),
        (json!({"updatedAt": "yesterday"}), false),
    ];
    for (data, reads) in cases {
        assert_eq!(typed(kind, &data).is_ok(), reads, "type: {data}");
        assert_eq!(valid(kind, &data), reads, "schema: {data}");
    }
    let money = [
        (json!({"amount": "59.90"}), true),
        (json!({"amount": "lots"}), false),
    ];
    for (data, reads) in money {
        assert_eq!(
            typed(EventKind::OrderPaid, &data).is_ok(),
            reads,
            "type: {data}"
        );
        assert_eq!(valid(EventKind::OrderPaid, &data), reads, "schema: {data}");
    }
}

/// Each body in the HTTP fixtures.
fn fixture_bodies() -> Vec<(String, Vec<u8>)> {
    use base64::Engine;
    let mut bodies = Vec::new();
    for entry in std::fs::read_dir(root().join("events/http")).unwrap() {
        let path = entry.unwrap().path();
        let fixture: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
        let Some(body) = fixture["body"].as_str() else {
            continue;
        };
        let bytes = if fixture["isBase64Encoded"] == true {
            base64::engine::general_purpose::STANDARD
                .decode(body)
                .unwrap_or_default()
        } else {
            body.as_bytes().to_vec()
        };
        bodies.push((path.display().to_string(), bytes));
    }
    bodies
}

#[test]
fn every_fixture_fits_its_schema_exactly_when_its_type_reads_it() {
    let mut checked = 0;
    for (name, body) in fixture_bodies() {
        let Ok(event) = parse_event(&body) else {
            continue;
        };
        if event.kind == EventKind::Unknown {
            continue;
        }
        let data = Value::Object(event.data.clone());
        let reads = Payload::of(&event).is_ok();
        assert_eq!(
            valid(event.kind, &data),
            reads,
            "{name}: schema and type disagree"
        );
        checked += usize::from(reads);
    }
    assert!(checked >= 40, "only {checked} fixtures read");
}
