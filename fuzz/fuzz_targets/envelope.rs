//! Any verified body: an event or a typed envelope error, never a panic; an event's derived keys
//! are always bounded, and the same bytes always give the same id.
#![no_main]

use fanfare_shared::contract::envelope::parse_event;
use fanfare_shared::model::StateKey;
use fanfare_shared::privacy::Retention;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|body: &[u8]| {
    match parse_event(body) {
        Ok(event) => {
            assert!(event.entity().key().len() <= 128);
            assert!(StateKey::of(&event).key().len() <= 256);
            let _ = event.payload_hash();
            let again = parse_event(body).map(|e| e.id);
            assert_eq!(again.ok(), Some(event.id));
        }
        Err(e) => assert!(!e.code().is_empty()),
    }
    let _ = Retention::default().redact_body(body);
});
