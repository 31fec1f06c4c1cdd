//! The typed payloads: spellings, aliases, exact money, values that never print.

use chrono::{TimeZone, Utc};
use serde_json::json;

use fanfare_shared::contract::envelope::parse_event;
use fanfare_shared::model::payload::*;
use fanfare_shared::model::{Event, EventKind, Money};

fn event(ty: &str, data: serde_json::Value) -> Event {
    let body = json!({"id": "evt_1", "type": ty, "created": 1_767_225_600, "data": data});
    parse_event(body.to_string().as_bytes()).expect("a valid envelope")
}

#[test]
fn camel_and_snake_case_land_in_the_same_fields() {
    for data in [
        json!({"consumerId": "c", "experienceId": "x", "admissionToken": "adm_tok", "admittedAt": "2026-01-01T00:00:00Z", "waitTimeSeconds": "300"}),
        json!({"consumer_id": "c", "experience_id": "x", "admission_token": "adm_tok", "admitted_at": "2026-01-01T00:00:00Z", "wait_time_seconds": 300}),
    ] {
        let admitted: QueueAdmitted =
            KindData::from_event(&event("queue.consumer_admitted", data)).unwrap();
        assert_eq!(admitted.consumer_id.as_deref(), Some("c"));
        assert_eq!(
            admitted.admission_token.as_ref().map(Token::expose),
            Some("adm_tok")
        );
        assert_eq!(
            admitted.admitted_at,
            Utc.timestamp_opt(1_767_225_600, 0).single()
        );
        assert_eq!(admitted.wait_time_seconds, Some(300));
        assert!(admitted.other.is_empty(), "{:?}", admitted.other);
    }
}

#[test]
fn older_names_are_aliases_and_money_is_exact() {
    let bid: AuctionBidPlaced = KindData::from_event(&event(
        "auction.bid.placed",
        json!({"auctionId": 7, "amount": 149.99}),
    ))
    .unwrap();
    assert_eq!(bid.auction_id.as_deref(), Some("7"));
    assert_eq!(
        bid.bid_amount.map(Money::to_text).as_deref(),
        Some("149.99")
    );
    let settled: AuctionSettled =
        KindData::from_event(&event("auction.settled", json!({"finalBid": "155.00"}))).unwrap();
    assert_eq!(
        settled.winning_bid_amount.map(Money::to_text).as_deref(),
        Some("155")
    );
}

#[test]
fn tokens_and_contact_data_never_print() {
    let p = Payload::of(&event(
        "consumer.created",
        json!({"email": "ada@example.com"}),
    ))
    .unwrap();
    let won: AuctionWon = KindData::from_event(&event(
        "auction.consumer.won",
        json!({"paymentToken": "pay_secret"}),
    ))
    .unwrap();
    let extra = Payload::of(&event(
        "order.paid",
        json!({"cardNumber": "4242424242424242"}),
    ))
    .unwrap();
    let printed = format!(
        "{p:?} {won:?} {extra:?} {}",
        won.payment_token.as_ref().unwrap()
    );
    assert!(
        printed.contains("cardNumber") && !printed.contains("4242"),
        "{printed}"
    );
    assert!(
        !printed.contains("ada@") && !printed.contains("pay_secret"),
        "{printed}"
    );
}

#[test]
fn a_wrong_type_names_the_field_not_the_value() {
    let err = Payload::of(&event(
        "queue.consumer_admitted",
        json!({"admittedAt": "adm_tok_secret"}),
    ))
    .unwrap_err();
    assert_eq!(
        err,
        PayloadError::Invalid {
            kind: EventKind::QueueAdmitted,
            path: "admittedAt".into()
        }
    );
    assert!(!err.to_string().contains("adm_tok_secret"));
}

#[test]
fn undocumented_fields_are_kept_and_the_envelope_experience_fills_in() {
    let body = json!({"id": "e", "type": "queue.sold_out", "created": 1, "experienceId": "x", "data": {"restockAt": "soon"}});
    let event = parse_event(body.to_string().as_bytes()).unwrap();
    let Payload::QueueSoldOut(sold_out) = Payload::of(&event).unwrap() else {
        panic!("wrong variant")
    };
    assert_eq!(sold_out.experience_id.as_deref(), Some("x"));
    assert_eq!(sold_out.other.get("restockAt"), Some(&json!("soon")));
}

#[test]
fn asking_for_another_kind_is_an_error() {
    let e = event("order.paid", json!({}));
    assert!(matches!(
        QueueAdmitted::from_event(&e),
        Err(PayloadError::WrongKind { .. })
    ));
    assert!(matches!(Payload::of(&e), Ok(Payload::OrderPaid(_))));
}
