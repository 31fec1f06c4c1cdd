//! The state store in memory, with the same semantics as the DynamoDB one.

use std::collections::BTreeMap;
use std::sync::Mutex;

use async_trait::async_trait;

use crate::ports::state::{
    fields, Applied, Attr, Gate, ItemWrite, MergedApplied, MergedWrite, Previous, StateError,
    StateStore, Version,
};

/// One item as the in-memory store keeps it.
pub type Item = BTreeMap<String, Attr>;

/// The same semantics as the DynamoDB adapter, in memory: for unit and property tests.
#[derive(Default)]
pub struct MemoryStateStore {
    pub items: Mutex<BTreeMap<(String, String), Item>>,
}

#[async_trait]
impl StateStore for MemoryStateStore {
    async fn apply(&self, write: &ItemWrite, event_id: &str) -> Result<Applied, StateError> {
        let key = (write.pk.clone(), write.sk.clone());
        let mut items = self.items.lock().unwrap_or_else(|p| p.into_inner());
        let item = items.entry(key).or_default();
        let changes = write
            .moving
            .iter()
            .map(|(name, value)| (*name, Some(value)))
            .chain(write.remove.iter().map(|name| (*name, None)));
        let applied = match &write.gate {
            Gate::Unversioned => {
                for (name, value) in changes {
                    set_or_remove(item, name, value);
                }
                Applied::Fresh
            }
            Gate::Versioned(v) => {
                let fresh = !matches!(item.get(fields::VERSION), Some(Attr::S(current)) if current.as_str() > v.as_str());
                let newer_event_id = match item.get(fields::LAST_EVENT_ID) {
                    Some(Attr::S(id)) if !fresh => Some(id.clone()),
                    _ => None,
                };
                if fresh {
                    item.insert(fields::VERSION.into(), Attr::S(v.as_str().to_string()));
                    item.insert(fields::LAST_EVENT_ID.into(), Attr::s(event_id));
                }
                for (name, value) in changes {
                    // A stale event still sets a field it is the newest writer of.
                    let field_version = fields::field_version(name);
                    let newer = !matches!(item.get(&field_version), Some(Attr::S(cur)) if cur.as_str() > v.as_str());
                    if fresh || newer {
                        set_or_remove(item, name, value);
                        item.insert(field_version, Attr::S(v.as_str().to_string()));
                    }
                }
                if fresh {
                    Applied::Fresh
                } else {
                    Applied::Stale { newer_event_id }
                }
            }
        };
        for (name, value) in &write.facts {
            item.entry((*name).into()).or_insert_with(|| value.clone());
        }
        Ok(applied)
    }

    async fn apply_merged(&self, write: &MergedWrite) -> Result<MergedApplied, StateError> {
        let key = (write.pk.clone(), write.sk.clone());
        let mut items = self.items.lock().unwrap_or_else(|p| p.into_inner());
        let stored = |name: &str| match items.get(&key).and_then(|item| item.get(name)) {
            Some(Attr::S(v)) => Some(v.clone()),
            _ => None,
        };
        let previous = Previous {
            version: stored(fields::VERSION).map(Version::from_stored),
            last_event_id: stored(fields::LAST_EVENT_ID),
        };
        if let (Some(floor), Some(current)) = (&write.floor, &previous.version) {
            if current > floor {
                let item = items.get(&key);
                let stored = |name: &str| item.and_then(|item| item.get(name)).cloned();
                return Ok(match write.already_applied(stored) {
                    true => MergedApplied::Applied(Previous::default()),
                    false => MergedApplied::Newer,
                });
            }
        }
        let item = items.entry(key).or_default();
        if let Some((version, event_id)) = &write.newest {
            item.insert(fields::VERSION.into(), Attr::s(version.as_str()));
            item.insert(fields::LAST_EVENT_ID.into(), Attr::s(event_id));
        }
        for (name, value, version) in &write.moving {
            set_or_remove(item, name, value.as_ref());
            item.insert(fields::field_version(name), Attr::s(version.as_str()));
        }
        for (name, value) in &write.facts {
            item.entry((*name).into()).or_insert_with(|| value.clone());
        }
        Ok(MergedApplied::Applied(previous))
    }
}

fn set_or_remove(item: &mut Item, name: &str, value: Option<&Attr>) {
    match value {
        Some(v) => {
            item.insert(name.to_string(), v.clone());
        }
        None => {
            item.remove(name);
        }
    }
}
