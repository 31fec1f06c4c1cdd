//! The entity an event changes, in two roles:
//! - [`Entity::of`] is the **message group** (SQS ordering; [`ordering_key`] adds the member for a
//!   draw's entrants and an auction's bidders). When the finer id is missing it falls
//!   back to a coarser entity (an admission to its experience, then its organisation), never to a
//!   random or empty group: events about the same thing share a group even when a page leaves a
//!   field out.
//! - [`Entity::own`] is the **state key**: only the event's own family with its own id, never a
//!   fallback. An event without its entity id keeps its facts in an item of its own
//!   ([`StateKey::Unidentified`]) and never moves another entity's ordered fields (an admission
//!   without `consumerId` must not set its experience's `status`).

use std::fmt;

use sha2::{Digest, Sha256};

use super::kind::{EventKind, Family};
use super::Event;

#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Entity {
    /// A consumer in an experience (queue lifecycle).
    Admission {
        experience: String,
        consumer: String,
    },
    Draw(String),
    Auction(String),
    Order(String),
    Experience(String),
    Distribution(String),
    Consumer(String),
    Organization(String),
    /// Nothing identifies the entity at all.
    Unattributed,
}

impl Entity {
    pub fn of(event: &Event) -> Entity {
        let experience = || event.experience_id.clone().map(Entity::Experience);
        let organization = || event.organization_id.clone().map(Entity::Organization);
        let id = |name: &str| event.id_field(name);

        let specific = match event.kind.family() {
            Family::Admission => match (event.experience_id.clone(), event.consumer_id()) {
                (Some(experience), Some(consumer)) => Some(Entity::Admission {
                    experience,
                    consumer,
                }),
                (Some(experience), None) => Some(Entity::Experience(experience)),
                (None, consumer) => consumer.map(Entity::Consumer),
            },
            Family::Draw => id("drawId").map(Entity::Draw).or_else(experience),
            Family::Auction => id("auctionId").map(Entity::Auction).or_else(experience),
            Family::Order => id("orderId")
                .map(Entity::Order)
                .or_else(|| event.consumer_id().map(Entity::Consumer)),
            Family::Experience => experience(),
            Family::Distribution => id("distributionId")
                .map(Entity::Distribution)
                .or_else(experience),
            Family::Consumer => event.consumer_id().map(Entity::Consumer),
            Family::Webhook => None,
            Family::Unknown => experience(),
        };
        specific
            .or_else(organization)
            .unwrap_or(Entity::Unattributed)
    }

    /// The entity whose state this event changes: its own family and id only (see the module docs).
    pub fn own(event: &Event) -> Option<Entity> {
        let id = |name: &str| event.id_field(name);
        match event.kind.family() {
            Family::Admission => match (event.experience_id.clone(), event.consumer_id()) {
                (Some(experience), Some(consumer)) => Some(Entity::Admission {
                    experience,
                    consumer,
                }),
                _ => None,
            },
            Family::Draw => id("drawId").map(Entity::Draw),
            Family::Auction => id("auctionId").map(Entity::Auction),
            Family::Order => id("orderId").map(Entity::Order),
            Family::Experience => event.experience_id.clone().map(Entity::Experience),
            Family::Distribution => id("distributionId").map(Entity::Distribution),
            Family::Consumer => event.consumer_id().map(Entity::Consumer),
            Family::Webhook | Family::Unknown => None,
        }
    }

    /// The key: `<entity>/<id>[/<id>]`, at most 128 characters of the set SQS allows in a message
    /// group id. An id segment that is long or holds other characters is replaced by a hash of it.
    pub fn key(&self) -> String {
        let (prefix, parts): (&str, Vec<&str>) = match self {
            Entity::Admission {
                experience,
                consumer,
            } => ("admission", vec![experience, consumer]),
            Entity::Draw(id) => ("draw", vec![id]),
            Entity::Auction(id) => ("auction", vec![id]),
            Entity::Order(id) => ("order", vec![id]),
            Entity::Experience(id) => ("experience", vec![id]),
            Entity::Distribution(id) => ("distribution", vec![id]),
            Entity::Consumer(id) => ("consumer", vec![id]),
            Entity::Organization(id) => ("organization", vec![id]),
            Entity::Unattributed => ("unattributed", vec![]),
        };
        let mut key = prefix.to_string();
        for part in parts {
            key.push('/');
            key.push_str(&safe_segment(part));
        }
        key
    }
}

impl fmt::Display for Entity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.key())
    }
}

/// Kinds of a draw or an auction that concern one member (an entrant, a bidder) and whose writes
/// commute with every other member's: an entrant's own `ENTRY#` item, a bidder's own `BIDDER#` item,
/// or a bid, which sets the auction's high bid by amount whatever the order. They are queued in a
/// group of their member, so a hot draw or auction is processed member by member side by side
/// instead of one event at a time.
fn ordered_per_member(kind: EventKind) -> bool {
    use EventKind::*;
    matches!(
        kind,
        DrawEntered
            | DrawLeft
            | DrawWon
            | DrawLost
            | DrawPrizeClaimed
            | DrawPrizeExpired
            | AuctionBidPlaced
            | AuctionOutbid
    )
}

/// The event's message group: its entity's key, or `draw/<id>/<consumer>` and
/// `auction/<id>/<consumer>` for a member's events (see [`ordered_per_member`]). The handler sees
/// each member's events in order; a draw's or an auction's own events (results, completion, winner)
/// stay in the entity's group and are not ordered against its members' events.
pub fn ordering_key(event: &Event) -> String {
    let entity = Entity::of(event);
    match (&entity, event.consumer_id()) {
        (Entity::Draw(_) | Entity::Auction(_), Some(member)) if ordered_per_member(event.kind) => {
            format!("{}/{}", entity.key(), safe_segment(&member))
        }
        _ => entity.key(),
    }
}

/// Where an event's state lives: its own entity, or an item of its own when it lacks the id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StateKey {
    Entity(Entity),
    /// `unidentified/<family>/<event id>`: one item per event, so id-less events never share state.
    Unidentified {
        family: &'static str,
        event_id: String,
    },
}

impl StateKey {
    pub fn of(event: &Event) -> StateKey {
        match Entity::own(event) {
            Some(entity) => StateKey::Entity(entity),
            None => StateKey::Unidentified {
                family: event.kind.family().as_str(),
                event_id: event.id.clone(),
            },
        }
    }

    pub fn key(&self) -> String {
        match self {
            StateKey::Entity(entity) => entity.key(),
            StateKey::Unidentified { family, event_id } => {
                format!("unidentified/{family}/{}", key_segment(event_id))
            }
        }
    }
}

const MAX_SEGMENT: usize = 48;

/// An id as one segment of a key built from event data (partition keys, message groups, sort keys
/// such as `ENTRY#<consumer>`): kept as is when short and plain, else a hash of it, so a key is
/// always bounded and separators cannot be injected.
pub fn key_segment(id: &str) -> String {
    safe_segment(id)
}

fn safe_segment(id: &str) -> String {
    let plain = id.len() <= MAX_SEGMENT
        && !id.is_empty()
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.' | b':' | b'@'));
    if plain {
        id.to_string()
    } else {
        format!("~{}", &hex::encode(Sha256::digest(id.as_bytes()))[..32])
    }
}
