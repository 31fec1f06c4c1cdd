//! The signature and timestamp headers as any client may send them: never a panic, and a verdict
//! that is either a rejection with a stable code or a genuine signature.
#![no_main]

use fanfare_shared::contract::signature::{
    SignatureHeaders, SigningSecret, Verifier, VerifierOptions,
};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: (&str, Option<&str>, &[u8], i64, bool)| {
    let (signature, timestamp, body, now, allow_untimestamped) = input;
    let Ok(secret) = SigningSecret::new("whsec_fuzz") else {
        return;
    };
    let options = VerifierOptions {
        allow_untimestamped,
        ..VerifierOptions::default()
    };
    let Ok(verifier) = Verifier::new(vec![secret], options) else {
        return;
    };
    let headers = SignatureHeaders {
        signature: Some(signature),
        timestamp,
    };
    if let Err(e) = verifier.verify(headers, body, now) {
        assert!(!e.code().is_empty());
    }
});
