//! A delivery as Fanfare sends it, opened: the signature checked against the raw body, then the
//! body read as an event. Ingest and the CLI's `verify` both call [`open`], so they cannot drift.

use super::envelope::{parse_event, EnvelopeError};
use super::signature::{Scheme, SignatureError, SignatureHeaders, Verified, Verifier};
use crate::model::Event;

/// What a validly signed delivery holds.
#[derive(Debug)]
pub struct Opened {
    pub verified: Verified,
    /// The event, or why the signed body is not one (ingest quarantines those).
    pub event: Result<Event, EnvelopeError>,
}

/// Verifies `headers` over `body` at `now_unix`; only a valid signature gets its body parsed. A
/// body-only (scheme C) signature over something that is not an event is refused, not kept: it is
/// what a captured A or B signature replayed as C looks like.
pub fn open(
    verifier: &Verifier,
    headers: SignatureHeaders<'_>,
    body: &[u8],
    now_unix: i64,
) -> Result<Opened, SignatureError> {
    let verified = verifier.verify(headers, body, now_unix)?;
    let event = parse_event(body);
    if verified.scheme == Scheme::C && event.is_err() {
        return Err(SignatureError::UntimestampedNotAnEvent);
    }
    Ok(Opened { verified, event })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::contract::signature::{sign, SigningSecret, VerifierOptions};

    const T: i64 = 1_767_225_600;
    const EVENT: &[u8] = br#"{"id":"evt_1","type":"order.paid","created":1767225600,"data":{}}"#;

    fn scheme_c_verifier(secret: &SigningSecret) -> Verifier {
        let options = VerifierOptions {
            allow_untimestamped: true,
            ..Default::default()
        };
        Verifier::new(vec![secret.clone()], options).unwrap()
    }

    fn headers<'a>(signed: &'a [(&'static str, String)]) -> SignatureHeaders<'a> {
        let find = |name: &str| {
            signed
                .iter()
                .find(|(n, _)| n.eq_ignore_ascii_case(name))
                .map(|(_, v)| v.as_str())
        };
        SignatureHeaders {
            signature: find(crate::contract::headers::SIGNATURE),
            timestamp: find(crate::contract::headers::TIMESTAMP),
        }
    }

    /// A captured scheme A signature is a valid C signature over "<t>.<body>";
    /// with C enabled that body is refused, not kept in quarantine.
    #[test]
    fn a_captured_signature_replayed_as_scheme_c_is_refused() {
        let secret = SigningSecret::new("whsec_test").unwrap();
        let verifier = scheme_c_verifier(&secret);
        let captured = sign(&secret, Scheme::B, T, EVENT);
        let digest = captured[0].1.clone();
        let mut forged_body = format!("{T}.").into_bytes();
        forged_body.extend_from_slice(EVENT);
        let forged = SignatureHeaders {
            signature: Some(&digest),
            timestamp: None,
        };
        assert_eq!(
            open(&verifier, forged, &forged_body, T).err(),
            Some(SignatureError::UntimestampedNotAnEvent)
        );
        // A usable event signed body-only is still accepted.
        let signed = sign(&secret, Scheme::C, T, EVENT);
        let opened = open(&verifier, headers(&signed), EVENT, T).unwrap();
        assert!(opened.event.is_ok());
    }
}
