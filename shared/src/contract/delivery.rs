//! A delivery as Fanfare sends it, opened: the signature checked against the raw body, then the
//! body read as an event. Ingest and the CLI's `verify` both call [`open`], so they cannot drift.

use super::envelope::{parse_event, EnvelopeError};
use super::signature::{SignatureError, SignatureHeaders, Verified, Verifier};
use crate::model::Event;

/// What a validly signed delivery holds.
#[derive(Debug)]
pub struct Opened {
    pub verified: Verified,
    /// The event, or why the signed body is not one (ingest quarantines those).
    pub event: Result<Event, EnvelopeError>,
}

/// Verifies `headers` over `body` at `now_unix`; only a valid signature gets its body parsed.
pub fn open(
    verifier: &Verifier,
    headers: SignatureHeaders<'_>,
    body: &[u8],
    now_unix: i64,
) -> Result<Opened, SignatureError> {
    let verified = verifier.verify(headers, body, now_unix)?;
    Ok(Opened {
        verified,
        event: parse_event(body),
    })
}
