//! Redaction that nothing escapes: duplicate keys, other spellings, whole
//! objects, escaped names, bodies that are not JSON, and the JSON-valued state fields.

use fanfare_shared::contract::envelope::parse_event;
use fanfare_shared::ports::state::Attr;
use fanfare_shared::privacy::Retention;
use fanfare_shared::processor::plan::{plan, PlanOptions};

const MARK: &str = "tok_MARK";

fn stored(body: &str) -> String {
    Retention::default().redact_body(body.as_bytes())
}

#[test]
fn a_duplicate_key_keeps_no_earlier_value() {
    for body in [
        r#"{"id":"e","data":{"paymentToken":"tok_MARK","paymentToken":null}}"#,
        r#"{"id":"e","data":{"paymentToken":"tok_MARK"},"data":{}}"#,
    ] {
        let kept = stored(body);
        assert!(!kept.contains(MARK), "{kept}");
    }
}

#[test]
fn plural_and_other_spellings_and_whole_card_objects_are_redacted() {
    let body = r#"{"data":{"claimTokens":["tok_MARK"],"accessKey":"tok_MARK",
        "card":{"number":"tok_MARK","expiry":"12/29"},"awsSecretAccessKey":"tok_MARK","orderId":"o1"}}"#;
    let kept = stored(body);
    assert!(!kept.contains(MARK), "{kept}");
    assert!(kept.contains("o1"));
}

#[test]
fn the_lexical_scan_redacts_objects_arrays_and_escaped_names() {
    for body in [
        r#"not json {"card": {"number": "tok_MARK", "cvc": "1"}, "x": 1"#,
        r#"broken "claimTokens": ["tok_MARK", "tok_MARK"] ,"#,
        r#"{"payment\u0054oken": "tok_MARK", oops"#,
        r#"{"card": {"nested": ["tok_MARK""#,
    ] {
        let kept = stored(body);
        assert!(!kept.contains(MARK), "{body} -> {kept}");
    }
}

#[test]
fn a_clean_body_is_still_kept_byte_for_byte() {
    let body = r#"{"id":"e",  "type":"order.paid","data":{"orderId":"o1"}}"#;
    assert_eq!(stored(body), body);
}

fn written(body: &str) -> Vec<String> {
    let event = parse_event(body.as_bytes()).unwrap();
    plan(&event, PlanOptions::default())
        .writes
        .iter()
        .flat_map(|w| w.facts.iter().chain(w.moving.iter()))
        .filter_map(|(_, v)| match v {
            Attr::S(text) => Some(text.clone()),
            _ => None,
        })
        .collect()
}

#[test]
fn json_valued_state_fields_and_alert_errors_are_redacted() {
    let order = r#"{"id":"e1","type":"order.created","created":1767225600,"data":{"orderId":"o1",
        "items":[{"productId":"p1","giftCardToken":"tok_MARK"}]}}"#;
    let alert = r#"{"id":"e2","type":"webhook.delivery.failed","created":1767225600,"data":{
        "eventId":"evt_x","lastError":"upstream said {\"accessToken\": \"tok_MARK\"}"}}"#;
    for body in [order, alert] {
        let texts = written(body);
        assert!(!texts.is_empty());
        assert!(texts.iter().all(|t| !t.contains(MARK)), "{texts:?}");
    }
}

proptest::proptest! {
    /// The property `make fuzz` checks at length (fuzz target `redaction`), here for a few hundred
    /// cases on every `make test`.
    #[test]
    fn a_planted_credential_never_reaches_the_stored_body(seed in proptest::collection::vec(proptest::num::u8::ANY, 0..200)) {
        let body = fanfare_shared::testing::planted_body(&seed, MARK);
        for retention in [Retention::default(), Retention { store_personal_data: true }] {
            let kept = retention.redact_body(&body);
            proptest::prop_assert!(!kept.contains(MARK), "{} -> {}", String::from_utf8_lossy(&body), kept);
        }
    }
}

/// Found by `make fuzz` (target `redaction`): kept as regression cases.
#[test]
fn the_fuzzers_finds_keep_no_credential() {
    let seeds: [&[u8]; 2] = [
        &[
            58, 34, 58, 34, 34, 9, 0, 0, 102, 34, 40, 34, 0, 0, 115, 101, 99, 114, 101, 116, 58,
            34, 58, 214, 214, 214, 214, 214, 214, 34, 34, 9, 0, 58, 34,
        ],
        &[
            34, 34, 129, 100, 12, 12, 12, 12, 12, 12, 59, 12, 12, 12, 12, 12, 53, 34, 40, 32, 58,
            0, 0, 0, 4, 0, 12, 10, 120, 255, 129, 34, 58, 236, 237, 255, 34, 142, 85, 1, 237, 255,
            34, 142, 34, 1, 191, 34, 97, 99, 99, 101, 115, 115, 107, 101, 121, 0, 0, 129, 34, 58,
            34, 129, 35, 34, 32, 58, 0, 0,
        ],
    ];
    for seed in seeds {
        let body = fanfare_shared::testing::planted_body(seed, MARK);
        for retention in [
            Retention::default(),
            Retention {
                store_personal_data: true,
            },
        ] {
            let kept = retention.redact_body(&body);
            assert!(
                !kept.contains(MARK),
                "{:?} -> {kept:?}",
                String::from_utf8_lossy(&body)
            );
        }
    }
}
