//! The entity an event changes. Its key is the SQS message group (ordering) and the unit of
//! ordering state in the processor.
//!
//! When the finer id is missing, the key falls back to a coarser entity (an admission falls back to
//! its experience, then its organisation), never to a random or empty group: events about the same
//! thing must share a group even when a page leaves a field out.

use std::fmt;

use sha2::{Digest, Sha256};

use super::Event;
use crate::contract::kind::Family;

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

const MAX_SEGMENT: usize = 48;

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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::contract::envelope::parse_event;

    fn entity_of(body: &str) -> Entity {
        parse_event(body.as_bytes(), None).unwrap().entity()
    }

    #[test]
    fn queue_events_are_keyed_by_consumer_in_experience() {
        let e = entity_of(
            r#"{"id":"e","type":"queue.consumer_admitted","created":1,"data":{"experienceId":"exp_1","consumerId":"con_1"}}"#,
        );
        assert_eq!(e.key(), "admission/exp_1/con_1");
    }

    #[test]
    fn missing_finer_ids_fall_back_to_coarser_entities() {
        let no_consumer = entity_of(
            r#"{"id":"e","type":"queue.consumer_admitted","created":1,"experienceId":"exp_1"}"#,
        );
        assert_eq!(no_consumer.key(), "experience/exp_1");
        let no_draw =
            entity_of(r#"{"id":"e","type":"draw.completed","created":1,"organizationId":"org_1"}"#);
        assert_eq!(no_draw.key(), "organization/org_1");
        let nothing = entity_of(r#"{"id":"e","type":"test","created":1}"#);
        assert_eq!(nothing.key(), "unattributed");
    }

    #[test]
    fn each_family_has_its_entity() {
        let cases = [
            (r#"{"drawId":"d1"}"#, "draw.entry_created", "draw/d1"),
            (r#"{"auctionId":"a1"}"#, "auction.bid_placed", "auction/a1"),
            (r#"{"orderId":"o1"}"#, "order.paid", "order/o1"),
            (
                r#"{"experienceId":"x1"}"#,
                "experience.paused",
                "experience/x1",
            ),
            (
                r#"{"distributionId":"s1"}"#,
                "distribution.opened",
                "distribution/s1",
            ),
            (r#"{"consumerId":"c1"}"#, "consumer.updated", "consumer/c1"),
        ];
        for (data, ty, key) in cases {
            let body = format!(r#"{{"id":"e","type":"{ty}","created":1,"data":{data}}}"#);
            assert_eq!(entity_of(&body).key(), key, "{ty}");
        }
    }

    #[test]
    fn unsafe_or_long_ids_are_hashed_into_a_valid_group_id() {
        let long = "x".repeat(300);
        let body = format!(
            r#"{{"id":"e","type":"queue.consumer.left","created":1,"data":{{"experienceId":"{long}","consumerId":"a/b c"}}}}"#
        );
        let key = entity_of(&body).key();
        assert!(key.len() <= 128, "{key}");
        assert!(key.starts_with("admission/~"));
        assert_eq!(
            key.matches('/').count(),
            2,
            "ids cannot inject separators: {key}"
        );
    }
}
