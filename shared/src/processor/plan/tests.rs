//! Every kind's plan: what it writes, and what it never stores.

use super::*;
use crate::contract::envelope::parse_event;
use crate::model::EventKind;

fn event(kind_type: &str, data: &str) -> Event {
    let body = format!(r#"{{"id":"e1","type":"{kind_type}","created":1767225600,"data":{data}}}"#);
    parse_event(body.as_bytes()).unwrap()
}

#[test]
fn every_known_kind_writes_state_and_unknown_writes_nothing() {
    for &kind in EventKind::ALL {
        let e = event(
            kind.aliases()[0],
            r#"{"experienceId":"x","consumerId":"c","drawId":"d","auctionId":"a","orderId":"o","distributionId":"s","bidAmount":"1.50","winners":[{"consumerId":"c"}]}"#,
        );
        assert!(
            !plan(&e, PlanOptions::default()).writes.is_empty(),
            "{kind}"
        );
    }
    assert!(plan(&event("test", "{}"), PlanOptions::default())
        .writes
        .is_empty());
}

#[test]
fn credentials_are_never_stored_and_contact_details_only_when_configured() {
    let all = |p: &Plan| format!("{:?}", p.writes);
    let admitted = event(
        "queue.consumer_admitted",
        r#"{"experienceId":"x","consumerId":"c","admissionToken":"tok_SECRET"}"#,
    );
    assert!(!all(&plan(&admitted, PlanOptions::default())).contains("tok_SECRET"));
    let created = event(
        "consumer.created",
        r#"{"consumerId":"c","email":"ada@example.com"}"#,
    );
    assert!(!all(&plan(&created, PlanOptions::default())).contains("ada@example.com"));
    let opted_in = PlanOptions {
        retention: crate::privacy::Retention {
            store_personal_data: true,
        },
    };
    assert!(all(&plan(&created, opted_in)).contains("ada@example.com"));
}

#[test]
fn money_is_stored_as_exact_decimal_text() {
    let bid = event(
        "auction.bid_placed",
        r#"{"auctionId":"a","consumerId":"c","bidAmount":149.99}"#,
    );
    let p = plan(&bid, PlanOptions::default());
    assert!(p.writes[0]
        .moving
        .contains(&("highBid", Attr::N("149.99".into()))));
}
