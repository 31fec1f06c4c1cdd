//! The event model, read through parsed envelopes (the model itself parses nothing).

use fanfare_shared::contract::envelope::parse_event;
use fanfare_shared::model::*;

fn entity_of(body: &str) -> Entity {
    parse_event(body.as_bytes()).unwrap().entity()
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
fn a_draws_entrants_and_an_auctions_bidders_are_queued_in_groups_of_their_own() {
    let key = |ty: &str, data: &str| {
        let body = format!(r#"{{"id":"e","type":"{ty}","created":1,"data":{data}}}"#);
        parse_event(body.as_bytes()).unwrap().ordering_key()
    };
    let entrant = r#"{"drawId":"d1","consumerId":"c1"}"#;
    let bidder = r#"{"auctionId":"a1","consumerId":"c1"}"#;
    assert_eq!(key("draw.entry_created", entrant), "draw/d1/c1");
    assert_eq!(key("draw.consumer.won", entrant), "draw/d1/c1");
    assert_eq!(key("auction.bid_placed", bidder), "auction/a1/c1");
    assert_eq!(key("auction.outbid", bidder), "auction/a1/c1");
    // The draw's and the auction's own events stay in the entity's group.
    assert_eq!(key("draw.winners_selected", entrant), "draw/d1");
    assert_eq!(key("draw.completed", entrant), "draw/d1");
    assert_eq!(key("auction.winner_notified", bidder), "auction/a1");
    // Without a member, or outside a draw or auction, the entity's key.
    assert_eq!(key("draw.entry_created", r#"{"drawId":"d1"}"#), "draw/d1");
    assert_eq!(
        key(
            "queue.consumer_admitted",
            r#"{"experienceId":"x","consumerId":"c1"}"#
        ),
        "admission/x/c1"
    );
    let long = "y".repeat(300);
    let hashed = key(
        "auction.bid_placed",
        &format!(r#"{{"auctionId":"a1","consumerId":"{long}/z"}}"#),
    );
    assert!(
        hashed.len() <= 128 && hashed.matches('/').count() == 2,
        "{hashed}"
    );
}

#[test]
fn the_state_key_never_falls_back_to_another_family() {
    let state = |body: &str| StateKey::of(&parse_event(body.as_bytes()).unwrap()).key();
    // The message group falls back; the state key does not.
    let no_consumer =
        r#"{"id":"e1","type":"queue.consumer_admitted","created":1,"experienceId":"exp_1"}"#;
    assert_eq!(entity_of(no_consumer).key(), "experience/exp_1");
    assert_eq!(state(no_consumer), "unidentified/admission/e1");
    let no_order = r#"{"id":"e2","type":"order.paid","created":1,"data":{"consumerId":"c1"}}"#;
    assert_eq!(state(no_order), "unidentified/order/e2");
    let no_draw = r#"{"id":"e3","type":"draw.completed","created":1,"experienceId":"x"}"#;
    assert_eq!(state(no_draw), "unidentified/draw/e3");
    let nothing = r#"{"id":"e4","type":"consumer.updated","created":1}"#;
    assert_eq!(state(nothing), "unidentified/consumer/e4");
    let genuine = r#"{"id":"e5","type":"experience.paused","created":1,"experienceId":"x"}"#;
    assert_eq!(state(genuine), "experience/x");
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

#[test]
fn fields_are_found_in_camel_or_snake_case() {
    let e = parse_event(
        br#"{"id":"e","type":"x","created":1,"data":{"consumer_id":"c1","waitTimeSeconds":"42"}}"#,
    )
    .unwrap();
    assert_eq!(e.consumer_id().as_deref(), Some("c1"));
    assert_eq!(e.i64_field("waitTimeSeconds"), Some(42));
}

#[test]
fn payload_hash_ignores_key_order_and_whitespace_but_not_content() {
    let a = parse_event(br#"{"id":"e","type":"x","created":1,"data":{"a":1,"b":2}}"#).unwrap();
    let b =
        parse_event(br#"{ "data":{"b":2, "a":1}, "created":1, "type":"x", "id":"e" }"#).unwrap();
    let c = parse_event(br#"{"id":"e","type":"x","created":1,"data":{"a":1,"b":3}}"#).unwrap();
    assert_eq!(a.payload_hash(), b.payload_hash());
    assert_ne!(a.payload_hash(), c.payload_hash());
}

/// Fanfare's test body, the first thing a brand sends after deploying: recorded as ignored, not
/// quarantined (which raised `QuarantineNotEmpty`).
#[tokio::test]
async fn fanfares_test_body_is_recorded_as_ignored() {
    let harness =
        fanfare_shared::testing::Harness::new(fanfare_shared::processor::handler::StateOnly);
    let body = r#"{"type":"test","data":{}}"#;
    let delivered = harness.deliver(body).await;
    assert_eq!(
        delivered.outcome,
        fanfare_shared::processor::Outcome::Ignored
    );
    let id = fanfare_shared::contract::envelope::digest_id(body.as_bytes());
    let record = harness.record(&id).expect("recorded");
    assert_eq!(
        record.existing.status,
        fanfare_shared::ports::idempotency::Status::Ignored
    );
}
