//! The soak's generator writes every family the way Fanfare's pages do (aliases, snake_case, older
//! field names): each of its events fits its kind's typed payload with no field left over.

use fanfare_integration_tests::soak::generate::load;
use fanfare_shared::contract::envelope::parse_event;
use fanfare_shared::model::payload::Payload;
use fanfare_shared::EventKind;

#[test]
fn every_generated_event_fits_its_kinds_type_with_nothing_left_over() {
    let mut kinds = std::collections::BTreeSet::new();
    let mut left_over = std::collections::BTreeSet::new();
    for seed in 1..=3 {
        for generated in load(2_000, 0.0, seed).events {
            let event =
                parse_event(generated.body.as_bytes()).expect("the generator writes events");
            if event.kind == EventKind::Unknown {
                continue;
            }
            let payload = Payload::of(&event).unwrap_or_else(|e| panic!("{}: {e}", generated.body));
            for key in payload.other().keys() {
                left_over.insert(format!("{}.{key}", event.kind));
            }
            kinds.insert(event.kind);
        }
    }
    assert!(
        left_over.is_empty(),
        "fields that land nowhere: {left_over:?}"
    );
    assert_eq!(
        kinds.len(),
        fanfare_shared::EventKind::ALL.len(),
        "kinds generated: {kinds:?}"
    );
}
