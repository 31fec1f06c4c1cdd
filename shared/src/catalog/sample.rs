//! A realistic `data` for any kind, built from its schema: every field the type reads gets a value
//! of its form (ids from one [`Ids`], so a sequence of events is about the same consumer and drop;
//! times around `now`; tokens fresh). What `trigger` sends.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, SecondsFormat, Utc};
use serde_json::{json, Map, Value};

use crate::model::EventKind;

/// The ids a sequence of events shares, by field name (`consumerId`, `drawId`, ...): the first use
/// of a name makes its id, later uses repeat it.
#[derive(Debug, Clone, Default)]
pub struct Ids {
    by_field: BTreeMap<String, String>,
    /// Each id is its field's name (the catalog's ordering keys).
    named: bool,
    /// Tells fresh ids apart across runs.
    run: String,
}

impl Ids {
    /// Fresh ids: `con_<run>` for `consumerId`, `drw_<run>` for `drawId`, ...
    pub fn fresh() -> Self {
        let run = uuid::Uuid::new_v4().simple().to_string();
        Self {
            run: run[..12].to_string(),
            ..Self::default()
        }
    }

    pub(super) fn named() -> Self {
        Self {
            named: true,
            ..Self::default()
        }
    }

    /// Sets a field's id (`--set consumerId=con_42` keeps it for the whole sequence).
    pub fn set(&mut self, field: &str, id: &str) {
        self.by_field.insert(field.to_string(), id.to_string());
    }

    pub fn get(&mut self, field: &str) -> String {
        // A settlement's winner and a winner's entry are the sequence's consumer.
        let field = match field {
            "winnerId" => "consumerId",
            other => other,
        };
        if let Some(id) = self.by_field.get(field) {
            return id.clone();
        }
        let id = if self.named {
            field.to_string()
        } else {
            let prefix: String = field.trim_end_matches("Id").chars().take(3).collect();
            format!("{prefix}_{}", self.run)
        };
        self.by_field.insert(field.to_string(), id.clone());
        id
    }

    pub(super) fn names(&self) -> impl Iterator<Item = &String> {
        self.by_field.keys()
    }
}

/// A `data` object for `kind` holding every field its type reads (`Null` for `Unknown`).
pub fn sample(kind: EventKind, ids: &mut Ids, now: DateTime<Utc>) -> Value {
    let Some(root) = super::data_schema(kind) else {
        return Value::Null;
    };
    object(&root, &root, ids, now)
}

fn object(root: &Value, schema: &Value, ids: &mut Ids, now: DateTime<Utc>) -> Value {
    let mut data = Map::new();
    let Some(properties) = schema["properties"].as_object() else {
        return Value::Object(data);
    };
    for (name, field) in properties {
        data.insert(name.clone(), value(root, name, field, ids, now));
    }
    Value::Object(data)
}

/// Follows a `$ref` into `$defs`, and an optional's `anyOf` to its non-null branch.
pub(super) fn resolve<'a>(root: &'a Value, schema: &'a Value) -> &'a Value {
    if let Some(name) = schema["$ref"]
        .as_str()
        .and_then(|r| r.strip_prefix("#/$defs/"))
    {
        return resolve(root, &root["$defs"][name]);
    }
    if let Some(branch) = schema["anyOf"]
        .as_array()
        .and_then(|b| b.iter().find(|s| s["type"] != "null"))
    {
        return resolve(root, branch);
    }
    schema
}

fn value(root: &Value, name: &str, field: &Value, ids: &mut Ids, now: DateTime<Utc>) -> Value {
    let time = |at: DateTime<Utc>| json!(at.to_rfc3339_opts(SecondsFormat::Secs, true));
    match field["x-fanfare-field"].as_str() {
        Some("id") => return json!(ids.get(name)),
        Some("time") if name == "expiresAt" || name == "claimDeadline" => {
            return time(now + Duration::minutes(15))
        }
        Some("time") => return time(now),
        Some("int") => return json!(whole_number(name)),
        Some("money") => return json!("129.00"),
        _ => {}
    }
    let field = resolve(root, field);
    let types = field["type"]
        .as_array()
        .cloned()
        .unwrap_or_else(|| vec![field["type"].clone()]);
    if types.iter().any(|t| t == "array") {
        let items = resolve(root, &field["items"]);
        return if items["properties"].is_object() {
            json!([object(root, items, ids, now)])
        } else {
            json!(["email"])
        };
    }
    if types.iter().any(|t| t == "boolean") {
        return json!(name == "isHighestBid");
    }
    json!(text(name, ids))
}

fn whole_number(name: &str) -> i64 {
    match name {
        "position" | "winnerPosition" | "quantity" => 1,
        "previousPosition" | "positionWhenLeft" => 2,
        "retryCount" => 7,
        "waitTimeSeconds" | "pausedDuration" => 90,
        _ => 120,
    }
}

fn text(name: &str, ids: &mut Ids) -> String {
    if name.ends_with("Token") {
        return format!("tok_{}", uuid::Uuid::new_v4().simple());
    }
    match name {
        "email" => format!("{}@example.com", ids.get("consumerId")),
        "phone" => "+15555550100".into(),
        "fullName" => "Ada Lovelace".into(),
        "currencyCode" => "USD".into(),
        "experienceType" | "distributionType" => "queue".into(),
        "status" => "live".into(),
        "selectionMethod" => "random".into(),
        "source" => "web".into(),
        "endpointUrl" => "https://example.com/webhooks/fanfare".into(),
        "eventType" => "order.paid".into(),
        "lastError" => "timeout".into(),
        _ => "trigger".into(),
    }
}
