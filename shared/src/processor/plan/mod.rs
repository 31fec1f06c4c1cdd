//! The built-in handler logic for every kind: the state each event materialises, as conditional
//! writes (see `ports::state`). Pure: no I/O, so every kind is unit-tested and the ordering property
//! is checked with proptest. One module per family; `lifecycle` is the table of kinds that move an
//! entity to a status at a rank and a time.
//!
//! Credentials (`admissionToken`, `claimToken`, `paymentToken`) are never stored. Contact details
//! (`privacy::CONTACT_FIELDS`) are stored only when the retention allows personal data.

mod admission;
mod alert;
mod auction;
mod consumer;
mod draw;
mod experience;
mod lifecycle;
mod order;

use serde_json::Value;

use crate::model::{key_segment, Event, Family, StateKey};
use crate::ports::state::{Applied, Attr, Gate, ItemWrite, Version};

/// The item every entity's own state lives in.
pub const STATE_SK: &str = "STATE";

/// What processing one event writes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    /// Whether the event moves its entity's state in lifecycle order. For ordered kinds the first
    /// write is the ordering gate: if it is stale, the event is recorded as skipped-as-stale and the
    /// user's handler does not run. Unordered kinds (bids, draw entries, alerts) always run.
    pub ordered: bool,
    pub writes: Vec<ItemWrite>,
}

impl Plan {
    /// One write that moves the entity's state in lifecycle order.
    fn ordered(write: ItemWrite) -> Plan {
        Plan {
            ordered: true,
            writes: vec![write],
        }
    }

    fn unordered(writes: Vec<ItemWrite>) -> Plan {
        Plan {
            ordered: false,
            writes,
        }
    }
}

impl Plan {
    /// The event's version, as its first versioned write carries it: what a handler's own
    /// downstream writes can be made conditional on.
    pub fn version(&self) -> Option<Version> {
        self.writes.iter().find_map(|w| match &w.gate {
            Gate::Versioned(v) => Some(v.clone()),
            Gate::Unversioned => None,
        })
    }

    /// The members (consumers) whose own item already held a newer event than this one's write
    /// to it (`applied`: what each write found, in plan order): `draw.winners_selected` retried
    /// after a winner's `draw.prize_claimed`, or a late `draw.won`.
    pub fn superseded_members(&self, applied: &[Applied]) -> Vec<String> {
        self.writes
            .iter()
            .zip(applied)
            .filter(|(w, found)| {
                w.sk != STATE_SK
                    && matches!(w.gate, Gate::Versioned(_))
                    && matches!(found, Applied::Stale { .. })
            })
            .map(|(w, _)| member_id(w))
            .collect()
    }
}

/// A member item's consumer id: its `consumerId` fact, else its sort key's segment.
fn member_id(write: &ItemWrite) -> String {
    let fact = write.facts.iter().find_map(|(name, value)| match value {
        Attr::S(id) if *name == "consumerId" => Some(id.clone()),
        _ => None,
    });
    fact.unwrap_or_else(|| {
        let segment = write
            .sk
            .split_once('#')
            .map_or(write.sk.as_str(), |(_, s)| s);
        segment.to_string()
    })
}

#[derive(Debug, Clone, Copy, Default)]
pub struct PlanOptions {
    /// What may be stored: contact fields only with the opt-in.
    pub retention: crate::privacy::Retention,
}

/// Builds the plan for one event.
pub fn plan(event: &Event, options: PlanOptions) -> Plan {
    let ctx = Ctx::new(event);
    match event.kind.family() {
        Family::Admission => admission::plan(&ctx),
        Family::Experience => experience::plan(&ctx),
        Family::Distribution => experience::distribution(&ctx),
        Family::Order => order::plan(&ctx),
        Family::Consumer => consumer::plan(&ctx, options),
        Family::Draw => draw::plan(&ctx),
        Family::Auction => auction::plan(&ctx),
        Family::Webhook => alert::plan(&ctx),
        Family::Unknown => Plan::unordered(Vec::new()),
    }
}

/// What every family's plan starts from: the event, its state item's key and its time.
struct Ctx<'a> {
    event: &'a Event,
    /// The entity's partition key. Never the message group's fallback: an event without its own
    /// entity id gets an item of its own.
    pk: String,
    /// The event time, as stored.
    at: Attr,
    consumer: Option<String>,
}

impl<'a> Ctx<'a> {
    fn new(event: &'a Event) -> Self {
        Self {
            event,
            pk: StateKey::of(event).key(),
            at: Attr::s(
                event
                    .occurred_at
                    .to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            ),
            consumer: event.consumer_id(),
        }
    }

    fn versioned(&self, rank: u8) -> Gate {
        Gate::Versioned(Version::of(
            self.event.occurred_at.timestamp_millis(),
            rank,
            &self.event.id,
        ))
    }

    /// The entity's own item, at lifecycle `rank`.
    fn state(&self, rank: u8) -> ItemWrite {
        ItemWrite::new(self.pk.clone(), STATE_SK, self.versioned(rank))
    }

    /// A write with the experience and consumer ids as facts.
    fn ids(&self, w: ItemWrite) -> ItemWrite {
        w.fact("experienceId", s(self.event.experience_id.clone()))
            .fact("consumerId", s(self.consumer.clone()))
    }

    /// A member item's sort key segment (`ENTRY#…`, `BIDDER#…`): bounded, and one per event when
    /// the consumer is unknown.
    fn member(&self) -> String {
        match &self.consumer {
            Some(id) => key_segment(id),
            None => format!("unknown-{}", key_segment(&self.event.id)),
        }
    }

    /// A time the event reports, else the event's own time.
    fn reported_or_now(&self, field: &str) -> Option<Attr> {
        time(self.event, field).or(Some(self.at.clone()))
    }
}

fn s(v: Option<String>) -> Option<Attr> {
    v.map(Attr::S)
}

fn n(v: Option<i64>) -> Option<Attr> {
    v.map(Attr::n)
}

fn text(event: &Event, field: &str) -> Option<Attr> {
    event.str_field(field).map(Attr::s)
}

fn time(event: &Event, field: &str) -> Option<Attr> {
    text(event, field)
}

fn money(event: &Event, names: &[&str]) -> Option<Attr> {
    match event.money_field(names) {
        Some(Ok(m)) => Some(Attr::money(m)),
        _ => None,
    }
}

/// A JSON value kept as text, through the archive's retention rules (strict: these fields carry no
/// contact data a brand would opt in to keep, and never a credential).
fn json(event: &Event, field: &str) -> Option<Attr> {
    let retention = crate::privacy::Retention::default();
    event
        .field(field)
        .map(|v: &Value| Attr::S(retention.redact_body(v.to_string().as_bytes())))
}

/// Free text a sender wrote (an alert's `lastError`), scanned like a body that is not JSON.
fn free_text(event: &Event, field: &str) -> Option<Attr> {
    let retention = crate::privacy::Retention::default();
    event
        .str_field(field)
        .map(|v| Attr::S(retention.redact_body(v.as_bytes())))
}

#[cfg(test)]
mod tests;
