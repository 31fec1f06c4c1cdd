//! Materialised state and per-entity ordering, as conditional writes.
//!
//! Every write targets one item (`pk`, `sk`) and carries the event's [`Version`]. A versioned write
//! sets the item's *moving* fields only when its version is not older than the item's (`version <=
//! :v`), and always merges its *facts* with `if_not_exists`, so:
//! - state that moves (admission status, experience status, the auction's high bid) only moves forward;
//! - facts (times, ids, amounts an event reports) are kept whatever the order of arrival;
//! - a re-run of the same event is allowed (equal version).
//!
//! Each moving field also keeps the version that set it (`_v_<field>`), so a stale event still sets a
//! moving field when no newer event has: the final state is the same for any order of arrival.
//!
//! The version is `(event time in ms, lifecycle rank, event id)`, encoded as a string that sorts the
//! same way, so two events in the same millisecond still order by lifecycle.

use async_trait::async_trait;

use crate::model::Money;

/// An attribute value, independent of DynamoDB's types.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Attr {
    S(String),
    /// A number, as exact decimal text.
    N(String),
    Bool(bool),
}

impl Attr {
    pub fn s(v: impl Into<String>) -> Attr {
        Attr::S(v.into())
    }
    pub fn n(v: impl ToString) -> Attr {
        Attr::N(v.to_string())
    }
    pub fn money(m: Money) -> Attr {
        Attr::N(m.to_text())
    }
}

/// Orders the events that change one item.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Version(String);

impl Version {
    /// A version as stored.
    pub fn from_stored(text: impl Into<String>) -> Version {
        Version(text.into())
    }

    /// `(time, rank, event id)`. Times are non-negative (the envelope refuses earlier ones).
    pub fn of(occurred_at_ms: i64, rank: u8, event_id: &str) -> Version {
        Version(format!(
            "{:015}#{rank:03}#{event_id}",
            occurred_at_ms.max(0)
        ))
    }

    /// A version ordered by an amount first (the auction's high bid), then time and id.
    pub fn by_amount(amount: Money, occurred_at_ms: i64, event_id: &str) -> Version {
        let d = amount.0.abs();
        let int = d.trunc();
        let frac = (d - int).to_string();
        let frac = frac.trim_start_matches('0').trim_start_matches('.');
        Version(format!(
            "{:0>24}.{:0<12}#{:015}#{event_id}",
            int.to_string(),
            frac,
            occurred_at_ms.max(0)
        ))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// How a write treats the item's version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Gate {
    /// Moving fields apply only if this version is not older than the item's.
    Versioned(Version),
    /// Facts only; the item's version is untouched.
    Unversioned,
}

/// One conditional write of materialised state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ItemWrite {
    pub pk: String,
    pub sk: String,
    pub gate: Gate,
    /// Set when the write is not stale; the latest version wins.
    pub moving: Vec<(&'static str, Attr)>,
    /// Removed when the write is not stale (e.g. personal data on `consumer.deleted`).
    pub remove: Vec<&'static str>,
    /// Set only where absent: what an event reports about the entity, whatever the order.
    /// Nothing accumulates on an item (no sets, no lists): what each event adds is an item of its
    /// own, so no item grows with its entity's events (DynamoDB bills a write by the item's size).
    pub facts: Vec<(&'static str, Attr)>,
}

impl ItemWrite {
    pub fn new(pk: impl Into<String>, sk: impl Into<String>, gate: Gate) -> Self {
        Self {
            pk: pk.into(),
            sk: sk.into(),
            gate,
            moving: Vec::new(),
            remove: Vec::new(),
            facts: Vec::new(),
        }
    }

    pub fn moving(mut self, name: &'static str, value: impl Into<Option<Attr>>) -> Self {
        if let Some(v) = value.into() {
            self.moving.push((name, v));
        }
        self
    }

    pub fn fact(mut self, name: &'static str, value: impl Into<Option<Attr>>) -> Self {
        if let Some(v) = value.into() {
            self.facts.push((name, v));
        }
        self
    }
}

/// Whether a write's moving fields were applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Applied {
    Fresh,
    /// The item already carries a newer version: only facts (and the moving fields no newer event
    /// has set) were merged.
    Stale {
        /// The event that set the item's newer version (`lastEventId`), when the item names it.
        newer_event_id: Option<String>,
    },
}

#[derive(Debug, thiserror::Error)]
pub enum StateError {
    #[error("the state store is unavailable")]
    Unavailable(#[source] Box<dyn std::error::Error + Send + Sync>),
}

/// Names of the bookkeeping attributes on every state item.
pub mod fields {
    pub const PK: &str = "pk";
    pub const SK: &str = "sk";
    pub const VERSION: &str = "version";
    pub const LAST_EVENT_ID: &str = "lastEventId";

    /// The sort key prefix of an alert item: Fanfare gave up delivering an event
    /// (`alert/<entity>`, `DELIVERY_FAILED#<event id>`).
    pub const DELIVERY_FAILED_PREFIX: &str = "DELIVERY_FAILED#";

    /// The version of the event that last set a moving field, kept beside it.
    pub fn field_version(field: &str) -> String {
        format!("_v_{field}")
    }
}

/// The writes several events of one message group make to one item, as one conditional write
/// (built by `processor::merge`). It applies only while the item's version is not newer than the
/// oldest of them, so each moving field simply takes its newest writer's value: the result equals
/// applying the writes one by one, in any order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MergedWrite {
    pub pk: String,
    pub sk: String,
    /// The oldest version among the writes: the item's version must not be newer.
    pub floor: Option<Version>,
    /// The newest version and the event that carries it: the item's version afterwards.
    pub newest: Option<(Version, String)>,
    /// Each moving field once: its newest writer's value (`None`: removed) and version.
    pub moving: Vec<(&'static str, Option<Attr>, Version)>,
    /// Each fact once: the first writer's value, set where absent.
    pub facts: Vec<(&'static str, Attr)>,
}

impl MergedWrite {
    /// Whether the item, as `stored` reads it, already is what this write makes it: it carries
    /// the write's newest event at its version, each moving field holds the write's value at the
    /// write's version, and each fact is there. Then the write was applied before (the SDK's retry
    /// of a write whose reply was lost, or a run retried whole) and applying it again would change
    /// nothing. When it was first applied the item was at most at the floor, which makes no write
    /// of the run stale, as an empty item does.
    pub fn already_applied(&self, stored: impl Fn(&str) -> Option<Attr>) -> bool {
        let text = |name: &str| match stored(name) {
            Some(Attr::S(v)) => Some(v),
            _ => None,
        };
        let Some((version, event_id)) = &self.newest else {
            return false;
        };
        text(fields::VERSION).as_deref() == Some(version.as_str())
            && text(fields::LAST_EVENT_ID).as_deref() == Some(event_id.as_str())
            && self.moving.iter().all(|(name, value, version)| {
                text(&fields::field_version(name)).as_deref() == Some(version.as_str())
                    && stored(name) == *value
            })
            && self.facts.iter().all(|(name, _)| stored(name).is_some())
    }
}

/// What the item held before a merged write.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Previous {
    pub version: Option<Version>,
    pub last_event_id: Option<String>,
}

/// Whether a merged write was applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MergedApplied {
    /// Applied, with what the item held before (from the write's own reply: no read).
    Applied(Previous),
    /// The item carries a version newer than the oldest write: nothing was written, and the writes
    /// go one by one.
    Newer,
}

#[async_trait]
pub trait StateStore: Send + Sync {
    async fn apply(&self, write: &ItemWrite, event_id: &str) -> Result<Applied, StateError>;
    async fn apply_merged(&self, write: &MergedWrite) -> Result<MergedApplied, StateError>;
}

#[async_trait]
impl<T: StateStore + ?Sized> StateStore for std::sync::Arc<T> {
    async fn apply(&self, write: &ItemWrite, event_id: &str) -> Result<Applied, StateError> {
        (**self).apply(write, event_id).await
    }
    async fn apply_merged(&self, write: &MergedWrite) -> Result<MergedApplied, StateError> {
        (**self).apply_merged(write).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal::Decimal;
    use std::str::FromStr;

    #[test]
    fn versions_order_by_time_then_rank_then_id() {
        assert!(Version::of(1_000, 9, "z") < Version::of(1_001, 0, "a"));
        assert!(Version::of(1_000, 1, "z") < Version::of(1_000, 2, "a"));
        assert!(Version::of(1_000, 1, "a") < Version::of(1_000, 1, "b"));
    }

    #[test]
    fn amount_versions_order_numerically() {
        let m = |s: &str| Money(Decimal::from_str(s).unwrap());
        assert!(Version::by_amount(m("9.99"), 5, "a") < Version::by_amount(m("10"), 1, "a"));
        assert!(Version::by_amount(m("149.9"), 5, "a") < Version::by_amount(m("149.99"), 1, "a"));
        assert!(Version::by_amount(m("100"), 5, "a") < Version::by_amount(m("100.01"), 1, "a"));
    }
}
