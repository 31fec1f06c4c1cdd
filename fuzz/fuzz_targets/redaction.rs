//! A credential planted in any body, JSON or not (duplicate keys, nesting, escaped and plural
//! names, objects, arrays, random text around it, a cut): its value never reaches what is stored.
#![no_main]

use fanfare_shared::privacy::Retention;
use fanfare_shared::testing::planted_body;
use libfuzzer_sys::fuzz_target;

const MARKER: &str = "zz_planted_credential_zz";

fuzz_target!(|seed: &[u8]| {
    let body = planted_body(seed, MARKER);
    for retention in [Retention::default(), Retention { store_personal_data: true }] {
        let kept = retention.redact_body(&body);
        assert!(!kept.contains(MARKER), "kept: {kept}");
    }
});
