//! The writes a run of one message group makes to one item, as one conditional write.
//!
//! A hot entity (one auction's bids, one consumer's position updates) sends most of a batch's writes
//! to one item. Written one by one they cost a round trip each, in order; merged they cost one. The
//! merged write holds only while the item is not newer than the oldest of the writes (checked by its
//! condition), and then the one-by-one result is known without asking: each moving field ends with
//! its newest writer's value, each fact with the first writer's, and what each write *would have
//! found* (fresh, or stale behind which event) follows from the item's version before the write,
//! which the write returns. Where merging could change the outcome, the writes go one by one.

use crate::ports::state::{Applied, Gate, ItemWrite, MergedWrite, Previous, Version};

/// One write of a run and the event that makes it, in processing order.
pub(super) type RunWrite<'a> = (&'a ItemWrite, &'a str);

/// The writes to one item as one, or `None` where only one by one is faithful: an unversioned write
/// that moves fields (it wins by arrival, not by version), or a field that is a fact in one write
/// and moving in another (which one lands first would decide).
pub(super) fn merge(writes: &[RunWrite<'_>]) -> Option<MergedWrite> {
    let (first, _) = writes.first()?;
    let mut merged = MergedWrite {
        pk: first.pk.clone(),
        sk: first.sk.clone(),
        floor: None,
        newest: None,
        moving: Vec::new(),
        facts: Vec::new(),
    };
    for (write, event_id) in writes {
        let version = match &write.gate {
            Gate::Versioned(v) => v,
            Gate::Unversioned if write.moving.is_empty() && write.remove.is_empty() => {
                add_facts(&mut merged, write);
                continue;
            }
            Gate::Unversioned => return None,
        };
        if merged.floor.as_ref().is_none_or(|floor| version < floor) {
            merged.floor = Some(version.clone());
        }
        // Equal versions come from one event writing an item twice: the later write wins, as it
        // would one by one.
        if merged.newest.as_ref().is_none_or(|(v, _)| version >= v) {
            merged.newest = Some((version.clone(), event_id.to_string()));
        }
        let changes = write
            .moving
            .iter()
            .map(|(name, value)| (*name, Some(value.clone())))
            .chain(write.remove.iter().map(|name| (*name, None)));
        for (name, value) in changes {
            match merged.moving.iter_mut().find(|(n, _, _)| *n == name) {
                Some(field) if *version >= field.2 => *field = (name, value, version.clone()),
                Some(_) => {}
                None => merged.moving.push((name, value, version.clone())),
            }
        }
        add_facts(&mut merged, write);
    }
    let mixed = merged
        .facts
        .iter()
        .any(|(fact, _)| merged.moving.iter().any(|(name, _, _)| name == fact));
    (!mixed).then_some(merged)
}

fn add_facts(merged: &mut MergedWrite, write: &ItemWrite) {
    for (name, value) in &write.facts {
        if !merged.facts.iter().any(|(n, _)| n == name) {
            merged.facts.push((name, value.clone()));
        }
    }
}

impl MergedWrite {
    /// Nothing to write (unversioned writes without facts).
    pub(super) fn is_empty(&self) -> bool {
        self.newest.is_none() && self.moving.is_empty() && self.facts.is_empty()
    }
}

/// What each write would have found, applied one by one in order onto `previous`.
pub(super) fn applied_in_order(writes: &[RunWrite<'_>], previous: Previous) -> Vec<Applied> {
    let mut current: Option<Version> = previous.version;
    let mut holder = previous.last_event_id;
    writes
        .iter()
        .map(|(write, event_id)| match &write.gate {
            Gate::Unversioned => Applied::Fresh,
            Gate::Versioned(v) if current.as_ref().is_some_and(|c| c > v) => Applied::Stale {
                newer_event_id: holder.clone(),
            },
            Gate::Versioned(v) => {
                current = Some(v.clone());
                holder = Some(event_id.to_string());
                Applied::Fresh
            }
        })
        .collect()
}

#[cfg(test)]
mod tests;
