//! The soak's oracle: the state the events should leave, computed by processing each event once,
//! in Fanfare's order, with the in-memory stores; and readers of what DynamoDB actually holds.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use aws_sdk_dynamodb::types::AttributeValue;
use fanfare_shared::adapters::memory::MemoryIdempotencyStore;
use fanfare_shared::adapters::memory::MemoryStateStore;
use fanfare_shared::ports::state::Attr;
use fanfare_shared::ports::SystemClock;
use fanfare_shared::processor::handler::StateOnly;
use fanfare_shared::processor::{IncomingMessage, Outcome, Processor, ProcessorOptions};

use super::generate::GeneratedEvent;

/// An item's attributes in one comparable form (numbers normalised, sets sorted).
pub type Comparable = BTreeMap<String, String>;
pub type StateSnapshot = BTreeMap<(String, String), Comparable>;

fn number(text: &str) -> String {
    match text.split_once('.') {
        Some((whole, fraction)) => {
            let fraction = fraction.trim_end_matches('0');
            if fraction.is_empty() {
                whole.to_string()
            } else {
                format!("{whole}.{fraction}")
            }
        }
        None => text.to_string(),
    }
}

/// The reference: every event once, in order, through the same processor on in-memory stores.
pub async fn reference_state(events: &[GeneratedEvent]) -> (StateSnapshot, Vec<Outcome>) {
    let state = std::sync::Arc::new(MemoryStateStore::default());
    let processor = Processor::new(
        MemoryIdempotencyStore::default(),
        state.clone(),
        StateOnly,
        SystemClock,
        ProcessorOptions::default(),
    );
    let deadline = chrono::Utc::now().timestamp_millis() + 3_600_000;
    let mut outcomes = Vec::with_capacity(events.len());
    for event in events {
        outcomes.push(
            processor
                .process(IncomingMessage::raw(&event.body), deadline)
                .await,
        );
    }
    let mut snapshot = StateSnapshot::new();
    let items = state.items.lock().unwrap_or_else(|p| p.into_inner());
    for (key, item) in items.iter() {
        let entry = snapshot.entry(key.clone()).or_default();
        for (name, value) in item {
            let text = match value {
                Attr::S(s) => format!("S:{s}"),
                Attr::N(n) => format!("N:{}", number(n)),
                Attr::Bool(b) => format!("B:{b}"),
            };
            entry.insert(name.clone(), text);
        }
    }
    drop(items);
    (snapshot, outcomes)
}

async fn scan(
    ddb: &aws_sdk_dynamodb::Client,
    table: &str,
) -> Result<Vec<HashMap<String, AttributeValue>>, String> {
    let mut items = Vec::new();
    let mut start = None;
    loop {
        let page = ddb
            .scan()
            .table_name(table)
            .set_exclusive_start_key(start)
            .send()
            .await
            .map_err(|e| format!("scan {table}: {e}"))?;
        items.extend(page.items.unwrap_or_default());
        match page.last_evaluated_key {
            Some(key) if !key.is_empty() => start = Some(key),
            _ => return Ok(items),
        }
    }
}

fn text_of(value: &AttributeValue) -> String {
    match value {
        AttributeValue::S(s) => format!("S:{s}"),
        AttributeValue::N(n) => format!("N:{}", number(n)),
        AttributeValue::Bool(b) => format!("B:{b}"),
        AttributeValue::Ss(members) => {
            let sorted: BTreeSet<&str> = members.iter().map(String::as_str).collect();
            format!("SS:{}", sorted.into_iter().collect::<Vec<_>>().join(","))
        }
        other => format!("?:{other:?}"),
    }
}

/// What the state table holds, in the reference's form.
pub async fn dynamo_state(
    ddb: &aws_sdk_dynamodb::Client,
    table: &str,
) -> Result<StateSnapshot, String> {
    let mut snapshot = StateSnapshot::new();
    for item in scan(ddb, table).await? {
        let key = |name: &str| match item.get(name) {
            Some(AttributeValue::S(s)) => s.clone(),
            _ => String::new(),
        };
        let entry = snapshot.entry((key("pk"), key("sk"))).or_default();
        for (name, value) in &item {
            if name != "pk" && name != "sk" {
                entry.insert(name.clone(), text_of(value));
            }
        }
    }
    Ok(snapshot)
}

/// Every idempotency record: event id (or conflict copy key) to its status.
pub async fn record_statuses(
    ddb: &aws_sdk_dynamodb::Client,
    table: &str,
) -> Result<BTreeMap<String, String>, String> {
    let mut statuses = BTreeMap::new();
    for item in scan(ddb, table).await? {
        let get = |name: &str| match item.get(name) {
            Some(AttributeValue::S(s)) => s.clone(),
            _ => String::new(),
        };
        statuses.insert(get("eventId"), get("status"));
    }
    Ok(statuses)
}

/// The differences between two snapshots, at most `limit` of them, for the report.
pub fn differences(expected: &StateSnapshot, actual: &StateSnapshot, limit: usize) -> Vec<String> {
    let keys: BTreeSet<&(String, String)> = expected.keys().chain(actual.keys()).collect();
    let mut out = Vec::new();
    for key in keys {
        match (expected.get(key), actual.get(key)) {
            (Some(e), Some(a)) if e == a => {}
            (Some(e), Some(a)) => {
                let names: BTreeSet<&String> = e.keys().chain(a.keys()).collect();
                for name in names {
                    if e.get(name) != a.get(name) {
                        out.push(format!(
                            "{}/{} {name}: expected {:?}, DynamoDB {:?}",
                            key.0,
                            key.1,
                            e.get(name),
                            a.get(name)
                        ));
                    }
                }
            }
            (Some(_), None) => out.push(format!("{}/{}: missing in DynamoDB", key.0, key.1)),
            (None, Some(_)) => out.push(format!("{}/{}: not in the reference", key.0, key.1)),
            (None, None) => {}
        }
        if out.len() >= limit {
            break;
        }
    }
    out
}

/// Percentile of sorted values (nearest rank).
pub fn percentile(sorted: &[i64], p: f64) -> i64 {
    if sorted.is_empty() {
        return 0;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_compare_by_value_and_percentiles_take_the_nearest_rank() {
        assert_eq!(number("155.00"), "155");
        assert_eq!(number("149.90"), "149.9");
        assert_eq!(number("7"), "7");
        let v: Vec<i64> = (1..=100).collect();
        assert_eq!(percentile(&v, 50.0), 50);
        assert_eq!(percentile(&v, 99.0), 99);
        assert_eq!(percentile(&[], 99.0), 0);
    }

    #[test]
    fn differences_name_the_item_and_attribute() {
        let mut a = StateSnapshot::new();
        a.entry(("p".into(), "s".into()))
            .or_default()
            .insert("status".into(), "S:paid".into());
        let mut b = a.clone();
        assert!(differences(&a, &b, 10).is_empty());
        b.get_mut(&("p".into(), "s".into()))
            .map(|i| i.insert("status".into(), "S:created".into()));
        assert_eq!(differences(&a, &b, 10).len(), 1);
    }
}
