//! Parsing the signature headers of every scheme into a timestamp and candidate digests.

use super::{Scheme, SignatureError, SignatureHeaders, DIGEST_LEN};

/// Most signatures a header may carry; a real header has one or two (two during a rotation).
const MAX_CANDIDATES: usize = 8;

/// The parsed contents of the signature headers, without heap allocation.
pub(super) struct Parsed<'a> {
    pub(super) scheme: Scheme,
    /// The timestamp exactly as sent: it is part of the signed bytes.
    pub(super) timestamp: Option<&'a str>,
    digests: [[u8; DIGEST_LEN]; MAX_CANDIDATES],
    count: usize,
}

impl Parsed<'_> {
    pub(super) fn digests(&self) -> &[[u8; DIGEST_LEN]] {
        &self.digests[..self.count]
    }
}

pub(super) fn parse_timestamp(raw: &str) -> Result<i64, SignatureError> {
    if raw.is_empty() || raw.len() > 12 || !raw.bytes().all(|b| b.is_ascii_digit()) {
        return Err(SignatureError::MalformedTimestamp);
    }
    raw.parse().map_err(|_| SignatureError::MalformedTimestamp)
}

pub(super) fn parse_headers<'a>(
    headers: SignatureHeaders<'a>,
) -> Result<Parsed<'a>, SignatureError> {
    let signature = headers.signature.map(str::trim).unwrap_or_default();
    if signature.is_empty() {
        return Err(SignatureError::Missing);
    }
    let header_ts = headers.timestamp.map(str::trim).filter(|t| !t.is_empty());

    // One pass: remember the timestamp, decode `v1` values and `sha256`/bare values separately
    // (which of the two counts depends on whether a `t=` shows up, possibly later in the header).
    let mut t_value: Option<&str> = None;
    let mut v1 = Candidates::default();
    let mut other = Candidates::default();
    for part in signature
        .split(',')
        .map(str::trim)
        .filter(|p| !p.is_empty())
    {
        match part.split_once('=') {
            Some(("t", value)) => {
                if t_value.replace(value.trim()).is_some() {
                    return Err(SignatureError::Malformed); // two timestamps: ambiguous
                }
            }
            Some(("v1", value)) => v1.push(value.trim())?,
            Some(("sha256", value)) => other.push(value.trim())?,
            Some(_) => {} // unknown keys (v0, future schemes) are ignored, as in Stripe's format
            None => other.push(part)?,
        }
    }

    let (scheme, timestamp, candidates) = if let Some(t) = t_value {
        (Scheme::A, Some(t), v1)
    } else if v1.seen {
        return Err(SignatureError::MissingTimestamp);
    } else {
        match header_ts {
            Some(ts) => (Scheme::B, Some(ts), other),
            None => (Scheme::C, None, other),
        }
    };
    if candidates.count == 0 {
        return Err(SignatureError::Malformed);
    }
    Ok(Parsed {
        scheme,
        timestamp,
        digests: candidates.digests,
        count: candidates.count,
    })
}

/// Decoded digests of one kind; values that are not 64 hex digits are skipped (they can never match).
#[derive(Default)]
struct Candidates {
    digests: [[u8; DIGEST_LEN]; MAX_CANDIDATES],
    count: usize,
    seen: bool,
}

impl Candidates {
    fn push(&mut self, hex_str: &str) -> Result<(), SignatureError> {
        self.seen = true;
        let mut digest = [0u8; DIGEST_LEN];
        if hex::decode_to_slice(hex_str, &mut digest).is_err() {
            return Ok(());
        }
        let slot = self
            .digests
            .get_mut(self.count)
            .ok_or(SignatureError::Malformed)?;
        *slot = digest;
        self.count += 1;
        Ok(())
    }
}
