//! What each store call costs in DynamoDB, by DynamoDB's own rules: the requests the adapter sends
//! for it, each billed 1 write unit per started KB of the larger of the item's before and after
//! images (a failed condition is billed the item it read), and the index writes a record's failed
//! flag causes. Item sizes come from the in-memory stores the simulation runs on.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};

use fanfare_integration_tests::{state_item_size, write_units};
use fanfare_shared::adapters::dynamodb::record;
use fanfare_shared::adapters::memory::{Item, MemoryStateStore};
use fanfare_shared::ports::state::{fields, Attr, Gate, ItemWrite, MergedWrite};
use fanfare_shared::testing::StoreCall;

use crate::capacity::Scope;

pub const IDEMPOTENCY: &str = "idempotency table";
pub const STATE: &str = "state table";
pub const FAILED_INDEX: &str = "failed index";

/// One request: the units it consumes in each table, index and partition, and the units billed.
#[derive(Debug, Clone, PartialEq)]
pub struct Request {
    pub charges: Vec<(Scope, f64)>,
    pub units: u64,
}

pub struct Billing {
    pub state: Arc<MemoryStateStore>,
    /// Each event's record in write units (its archived body and bookkeeping).
    pub record_units: HashMap<Arc<str>, u64>,
    /// Records in the failed index now.
    flagged: Mutex<HashSet<String>>,
}

impl Billing {
    pub fn new(state: Arc<MemoryStateStore>, record_units: HashMap<Arc<str>, u64>) -> Billing {
        Billing {
            state,
            record_units,
            flagged: Mutex::default(),
        }
    }

    /// The requests a call sends, in order.
    pub fn requests(&self, call: StoreCall<'_>) -> Vec<Request> {
        match call {
            StoreCall::Apply { write } => self.apply(write),
            StoreCall::ApplyMerged { write } => self.apply_merged(write),
            StoreCall::Claim { event_id } => {
                // A claim removes the failed flag: the record leaves the index.
                let leaves = self.flagged.lock().unwrap().remove(event_id);
                vec![self.record(event_id, leaves)]
            }
            StoreCall::Release { event_id, flagged } => {
                let mut index = self.flagged.lock().unwrap();
                // A deferral removes the flag; an index write only when the flag comes or goes.
                let changes = if flagged {
                    index.insert(event_id.to_string())
                } else {
                    index.remove(event_id)
                };
                vec![self.record(event_id, changes)]
            }
            StoreCall::TakeTicket { downstream, second } => {
                // A small item per downstream and second: 1 unit, on its own partition.
                let key = format!("pace#{downstream}#{second}");
                vec![Request {
                    units: 1,
                    charges: vec![
                        (Scope::Table(IDEMPOTENCY), 1.0),
                        (Scope::Partition(IDEMPOTENCY, key), 1.0),
                    ],
                }]
            }
            StoreCall::RecordStep { event_id } => {
                // A small item per event and step (under 1 KB), on its own partition.
                vec![Request {
                    units: 1,
                    charges: vec![
                        (Scope::Table(IDEMPOTENCY), 1.0),
                        (
                            Scope::Partition(IDEMPOTENCY, format!("step#{event_id}")),
                            1.0,
                        ),
                    ],
                }]
            }
            // Reads are billed in read units, which this model of write capacity leaves out; the
            // simulated handlers' steps are read only on an event's later attempts.
            StoreCall::ReadSteps { .. } => Vec::new(),
            StoreCall::Finish { event_id } | StoreCall::RecordConflict { event_id } => {
                vec![self.record(event_id, false)]
            }
        }
    }

    /// A record's update, and the index write when its failed flag changes (the index holds a few
    /// small attributes: 1 unit).
    fn record(&self, event_id: &str, index_write: bool) -> Request {
        let units = self.record_units.get(event_id).copied().unwrap_or(1);
        let mut charges = vec![(Scope::Table(IDEMPOTENCY), units as f64)];
        if index_write {
            let shard = record::failed_flag(event_id);
            charges.push((Scope::Table(FAILED_INDEX), 1.0));
            charges.push((Scope::Partition(FAILED_INDEX, shard), 1.0));
        }
        Request {
            units: units + u64::from(index_write),
            charges,
        }
    }

    fn state_request(pk: &str, bytes: usize) -> Request {
        let units = write_units(bytes) as u64;
        Request {
            charges: vec![
                (Scope::Table(STATE), units as f64),
                (Scope::Partition(STATE, pk.to_string()), units as f64),
            ],
            units,
        }
    }

    fn item(&self, pk: &str, sk: &str) -> Item {
        let items = self.state.items.lock().unwrap();
        items
            .get(&(pk.to_string(), sk.to_string()))
            .cloned()
            .unwrap_or_default()
    }

    /// The adapter's requests for one write: one conditional update when it is fresh; when the
    /// item is newer, the failed update, one per moving field, and one for the facts.
    fn apply(&self, write: &ItemWrite) -> Vec<Request> {
        let item = self.item(&write.pk, &write.sk);
        let before = if item.is_empty() {
            0
        } else {
            state_item_size(&write.pk, &write.sk, &item)
        };
        let after = state_item_size(&write.pk, &write.sk, &after_write(item.clone(), write));
        let larger = Self::state_request(&write.pk, before.max(after));
        let version = match &write.gate {
            Gate::Versioned(v) => v.as_str(),
            Gate::Unversioned => {
                let empty =
                    write.moving.is_empty() && write.remove.is_empty() && write.facts.is_empty();
                return if empty { Vec::new() } else { vec![larger] };
            }
        };
        if !is_newer(&item, version) {
            return vec![larger];
        }
        let mut requests = vec![Self::state_request(&write.pk, before)];
        let fields = write.moving.len() + write.remove.len() + usize::from(!write.facts.is_empty());
        requests.extend(std::iter::repeat_n(larger, fields));
        requests
    }

    /// One update, or the failed one when the item is newer than the run's oldest write.
    fn apply_merged(&self, write: &MergedWrite) -> Vec<Request> {
        let item = self.item(&write.pk, &write.sk);
        let before = if item.is_empty() {
            0
        } else {
            state_item_size(&write.pk, &write.sk, &item)
        };
        if let Some(floor) = &write.floor {
            if is_newer(&item, floor.as_str()) {
                return vec![Self::state_request(&write.pk, before)];
            }
        }
        let after = state_item_size(&write.pk, &write.sk, &after_merged(item, write));
        vec![Self::state_request(&write.pk, before.max(after))]
    }
}

fn is_newer(item: &Item, version: &str) -> bool {
    matches!(item.get(fields::VERSION), Some(Attr::S(v)) if v.as_str() > version)
}

/// The event id a version ends with (`...#<event id>`): the item's `lastEventId` after the write.
fn event_of(version: &str) -> &str {
    version.rsplit('#').next().unwrap_or(version)
}

/// The item as a fresh write leaves it.
fn after_write(mut item: Item, write: &ItemWrite) -> Item {
    let version = match &write.gate {
        Gate::Versioned(v) => Some(v.as_str()),
        Gate::Unversioned => None,
    };
    if let Some(v) = version {
        item.insert(fields::VERSION.into(), Attr::s(v));
        item.insert(fields::LAST_EVENT_ID.into(), Attr::s(event_of(v)));
    }
    for (name, value) in &write.moving {
        item.insert((*name).into(), value.clone());
        if let Some(v) = version {
            item.insert(fields::field_version(name), Attr::s(v));
        }
    }
    for name in &write.remove {
        item.remove(*name);
        if let Some(v) = version {
            item.insert(fields::field_version(name), Attr::s(v));
        }
    }
    for (name, value) in &write.facts {
        item.entry((*name).into()).or_insert_with(|| value.clone());
    }
    item
}

/// The item as a merged write leaves it.
fn after_merged(mut item: Item, write: &MergedWrite) -> Item {
    if let Some((version, event_id)) = &write.newest {
        item.insert(fields::VERSION.into(), Attr::s(version.as_str()));
        item.insert(fields::LAST_EVENT_ID.into(), Attr::s(event_id));
    }
    for (name, value, version) in &write.moving {
        match value {
            Some(value) => item.insert((*name).into(), value.clone()),
            None => item.remove(*name),
        };
        item.insert(fields::field_version(name), Attr::s(version.as_str()));
    }
    for (name, value) in &write.facts {
        item.entry((*name).into()).or_insert_with(|| value.clone());
    }
    item
}

#[cfg(test)]
mod tests {
    use super::*;
    use fanfare_shared::ports::state::{StateStore, Version};

    fn bid(n: i64) -> ItemWrite {
        ItemWrite::new(
            "auction/a",
            "STATE",
            Gate::Versioned(Version::of(n, 1, &format!("evt_{n}"))),
        )
        .moving("highBid", Attr::n(n))
        .fact("experienceId", Attr::s("x"))
    }

    #[tokio::test]
    async fn a_large_item_costs_a_unit_a_kilobyte_even_when_its_condition_fails() {
        let state = Arc::new(MemoryStateStore::default());
        let billing = Billing::new(state.clone(), HashMap::new());
        let big = ItemWrite::new("auction/a", "STATE", Gate::Unversioned)
            .fact("notes", Attr::s("x".repeat(4_900)));
        assert_eq!(
            billing.requests(StoreCall::Apply { write: &big })[0].units,
            5
        );
        state.apply(&big, "evt_big").await.unwrap();
        state.apply(&bid(10), "evt_10").await.unwrap();
        // Fresh: one update of the 5 KB item.
        let fresh = billing.requests(StoreCall::Apply { write: &bid(11) });
        assert_eq!(fresh.iter().map(|r| r.units).collect::<Vec<_>>(), [5]);
        // Stale: the failed update, the moving field, the facts: three full-item writes.
        let stale = billing.requests(StoreCall::Apply { write: &bid(9) });
        assert_eq!(stale.iter().map(|r| r.units).collect::<Vec<_>>(), [5, 5, 5]);
        assert!(stale[0]
            .charges
            .contains(&(Scope::Partition(STATE, "auction/a".into()), 5.0)));
    }

    #[test]
    fn a_release_enters_the_failed_index_and_the_next_claim_leaves_it() {
        let units = HashMap::from([(Arc::from("evt_1"), 2)]);
        let billing = Billing::new(Arc::default(), units);
        let claim = StoreCall::Claim { event_id: "evt_1" };
        assert_eq!(billing.requests(claim)[0].units, 2, "not in the index");
        let release = billing.requests(StoreCall::Release {
            event_id: "evt_1",
            flagged: true,
        });
        assert_eq!(release[0].units, 3);
        let shard = record::failed_flag("evt_1");
        assert!(release[0]
            .charges
            .contains(&(Scope::Partition(FAILED_INDEX, shard), 1.0)));
        assert_eq!(billing.requests(claim)[0].units, 3, "it leaves the index");
        assert_eq!(billing.requests(claim)[0].units, 2);
    }
}
